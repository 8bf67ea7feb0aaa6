#pragma once
// CallQueueStore: the call queues of each tenant (issue 7, decision 0023). A queue is a number of
// the tenant whose callers wait (hearing music) until one of its member extensions answers.
//
// Rules every backend keeps:
// - A queue's number shares the tenant's one number space with extensions, ring groups and
//   conference rooms: kConflict both ways (database triggers in SQLite).
// - strategy is "ring-all", "round-robin" or "longest-idle"; the durations and the caller cap
//   are within the k* bounds below; members are existing extensions of the tenant, each once,
//   in the order they ring for round-robin.
// - fallback: empty (hang up), "voicemail:<box>" (an extension's box) or a number of the tenant
//   (dialled again as if the caller had dialled it), where a caller goes after max_wait_s or
//   when max_callers already wait.
// - Every change moves Store::change_counter(): a running server reloads its queues within a
//   second.
//
// A separate interface from Store so that SIP code and its test fakes do not grow; SqliteStore
// implements it (sqlite/sqlite_call_queue_store.cpp, schema migrations 12 and 14).
// Thread-safety and blocking: as Store (every call may block on disk).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "store/store.hpp"

namespace parley::store {

inline constexpr std::uint32_t kMinQueueRingTimeout = 5;  // seconds
inline constexpr std::uint32_t kMaxQueueRingTimeout = 300;
inline constexpr std::uint32_t kMaxQueueWrapUp = 600;
inline constexpr std::uint32_t kMaxQueueWait = 86400;     // 0 = wait for ever
inline constexpr std::uint32_t kMaxQueueCallers = 10000;  // 0 = no cap
inline constexpr std::uint32_t kMaxQueueAnnounce = 3600;  // 0 = no announcements

struct CallQueueConfig {
  TenantId tenant_id = 0;
  std::string number;  // 2-15 digits
  std::string name;    // display name rules; may be empty
  std::string strategy = "ring-all";
  std::uint32_t ring_timeout_s = 15;
  std::uint32_t wrap_up_s = 0;
  std::uint32_t max_wait_s = 300;
  std::uint32_t max_callers = 20;
  std::string fallback;  // "" hang up, "voicemail:<box>", or a number of the tenant
  // A waiting caller hears "You are caller number N" on entering and again this many seconds
  // of music after the last announcement; 0 = never.
  std::uint32_t announce_s = 30;
  std::vector<std::string> members;
  UnixSeconds created_at = 0;  // set by add_call_queue
};

// The settings of `queue` other than tenant, number and members; kInvalidInput saying what is
// wrong.
Result<void> check_call_queue_settings(const CallQueueConfig& queue);

class CallQueueStore {
 public:
  virtual ~CallQueueStore() = default;
  CallQueueStore() = default;
  CallQueueStore(const CallQueueStore&) = delete;
  CallQueueStore& operator=(const CallQueueStore&) = delete;

  // Adds a queue (with its members) and returns it as stored. kNotFound for an unknown tenant
  // or member extension; kConflict when the number is taken; kInvalidInput for bad settings.
  virtual Result<CallQueueConfig> add_call_queue(const CallQueueConfig& queue) = 0;
  // Replaces the settings (not the members) of an existing queue. kNotFound when none.
  virtual Result<void> update_call_queue(const CallQueueConfig& queue) = 0;
  // Replaces the member list. kNotFound for an unknown queue or extension.
  virtual Result<void> set_call_queue_members(TenantId tenant, std::string_view number,
                                              const std::vector<std::string>& members) = 0;
  // The queues of one tenant, or of every tenant; by tenant, then number; members in order.
  virtual Result<std::vector<CallQueueConfig>> list_call_queues(std::optional<TenantId> tenant) = 0;
  // kNotFound when the tenant has no such queue.
  virtual Result<void> remove_call_queue(TenantId tenant, std::string_view number) = 0;
};

}  // namespace parley::store
