#pragma once
// RecordingWriter: the one thread of the process that writes call recordings.
//
// A call that is to be recorded asks start() for a RecordingTap and hands it to its relay; the
// writer thread wakes every `tick`, drains every open tap into that call's StereoRecorder, and
// appends to a stereo WAV or Ogg/Opus file (`format`, decision 0039) what lies more than
// `latency` in the past (late packets still find their place). The file is created at the first
// recordable packet, as `<directory>/<tenant>/<yyyy>/<mm>/<call-id>.wav` (or `.opus`; UTC;
// "-2", "-3" … appended when the name is
// taken, e.g. a second on-demand recording of the same call), folders 0700 and the file 0600:
// recordings are personal data. When the call closes the tap (the call ended, or recording was
// switched off), the writer drains it, writes the rest, fixes the header sizes and reports the
// finished file to the Listener. The destructor (server shutdown) finalises every open recording
// the same way before the thread ends.
//
// A tap that never carried recordable audio leaves no file and no report. A recording whose file
// could not be written whole (a full disk) is deleted and not reported either (decision 0040).
//
// Thread-safety: start() and the destructor may be called from any thread; the Listener is
// called on the writer thread (it may block, e.g. to write the store).

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.hpp"
#include "media/recording_file.hpp"
#include "media/recording_tap.hpp"
#include "media/writer_queue.hpp"

namespace parley::media {

// What the recording is of: names its file and its row beside the call record.
struct RecordingInfo {
  std::int64_t tenant_id = 0;
  std::string tenant_domain;
  std::string call_id;  // SIP Call-ID of the caller's leg
  std::string caller;
  std::string callee;
};

struct FinishedRecording {
  RecordingInfo info;
  std::string path;
  std::uint64_t size_bytes = 0;
  std::uint64_t duration_ms = 0;
  std::int64_t started_at_ms = 0;  // Unix time of the first recorded sample
  std::uint64_t packets_dropped = 0;
};

struct RecordingWriterOptions {
  std::filesystem::path directory;  // e.g. <data>/recordings
  int sample_rate = 8000;
  Duration latency = std::chrono::milliseconds(300);
  Duration tick = std::chrono::milliseconds(20);
  RecordingFormat format = RecordingFormat::kWav;  // ".wav" or ".opus" files (decision 0039)
};

class RecordingWriter {
 public:
  class Listener {
   public:
    virtual ~Listener() = default;
    virtual void on_recording_finished(const FinishedRecording& recording) = 0;
  };

  // `clock` is the one the relays stamp arrivals with; `listener` may be null. Both borrowed.
  RecordingWriter(RecordingWriterOptions options, const Clock& clock, Listener* listener);
  ~RecordingWriter();
  RecordingWriter(const RecordingWriter&) = delete;
  RecordingWriter& operator=(const RecordingWriter&) = delete;

  // A new recording fed through the returned tap. After shutdown the tap is already closed.
  std::shared_ptr<RecordingTap> start(RecordingInfo info);

  std::size_t active() const;

 private:
  struct Active;

  void run();
  void drain(Active& recording, bool final);
  bool open_file(Active& recording);
  void finish(Active& recording);

  RecordingWriterOptions options_;
  const Clock& clock_;
  Listener* listener_;
  WriterQueue<Active> queue_;
  std::vector<std::int16_t> frames_;  // writer thread only
  std::thread thread_;
};

}  // namespace parley::media
