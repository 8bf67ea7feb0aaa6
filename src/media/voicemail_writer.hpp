#pragma once
// VoicemailWriter: the one thread of the process that writes voicemail messages to disk
// (docs/decisions/0021-voicemail.md).
//
// A deposit (the voicemail application on a call's worker loop) asks start() for a
// VoicemailDeposit and appends the caller's audio to it, one 20 ms frame at a time; append()
// copies into a buffer sized once and never blocks on I/O. The writer thread wakes every `tick`
// and appends what arrived to `<directory>/<tenant id>/<box>/<name>.wav.part`, flushed to the
// kernel each time, so a process killed mid-message (kill -9) leaves its audio behind. Beside it
// a small `<name>.meta` file (written and fsynced first) says whose message it is.
//
// When the deposit is finished (the caller hung up, pressed #, or reached the maximum length),
// the writer writes the rest, fixes the header sizes, fsyncs the file, renames it to
// `<name>.wav`, fsyncs the folder, and only then hands it to the Listener to index it; once that
// succeeds the `.meta` file goes. A message shorter than `min_duration` is deleted instead. So
// the store never names a half-written file, and a message whose caller got the BYE's 200 is
// never lost: at start the writer finishes whatever a crash left (a `.meta` with its `.wav.part`
// or its `.wav`) the same way before taking new work.
//
// A write that fails (a full disk: ENOSPC, EFBIG, EIO) marks the deposit failed(): the call's
// loop sees it, stops recording and apologises (decision 0040); the writer deletes the partial
// `.wav.part` and its `.meta` once the deposit is finished, so nothing half-written is indexed.
//
// Folders 0700 and files 0600: messages are personal data. Files are 16-bit mono PCM WAV at the
// deposit's rate (8 or 16 kHz).
//
// Thread-safety: start() and the destructor may be called from any thread; a VoicemailDeposit's
// append() and finish() belong to one thread (the call's loop), the writer reads it under its
// lock. The Listener is called on the writer thread and may block (it writes the store).

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.hpp"
#include "base/result.hpp"
#include "media/writer_queue.hpp"

namespace parley::media {

// Whose message it is: names its folder and its row in the store.
struct VoicemailDepositInfo {
  std::int64_t tenant_id = 0;
  std::string box;     // the extension number of the box
  std::string caller;  // who is leaving it
};

struct WrittenVoicemail {
  VoicemailDepositInfo info;
  std::string path;  // absolute, the final `.wav`
  std::uint64_t duration_ms = 0;
  std::uint64_t size_bytes = 0;
  std::int64_t received_at_ms = 0;  // Unix time the deposit started
};

// One message being recorded. Shared by the call's loop (append, finish) and the writer thread.
class VoicemailDeposit {
 public:
  VoicemailDeposit(VoicemailDepositInfo info, int sample_rate, std::int64_t received_at_ms,
                   std::size_t capacity_samples);

  // Copies `pcm` for the writer; samples beyond the buffer's room are dropped and counted (the
  // writer drains it every tick, so only a stalled disk fills it).
  void append(std::span<const std::int16_t> pcm);
  // No more audio: the writer finalises the message (or drops it when too short).
  void finish();

  const VoicemailDepositInfo& info() const { return info_; }
  int sample_rate() const { return sample_rate_; }
  std::int64_t received_at_ms() const { return received_at_ms_; }
  std::uint64_t dropped_samples() const;
  // True once the writer could not write the message (its audio is lost): the caller should be
  // told and the deposit finished. Any thread.
  bool failed() const { return failed_.load(std::memory_order_acquire); }
  // Writer side.
  void mark_failed() { failed_.store(true, std::memory_order_release); }

  // Writer side: swaps the pending samples into `into` (cleared first, capacity kept) and says
  // whether finish() was called before this take.
  bool take(std::vector<std::int16_t>& into);

 private:
  const VoicemailDepositInfo info_;
  const int sample_rate_;
  const std::int64_t received_at_ms_;
  mutable std::mutex mutex_;
  std::vector<std::int16_t> pending_;  // guarded by mutex_; capacity fixed at construction
  bool finished_ = false;              // guarded by mutex_
  std::uint64_t dropped_ = 0;          // guarded by mutex_
  std::atomic<bool> failed_{false};
};

struct VoicemailWriterOptions {
  std::filesystem::path directory;  // e.g. <data>/voicemail (absolute)
  Duration min_duration = std::chrono::seconds(1);
  Duration tick = std::chrono::milliseconds(100);
};

class VoicemailWriter {
 public:
  class Listener {
   public:
    virtual ~Listener() = default;
    // A complete, fsynced message to index. An error leaves the `.meta` file, so the next start
    // indexes it again (the index must be idempotent on the path).
    virtual Result<void> on_voicemail_written(const WrittenVoicemail& message) = 0;
  };

  // Starts the thread, which first recovers what an earlier process left. `listener` borrowed.
  VoicemailWriter(VoicemailWriterOptions options, Listener& listener);
  // Finalises every open deposit (server shutdown: the calls' audio so far) and joins.
  ~VoicemailWriter();
  VoicemailWriter(const VoicemailWriter&) = delete;
  VoicemailWriter& operator=(const VoicemailWriter&) = delete;

  // A new message at `sample_rate` (8000 or 16000) Hz. After shutdown the deposit is ignored.
  std::shared_ptr<VoicemailDeposit> start(VoicemailDepositInfo info, int sample_rate);

  // Deposits still being written (for tests and shutdown logs).
  std::size_t active() const;
  // Messages indexed since start (recovered ones included).
  std::uint64_t written() const;

 private:
  struct Active;

  void run();
  void recover();
  void fail(Active& message);
  void drain(Active& message, bool final);
  bool open_file(Active& message);
  void finalise(Active& message);
  void publish(const std::filesystem::path& meta, const WrittenVoicemail& message);

  VoicemailWriterOptions options_;
  Listener& listener_;
  WriterQueue<Active> queue_;
  std::atomic<std::uint64_t> written_{0};
  std::vector<std::int16_t> samples_;  // writer thread only
  std::thread thread_;
};

}  // namespace parley::media
