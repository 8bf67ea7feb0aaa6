#pragma once
// ConferenceDirectory: every tenant's conference rooms in memory (store::ConferenceStore),
// reloaded with the directory when the store's change counter moves (PbxCore), so that the dial
// plan and the conference application read them on a worker loop without touching the disk.
//
// Thread-safety: reload() on the maintenance thread (or at start-up), find() on any thread; the
// snapshot is swapped under a mutex and read through a shared_ptr, so find() never waits for a
// reload's disk reads.

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "base/result.hpp"
#include "store/conference_store.hpp"

namespace parley::app {

class ConferenceDirectory {
 public:
  // Reads every room (blocks on disk). On failure the previous snapshot stays and the error is
  // returned for the log.
  Result<void> reload(store::ConferenceStore& store);
  // The room `number` of `tenant`, as of the last reload.
  std::optional<store::ConferenceRoom> find(store::TenantId tenant, std::string_view number) const;

 private:
  using Rooms =
      std::map<std::pair<store::TenantId, std::string>, store::ConferenceRoom, std::less<>>;
  mutable std::mutex mutex_;
  std::shared_ptr<const Rooms> rooms_ = std::make_shared<const Rooms>();  // guarded by mutex_
};

// The CallPlan application that answers a call to a room: "conference:<tenant id>:<number>".
std::string conference_application(store::TenantId tenant, std::string_view number);

}  // namespace parley::app
