#pragma once
// CallRecording: the app's side of call recording. It answers the media layer's
// RecordingPolicy from an in-memory snapshot of the store's tenant and extension policy
// (store/recording_store.hpp), reloaded by its own thread within a second of a change (it polls
// Store::change_counter(), so `parley tenant record` and `parley user record` in another process
// reach a running server), and files every finished recording in the store
// (RecordingWriter::Listener, called on the writer thread, where blocking is fine).
//
// Policy: a party's effective mode is its extension's (always / never) or, when it inherits,
// its tenant's default (all calls / none). A call is recorded from the start when either party
// is recorded and neither says never; it may be recorded on demand unless a party says never.
// Only the caller's tenant is consulted (the callee's extension is looked up there too): calls
// between tenants follow the caller's tenant.
//
// Thread-safety: decide() may be called from any thread; it copies a pointer to the current
// immutable snapshot under a mutex held only for that.

#include <condition_variable>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>

#include "base/result.hpp"
#include "media/recording_policy.hpp"
#include "media/recording_writer.hpp"
#include "store/recording_store.hpp"

namespace parley::store::sqlite {
class SqliteStore;
}

namespace parley::app {

class CallRecording final : public media::RecordingPolicy, public media::RecordingWriter::Listener {
  struct Key {};  // only open() constructs one

 public:
  // Opens its own connection to `<data_dir>/parley.db` and reads the policy once.
  static Result<std::unique_ptr<CallRecording>> open(const std::filesystem::path& data_dir);
  CallRecording(Key key, std::unique_ptr<store::sqlite::SqliteStore> store);
  ~CallRecording() override;
  CallRecording(const CallRecording&) = delete;
  CallRecording& operator=(const CallRecording&) = delete;

  media::RecordingDecision decide(const sip::CallMediaInfo& call) const override;
  void on_recording_finished(const media::FinishedRecording& recording) override;

  // Re-reads the policy if the store changed; blocks on the store.
  Result<void> refresh();

  struct Snapshot {
    std::unordered_map<store::TenantId, bool> tenant_records;
    std::map<std::pair<store::TenantId, std::string>, store::ExtensionRecording> extensions;
  };

 private:
  void run();

  std::unique_ptr<store::sqlite::SqliteStore> store_;
  std::mutex store_mutex_;  // one caller of the store's change counter bookkeeping at a time
  std::uint64_t seen_counter_ = 0;  // guarded by store_mutex_
  bool loaded_ = false;             // guarded by store_mutex_

  mutable std::mutex snapshot_mutex_;
  std::shared_ptr<const Snapshot> snapshot_;  // guarded by snapshot_mutex_

  std::mutex stop_mutex_;
  std::condition_variable stop_;
  bool stopping_ = false;  // guarded by stop_mutex_
  std::thread thread_;
};

}  // namespace parley::app
