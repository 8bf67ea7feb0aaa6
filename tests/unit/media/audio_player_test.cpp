#include "media/audio_player.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "codec_test_util.hpp"
#include "media/codecs/tone.hpp"
#include "media/music_on_hold.hpp"

namespace parley::media {
namespace {

using Bytes = std::vector<std::uint8_t>;

// FNV-1a of the built-in melody's samples: it changes only when the recipe does.
constexpr std::uint64_t kBuiltInHoldMusicHash = 0x26ce64b97ff995a2ULL;

std::shared_ptr<const AudioClip> clip_of(std::vector<std::int16_t> samples, int rate) {
  auto clip = AudioClip::from_samples(std::move(samples), rate);
  EXPECT_TRUE(clip.ok()) << (clip ? "" : clip.error().message);
  return clip ? *clip : nullptr;
}

std::vector<std::int16_t> sine(double frequency, int rate, double seconds, double dbm0 = -10) {
  std::vector<std::int16_t> pcm(static_cast<std::size_t>(rate * seconds));
  ToneGenerator(frequency, dbm0, rate).generate(pcm);
  return pcm;
}

void put16(Bytes& out, std::size_t at, std::uint16_t value) {
  out[at] = static_cast<std::uint8_t>(value & 0xFFU);
  out[at + 1] = static_cast<std::uint8_t>(value >> 8U);
}

// A valid 16 kHz mono WAV of 0.1 s to corrupt field by field.
Bytes good_wav() {
  return to_wav_bytes(AudioClip(sine(440, 16000, 0.1), 16000));
}

std::string parse_error(const Bytes& bytes) {
  auto clip = AudioClip::parse_wav(bytes);
  EXPECT_FALSE(clip.ok());
  return clip ? std::string() : clip.error().message;
}

TEST(AudioClip, WavRoundTripKeepsEverySample) {
  const auto samples = sine(440, 8000, 0.5);
  const Bytes bytes = to_wav_bytes(AudioClip(samples, 8000));
  ASSERT_EQ(bytes.size(), 44 + samples.size() * 2);
  auto clip = AudioClip::parse_wav(bytes);
  ASSERT_TRUE(clip.ok()) << clip.error().message;
  EXPECT_EQ((*clip)->sample_rate(), 8000);
  EXPECT_TRUE(std::equal(samples.begin(), samples.end(), (*clip)->samples().begin(),
                         (*clip)->samples().end()));
}

TEST(AudioClip, SkipsOtherChunksAndAcceptsTheExtensibleFormat) {
  Bytes bytes = good_wav();
  // A LIST chunk of odd size (padded) between fmt and data.
  const Bytes list{'L', 'I', 'S', 'T', 3, 0, 0, 0, 'a', 'b', 'c', 0};
  bytes.insert(bytes.begin() + 36, list.begin(), list.end());
  ASSERT_TRUE(AudioClip::parse_wav(bytes).ok());

  // WAVE_FORMAT_EXTENSIBLE: fmt of 40 bytes whose subformat GUID starts with PCM (1).
  Bytes extensible = good_wav();
  Bytes fmt(extensible.begin() + 20, extensible.begin() + 36);
  fmt.resize(40, 0);
  put16(fmt, 0, 0xFFFE);
  put16(fmt, 16, 22);
  put16(fmt, 24, 1);
  extensible.erase(extensible.begin() + 20, extensible.begin() + 36);
  extensible.insert(extensible.begin() + 20, fmt.begin(), fmt.end());
  put16(extensible, 16, 40);
  auto clip = AudioClip::parse_wav(extensible);
  ASSERT_TRUE(clip.ok()) << clip.error().message;
  EXPECT_EQ((*clip)->samples().size(), 1600U);
}

TEST(AudioClip, RejectsWhatItCannotPlayWithAClearReason) {
  EXPECT_NE(parse_error(Bytes{'O', 'g', 'g', 'S'}).find("not a RIFF/WAVE"), std::string::npos);
  Bytes stereo = good_wav();
  put16(stereo, 22, 2);
  EXPECT_NE(parse_error(stereo).find("2 channels; only mono"), std::string::npos);
  Bytes eight_bit = good_wav();
  put16(eight_bit, 34, 8);
  EXPECT_NE(parse_error(eight_bit).find("8-bit samples"), std::string::npos);
  Bytes cd_rate = good_wav();
  put16(cd_rate, 24, 44100);
  EXPECT_NE(parse_error(cd_rate).find("sample rate 44100 Hz"), std::string::npos);
  Bytes floats = good_wav();
  put16(floats, 20, 3);
  EXPECT_NE(parse_error(floats).find("not PCM"), std::string::npos);
  Bytes truncated = good_wav();
  truncated.resize(truncated.size() - 10);
  EXPECT_NE(parse_error(truncated).find("file ends first"), std::string::npos);
  Bytes no_data = good_wav();
  no_data.resize(36);
  EXPECT_NE(parse_error(no_data).find("no data chunk"), std::string::npos);
  Bytes tiny = to_wav_bytes(AudioClip(std::vector<std::int16_t>(100), 16000));
  EXPECT_NE(parse_error(tiny).find("shorter than one 20 ms frame"), std::string::npos);
  Bytes data_first = good_wav();
  std::copy_n("data", 4, data_first.begin() + 12);
  EXPECT_FALSE(AudioClip::parse_wav(data_first).ok());
}

TEST(AudioClip, LoadsAFileAndNamesThePathInErrors) {
  char path[] = "/tmp/parley-audio-player-XXXXXX";
  const int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  ::close(fd);
  const Bytes bytes = good_wav();
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()),  // NOLINT byte buffer
             static_cast<std::streamsize>(bytes.size()));
  auto clip = AudioClip::load_wav(path);
  ASSERT_TRUE(clip.ok()) << clip.error().message;
  EXPECT_EQ((*clip)->samples().size(), 1600U);
  std::ofstream(path, std::ios::binary) << "garbage that is no wave file";
  auto bad = AudioClip::load_wav(path);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find(path), std::string::npos);
  EXPECT_NE(bad.error().message.find("not a RIFF/WAVE"), std::string::npos);
  std::remove(path);
  auto missing = AudioClip::load_wav(path);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("cannot open"), std::string::npos);
}

TEST(AudioPlayer, FramesAre20MsAtTheOutputRate) {
  const auto clip = clip_of(sine(440, 16000, 1.0), 16000);
  for (const auto& [rate, samples] : {std::pair{8000, 160U}, std::pair{16000, 320U},
                                      std::pair{48000, 960U}, std::pair{24000, 480U}}) {
    auto player = AudioPlayer::create(clip, rate);
    ASSERT_TRUE(player.ok()) << rate;
    EXPECT_EQ(player->frame_samples(), samples);
    EXPECT_EQ(player->next_frame().size(), samples);
  }
  EXPECT_FALSE(AudioPlayer::create(clip, 4000).ok());
  EXPECT_FALSE(AudioPlayer::create(clip, 8000, 25).ok());
  EXPECT_FALSE(AudioPlayer::create(nullptr, 8000).ok());
}

TEST(AudioPlayer, LoopsWithoutAGapAtTheSameRate) {
  // 0.5 s of a ramp: 25 frames, then the same frames again.
  std::vector<std::int16_t> ramp(4000);
  for (std::size_t i = 0; i < ramp.size(); ++i) ramp[i] = static_cast<std::int16_t>(i);
  auto player = AudioPlayer::create(clip_of(ramp, 8000), 8000);
  ASSERT_TRUE(player.ok());
  std::vector<std::int16_t> played;
  for (int i = 0; i < 60; ++i) {
    const auto frame = player->next_frame();
    played.insert(played.end(), frame.begin(), frame.end());
  }
  EXPECT_EQ(player->loops(), 2U);
  for (std::size_t i = 0; i < played.size(); ++i) {
    ASSERT_EQ(played[i], static_cast<std::int16_t>(i % 4000)) << i;
  }
  player->rewind();
  EXPECT_EQ(player->next_frame()[0], 0);
}

// A clip whose length is no whole number of frames, resampled: the sine runs on across the loop
// point at its level and frequency (no click, no gap).
TEST(AudioPlayer, ResamplesAndLoopsASineSeamlessly) {
  // 1 kHz for 0.413 s at 16 kHz: 6608 samples, a whole number of periods but not of frames.
  const auto clip = clip_of(sine(1000, 16000, 0.413), 16000);
  for (const int rate : {8000, 48000}) {
    auto player = AudioPlayer::create(clip, rate);
    ASSERT_TRUE(player.ok());
    std::vector<std::int16_t> played;
    for (int i = 0; i < 100; ++i) {  // 2 s: four loops
      const auto frame = player->next_frame();
      played.insert(played.end(), frame.begin(), frame.end());
    }
    EXPECT_GE(player->loops(), 4U);
    const double expected = dbm0_to_peak(-10);
    // Every 20 ms window, including those across loop points, holds the tone at its level.
    const std::size_t window = player->frame_samples();
    for (std::size_t at = window; at + window <= played.size(); at += window / 2) {
      const auto block = std::span(played).subspan(at, window);
      EXPECT_NEAR(goertzel_peak(block, 1000, rate), expected, expected * 0.06) << rate << " " << at;
      EXPECT_GT(tone_to_residual_db(block, 1000, rate), 30) << rate << " " << at;
    }
  }
}

TEST(BuiltInHoldMusic, IsAQuietDeterministicMelodyThatLoopsCleanly) {
  const auto clip = built_in_hold_music();
  ASSERT_NE(clip, nullptr);
  EXPECT_EQ(clip, built_in_hold_music());  // one copy per process
  EXPECT_EQ(clip->sample_rate(), 16000);
  EXPECT_NEAR(clip->seconds(), 16.0, 0.01);
  const auto samples = clip->samples();
  // Ends and starts near silence: no click at the loop point.
  EXPECT_LT(std::abs(samples.front()), 200);
  EXPECT_LT(std::abs(samples.back()), 200);
  int peak = 0;
  for (const auto s : samples) peak = std::max(peak, std::abs(static_cast<int>(s)));
  EXPECT_GT(peak, 4000);
  EXPECT_LT(peak, 16000);  // headroom for G.711 and the codecs
  // The first note (C4) is the loudest of the melody's notes in the first 0.4 s.
  const auto first = samples.subspan(0, 6400);
  const auto& notes = built_in_hold_music_notes();
  const double c4 = goertzel_peak(first, notes.front(), 16000);
  EXPECT_GT(c4, 1500);
  for (std::size_t i = 1; i < notes.size(); ++i) {
    EXPECT_LT(goertzel_peak(first, notes[i], 16000), c4 / 4) << notes[i];
  }
  // Deterministic: a fingerprint of the samples (FNV-1a) is fixed.
  std::uint64_t hash = 1469598103934665603ULL;
  for (const auto s : samples) {
    hash = (hash ^ static_cast<std::uint16_t>(s)) * 1099511628211ULL;
  }
  EXPECT_EQ(hash, kBuiltInHoldMusicHash) << std::hex << hash;
}

TEST(MusicOnHold, EncodesFramesInTheHeldPartysCodec) {
  struct Case {
    CodecSpec codec;
    std::uint32_t clock;
    std::uint32_t samples;
  };
  for (const Case& c :
       {Case{{"PCMU", 8000, 1, ""}, 8000, 160}, Case{{"PCMA", 8000, 1, ""}, 8000, 160},
        Case{{"G722", 8000, 1, ""}, 8000, 160}, Case{{"opus", 48000, 2, ""}, 48000, 960}}) {
    auto music = MusicOnHold::create(built_in_hold_music(), c.codec);
    ASSERT_TRUE(music.ok()) << c.codec.encoding;
    EXPECT_EQ((*music)->clock_rate(), c.clock);
    std::vector<std::vector<std::uint8_t>> payloads;
    EncodedFrame frame;
    for (int i = 0; i < 50; ++i) {
      ASSERT_TRUE((*music)->next(frame));
      EXPECT_EQ(frame.samples, c.samples);
      payloads.emplace_back(frame.payload.begin(), frame.payload.end());
    }
    // Decoded, the first second is the melody's first notes (C4, then E4), not silence.
    const auto track = test::decode_all(c.codec, payloads);
    auto decoder = test::make(c.codec, CodecUse::kDecode);
    const int rate = decoder->sample_rate();
    const auto first_note = std::span(track).subspan(static_cast<std::size_t>(rate) / 10,
                                                     static_cast<std::size_t>(rate) * 3 / 10);
    EXPECT_GT(goertzel_peak(first_note, 261.63, rate), 1000) << c.codec.encoding;
  }
  EXPECT_FALSE(MusicOnHold::create(built_in_hold_music(), {"GSM", 8000, 1, ""}).ok());
}

}  // namespace
}  // namespace parley::media
