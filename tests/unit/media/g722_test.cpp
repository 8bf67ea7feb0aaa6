#include "media/codecs/g722.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "media/codecs/tone.hpp"

namespace parley::media {
namespace {

constexpr int kRate = 16000;

// Encodes `seconds` of a tone in 20 ms frames and decodes it again; returns the decoded track.
std::vector<std::int16_t> round_trip(double frequency, double dbm0, int frames = 50) {
  G722Codec encoder;
  G722Codec decoder;
  ToneGenerator tone(frequency, dbm0, kRate);
  std::vector<std::int16_t> pcm(320);
  std::vector<std::uint8_t> payload(160);
  std::vector<std::int16_t> out(320);
  std::vector<std::int16_t> track;
  for (int i = 0; i < frames; ++i) {
    tone.generate(pcm);
    EXPECT_EQ(encoder.encode(pcm, payload).value(), 160U);
    EXPECT_EQ(decoder.decode(payload, out).value(), 320U);
    track.insert(track.end(), out.begin(), out.end());
  }
  return track;
}

std::span<const std::int16_t> last_half_second(const std::vector<std::int16_t>& track) {
  return std::span(track).subspan(track.size() - kRate / 2);
}

TEST(G722, RatesAndSizes) {
  G722Codec codec;
  EXPECT_EQ(codec.sample_rate(), 16000);
  EXPECT_EQ(codec.clock_rate(), 8000);
  const std::vector<std::uint8_t> payload(160);
  EXPECT_EQ(codec.decoded_samples(payload), 320U);
  std::vector<std::int16_t> odd(3);
  std::vector<std::uint8_t> out(4);
  EXPECT_FALSE(codec.encode(odd, out).ok());
}

TEST(G722, LowBandToneKeepsLevelAndPurity) {
  for (const double frequency : {300.0, 1000.0, 3000.0}) {
    const auto track = round_trip(frequency, -10);
    const auto window = last_half_second(track);
    EXPECT_NEAR(tone_level_dbm0(window, frequency, kRate), -10.0, 0.5) << frequency;
    EXPECT_GT(tone_to_residual_db(window, frequency, kRate), 38.0) << frequency;  // ~41-60 dB
  }
}

TEST(G722, HighBandToneIsCarried) {
  // The upper band has 2 bits per sample: level holds, purity is modest.
  for (const double frequency : {5000.0, 6500.0}) {
    const auto track = round_trip(frequency, -10);
    const auto window = last_half_second(track);
    EXPECT_NEAR(tone_level_dbm0(window, frequency, kRate), -10.0, 1.0) << frequency;
    EXPECT_GT(tone_to_residual_db(window, frequency, kRate), 18.0) << frequency;  // ~22-26 dB
  }
}

TEST(G722, QmfCancelsAliasingNearTheBandEdge) {
  // A tone near 4 kHz lands in both sub-bands; a wrong synthesis leaves an image at 8k - f.
  const auto track = round_trip(3800, -10);
  const auto window = last_half_second(track);
  EXPECT_NEAR(tone_level_dbm0(window, 3800, kRate), -10.0, 1.0);
  EXPECT_LT(tone_level_dbm0(window, 4200, kRate), -60.0);  // ~-80 measured
}

TEST(G722, LoudAndQuietTonesTrackTheirLevel) {
  for (const double dbm0 : {-40.0, -25.0, 0.0}) {
    const auto track = round_trip(1000, dbm0);
    EXPECT_NEAR(tone_level_dbm0(last_half_second(track), 1000, kRate), dbm0, 0.5) << dbm0;
  }
}

TEST(G722, SilenceStaysSilent) {
  G722Codec codec;
  std::vector<std::int16_t> pcm(320, 0);
  std::vector<std::uint8_t> payload(160);
  std::vector<std::int16_t> out(320);
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(codec.encode(pcm, payload).ok());
    ASSERT_TRUE(codec.decode(payload, out).ok());
  }
  EXPECT_LT(rms(out), 4.0);
}

TEST(G722, ResetRestartsTheState) {
  G722Codec a;
  G722Codec b;
  ToneGenerator tone(1000, -10, kRate);
  std::vector<std::int16_t> pcm(320);
  tone.generate(pcm);
  std::vector<std::uint8_t> first(160);
  std::vector<std::uint8_t> again(160);
  ASSERT_TRUE(a.encode(pcm, first).ok());
  ASSERT_TRUE(a.encode(pcm, again).ok());
  EXPECT_NE(first, again);  // adapted state codes the same input differently
  a.reset();
  ASSERT_TRUE(a.encode(pcm, again).ok());
  EXPECT_EQ(first, again);
  ASSERT_TRUE(b.encode(pcm, again).ok());
  EXPECT_EQ(first, again);
}

}  // namespace
}  // namespace parley::media
