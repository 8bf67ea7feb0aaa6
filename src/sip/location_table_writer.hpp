#pragma once
// BindingWriter: the one background thread that writes registration bindings through to the
// store, so that no event loop ever waits for SQLite.
//
// The LocationTable changes memory first and queues the matching store operations here, in the
// same order, while it still holds the lock of the address of record concerned; the store
// therefore sees every AOR's changes in the order memory did. The queue is bounded: try_push()
// accepts a whole batch or nothing, so a REGISTER is either fully queued or rejected (503)
// before memory changes.
//
// Refreshes (a REGISTER that only moved a binding's expiry, Call-ID and CSeq; the LocationTable
// decides) are not queued but kept aside, one per binding, the latest winning, and written
// together once `refresh_delay` has passed since the first of them: one commit of cheap UPDATEs
// per second instead of a DELETE and INSERT per REGISTER (decision 0044). Order is kept: any
// other operation on an address of record first moves that AOR's pending refreshes into the
// queue ahead of itself, and flush() and the destructor write them all. What a crash (kill -9,
// power cut) may lose is therefore up to `refresh_delay` of refreshes: the store then holds the
// previous expiry, Call-ID and CSeq of those bindings, which a device's next refresh fixes.
//
// A failed write is logged (rate-limited) and counted, then dropped: memory stays the truth while
// the process runs, and the device's next refresh writes the binding again. kBusy (another
// process holding the write lock past the busy timeout) is retried `busy_retries` times first.
//
// Lifetime: the destructor stops accepting, writes everything already queued, and joins the
// thread. The store must outlive the writer.
//
// Thread-safety: try_push(), flush() and stats() may be called from any thread.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <variant>
#include <vector>

#include "store/store.hpp"

namespace parley::sip {

struct BindingWriterOptions {
  std::size_t capacity = 65536;  // queued operations; a batch that does not fit is refused
  int busy_retries = 2;
  // How long refreshes wait to be written together; zero writes them like any other operation.
  std::chrono::milliseconds refresh_delay{1000};
  // Pending refreshes past this many are written at once, whatever their age.
  std::size_t max_pending_refreshes = 8192;
};

class BindingWriter {
 public:
  struct RemoveAll {
    store::TenantId tenant_id = 0;
    std::string extension;
  };
  struct Purge {
    store::UnixSeconds now = 0;
  };
  // The binding exists with these very fields but call_id, cseq and expires_at (the whole new
  // binding is carried so that the store can insert it if its copy is gone).
  struct Refresh {
    store::Binding binding;
  };
  // An address of record; the LocationTable keys its shards by the same type.
  struct AorKey {
    store::TenantId tenant = 0;
    std::string extension;
    bool operator==(const AorKey& other) const = default;
  };
  struct AorHash {
    std::size_t operator()(const AorKey& key) const noexcept;
  };

  // Upsert, remove one, remove every binding of an extension, purge expired, refresh.
  using Operation = std::variant<store::Binding, store::BindingKey, RemoveAll, Purge, Refresh>;

  struct Stats {
    std::uint64_t written = 0;  // operations the store accepted
    std::uint64_t failed = 0;   // operations the store refused (logged)
    std::uint64_t refused = 0;  // batches try_push() refused because the queue was full
    std::size_t queued = 0;     // operations waiting now, pending refreshes included
  };

  BindingWriter(store::Store& store, BindingWriterOptions options);
  ~BindingWriter();
  BindingWriter(const BindingWriter&) = delete;
  BindingWriter& operator=(const BindingWriter&) = delete;

  // Queues every operation of `batch`, in order, or none of them (false) when they do not all
  // fit or the writer is stopping. Never blocks on the store.
  bool try_push(std::vector<Operation>& batch);
  // Blocks until every operation queued before the call has been written (or has failed).
  void flush();
  Stats stats() const;

 private:
  struct Outcome {
    std::string failure;     // empty when the store accepted the write
    bool not_found = false;  // the extension is gone: nothing to write, not a failure
  };
  void run();
  Outcome write_one(const Operation& operation);
  // Keeps a refresh aside, replacing a pending one of the same binding. Caller holds mutex_.
  void defer(Refresh refresh);
  // Moves the pending refreshes of `aor` (all of them when null) to the queue's end. Caller holds
  // mutex_.
  void queue_refreshes(const AorKey* aor);

  store::Store& store_;
  const BindingWriterOptions options_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;  // work arrived or stopping
  std::condition_variable idle_;  // an operation finished
  std::deque<Operation> queue_;   // guarded by mutex_
  std::uint64_t pushed_ = 0;      // guarded by mutex_: operations ever queued
  std::uint64_t done_ = 0;        // guarded by mutex_: operations ever finished
  std::uint64_t written_ = 0;     // guarded by mutex_
  std::uint64_t failed_ = 0;      // guarded by mutex_
  std::uint64_t refused_ = 0;     // guarded by mutex_
  bool stopping_ = false;         // guarded by mutex_
  bool writer_idle_ = false;      // guarded by mutex_: the writer waits for work
  // Pending refreshes by address of record (few per AOR), their count and the first one's time.
  std::unordered_map<AorKey, std::vector<store::Binding>, AorHash> refreshes_;  // guarded
  std::size_t refresh_count_ = 0;                                               // guarded by mutex_
  std::chrono::steady_clock::time_point refreshes_since_{};                     // guarded by mutex_
  std::thread thread_;  // last: starts after every member above exists
};

}  // namespace parley::sip
