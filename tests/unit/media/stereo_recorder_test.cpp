#include "media/stereo_recorder.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <vector>

#include "codec_test_util.hpp"
#include "media/codecs/tone.hpp"
#include "media/recording_tap.hpp"
#include "media/recording_writer.hpp"

namespace parley::media {
namespace {

using std::chrono::milliseconds;

const CodecSpec kPcmu{"PCMU", 8000, 1, {}};
const CodecSpec kPcma{"PCMA", 8000, 1, {}};
const CodecSpec kG722{"G722", 8000, 1, {}};

constexpr int kRate = 8000;
constexpr int kFrame = 160;  // 20 ms at 8 kHz

TappedPacket tapped(std::uint8_t channel, std::uint8_t payload_type, const test::Packet& packet,
                    TimePoint arrival) {
  TappedPacket out;
  out.channel = channel;
  out.payload_type = payload_type;
  out.sequence = packet.sequence;
  out.timestamp = packet.timestamp;
  out.arrival = arrival;
  out.size = static_cast<std::uint16_t>(packet.payload.size());
  std::copy(packet.payload.begin(), packet.payload.end(), out.payload.begin());
  return out;
}

struct Stereo {
  std::vector<std::int16_t> left;
  std::vector<std::int16_t> right;
};

Stereo take_everything(StereoRecorder& recorder) {
  Stereo out;
  std::vector<std::int16_t> frames(2048);
  for (int guard = 0; guard < 10000; ++guard) {
    const std::size_t count = recorder.take_all(frames);
    if (count == 0) break;
    for (std::size_t i = 0; i < count; ++i) {
      out.left.push_back(frames[2 * i]);
      out.right.push_back(frames[2 * i + 1]);
    }
  }
  return out;
}

// Level of `frequency` over 20 ms starting at `ms` into the channel.
double level_at(const std::vector<std::int16_t>& channel, int ms, double frequency) {
  const std::size_t at = static_cast<std::size_t>(ms) * kRate / 1000;
  if (at + kFrame > channel.size()) return -200;
  return tone_level_dbm0(std::span<const std::int16_t>(channel.data() + at, kFrame), frequency,
                         kRate);
}

TEST(StereoRecorderTest, EachLegOnItsChannelAlignedOnArrival) {
  StereoRecorder recorder({});
  const TimePoint t0{std::chrono::seconds(100)};
  const auto caller = test::tone_packets(kPcmu, 1000, -10, 50, 20, 1000);
  const auto callee = test::tone_packets(kPcma, 1600, -10, 50, 20, 7);
  const TapCodec caller_codec{0, kPcmu};
  const TapCodec callee_codec{8, kPcma};
  // The callee starts 200 ms after the caller; packets of both arrive every 20 ms.
  for (int i = 0; i < 60; ++i) {
    if (i < 50) {
      recorder.add(tapped(0, 0, caller[static_cast<std::size_t>(i)], t0 + milliseconds(20 * i)),
                   caller_codec);
    }
    if (i >= 10) {
      recorder.add(
          tapped(1, 8, callee[static_cast<std::size_t>(i - 10)], t0 + milliseconds(20 * i)),
          callee_codec);
    }
  }
  const Stereo audio = take_everything(recorder);
  // 1,200 ms in all: the callee's last frame ends at 200 + 1,000 ms.
  EXPECT_NEAR(static_cast<double>(audio.left.size()), 1200.0 * kRate / 1000, kFrame);
  ASSERT_EQ(audio.left.size(), audio.right.size());
  for (int ms : {100, 500, 900}) {
    EXPECT_NEAR(level_at(audio.left, ms, 1000), -10, 1.0) << ms;
    EXPECT_LT(level_at(audio.left, ms, 1600), -40) << ms;
  }
  for (int ms : {0, 100})
    EXPECT_LT(rms(std::span<const std::int16_t>(audio.right.data() + ms * 8, kFrame)), 1.0) << ms;
  for (int ms : {300, 700, 1100}) {
    EXPECT_NEAR(level_at(audio.right, ms, 1600), -10, 1.0) << ms;
    EXPECT_LT(level_at(audio.right, ms, 1000), -40) << ms;
  }
  // After the caller stopped, its channel is silent.
  EXPECT_LT(rms(std::span<const std::int16_t>(audio.left.data() + 1050 * 8, kFrame)), 1.0);
  EXPECT_EQ(recorder.samples_dropped(), 0U);
}

TEST(StereoRecorderTest, ReorderedAndJitteredPacketsPlayContinuously) {
  StereoRecorder recorder({});
  const TimePoint t0{std::chrono::seconds(5)};
  const auto packets = test::tone_packets(kPcmu, 1000, -10, 50, 20, 65530);  // wraps
  const TapCodec codec{0, kPcmu};
  // Pairs swapped, and arrival jitter of up to 15 ms.
  for (std::size_t i = 0; i + 1 < packets.size(); i += 2) {
    const int jitter = static_cast<int>((i * 7) % 15);
    recorder.add(
        tapped(0, 0, packets[i + 1], t0 + milliseconds(20 * static_cast<int>(i) + 20 + jitter)),
        codec);
    recorder.add(
        tapped(0, 0, packets[i], t0 + milliseconds(20 * static_cast<int>(i) + 21 + jitter)), codec);
  }
  const Stereo audio = take_everything(recorder);
  ASSERT_GE(audio.left.size(), 50U * kFrame - kFrame);
  // Every 20 ms block except the last holds the tone: no gap, no doubling.
  for (int ms = 20; ms + 40 <= 1000; ms += 20) {
    EXPECT_NEAR(level_at(audio.left, ms, 1000), -10, 1.5) << ms;
  }
}

TEST(StereoRecorderTest, PauseWithoutTimestampJumpFollowsTheWallClock) {
  StereoRecorder recorder({});
  const TimePoint t0{std::chrono::seconds(5)};
  const auto packets = test::tone_packets(kPcmu, 1000, -10, 20, 20, 1);
  const TapCodec codec{0, kPcmu};
  // Ten packets, then 600 ms of nothing, then ten more whose timestamps simply continue (a
  // phone that stopped its clock while on mute).
  for (int i = 0; i < 20; ++i) {
    const int ms = i < 10 ? 20 * i : 20 * i + 600;
    recorder.add(tapped(0, 0, packets[static_cast<std::size_t>(i)], t0 + milliseconds(ms)), codec);
  }
  const Stereo audio = take_everything(recorder);
  EXPECT_NEAR(static_cast<double>(audio.left.size()), 1000.0 * kRate / 1000, kFrame);
  EXPECT_NEAR(level_at(audio.left, 100, 1000), -10, 1.0);
  EXPECT_LT(rms(std::span<const std::int16_t>(audio.left.data() + 400 * 8, kFrame * 5)), 1.0);
  EXPECT_NEAR(level_at(audio.left, 900, 1000), -10, 1.0);
}

TEST(StereoRecorderTest, OtherPayloadTypesAreIgnoredAndWideBandIsResampled) {
  StereoRecorder recorder({});
  const TimePoint t0{std::chrono::seconds(5)};
  const auto packets = test::tone_packets(kG722, 1000, -10, 25, 20, 1);
  const TapCodec codec{9, kG722};
  for (int i = 0; i < 25; ++i) {
    recorder.add(tapped(1, 9, packets[static_cast<std::size_t>(i)], t0 + milliseconds(20 * i)),
                 codec);
    test::Packet event{static_cast<std::uint16_t>(i), 0, {1, 0x0A, 0, 160}};
    recorder.add(tapped(1, 101, event, t0 + milliseconds(20 * i)), codec);  // telephone-event
  }
  recorder.add(tapped(0, 0, packets[0], t0), std::nullopt);  // leg without a known codec
  EXPECT_EQ(recorder.packets_ignored(), 26U);
  const Stereo audio = take_everything(recorder);
  EXPECT_NEAR(static_cast<double>(audio.right.size()), 500.0 * kRate / 1000, kFrame);
  EXPECT_NEAR(level_at(audio.right, 240, 1000), -10, 1.5);
  EXPECT_LT(rms(std::span<const std::int16_t>(audio.left.data(), audio.left.size())), 1.0);
}

TEST(StereoRecorderTest, OpusLegDecodesStraightToTheRecordingRate) {
  StereoRecorder recorder({});
  const TimePoint t0{std::chrono::seconds(5)};
  const CodecSpec opus{"opus", 48000, 2, "useinbandfec=1"};
  const auto packets = test::tone_packets(opus, 1000, -10, 25, 20, 1);
  for (int i = 0; i < 25; ++i) {
    recorder.add(tapped(0, 111, packets[static_cast<std::size_t>(i)], t0 + milliseconds(20 * i)),
                 TapCodec{111, opus});
  }
  const Stereo audio = take_everything(recorder);
  EXPECT_NEAR(static_cast<double>(audio.left.size()), 500.0 * kRate / 1000, kFrame);
  EXPECT_NEAR(level_at(audio.left, 300, 1000), -10, 2.0);
  EXPECT_EQ(recorder.packets_ignored(), 0U);
}

TEST(StereoRecorderTest, TakeUntilKeepsWallClockTimeWithSilence) {
  StereoRecorder recorder({});
  const TimePoint t0{std::chrono::seconds(5)};
  std::vector<std::int16_t> frames(8192);
  EXPECT_EQ(recorder.take_until(t0 + milliseconds(100), frames), 0U);  // nothing yet
  const auto packets = test::tone_packets(kPcmu, 1000, -10, 1, 20, 1);
  recorder.add(tapped(0, 0, packets[0], t0), TapCodec{0, kPcmu});
  EXPECT_EQ(recorder.take_until(t0 + milliseconds(300), frames), 300U * 8);
  EXPECT_EQ(recorder.frames_taken(), 300U * 8);
  // A packet placed before what was taken is dropped, not written out of order.
  recorder.add(tapped(0, 0, test::tone_packets(kPcmu, 1000, -10, 1, 20, 2)[0], t0),
               TapCodec{0, kPcmu});
  EXPECT_EQ(recorder.take_all(frames), 0U);
}

TEST(RecordingTapTest, FullRingAndOversizedPayloadsAreCountedNotBlocking) {
  RecordingTap tap(4);  // three usable slots
  const std::vector<std::uint8_t> payload(160, 0xFF);
  const TimePoint now{};
  EXPECT_TRUE(tap.push(0, 0, 1, 0, payload, now));
  EXPECT_TRUE(tap.push(1, 0, 2, 160, payload, now));
  EXPECT_TRUE(tap.push(0, 0, 3, 320, payload, now));
  EXPECT_FALSE(tap.push(0, 0, 4, 480, payload, now));
  EXPECT_FALSE(
      tap.push(0, 0, 5, 640, std::vector<std::uint8_t>(TappedPacket::kMaxPayload + 1), now));
  EXPECT_EQ(tap.dropped(), 2U);
  TappedPacket out;
  ASSERT_TRUE(tap.pop(out));
  EXPECT_EQ(out.sequence, 1);
  ASSERT_TRUE(tap.pop(out));
  EXPECT_EQ(out.channel, 1);
  EXPECT_EQ(out.size, 160);
  EXPECT_TRUE(tap.push(0, 0, 6, 800, payload, now));
  tap.close();
  EXPECT_FALSE(tap.push(0, 0, 7, 960, payload, now));
  ASSERT_TRUE(tap.pop(out));
  ASSERT_TRUE(tap.pop(out));
  EXPECT_EQ(out.sequence, 6);
  EXPECT_FALSE(tap.pop(out));
}

class Collector final : public RecordingWriter::Listener {
 public:
  void on_recording_finished(const FinishedRecording& recording) override {
    finished.push_back(recording);
  }
  std::vector<FinishedRecording> finished;
};

TEST(RecordingWriterTest, WritesAPrivateStereoFileAndReportsIt) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("parley_recording_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  const SteadyClock clock;
  Collector collector;
  {
    RecordingWriter writer({dir / "recordings", 8000, milliseconds(100), milliseconds(10)}, clock,
                           &collector);
    auto tap = writer.start({7, "Example.COM", "abc/../x@host", "1001", "1002"});
    tap->set_codec(0, TapCodec{0, kPcmu});
    tap->set_codec(1, TapCodec{8, kPcma});
    const auto caller = test::tone_packets(kPcmu, 1000, -10, 25, 20, 1);
    const auto callee = test::tone_packets(kPcma, 1600, -10, 25, 20, 1);
    const TimePoint start = clock.now();
    for (std::size_t i = 0; i < 25; ++i) {
      const TimePoint at = start + milliseconds(20 * static_cast<int>(i));
      ASSERT_TRUE(tap->push(0, 0, caller[i].sequence, caller[i].timestamp, caller[i].payload, at));
      ASSERT_TRUE(tap->push(1, 8, callee[i].sequence, callee[i].timestamp, callee[i].payload, at));
    }
    tap->close();
    EXPECT_EQ(writer.start({7, "example.com", "second", "1", "2"})->closed(), false);
    // A tap that never carries audio leaves no file.
  }
  ASSERT_EQ(collector.finished.size(), 1U);
  const FinishedRecording& done = collector.finished[0];
  EXPECT_EQ(done.info.call_id, "abc/../x@host");
  const std::filesystem::path path(done.path);
  EXPECT_EQ(path.filename(), "abc_.._x@host.wav");
  EXPECT_EQ(path.parent_path().parent_path().parent_path(), dir / "recordings" / "Example.COM");
  EXPECT_NEAR(static_cast<double>(done.duration_ms), 500, 25);
  EXPECT_EQ(done.size_bytes, std::filesystem::file_size(path));
  ASSERT_EQ((done.size_bytes - 44) % 4, 0U);
  EXPECT_EQ(done.duration_ms, (done.size_bytes - 44) / 4 * 1000 / 8000);
  struct stat info {};
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600U);
  ASSERT_EQ(::stat(path.parent_path().c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0700U);
  std::ifstream in(path, std::ios::binary);
  const std::vector<std::uint8_t> bytes{std::istreambuf_iterator<char>(in), {}};
  ASSERT_GT(bytes.size(), 44U);
  EXPECT_EQ(bytes[22], 2);  // channels
  std::vector<std::int16_t> left;
  std::vector<std::int16_t> right;
  for (std::size_t at = 44; at + 3 < bytes.size(); at += 4) {
    left.push_back(static_cast<std::int16_t>(bytes[at] | (bytes[at + 1] << 8)));
    right.push_back(static_cast<std::int16_t>(bytes[at + 2] | (bytes[at + 3] << 8)));
  }
  EXPECT_NEAR(level_at(left, 200, 1000), -10, 1.0);
  EXPECT_NEAR(level_at(right, 200, 1600), -10, 1.0);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace parley::media
