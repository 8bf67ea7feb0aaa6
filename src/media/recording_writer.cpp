#include "media/recording_writer.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <spdlog/spdlog.h>
#include <cerrno>
#include <ctime>
#include <optional>
#include <system_error>
#include <utility>

#include "media/stereo_recorder.hpp"

namespace parley::media {

namespace {

constexpr std::size_t kChunkFrames = 1024;
constexpr std::size_t kMaxNameLength = 120;
constexpr int kMaxSuffix = 100;

// A Call-ID or domain as a file name: letters, digits and ".-_@" kept, anything else (a slash,
// "..", control bytes) replaced, length capped.
std::string file_safe(std::string_view text) {
  std::string name;
  for (const char c : text.substr(0, kMaxNameLength)) {
    const bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_' || c == '@' || c == '.';
    name.push_back(safe ? c : '_');
  }
  if (name.empty() || name.front() == '.') name.insert(name.begin(), '_');
  return name;
}

std::error_code make_private_directories(const std::filesystem::path& path) {
  std::error_code error;
  std::filesystem::path built;
  for (const auto& part : path) {
    built /= part;
    if (::mkdir(built.c_str(), 0700) != 0 && errno != EEXIST) {
      return {errno, std::generic_category()};
    }
  }
  return error;
}

}  // namespace

struct RecordingWriter::Active {
  Active(RecordingInfo recording_info, std::shared_ptr<RecordingTap> recording_tap,
         const StereoRecorderOptions& options)
      : info(std::move(recording_info)), tap(std::move(recording_tap)), recorder(options) {}

  RecordingInfo info;
  std::shared_ptr<RecordingTap> tap;
  StereoRecorder recorder;
  std::unique_ptr<RecordingFile> file;
  std::string path;
  bool failed = false;
  std::int64_t started_at_ms = 0;
  TappedPacket packet;
};

RecordingWriter::RecordingWriter(RecordingWriterOptions options, const Clock& clock,
                                 Listener* listener)
    : options_(std::move(options)),
      clock_(clock),
      listener_(listener),
      frames_(kChunkFrames * 2),
      thread_([this] { run(); }) {}

RecordingWriter::~RecordingWriter() {
  queue_.stop();
  thread_.join();
}

std::shared_ptr<RecordingTap> RecordingWriter::start(RecordingInfo info) {
  auto tap = std::make_shared<RecordingTap>();
  StereoRecorderOptions recorder_options;
  recorder_options.sample_rate = options_.sample_rate;
  auto active = std::make_unique<Active>(std::move(info), tap, recorder_options);
  if (!queue_.add(std::move(active))) tap->close();  // shutting down
  return tap;
}

std::size_t RecordingWriter::active() const {
  return queue_.active();
}

void RecordingWriter::run() {
  while (queue_.pass(options_.tick, [this](Active& recording, bool stopping) {
    // At shutdown the calls are still up: their taps close now, with what arrived so far.
    if (stopping) recording.tap->close();
    const bool closed = recording.tap->closed();
    drain(recording, closed);
    if (closed) finish(recording);
    return closed;
  })) {
  }
}

void RecordingWriter::drain(Active& recording, bool final) {
  std::array<std::optional<TapCodec>, 2> codecs{recording.tap->codec(0), recording.tap->codec(1)};
  while (recording.tap->pop(recording.packet)) {
    recording.recorder.add(recording.packet, codecs[recording.packet.channel & 1U]);
  }
  if (!recording.recorder.started() || recording.failed) return;
  if (!recording.file && !open_file(recording)) return;
  const TimePoint until = clock_.now() - options_.latency;
  while (true) {
    const std::size_t frames = final ? recording.recorder.take_all(frames_)
                                     : recording.recorder.take_until(until, frames_);
    if (frames == 0) break;
    auto written = recording.file->write_interleaved(
        std::span<const std::int16_t>(frames_.data(), frames * 2));
    if (!written.ok()) {
      spdlog::error("recording {}: {}", recording.path, written.error().message);
      recording.failed = true;
      return;
    }
  }
}

bool RecordingWriter::open_file(Active& recording) {
  using namespace std::chrono;
  // The wall-clock time of the first recorded sample, for the name and the listing.
  const auto lag = clock_.now() - recording.recorder.start();
  const auto started = system_clock::now() - duration_cast<system_clock::duration>(lag);
  recording.started_at_ms = duration_cast<milliseconds>(started.time_since_epoch()).count();
  const std::time_t seconds = system_clock::to_time_t(started);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  std::array<char, 16> year{};
  std::array<char, 8> month{};
  std::snprintf(year.data(), year.size(), "%04d", utc.tm_year + 1900);
  std::snprintf(month.data(), month.size(), "%02d", utc.tm_mon + 1);
  const std::filesystem::path folder =
      options_.directory / file_safe(recording.info.tenant_domain) / year.data() / month.data();
  if (const auto error = make_private_directories(folder)) {
    spdlog::error("recording of call {}: cannot create {}: {}", recording.info.call_id,
                  folder.string(), error.message());
    recording.failed = true;
    return false;
  }
  const std::string base = file_safe(recording.info.call_id);
  const std::string extension(recording_extension(options_.format));
  for (int suffix = 1; suffix <= kMaxSuffix; ++suffix) {
    const std::string name =
        suffix == 1 ? base + extension : base + "-" + std::to_string(suffix) + extension;
    const std::filesystem::path path = folder / name;
    // O_EXCL: never overwrite an earlier recording; 0600 before a byte is written.
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
      if (errno == EEXIST) continue;
      break;
    }
    ::close(fd);
    auto file =
        open_recording_file(options_.format, path.string(), recording.recorder.sample_rate());
    if (!file.ok()) {
      spdlog::error("recording {}: {}", path.string(), file.error().message);
      break;
    }
    recording.file = std::move(file).value();
    recording.path = path.string();
    return true;
  }
  spdlog::error("recording of call {}: cannot create a file in {}", recording.info.call_id,
                folder.string());
  recording.failed = true;
  return false;
}

void RecordingWriter::finish(Active& recording) {
  if (!recording.file) return;
  FinishedRecording done;
  done.duration_ms = recording.file->frames_written() * 1000 /
                     static_cast<std::uint64_t>(recording.recorder.sample_rate());
  if (auto closed = recording.file->close(); !closed.ok()) {
    spdlog::error("recording {}: {}", recording.path, closed.error().message);
    recording.failed = true;
  }
  std::error_code error;
  if (recording.failed) {
    // A write failed (a full disk): the file is incomplete, so it is removed and never reported
    // (indexed); the call itself goes on unaffected (decision 0040).
    std::filesystem::remove(recording.path, error);
    spdlog::error("recording of call {} failed; the partial file {} is removed{}",
                  recording.info.call_id, recording.path, error ? ": " + error.message() : "");
    return;
  }
  done.size_bytes = std::filesystem::file_size(recording.path, error);
  if (error) done.size_bytes = 0;
  done.info = recording.info;
  done.path = recording.path;
  done.started_at_ms = recording.started_at_ms;
  done.packets_dropped = recording.tap->dropped();
  spdlog::info("recording of call {} written: {} ({} ms)", done.info.call_id, done.path,
               done.duration_ms);
  if (listener_ != nullptr) listener_->on_recording_finished(done);
}

}  // namespace parley::media
