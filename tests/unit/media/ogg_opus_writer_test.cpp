// Ogg/Opus recordings (decision 0039) read back with the test's own Ogg page reader (capture
// pattern, version, CRC, serial, page sequence, BOS/EOS, lacing) and libopus's decoder, each
// channel's tone checked by Goertzel.

#include "media/ogg_opus_writer.hpp"

#include <gtest/gtest.h>
#include <opus/opus.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "codec_test_util.hpp"
#include "media/codecs/tone.hpp"
#include "media/ogg_page_writer.hpp"
#include "media/recording_writer.hpp"

namespace parley::media {
namespace {

using namespace std::chrono_literals;
using Bytes = std::vector<std::uint8_t>;

const CodecSpec kPcmu{"PCMU", 8000, 1, {}};

std::uint32_t le32(const Bytes& bytes, std::size_t at) {
  return std::uint32_t{bytes[at]} | (std::uint32_t{bytes[at + 1]} << 8U) |
         (std::uint32_t{bytes[at + 2]} << 16U) | (std::uint32_t{bytes[at + 3]} << 24U);
}

std::uint64_t le64(const Bytes& bytes, std::size_t at) {
  return std::uint64_t{le32(bytes, at)} | (std::uint64_t{le32(bytes, at + 4)} << 32U);
}

// One logical stream's packets, checked page by page as RFC 3533 has it.
struct OggStream {
  std::vector<Bytes> packets;
  std::uint64_t last_granule = 0;
  bool ended = false;  // the last page carried EOS
  std::size_t pages = 0;
};

std::optional<OggStream> read_ogg(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  const Bytes file{std::istreambuf_iterator<char>(in), {}};
  OggStream stream;
  std::uint32_t serial = 0;
  Bytes partial;
  std::size_t at = 0;
  while (at < file.size()) {
    if (file.size() - at < OggPageWriter::kHeaderBytes) return std::nullopt;
    if (std::string(file.begin() + static_cast<std::ptrdiff_t>(at),
                    file.begin() + static_cast<std::ptrdiff_t>(at + 4)) != "OggS") {
      ADD_FAILURE() << "no capture pattern at " << at;
      return std::nullopt;
    }
    EXPECT_EQ(file[at + 4], 0);  // version
    const std::uint8_t flags = file[at + 5];
    const std::uint64_t granule = le64(file, at + 6);
    const std::uint32_t page_serial = le32(file, at + 14);
    const std::uint32_t sequence = le32(file, at + 18);
    const std::uint32_t crc = le32(file, at + 22);
    const std::size_t segments = file[at + 26];
    if (at + OggPageWriter::kHeaderBytes + segments > file.size()) return std::nullopt;
    std::size_t body = 0;
    for (std::size_t i = 0; i < segments; ++i) body += file[at + 27 + i];
    const std::size_t size = OggPageWriter::kHeaderBytes + segments + body;
    if (at + size > file.size()) {
      ADD_FAILURE() << "page cut short at " << at;
      return std::nullopt;
    }
    Bytes page(file.begin() + static_cast<std::ptrdiff_t>(at),
               file.begin() + static_cast<std::ptrdiff_t>(at + size));
    std::fill(page.begin() + 22, page.begin() + 26, 0);
    EXPECT_EQ(ogg_crc(page), crc) << "page " << sequence;
    if (stream.pages == 0) {
      EXPECT_EQ(flags & 0x02U, 0x02U) << "first page without BOS";
      serial = page_serial;
    } else {
      EXPECT_EQ(flags & 0x02U, 0U);
      EXPECT_EQ(page_serial, serial);
      EXPECT_GE(granule, stream.last_granule);
    }
    EXPECT_EQ(sequence, stream.pages);
    EXPECT_FALSE(stream.ended) << "a page after EOS";
    EXPECT_EQ(flags & 0x01U, 0U);  // Parley never continues a packet across pages
    stream.ended = (flags & 0x04U) != 0;
    stream.last_granule = granule;
    std::size_t data = at + OggPageWriter::kHeaderBytes + segments;
    for (std::size_t i = 0; i < segments; ++i) {
      const std::size_t lacing = file[at + 27 + i];
      partial.insert(partial.end(), file.begin() + static_cast<std::ptrdiff_t>(data),
                     file.begin() + static_cast<std::ptrdiff_t>(data + lacing));
      data += lacing;
      if (lacing < 255) {
        stream.packets.push_back(std::move(partial));
        partial.clear();
      }
    }
    ++stream.pages;
    at += size;
  }
  EXPECT_TRUE(partial.empty());
  return stream;
}

struct Decoded {
  int channels = 0;
  int pre_skip = 0;
  std::uint32_t input_rate = 0;
  std::vector<std::int16_t> left;  // at 48 kHz, pre-skip and end padding removed
  std::vector<std::int16_t> right;
};

// RFC 7845: OpusHead, OpusTags, then audio decoded at 48 kHz and trimmed by the granules.
std::optional<Decoded> decode_ogg_opus(const OggStream& stream) {
  if (stream.packets.size() < 3) return std::nullopt;
  const Bytes& head = stream.packets[0];
  if (head.size() < 19 || std::string(head.begin(), head.begin() + 8) != "OpusHead") {
    return std::nullopt;
  }
  Decoded decoded;
  EXPECT_EQ(head[8], 1);  // version
  decoded.channels = head[9];
  decoded.pre_skip = head[10] | (head[11] << 8);
  decoded.input_rate = le32(head, 12);
  EXPECT_EQ(head[18], 0);  // mapping family
  const Bytes& tags = stream.packets[1];
  EXPECT_EQ(std::string(tags.begin(), tags.begin() + 8), "OpusTags");
  int error = 0;
  OpusDecoder* decoder = opus_decoder_create(48000, decoded.channels, &error);
  EXPECT_EQ(error, OPUS_OK);
  std::vector<std::int16_t> pcm(5760 * 2);
  std::vector<std::int16_t> all;
  for (std::size_t i = 2; i < stream.packets.size(); ++i) {
    const int frames =
        opus_decode(decoder, stream.packets[i].data(),
                    static_cast<opus_int32>(stream.packets[i].size()), pcm.data(), 5760, 0);
    EXPECT_GT(frames, 0) << "packet " << i;
    if (frames <= 0) break;
    all.insert(all.end(), pcm.begin(), pcm.begin() + frames * decoded.channels);
  }
  opus_decoder_destroy(decoder);
  const std::size_t total = all.size() / static_cast<std::size_t>(decoded.channels);
  const std::size_t end = std::min<std::size_t>(total, stream.last_granule);
  for (std::size_t frame = static_cast<std::size_t>(decoded.pre_skip); frame < end; ++frame) {
    decoded.left.push_back(all[frame * 2]);
    decoded.right.push_back(all[frame * 2 + 1]);
  }
  return decoded;
}

double level(const std::vector<std::int16_t>& channel, double at_seconds, double frequency) {
  const auto at = static_cast<std::size_t>(at_seconds * 48000);
  constexpr std::size_t kWindow = 4800;  // 100 ms
  if (at + kWindow > channel.size()) return -200;
  return tone_level_dbm0(std::span<const std::int16_t>(channel.data() + at, kWindow), frequency,
                         48000);
}

std::filesystem::path scratch(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("parley_ogg_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

TEST(OggCrc, MatchesTheOggPolynomialOnAKnownInput) {
  // CRC-32/MPEG-2 without the final inversion and with init 0 (Ogg's variant): "123456789".
  const std::string text = "123456789";
  EXPECT_EQ(ogg_crc(std::span<const std::uint8_t>(
                reinterpret_cast<const std::uint8_t*>(text.data()), text.size())),  // NOLINT
            0x89A1897FU);
}

TEST(OggOpusWriter, StereoTonesSurviveEncodingOneLegPerChannel) {
  const auto dir = scratch("tones");
  const auto path = dir / "call.opus";
  {
    auto writer = OggOpusWriter::open(path.string(), 8000);
    ASSERT_TRUE(writer.ok()) << writer.error().message;
    ToneGenerator left(700, -10, 8000);
    ToneGenerator right(1000, -10, 8000);
    // 2.01 s in uneven chunks: the last frame is partial and padded.
    std::vector<std::int16_t> l(333);
    std::vector<std::int16_t> r(333);
    std::vector<std::int16_t> interleaved;
    std::size_t frames = 0;
    while (frames < 16080) {
      const std::size_t take = std::min<std::size_t>(333, 16080 - frames);
      l.resize(take);
      r.resize(take);
      left.generate(l);
      right.generate(r);
      interleaved.clear();
      for (std::size_t i = 0; i < take; ++i) {
        interleaved.push_back(l[i]);
        interleaved.push_back(r[i]);
      }
      ASSERT_TRUE((*writer)->write_interleaved(interleaved).ok());
      frames += take;
    }
    EXPECT_EQ((*writer)->frames_written(), 16080U);
    ASSERT_TRUE((*writer)->close().ok());
    EXPECT_FALSE((*writer)->write_interleaved(interleaved).ok());
  }
  const auto stream = read_ogg(path);
  ASSERT_TRUE(stream.has_value());
  EXPECT_TRUE(stream->ended);
  ASSERT_EQ(stream->packets.size(), 2U + 101U);  // headers + 100.5 frames of 20 ms
  const auto decoded = decode_ogg_opus(*stream);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->channels, 2);
  EXPECT_EQ(decoded->input_rate, 8000U);
  EXPECT_GT(decoded->pre_skip, 0);
  // The final granule trims the padding: exactly 2.01 s at 48 kHz.
  EXPECT_EQ(stream->last_granule, static_cast<std::uint64_t>(decoded->pre_skip) + 16080U * 6);
  EXPECT_EQ(decoded->left.size(), 16080U * 6);
  for (double at : {0.3, 1.0, 1.8}) {
    EXPECT_NEAR(level(decoded->left, at, 700), -10, 2.0) << at;
    EXPECT_LT(level(decoded->left, at, 1000), -35) << at;
    EXPECT_NEAR(level(decoded->right, at, 1000), -10, 2.0) << at;
    EXPECT_LT(level(decoded->right, at, 700), -35) << at;
  }
  std::filesystem::remove_all(dir);
}

TEST(OggOpusWriter, ACutShortFileHoldsOnlyWholeCheckedPages) {
  const auto dir = scratch("cut");
  const auto path = dir / "cut.opus";
  auto writer = OggOpusWriter::open(path.string(), 16000);
  ASSERT_TRUE(writer.ok());
  std::vector<std::int16_t> silence(16000 * 2 * 3 / 2);  // 1.5 s
  ASSERT_TRUE((*writer)->write_interleaved(silence).ok());
  // What is on disk before close (a crash now): the header pages and the first full second.
  const auto before = read_ogg(path);
  ASSERT_TRUE(before.has_value());
  EXPECT_FALSE(before->ended);
  EXPECT_EQ(before->packets.size(), 2U + OggOpusWriter::kPacketsPerPage);
  ASSERT_TRUE((*writer)->close().ok());
  const auto after = read_ogg(path);
  ASSERT_TRUE(after.has_value());
  EXPECT_TRUE(after->ended);
  EXPECT_EQ(after->packets.size(), 2U + 75U);
  std::filesystem::remove_all(dir);
}

class Collector final : public RecordingWriter::Listener {
 public:
  void on_recording_finished(const FinishedRecording& recording) override {
    finished.push_back(recording);
  }
  std::vector<FinishedRecording> finished;
};

// A call recorded as Ogg/Opus, the writer stopped (server shutdown) while the call still runs:
// the file is finished properly and each leg's tone is on its own channel.
TEST(RecordingWriterOpus, RecordsACallAndFinishesItWhenStoppedMidCall) {
  const auto dir = scratch("call");
  const SteadyClock clock;
  Collector collector;
  std::shared_ptr<RecordingTap> tap;
  {
    RecordingWriterOptions options;
    options.directory = dir / "recordings";
    options.latency = 100ms;
    options.tick = 10ms;
    options.format = RecordingFormat::kOpus;
    RecordingWriter writer(options, clock, &collector);
    tap = writer.start({7, "example.com", "opus-call@host", "1001", "1002"});
    tap->set_codec(0, TapCodec{0, kPcmu});
    tap->set_codec(1, TapCodec{0, kPcmu});
    const auto caller = test::tone_packets(kPcmu, 700, -10, 75, 20, 1);
    const auto callee = test::tone_packets(kPcmu, 1000, -10, 75, 20, 1);
    const TimePoint start = clock.now();
    for (std::size_t i = 0; i < caller.size(); ++i) {
      const TimePoint at = start + 20ms * static_cast<int>(i);
      ASSERT_TRUE(tap->push(0, 0, caller[i].sequence, caller[i].timestamp, caller[i].payload, at));
      ASSERT_TRUE(tap->push(1, 0, callee[i].sequence, callee[i].timestamp, callee[i].payload, at));
      if (i % 25 == 24) std::this_thread::sleep_for(50ms);  // let the writer drain a ring's worth
    }
    // The writer goes away with the tap still open: the call is still up.
  }
  EXPECT_TRUE(tap->closed());
  ASSERT_EQ(collector.finished.size(), 1U);
  const FinishedRecording& done = collector.finished[0];
  const std::filesystem::path path(done.path);
  EXPECT_EQ(path.filename(), "opus-call@host.opus");
  EXPECT_EQ(done.size_bytes, std::filesystem::file_size(path));
  EXPECT_GT(done.duration_ms, 1000U);
  const auto stream = read_ogg(path);
  ASSERT_TRUE(stream.has_value());
  EXPECT_TRUE(stream->ended);
  const auto decoded = decode_ogg_opus(*stream);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->channels, 2);
  EXPECT_NEAR(static_cast<double>(decoded->left.size()) / 48.0,
              static_cast<double>(done.duration_ms), 25);
  // G.711 then Opus at 8 kHz: at least 20 dB between a leg's tone and the other's leak.
  for (double at : {0.3, 0.9}) {
    EXPECT_NEAR(level(decoded->left, at, 700), -10, 2.0) << at;
    EXPECT_LT(level(decoded->left, at, 1000), -30) << at;
    EXPECT_NEAR(level(decoded->right, at, 1000), -10, 2.0) << at;
    EXPECT_LT(level(decoded->right, at, 700), -30) << at;
  }
  std::filesystem::remove_all(dir);
}

TEST(RecordingFormat, ParsesTheTwoNamesOnly) {
  EXPECT_EQ(parse_recording_format("wav"), RecordingFormat::kWav);
  EXPECT_EQ(parse_recording_format("opus"), RecordingFormat::kOpus);
  EXPECT_FALSE(parse_recording_format("ogg").has_value());
  EXPECT_EQ(recording_extension(RecordingFormat::kOpus), ".opus");
  EXPECT_EQ(recording_extension(RecordingFormat::kWav), ".wav");
}

}  // namespace
}  // namespace parley::media
