// Uploaded Ogg/Opus prompts (issue 7): files made by the reference encoder (opus-tools' opusenc,
// tests/data/audio) and by Parley's own recorder decode to the tones they hold; damaged or
// unsupported files are refused with a message naming what is wrong.

#include "media/ogg_opus_reader.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "media/audio_player.hpp"
#include "media/codecs/tone.hpp"
#include "media/ogg_opus_writer.hpp"
#include "media/ogg_page_writer.hpp"
#include "media/ogg_stream_reader.hpp"

namespace parley::media {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes{std::istreambuf_iterator<char>(in), {}};
}

Bytes fixture(const std::string& name) {
  return read_file(std::filesystem::path(PARLEY_TEST_DATA) / "audio" / name);
}

std::string error_of(const Bytes& bytes) {
  auto clip = decode_ogg_opus(bytes);
  return clip ? std::string("(decoded)") : clip.error().message;
}

// The middle of the clip, away from the codec's start-up.
std::span<const std::int16_t> middle(const AudioClip& clip) {
  const auto samples = clip.samples();
  return samples.subspan(samples.size() / 4, samples.size() / 2);
}

// An Ogg file of `packets`, one page each, as a writer that gets every field right would make.
Bytes ogg_of(const std::vector<Bytes>& packets) {
  OggPageWriter writer(0x5eed);
  Bytes file;
  for (std::size_t i = 0; i < packets.size(); ++i) {
    writer.add(packets[i]);
    const auto page = writer.finish_page(i < 2 ? 0 : 960 * (i - 1), i + 1 == packets.size());
    file.insert(file.end(), page.begin(), page.end());
  }
  return file;
}

std::vector<std::size_t> page_starts(const Bytes& file) {
  std::vector<std::size_t> starts;
  for (std::size_t at = 0; at + 4 <= file.size(); ++at) {
    if (looks_like_ogg(std::span(file).subspan(at))) starts.push_back(at);
  }
  return starts;
}

Bytes opus_head(std::uint8_t channels, std::uint8_t family) {
  Bytes head{'O', 'p', 'u',  's',  'H', 'e', 'a', 'd', 1,     channels,
             0,   0,   0x80, 0xbb, 0,   0,   0,   0,   family};
  if (family != 0) {
    head.push_back(1);  // streams
    head.push_back(0);  // coupled
    for (std::uint8_t c = 0; c < channels; ++c) head.push_back(0);
  }
  return head;
}

const Bytes kTags{'O', 'p', 'u', 's', 'T', 'a', 'g', 's', 0, 0, 0, 0, 0, 0, 0, 0};

TEST(OggOpusReader, DecodesTheReferenceEncodersMonoToneToTheExactLength) {
  const Bytes file = fixture("tone-700-mono.opus");
  ASSERT_FALSE(file.empty());
  auto clip = decode_ogg_opus(file);
  ASSERT_TRUE(clip) << clip.error().message;
  EXPECT_EQ((*clip)->sample_rate(), 48000);
  // 1.5 s exactly: the pre-skip and the last page's granule trim the padding.
  EXPECT_EQ((*clip)->samples().size(), 72000U);
  const auto body = middle(**clip);
  EXPECT_GT(goertzel_peak(body, 700, 48000), 6000);  // written at 8000 peak
  EXPECT_LT(goertzel_peak(body, 1400, 48000), 200);
}

TEST(OggOpusReader, MixesAStereoFileDownToMonoKeepingBothChannelsTones) {
  auto clip = decode_ogg_opus(fixture("tones-600-1400-stereo.opus"));
  ASSERT_TRUE(clip) << clip.error().message;
  EXPECT_EQ((*clip)->samples().size(), 48000U);  // 1 s at 16 kHz in, 48 kHz out
  const auto body = middle(**clip);
  EXPECT_GT(goertzel_peak(body, 600, 48000), 2500);  // each at half level after the mix
  EXPECT_GT(goertzel_peak(body, 1400, 48000), 2500);
  EXPECT_LT(goertzel_peak(body, 1000, 48000), 200);
}

TEST(OggOpusReader, ReadsBackParleysOwnRecordingFormat) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("parley-ogg-reader-" + std::to_string(::getpid()) + ".opus");
  {
    auto writer = OggOpusWriter::open(path.string(), 8000, 1);
    ASSERT_TRUE(writer) << writer.error().message;
    std::vector<std::int16_t> tone(8000 * 2);
    ToneGenerator(700, -10, 8000).generate(tone);
    ASSERT_TRUE((*writer)->write_interleaved(tone));
    ASSERT_TRUE((*writer)->close());
  }
  const Bytes file = read_file(path);
  std::filesystem::remove(path);
  auto clip = AudioClip::parse(file);  // told from WAV by its first bytes
  ASSERT_TRUE(clip) << clip.error().message;
  // Two seconds, less the encoder's look-ahead that the recorder does not flush.
  EXPECT_NEAR(static_cast<double>((*clip)->samples().size()), 96000.0, 480.0);
  EXPECT_GT(goertzel_peak(middle(**clip), 700, 48000), 5000);
}

TEST(OggOpusReader, RefusesDamagedFilesNamingTheFault) {
  const Bytes good = fixture("tone-700-mono.opus");
  ASSERT_GT(good.size(), 1000U);

  Bytes flipped = good;
  flipped[good.size() / 2] ^= 0x40U;
  EXPECT_NE(error_of(flipped).find("CRC mismatch"), std::string::npos) << error_of(flipped);

  const Bytes cut(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(good.size() - 10));
  EXPECT_NE(error_of(cut).find("cut short"), std::string::npos) << error_of(cut);

  Bytes junk_tail = good;
  junk_tail.insert(junk_tail.end(), {'R', 'I', 'F', 'F', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                     0,   0,   0,   0,   0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  // After the end-of-stream page nothing more is read, so trailing bytes are harmless.
  EXPECT_EQ(error_of(junk_tail), "(decoded)");

  // A page left out: the stream's sequence numbers show the gap.
  auto stream = read_ogg_stream(good);
  ASSERT_TRUE(stream);
  ASSERT_GE(stream->packets.size(), 5U);
  const Bytes pages = ogg_of(stream->packets);
  ASSERT_EQ(error_of(pages), "(decoded)");
  const std::vector<std::size_t> starts = page_starts(pages);
  ASSERT_GE(starts.size(), 3U);
  const std::size_t second_page = starts[1];
  const std::size_t third_page = starts[2];
  Bytes gap(pages.begin(), pages.begin() + static_cast<std::ptrdiff_t>(second_page));
  gap.insert(gap.end(), pages.begin() + static_cast<std::ptrdiff_t>(third_page), pages.end());
  EXPECT_NE(error_of(gap).find("page 1 is missing"), std::string::npos) << error_of(gap);

  EXPECT_NE(error_of(Bytes{'n', 'o', 'p', 'e'}).find("no capture pattern"), std::string::npos);
  EXPECT_NE(error_of(Bytes{}).find("no pages"), std::string::npos);
}

TEST(OggOpusReader, RefusesWhatItDoesNotPlay) {
  const Bytes audio = read_ogg_stream(fixture("tone-700-mono.opus"))->packets.at(2);
  EXPECT_NE(error_of(ogg_of({opus_head(6, 1), kTags, audio})).find("surround"), std::string::npos);
  EXPECT_NE(error_of(ogg_of({opus_head(3, 0), kTags, audio})).find("3 channels"),
            std::string::npos);
  Bytes future = opus_head(1, 0);
  future[8] = 0x10;
  EXPECT_NE(error_of(ogg_of({future, kTags, audio})).find("version 16"), std::string::npos);
  EXPECT_NE(error_of(ogg_of({opus_head(1, 0), audio, audio})).find("OpusTags"), std::string::npos);
  EXPECT_NE(error_of(ogg_of({kTags, opus_head(1, 0), audio})).find("OpusHead"), std::string::npos);
  // Headers but no audio: shorter than one 20 ms frame.
  EXPECT_NE(error_of(ogg_of({opus_head(1, 0), kTags})).find("shorter than"), std::string::npos);
  // Not Opus at all inside a valid Ogg page.
  EXPECT_NE(error_of(ogg_of({Bytes{'\x01', 'v', 'o', 'r', 'b', 'i', 's'}})).find("OpusHead"),
            std::string::npos);
}

TEST(AudioClipParse, TellsWavFromOggAndRefusesAnythingElse) {
  std::vector<std::int16_t> tone(8000);
  ToneGenerator(440, -10, 8000).generate(tone);
  auto made = AudioClip::from_samples(tone, 8000);
  ASSERT_TRUE(made);
  auto wav = AudioClip::parse(to_wav_bytes(**made));
  ASSERT_TRUE(wav) << wav.error().message;
  EXPECT_EQ((*wav)->sample_rate(), 8000);
  auto other = AudioClip::parse(Bytes{'I', 'D', '3', 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  ASSERT_FALSE(other);
  EXPECT_NE(other.error().message.find("neither a WAV"), std::string::npos);
}

}  // namespace
}  // namespace parley::media
