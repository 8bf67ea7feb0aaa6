#include "media/jitter_buffer.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace parley::media {
namespace {

using Push = JitterBuffer::PushResult;

std::vector<std::uint8_t> payload_for(std::uint16_t sequence) {
  return {static_cast<std::uint8_t>(sequence >> 8), static_cast<std::uint8_t>(sequence)};
}

class JitterBufferTest : public ::testing::Test {
 protected:
  Push push(std::uint16_t sequence) {
    const auto payload = payload_for(sequence);
    return buffer_.push(sequence, sequence * 160U, payload);
  }
  // Drains what is playable as "seq" for packets and "Lseq" for losses.
  std::string drain() {
    std::string out;
    JitterBuffer::Item item;
    while (buffer_.pop(item)) {
      if (!out.empty()) out += ' ';
      if (item.discontinuity) out += '|';
      if (item.lost) {
        out += 'L' + std::to_string(item.sequence);
        if (!item.payload.empty()) out += "+fec";
      } else {
        EXPECT_EQ(item.payload.size(), 2U);
        EXPECT_EQ(item.payload[1], static_cast<std::uint8_t>(item.sequence));
        EXPECT_EQ(item.timestamp, item.sequence * 160U);
        out += std::to_string(item.sequence);
      }
    }
    return out;
  }

  void prime() {
    push(1);
    push(2);
    EXPECT_EQ(drain(), "1 2");
  }

  JitterBuffer buffer_{JitterBuffer::Options{3, 100, 5}};
};

TEST_F(JitterBufferTest, FirstPacketWaitsForTheSecondThenInOrderPlaysAtOnce) {
  EXPECT_EQ(push(10), Push::kQueued);
  EXPECT_EQ(drain(), "");
  push(11);
  EXPECT_EQ(drain(), "10 11");
  for (std::uint16_t s = 12; s < 15; ++s) {
    EXPECT_EQ(push(s), Push::kQueued);
    EXPECT_EQ(drain(), std::to_string(s));
  }
  EXPECT_EQ(buffer_.buffered(), 0U);
}

TEST_F(JitterBufferTest, SwappedPairAtTheStartPlaysInOrder) {
  push(11);
  push(10);
  EXPECT_EQ(drain(), "10 11");
}

TEST_F(JitterBufferTest, ReorderedPacketsComeOutInOrder) {
  prime();
  push(4);
  push(5);
  EXPECT_EQ(drain(), "");  // 3 may still come
  push(3);
  EXPECT_EQ(drain(), "3 4 5");
}

TEST_F(JitterBufferTest, DuplicatesAndLatePacketsAreDropped) {
  prime();
  push(4);
  EXPECT_EQ(push(4), Push::kDuplicate);
  EXPECT_EQ(drain(), "");
  EXPECT_EQ(push(2), Push::kTooLate);  // already played
  push(3);
  EXPECT_EQ(drain(), "3 4");
  EXPECT_EQ(push(3), Push::kTooLate);
}

TEST_F(JitterBufferTest, MissingPacketIsGivenUpAfterDepthAndReportedWithFec) {
  prime();
  push(4);
  push(5);
  push(6);
  EXPECT_EQ(drain(), "");  // three waiting: still within depth
  push(7);
  EXPECT_EQ(drain(), "L3+fec 4 5 6 7");
  EXPECT_EQ(push(3), Push::kTooLate);  // its slot was concealed
}

TEST_F(JitterBufferTest, LossWithoutFollowerHasNoFecPayload) {
  prime();
  push(5);
  push(6);
  push(7);
  push(8);
  EXPECT_EQ(drain(), "L3 L4+fec 5 6 7 8");
}

TEST_F(JitterBufferTest, SequenceWrapsAround) {
  push(65534);
  push(65535);
  push(1);
  EXPECT_EQ(drain(), "65534 65535");
  push(0);
  EXPECT_EQ(drain(), "0 1");
}

TEST_F(JitterBufferTest, LongLossRunIsCappedAndMarked) {
  prime();
  for (std::uint16_t s = 20; s < 24; ++s) push(s);
  // 3..19 missing: only the last five (max_conceal) are concealed, after a discontinuity.
  EXPECT_EQ(drain(), "|L15 L16 L17 L18 L19+fec 20 21 22 23");
}

TEST_F(JitterBufferTest, BigJumpEitherWayResyncs) {
  prime();
  push(5000);
  EXPECT_EQ(drain(), "");  // a new run primes again
  push(5001);
  EXPECT_EQ(drain(), "|5000 5001");
  push(10);  // sender restarted
  push(11);
  EXPECT_EQ(drain(), "|10 11");
}

TEST_F(JitterBufferTest, OversizedPayloadIsRefused) {
  const std::vector<std::uint8_t> big(101);
  EXPECT_EQ(buffer_.push(1, 0, big), Push::kTooLarge);
  EXPECT_EQ(buffer_.buffered(), 0U);
}

TEST_F(JitterBufferTest, FullBufferOverflowsWhenNotDrained) {
  prime();
  for (std::uint16_t s = 4; s < 8; ++s) EXPECT_EQ(push(s), Push::kQueued);  // 4 slots
  EXPECT_EQ(push(8), Push::kOverflow);
}

TEST_F(JitterBufferTest, ResetStartsOver) {
  push(1);
  push(3);
  buffer_.reset();
  EXPECT_EQ(buffer_.buffered(), 0U);
  push(201);
  push(200);
  EXPECT_EQ(drain(), "200 201");
}

TEST(JitterBufferDepthZero, PlaysThroughGapsImmediately) {
  JitterBuffer buffer(JitterBuffer::Options{0, 10, 5});
  const std::vector<std::uint8_t> p = {1};
  buffer.push(1, 0, p);
  JitterBuffer::Item item;
  ASSERT_TRUE(buffer.pop(item));
  buffer.push(3, 0, p);
  ASSERT_TRUE(buffer.pop(item));
  EXPECT_TRUE(item.lost);
  EXPECT_EQ(item.sequence, 2);
  ASSERT_TRUE(buffer.pop(item));
  EXPECT_FALSE(item.lost);
  EXPECT_EQ(item.sequence, 3);
}

}  // namespace
}  // namespace parley::media
