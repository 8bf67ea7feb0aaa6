#include "media/transcoder.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "codec_test_util.hpp"
#include "media/codecs/tone.hpp"

namespace parley::media {
namespace {

using test::Packet;

const CodecSpec kPcmu{"PCMU", 8000, 1, ""};
const CodecSpec kPcma{"PCMA", 8000, 1, ""};
const CodecSpec kG722{"G722", 8000, 1, ""};
const CodecSpec kOpus{"opus", 48000, 2, "useinbandfec=1"};

int pcm_rate(const CodecSpec& spec) {
  if (spec.encoding == "G722") return 16000;
  return spec.clock_rate;
}

struct Output {
  std::vector<std::vector<std::uint8_t>> payloads;
  std::vector<std::uint32_t> samples;
  std::vector<bool> markers;
};

void pop_all(Transcoder& transcoder, Output& out) {
  EncodedFrame frame;
  while (transcoder.pop(frame)) {
    out.payloads.emplace_back(frame.payload.begin(), frame.payload.end());
    out.samples.push_back(frame.samples);
    out.markers.push_back(frame.marker);
  }
}

Output run(Transcoder& transcoder, const std::vector<Packet>& packets) {
  Output out;
  for (const Packet& packet : packets) {
    transcoder.push(packet.sequence, packet.timestamp, packet.payload);
    pop_all(transcoder, out);
  }
  return out;
}

struct Pair {
  CodecSpec input;
  CodecSpec output;
  double min_purity_db;  // tone to everything else, after both codecs
};

std::string label(const Pair& pair) {
  return pair.input.encoding + "->" + pair.output.encoding;
}

class TranscodeTone : public ::testing::TestWithParam<Pair> {};

TEST_P(TranscodeTone, OneKilohertzAtMinus10Dbm0ArrivesIntact) {
  const Pair& pair = GetParam();
  auto transcoder = Transcoder::create(pair.input, pair.output);
  ASSERT_TRUE(transcoder.ok()) << transcoder.error().message;
  const auto packets = test::tone_packets(pair.input, 1000, -10, 100);  // 2 s
  const Output out = run(**transcoder, packets);

  // Everything that went in comes out, 20 ms frames of the output clock.
  EXPECT_GE(out.payloads.size(), 98U);
  EXPECT_LE(out.payloads.size(), 100U);
  const auto advance = static_cast<std::uint32_t>(pair.output.clock_rate / 50);
  for (const auto samples : out.samples) EXPECT_EQ(samples, advance);
  EXPECT_EQ(transcoder.value()->frames_decoded(), 100U);
  EXPECT_EQ(transcoder.value()->frames_concealed(), 0U);
  EXPECT_EQ(transcoder.value()->packets_dropped(), 0U);

  const int rate = pcm_rate(pair.output);
  const auto track = test::decode_all(pair.output, out.payloads);
  const auto window = test::tail(track, rate, 1000);
  ASSERT_FALSE(window.empty());
  EXPECT_NEAR(tone_level_dbm0(window, 1000, rate), -10.0, 2.0) << label(pair);
  EXPECT_GT(tone_to_residual_db(window, 1000, rate), pair.min_purity_db) << label(pair);
  for (const double other : {500.0, 2000.0, 3000.0}) {
    EXPECT_LT(tone_level_dbm0(window, other, rate), -40.0) << label(pair) << " at " << other;
  }
}

// G.711 quantisation noise bounds purity near 35 dB per pass; Opus at 32 kbit/s near 35 dB.
INSTANTIATE_TEST_SUITE_P(Pairs, TranscodeTone,
                         ::testing::Values(Pair{kPcmu, kPcma, 30}, Pair{kPcma, kPcmu, 30},
                                           Pair{kPcmu, kOpus, 25}, Pair{kOpus, kPcmu, 25},
                                           Pair{kPcma, kG722, 30}, Pair{kG722, kPcmu, 30},
                                           Pair{kG722, kOpus, 25}, Pair{kOpus, kG722, 25},
                                           Pair{kPcmu, kPcmu, 30}, Pair{kOpus, kPcma, 25}),
                         [](const auto& info) {
                           return info.param.input.encoding + "_to_" + info.param.output.encoding;
                         });

TEST(Transcoder, RejectsUnknownCodecsAndBadOptions) {
  EXPECT_FALSE(Transcoder::create(CodecSpec{"G729", 8000, 1, ""}, kPcmu).ok());
  EXPECT_FALSE(Transcoder::create(kPcmu, CodecSpec{"opus", 8000, 1, ""}).ok());
  EXPECT_FALSE(
      Transcoder::create(kPcmu, kOpus, TranscoderOptions{30, 3}).ok());  // not an Opus size
  EXPECT_FALSE(Transcoder::create(kPcmu, kPcma, TranscoderOptions{15, 3}).ok());
  EXPECT_FALSE(Transcoder::create(kPcmu, kPcma, TranscoderOptions{20, -1}).ok());
  EXPECT_TRUE(can_transcode("pcmu", 8000));
  EXPECT_TRUE(can_transcode("Opus", 48000));
  EXPECT_FALSE(can_transcode("telephone-event", 8000));
}

TEST(Transcoder, RepacketisesToTheOutputPtime) {
  auto transcoder = Transcoder::create(kPcmu, kG722, TranscoderOptions{40, 3});
  ASSERT_TRUE(transcoder.ok());
  const Output out = run(**transcoder, test::tone_packets(kPcmu, 1000, -10, 20));
  ASSERT_GE(out.payloads.size(), 9U);
  for (std::size_t i = 0; i < out.payloads.size(); ++i) {
    EXPECT_EQ(out.payloads[i].size(), 320U);  // 40 ms of G.722
    EXPECT_EQ(out.samples[i], 320U);          // at its 8 kHz RTP clock
  }
}

TEST(Transcoder, ReorderedAndDuplicatedPacketsPlayOnceInOrder) {
  auto packets = test::tone_packets(kPcmu, 1000, -10, 50);
  std::vector<Packet> shuffled;
  for (std::size_t i = 0; i + 1 < packets.size(); i += 2) {
    shuffled.push_back(packets[i + 1]);  // every pair swapped
    shuffled.push_back(packets[i]);
    if (i % 10 == 0) shuffled.push_back(packets[i]);  // and some repeated
  }
  auto transcoder = Transcoder::create(kPcmu, kPcma);
  ASSERT_TRUE(transcoder.ok());
  const Output out = run(**transcoder, shuffled);
  EXPECT_EQ(transcoder.value()->frames_decoded(), 50U);
  EXPECT_EQ(transcoder.value()->frames_concealed(), 0U);
  EXPECT_EQ(transcoder.value()->packets_dropped(), 5U);
  // In order, the output is the same tone as the input: PCMU->PCMA of the same samples.
  const auto track = test::decode_all(kPcma, out.payloads);
  const auto expected = test::decode_all(kPcmu, [&] {
    std::vector<std::vector<std::uint8_t>> in;
    in.reserve(packets.size());
    for (const auto& p : packets) in.push_back(p.payload);
    return in;
  }());
  ASSERT_EQ(track.size(), expected.size());
  for (std::size_t i = 0; i < track.size(); ++i) {
    ASSERT_LE(std::abs(track[i] - expected[i]), std::abs(expected[i]) / 16 + 16) << i;
  }
}

TEST(Transcoder, LostPacketsAreConcealedAndTheGapIsMarked) {
  for (const auto& input : {kPcmu, kOpus, kG722}) {
    auto packets = test::tone_packets(input, 1000, -10, 60);
    packets.erase(packets.begin() + 30);  // one lost
    auto transcoder = Transcoder::create(input, kPcmu);
    ASSERT_TRUE(transcoder.ok());
    Output out = run(**transcoder, packets);
    EXPECT_EQ(transcoder.value()->frames_decoded(), 59U) << input.encoding;
    EXPECT_EQ(transcoder.value()->frames_concealed(), 1U) << input.encoding;
    EXPECT_GE(out.payloads.size(), 58U) << input.encoding;  // the gap is filled, not skipped
    // The tone carries on past the loss.
    const auto track = test::decode_all(kPcmu, out.payloads);
    EXPECT_NEAR(tone_level_dbm0(test::tail(track, 8000, 200), 1000, 8000), -10.0, 2.0)
        << input.encoding;
  }
}

TEST(Transcoder, BurstLossWithoutCodecPlcFadesToSilence) {
  auto packets = test::tone_packets(kPcmu, 1000, -10, 30);
  packets.erase(packets.begin() + 10, packets.begin() + 15);  // 100 ms lost
  auto transcoder = Transcoder::create(kPcmu, kPcma);
  ASSERT_TRUE(transcoder.ok());
  Output out = run(**transcoder, packets);
  EXPECT_EQ(transcoder.value()->frames_concealed(), 5U);
  const auto track = test::decode_all(kPcma, out.payloads);
  ASSERT_GE(track.size(), 30U * 160);
  const auto frame = [&](std::size_t i) { return std::span(track).subspan(i * 160, 160); };
  // First concealed frame repeats the tone (fading from full level), the fifth is silence.
  EXPECT_GT(tone_level_dbm0(frame(10), 1000, 8000), -14.0);
  EXPECT_LT(rms(frame(14)), 10.0);
  EXPECT_NEAR(tone_level_dbm0(frame(20), 1000, 8000), -10.0, 0.5);
}

TEST(Transcoder, TimestampJumpMarksTheNextFrame) {
  auto packets = test::tone_packets(kPcmu, 1000, -10, 20);
  for (std::size_t i = 10; i < packets.size(); ++i) packets[i].timestamp += 8000;  // 1 s silence
  auto transcoder = Transcoder::create(kPcmu, kPcma);
  ASSERT_TRUE(transcoder.ok());
  const Output out = run(**transcoder, packets);
  ASSERT_EQ(out.markers.size(), 20U);
  for (std::size_t i = 0; i < out.markers.size(); ++i) EXPECT_EQ(out.markers[i], i == 10) << i;
}

TEST(Transcoder, UndecodablePayloadIsDroppedNotFatal) {
  auto transcoder = Transcoder::create(kOpus, kPcmu);
  ASSERT_TRUE(transcoder.ok());
  const std::vector<std::uint8_t> bad = {0x03, 0x00};  // RFC 6716 code 3 with no frames
  transcoder.value()->push(998, 0, bad);
  transcoder.value()->push(999, 960, bad);
  EncodedFrame frame;
  EXPECT_FALSE(transcoder.value()->pop(frame));
  EXPECT_EQ(transcoder.value()->packets_dropped(), 2U);
  // The stream goes on with the next good packets.
  const Output out = run(**transcoder, test::tone_packets(kOpus, 1000, -10, 5, 20, 1000));
  EXPECT_GE(out.payloads.size(), 4U);  // the resampler holds back a few samples
  EXPECT_EQ(transcoder.value()->frames_decoded(), 5U);
}

}  // namespace
}  // namespace parley::media
