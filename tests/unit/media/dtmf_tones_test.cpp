// The DTMF generator and detector, through real G.711 encode and decode, and the translator
// pieces the relay uses (events → tone frames, tones → RFC 4733 packets).
#include "media/dtmf_tones.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "media/codecs/registry.hpp"
#include "media/codecs/tone.hpp"
#include "media/dtmf_translator.hpp"

namespace parley::media {
namespace {

constexpr int kRate = 8000;
constexpr std::size_t kFrame = 160;

// `pcm` through encode and decode of `law` ("PCMU"/"PCMA"), 20 ms at a time.
std::vector<std::int16_t> through(const char* law, const std::vector<std::int16_t>& pcm) {
  auto codec = create_codec(CodecParams{law, kRate, 1, {}, CodecUse::kBoth});
  EXPECT_TRUE(codec.ok());
  std::vector<std::int16_t> out(pcm.size());
  std::vector<std::uint8_t> payload(kFrame);
  for (std::size_t at = 0; at + kFrame <= pcm.size(); at += kFrame) {
    const auto encoded = codec.value()->encode(std::span(pcm).subspan(at, kFrame), payload);
    EXPECT_TRUE(encoded.ok());
    const auto decoded = codec.value()->decode(std::span(payload).first(encoded.value()),
                                               std::span(out).subspan(at, kFrame));
    EXPECT_TRUE(decoded.ok());
  }
  return out;
}

void append_digit(std::vector<std::int16_t>& pcm, std::uint8_t event, int tone_ms, int gap_ms,
                  double dbm0 = -10.0) {
  DtmfToneGenerator generator(kRate);
  generator.start(event, dbm0);
  std::vector<std::int16_t> tone(static_cast<std::size_t>(kRate * tone_ms / 1000));
  generator.mix(tone);
  pcm.insert(pcm.end(), tone.begin(), tone.end());
  pcm.resize(pcm.size() + static_cast<std::size_t>(kRate * gap_ms / 1000));
}

struct Heard {
  std::string digits;
  std::vector<double> durations_ms;
};

Heard detect(const std::vector<std::int16_t>& pcm) {
  DtmfDetector detector(kRate);
  Heard heard;
  for (std::size_t at = 0; at < pcm.size(); at += kFrame) {
    const std::size_t n = std::min(kFrame, pcm.size() - at);
    for (const auto& event : detector.push(std::span(pcm).subspan(at, n))) {
      if (event.kind == DtmfDetector::Event::Kind::kBegin) {
        heard.digits.push_back(dtmf_char(event.event));
      } else {
        heard.durations_ms.push_back(event.samples * 1000.0 / kRate);
      }
    }
  }
  return heard;
}

TEST(DtmfTones, EveryDigitThroughEachLawIsDetectedWithItsDuration) {
  for (const char* law : {"PCMU", "PCMA"}) {
    std::vector<std::int16_t> pcm(kFrame * 5);  // leading silence
    for (std::uint8_t event = 0; event < kDtmfEvents; ++event) {
      append_digit(pcm, event, 100, 80, event % 2 == 0 ? -8.0 : -24.0);
    }
    const Heard heard = detect(through(law, pcm));
    EXPECT_EQ(heard.digits, "0123456789*#ABCD") << law;
    ASSERT_EQ(heard.durations_ms.size(), kDtmfEvents) << law;
    for (const double ms : heard.durations_ms) EXPECT_NEAR(ms, 100.0, 15.0) << law;
  }
}

TEST(DtmfTones, FortyMillisecondDigitsAreTakenTwentyAreNot) {
  std::vector<std::int16_t> pcm(kFrame * 2);
  append_digit(pcm, 7, 40, 60);
  append_digit(pcm, 3, 20, 60);
  append_digit(pcm, 9, 40, 60);
  EXPECT_EQ(detect(through("PCMU", pcm)).digits, "79");
}

TEST(DtmfTones, TwistBeyondLimitsIsRejected) {
  // Column tone 12 dB below the row tone: beyond the 8 dB normal twist.
  std::vector<std::int16_t> pcm(kRate / 2);
  ToneGenerator row(770.0, -10.0, kRate);
  ToneGenerator column(1336.0, -22.0, kRate);
  std::vector<std::int16_t> a(pcm.size());
  std::vector<std::int16_t> b(pcm.size());
  row.generate(a);
  column.generate(b);
  for (std::size_t i = 0; i < pcm.size(); ++i) pcm[i] = static_cast<std::int16_t>(a[i] + b[i]);
  EXPECT_EQ(detect(pcm).digits, "");
}

TEST(DtmfTones, OneKilohertzToneIsNoDigit) {
  std::vector<std::int16_t> pcm(kRate * 2);
  ToneGenerator(1000.0, -6.0, kRate).generate(pcm);
  EXPECT_EQ(detect(through("PCMU", pcm)).digits, "");
}

TEST(DtmfTones, SpeechLikeNoiseIsNoDigit) {
  // Voiced sound: a 120-220 Hz glottal pitch with many harmonics under moving formants, plus
  // noise, for 5 s.
  std::mt19937 random(42);
  std::normal_distribution<double> noise(0.0, 800.0);
  std::vector<std::int16_t> pcm(static_cast<std::size_t>(kRate) * 5);
  double phase = 0.0;
  for (std::size_t i = 0; i < pcm.size(); ++i) {
    const double t = static_cast<double>(i) / kRate;
    const double pitch = 170.0 + 50.0 * std::sin(2.0 * M_PI * 0.7 * t);
    phase += 2.0 * M_PI * pitch / kRate;
    const double formant1 = 700.0 + 300.0 * std::sin(2.0 * M_PI * 1.3 * t);
    const double formant2 = 1400.0 + 500.0 * std::sin(2.0 * M_PI * 0.9 * t);
    double value = 0.0;
    for (int harmonic = 1; harmonic * pitch < 3800.0; ++harmonic) {
      const double f = harmonic * pitch;
      const double gain = std::exp(-std::pow((f - formant1) / 200.0, 2)) +
                          0.7 * std::exp(-std::pow((f - formant2) / 250.0, 2)) + 0.05;
      value += 3000.0 * gain * std::sin(harmonic * phase);
    }
    value += noise(random);
    pcm[i] = static_cast<std::int16_t>(std::clamp(value, -32768.0, 32767.0));
  }
  EXPECT_EQ(detect(through("PCMA", pcm)).digits, "");
  std::vector<std::int16_t> white(static_cast<std::size_t>(kRate) * 2);
  for (auto& sample : white) sample = static_cast<std::int16_t>(noise(random) * 4);
  EXPECT_EQ(detect(white).digits, "");
}

TEST(EventsToTones, GeneratesTheEventsDurationWhenTheLegIsQuiet) {
  EventsToTones translator(kRate, 8000);
  const TimePoint start{};
  std::vector<std::int16_t> out;
  std::vector<std::int16_t> frame(kFrame);
  // Event '5' for 200 ms, reported every 50 ms, three end packets; no audio.
  for (int step = 1; step <= 4; ++step) {
    protocol::rtp::TelephoneEvent event{5, false, 10, static_cast<std::uint16_t>(step * 400)};
    translator.on_event(1234, event, start + std::chrono::milliseconds(50 * step));
    const std::size_t owed =
        translator.frames_owed(kFrame, start + std::chrono::milliseconds(50 * step));
    for (std::size_t i = 0; i < owed; ++i) {
      std::fill(frame.begin(), frame.end(), std::int16_t{0});
      translator.mix(frame);
      out.insert(out.end(), frame.begin(), frame.end());
    }
  }
  for (int repeat = 0; repeat < 3; ++repeat) {
    translator.on_event(1234, {5, true, 10, 1600}, start + std::chrono::milliseconds(220));
    const std::size_t owed = translator.frames_owed(kFrame, start + std::chrono::milliseconds(220));
    for (std::size_t i = 0; i < owed; ++i) {
      std::fill(frame.begin(), frame.end(), std::int16_t{0});
      translator.mix(frame);
      out.insert(out.end(), frame.begin(), frame.end());
    }
  }
  EXPECT_FALSE(translator.playing());
  out.resize(out.size() + kFrame * 4);
  const Heard heard = detect(out);
  EXPECT_EQ(heard.digits, "5");
  ASSERT_EQ(heard.durations_ms.size(), 1U);
  EXPECT_NEAR(heard.durations_ms[0], 200.0, 15.0);
  // The level follows the volume field (-10 dBm0 for both tones together).
  const auto pair = dtmf_pair(5);
  const auto tone = std::span(out).subspan(0, 800);
  EXPECT_NEAR(tone_level_dbm0(tone, pair->row, kRate), -13.0, 1.0);
}

TEST(TonesToEvents, DigitsInPcmuBecomeRfc4733Packets) {
  auto translator = TonesToEvents::create(CodecSpec{"PCMU", 8000, 1, {}}, 8000);
  ASSERT_TRUE(translator.ok());
  std::vector<std::int16_t> pcm(kFrame * 5);
  append_digit(pcm, 11, 200, 100);  // '#'
  auto codec = create_codec(CodecParams{"PCMU", kRate, 1, {}, CodecUse::kEncode});
  ASSERT_TRUE(codec.ok());
  std::vector<TonesToEvents::Packet> sent;
  std::vector<std::uint8_t> payload(kFrame);
  std::uint32_t timestamp = 50000;
  for (std::size_t at = 0; at + kFrame <= pcm.size(); at += kFrame, timestamp += kFrame) {
    const auto size = codec.value()->encode(std::span(pcm).subspan(at, kFrame), payload);
    ASSERT_TRUE(size.ok());
    for (const auto& packet :
         translator.value()->push(std::span(payload).first(size.value()), timestamp)) {
      sent.push_back(packet);
    }
  }
  ASSERT_GE(sent.size(), 6U);
  EXPECT_TRUE(sent.front().marker);
  int ends = 0;
  for (const auto& packet : sent) {
    EXPECT_EQ(packet.event.event, 11);
    EXPECT_EQ(packet.timestamp, sent.front().timestamp);
    EXPECT_NEAR(packet.event.volume, 10, 2);
    if (packet.event.end) {
      ++ends;
      EXPECT_NEAR(packet.event.duration, 1600, 160);
    }
  }
  EXPECT_EQ(ends, 3);
  // The digit started 5 frames in.
  EXPECT_NEAR(static_cast<double>(sent.front().timestamp), 50000.0 + 800.0, 120.0);
  // Updates every 50 ms between the first and the end packets.
  EXPECT_GE(sent.size() - 3, 3U);
}

}  // namespace
}  // namespace parley::media
