#include "media/codecs/opus_codec.hpp"

#include <gtest/gtest.h>
#include <opus/opus.h>

#include <memory>
#include <vector>

#include "media/codecs/registry.hpp"
#include "media/codecs/tone.hpp"

namespace parley::media {
namespace {

constexpr int kRate = 48000;
constexpr std::size_t kFrame = 960;  // 20 ms

std::unique_ptr<OpusCodec> make_opus(const OpusOptions& options = {}) {
  auto codec = OpusCodec::create(options);
  EXPECT_TRUE(codec.ok());
  return std::move(codec).value();
}

// 20 ms packets of a tone.
std::vector<std::vector<std::uint8_t>> tone_packets(OpusCodec& codec, double frequency, int count) {
  ToneGenerator tone(frequency, -10, kRate);
  std::vector<std::int16_t> pcm(kFrame);
  std::vector<std::uint8_t> out(1500);
  std::vector<std::vector<std::uint8_t>> packets;
  for (int i = 0; i < count; ++i) {
    tone.generate(pcm);
    auto bytes = codec.encode(pcm, out);
    EXPECT_TRUE(bytes.ok());
    packets.emplace_back(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(bytes.value()));
  }
  return packets;
}

TEST(Opus, ToneRoundTripKeepsLevelAndPurity) {
  auto codec = make_opus();
  EXPECT_EQ(codec->sample_rate(), kRate);
  EXPECT_EQ(codec->clock_rate(), kRate);
  const auto packets = tone_packets(*codec, 1000, 50);
  std::vector<std::int16_t> pcm(5760);
  std::vector<std::int16_t> track;
  for (const auto& packet : packets) {
    EXPECT_EQ(codec->decoded_samples(packet), kFrame);
    auto samples = codec->decode(packet, pcm);
    ASSERT_TRUE(samples.ok());
    ASSERT_EQ(samples.value(), kFrame);
    track.insert(track.end(), pcm.begin(), pcm.begin() + kFrame);
  }
  const auto window = std::span(track).subspan(track.size() - kRate / 2);
  EXPECT_NEAR(tone_level_dbm0(window, 1000, kRate), -10.0, 1.0);
  EXPECT_GT(tone_to_residual_db(window, 1000, kRate), 20.0);
}

TEST(Opus, StereoPacketsAreDownmixed) {
  // A stereo sender (SDP says opus/48000/2 and peers may really send two channels).
  int error = 0;
  OpusEncoder* raw = opus_encoder_create(kRate, 2, OPUS_APPLICATION_AUDIO, &error);
  ASSERT_EQ(error, OPUS_OK);
  std::unique_ptr<OpusEncoder, void (*)(OpusEncoder*)> stereo(raw, &opus_encoder_destroy);
  ToneGenerator left(1000, -10, kRate);
  ToneGenerator right(1000, -10, kRate);
  std::vector<std::int16_t> l(kFrame);
  std::vector<std::int16_t> r(kFrame);
  std::vector<std::int16_t> interleaved(2 * kFrame);
  std::vector<std::uint8_t> packet(1500);
  auto codec = make_opus();
  std::vector<std::int16_t> pcm(5760);
  std::vector<std::int16_t> track;
  for (int i = 0; i < 50; ++i) {
    left.generate(l);
    right.generate(r);
    for (std::size_t k = 0; k < kFrame; ++k) {
      interleaved[2 * k] = l[k];
      interleaved[2 * k + 1] = r[k];
    }
    const int bytes = opus_encode(stereo.get(), interleaved.data(), kFrame, packet.data(), 1500);
    ASSERT_GT(bytes, 0);
    auto samples = codec->decode(std::span(packet.data(), static_cast<std::size_t>(bytes)), pcm);
    ASSERT_TRUE(samples.ok());
    track.insert(track.end(), pcm.begin(),
                 pcm.begin() + static_cast<std::ptrdiff_t>(samples.value()));
  }
  ASSERT_EQ(track.size(), 50 * kFrame);  // mono out: one sample per stereo frame
  const auto window = std::span(track).subspan(track.size() - kRate / 2);
  EXPECT_NEAR(tone_level_dbm0(window, 1000, kRate), -10.0, 1.5);
}

TEST(Opus, ConcealsLossWithPlcAndWithFec) {
  OpusOptions options;
  options.expected_loss_percent = 20;
  auto sender = make_opus(options);
  const auto packets = tone_packets(*sender, 1000, 40);
  for (const bool use_fec : {false, true}) {
    auto receiver = make_opus();
    std::vector<std::int16_t> pcm(kFrame);
    for (std::size_t i = 0; i < packets.size(); ++i) {
      if (i == 30) {
        const std::span<const std::uint8_t> next =
            use_fec ? std::span<const std::uint8_t>(packets[31]) : std::span<const std::uint8_t>{};
        ASSERT_TRUE(receiver->conceal(pcm, next));
        // FEC rebuilds the lost frame from its low-bit-rate copy, at about its level; PLC
        // extrapolates and fades (about -6 dB over the first frame), but is not silence.
        if (use_fec) {
          EXPECT_NEAR(tone_level_dbm0(pcm, 1000, kRate), -10.0, 3.0);
        } else {
          EXPECT_GT(tone_level_dbm0(pcm, 1000, kRate), -20.0);
        }
        continue;
      }
      ASSERT_TRUE(receiver->decode(packets[i], pcm).ok());
    }
    EXPECT_NEAR(tone_level_dbm0(pcm, 1000, kRate), -10.0, 1.0) << use_fec;
  }
}

TEST(Opus, RejectsGarbageAndHalfCodecs) {
  auto codec = make_opus();
  std::vector<std::int16_t> pcm(5760);
  const std::vector<std::uint8_t> empty;
  EXPECT_FALSE(codec->decode(empty, pcm).ok());
  // TOC code 3 with a frame count of 0 is invalid (RFC 6716 §3.2.5).
  const std::vector<std::uint8_t> bad = {0x03, 0x00};
  EXPECT_FALSE(codec->decode(bad, pcm).ok());

  OpusOptions encode_only;
  encode_only.decoder = false;
  auto encoder = make_opus(encode_only);
  EXPECT_FALSE(encoder->decode(bad, pcm).ok());
  EXPECT_FALSE(encoder->conceal(std::span(pcm.data(), kFrame), {}));
}

TEST(Opus, FmtpBindsTheEncoder) {
  const auto defaults = parse_opus_fmtp("");
  EXPECT_EQ(defaults.bitrate, 32000);
  EXPECT_TRUE(defaults.inband_fec);
  const auto options =
      parse_opus_fmtp("minptime=10; useinbandfec=0;maxaveragebitrate=20000 ;usedtx=1");
  EXPECT_EQ(options.bitrate, 20000);
  EXPECT_FALSE(options.inband_fec);
  EXPECT_TRUE(options.dtx);
  EXPECT_EQ(parse_opus_fmtp("maxaveragebitrate=999999").bitrate, 32000);  // out of range
  EXPECT_EQ(parse_opus_fmtp("maxaveragebitrate=abc").bitrate, 32000);
}

TEST(CodecRegistry, CreatesEachCodecByName) {
  EXPECT_TRUE(codec_supported("PCMU", 8000));
  EXPECT_TRUE(codec_supported("pcma", 8000));
  EXPECT_TRUE(codec_supported("G722", 8000));
  EXPECT_TRUE(codec_supported("OPUS", 48000));
  EXPECT_FALSE(codec_supported("opus", 8000));
  EXPECT_FALSE(codec_supported("G729", 8000));
  EXPECT_FALSE(codec_supported("G722", 16000));
  for (const auto& [name, rate, pcm_rate] :
       {std::tuple{"PCMU", 8000, 8000}, std::tuple{"PCMA", 8000, 8000},
        std::tuple{"g722", 8000, 16000}, std::tuple{"opus", 48000, 48000}}) {
    auto codec = create_codec(CodecParams{name, rate, 1, "", CodecUse::kBoth});
    ASSERT_TRUE(codec.ok()) << name;
    EXPECT_EQ(codec.value()->sample_rate(), pcm_rate) << name;
    EXPECT_EQ(codec.value()->clock_rate(), rate) << name;
  }
  auto missing = create_codec(CodecParams{"iLBC", 8000, 1, "", CodecUse::kBoth});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("iLBC"), std::string::npos);
}

}  // namespace
}  // namespace parley::media
