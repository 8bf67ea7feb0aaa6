#include "media/codecs/g711.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdlib>
#include <vector>

#include "media/codecs/tone.hpp"

namespace parley::media {
namespace {

TEST(G711, UlawKnownCodewords) {
  EXPECT_EQ(linear_to_ulaw(0), 0xFF);
  EXPECT_EQ(linear_to_ulaw(-1), 0x7F);
  EXPECT_EQ(linear_to_ulaw(32767), 0x80);
  EXPECT_EQ(linear_to_ulaw(-32768), 0x00);
  EXPECT_EQ(ulaw_to_linear(0xFF), 0);
  EXPECT_EQ(ulaw_to_linear(0x7F), 0);
  EXPECT_EQ(ulaw_to_linear(0x80), 32124);
  EXPECT_EQ(ulaw_to_linear(0x00), -32124);
  // Segment edges of the 14-bit law, times 4 in 16-bit units.
  EXPECT_EQ(ulaw_to_linear(0xFE), 8);    // smallest positive level: 2 (14-bit) x 4
  EXPECT_EQ(ulaw_to_linear(0xF0), 120);  // top of segment 0: 30 x 4
  EXPECT_EQ(ulaw_to_linear(0xEF), 132);  // bottom of segment 1: 33 x 4
  EXPECT_EQ(linear_to_ulaw(100), 0xF2);
  EXPECT_EQ(linear_to_ulaw(-100), 0x72);
}

TEST(G711, AlawKnownCodewords) {
  EXPECT_EQ(linear_to_alaw(0), 0xD5);
  EXPECT_EQ(linear_to_alaw(-1), 0x55);
  EXPECT_EQ(linear_to_alaw(32767), 0xAA);
  EXPECT_EQ(linear_to_alaw(-32768), 0x2A);
  EXPECT_EQ(alaw_to_linear(0xD5), 8);
  EXPECT_EQ(alaw_to_linear(0x55), -8);
  EXPECT_EQ(alaw_to_linear(0xAA), 32256);
  EXPECT_EQ(alaw_to_linear(0x2A), -32256);
  EXPECT_EQ(alaw_to_linear(0xD4), 24);   // second level of segment 0
  EXPECT_EQ(alaw_to_linear(0xC5), 264);  // first level of segment 2
}

TEST(G711, DecodeTablesAreMonotonic) {
  // Positive codewords by increasing magnitude: µ-law 0xFF down to 0x80; A-law (0xD5 ^ 0x80...)
  // is easiest walked through the un-inverted index.
  for (int i = 0xFF; i > 0x80; --i) {
    EXPECT_LT(ulaw_to_linear(static_cast<std::uint8_t>(i)),
              ulaw_to_linear(static_cast<std::uint8_t>(i - 1)));
  }
  for (int i = 0x80; i < 0xFF; ++i) {
    const auto a = static_cast<std::uint8_t>(i ^ 0x55);
    const auto b = static_cast<std::uint8_t>((i + 1) ^ 0x55);
    EXPECT_LT(alaw_to_linear(a), alaw_to_linear(b));
  }
}

TEST(G711, EveryCodewordSurvivesDecodeEncode) {
  for (int code = 0; code < 256; ++code) {
    const auto c = static_cast<std::uint8_t>(code);
    if (c != 0x7F) EXPECT_EQ(linear_to_ulaw(ulaw_to_linear(c)), c) << code;  // 0x7F is -0
    EXPECT_EQ(linear_to_alaw(alaw_to_linear(c)), c) << code;
  }
}

TEST(G711, RoundTripErrorWithinHalfAStep) {
  for (int x = -32000; x <= 32000; ++x) {
    const auto s = static_cast<std::int16_t>(x);
    // Steps are 1/16 of the segment base; half a step is at most |x|/32 plus the smallest step.
    const int bound = std::abs(x) / 32 + 8;
    EXPECT_LE(std::abs(ulaw_to_linear(linear_to_ulaw(s)) - x), bound) << x;
    EXPECT_LE(std::abs(alaw_to_linear(linear_to_alaw(s)) - x), bound + 8) << x;
  }
}

// G.711 Table 5/6: the digital milliwatt, a 1 kHz sine at 0 dBm0, as eight repeating codewords.
TEST(G711, DigitalMilliwattIsZeroDbm0) {
  constexpr std::array<std::uint8_t, 8> kUlaw = {0x1E, 0x0B, 0x0B, 0x1E, 0x9E, 0x8B, 0x8B, 0x9E};
  constexpr std::array<std::uint8_t, 8> kAlaw = {0x34, 0x21, 0x21, 0x34, 0xB4, 0xA1, 0xA1, 0xB4};
  std::vector<std::uint8_t> ulaw;
  std::vector<std::uint8_t> alaw;
  for (int i = 0; i < 100; ++i) {
    ulaw.insert(ulaw.end(), kUlaw.begin(), kUlaw.end());
    alaw.insert(alaw.end(), kAlaw.begin(), kAlaw.end());
  }
  std::vector<std::int16_t> pcm(ulaw.size());
  G711Codec pcmu(false);
  ASSERT_TRUE(pcmu.decode(ulaw, pcm).ok());
  EXPECT_NEAR(tone_level_dbm0(pcm, 1000, 8000), 0.0, 0.1);
  G711Codec pcma(true);
  ASSERT_TRUE(pcma.decode(alaw, pcm).ok());
  EXPECT_NEAR(tone_level_dbm0(pcm, 1000, 8000), 0.0, 0.1);
}

TEST(G711, ToneThroughEachLawKeepsLevelAndPurity) {
  for (const bool alaw : {false, true}) {
    G711Codec codec(alaw);
    EXPECT_EQ(codec.name(), alaw ? "PCMA" : "PCMU");
    ToneGenerator tone(1000, -10, 8000);
    std::vector<std::int16_t> pcm(8000);
    tone.generate(pcm);
    std::vector<std::uint8_t> payload(pcm.size());
    ASSERT_EQ(codec.encode(pcm, payload).value(), pcm.size());
    std::vector<std::int16_t> out(pcm.size());
    ASSERT_EQ(codec.decode(payload, out).value(), pcm.size());
    EXPECT_NEAR(tone_level_dbm0(out, 1000, 8000), -10.0, 0.2);
    EXPECT_GT(tone_to_residual_db(out, 1000, 8000), 30.0);  // G.711 SQNR is ~38 dB here
  }
}

TEST(G711, RejectsShortBuffers) {
  G711Codec codec(false);
  std::vector<std::int16_t> pcm(160);
  std::vector<std::uint8_t> payload(100);
  EXPECT_FALSE(codec.encode(pcm, payload).ok());
  std::vector<std::uint8_t> big(200);
  EXPECT_FALSE(codec.decode(big, pcm).ok());
}

}  // namespace
}  // namespace parley::media
