#pragma once
// QueueCenter: every tenant's call queues while the server runs (decision 0023): the settings
// and members from the store (reloaded with the directory when the change counter moves) and,
// per queue, the pure waiting line and agent state (pbx::CallQueue). The callers of one queue
// are sessions on different worker loops; each asks the center on its own loop (poll()) what to
// do now, so nothing is posted between loops and a queue needs no thread of its own.
//
// How a waiting caller reaches an agent: the center hands its session an offer (the agents to
// ring); the session asks the B2BUA to redirect the caller to the first agent's number
// (LocalSession::set_redirect, decision 0022); the worker's routing asks offer_plan() first and
// gets one ring stage with every agent of the offer and the queue's ring timeout. While it
// rings the caller still hears music; on an answer the B2BUA bridges the caller to the agent
// and the session ends (answered(), naming the agent whose phone answered); when nobody answers
// the session hears on_redirect_failed (offer_failed()) and waits on at the head of the line.
//
// Agents' calls end without the center hearing of it: an agent the line marks busy is released
// (its wrap-up starts) at the first poll() that finds it no longer busy in the live state.
//
// Thread-safety: every method may be called from any thread; one mutex guards everything, held
// only for in-memory work (reload() reads the store and makes prompts before taking it).

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/clock.hpp"
#include "base/result.hpp"
#include "media/prompt_library.hpp"
#include "pbx/call_queue.hpp"
#include "pbx/dial_plan.hpp"
#include "sip/call_routing.hpp"
#include "store/call_queue_store.hpp"

namespace parley::app {

// What a waiting caller's session does after a poll.
struct QueueStep {
  enum class Kind : std::uint8_t {
    kWait,      // keep the music going
    kRing,      // redirect to `agents.front()` (offer_plan() rings them all)
    kFallback,  // leave: `fallback` ("" = hang up, "voicemail:<box>", a number)
    kGone,      // the queue was removed: leave like kFallback with an empty fallback
  };
  Kind kind = Kind::kWait;
  std::vector<std::string> agents;
  std::string fallback;
  std::size_t position = 0;  // 1-based place in line while waiting
  // kWait: the queue's position announcement interval (0 = no announcements).
  std::chrono::seconds announce_interval{0};
};

class QueueCenter {
 public:
  // `prompts` (may be null: no announcements) outlives the center.
  explicit QueueCenter(const Clock& clock, media::PromptLibrary* prompts = nullptr)
      : clock_(clock), prompts_(prompts) {}

  // Reads every queue (blocks on disk). Running queues keep their callers and agent state and
  // take the new settings and members; removed queues let their callers go to kGone. The first
  // reload that finds a queue with announcements synthesises their prompts (blocking).
  Result<void> reload(store::CallQueueStore& store);
  bool exists(store::TenantId tenant, std::string_view number) const;

  // A caller arrives. nullopt with `fallback` set (possibly empty = hang up) when the queue is
  // full or unknown.
  struct Joined {
    std::optional<pbx::QueueCallerId> caller;
    std::string fallback;
  };
  Joined join(store::TenantId tenant, std::string_view number);
  // `live` says which agents can ring (registered and not in a call).
  QueueStep poll(store::TenantId tenant, std::string_view number, pbx::QueueCallerId caller,
                 const pbx::LiveState& live);
  // The caller of an offer dialled its first agent: the plan that rings every agent of the
  // offer for the ring timeout. nullopt when `caller` (the calling party's number) has no armed
  // offer to `dialled` in `tenant`; an offer is planned once.
  std::optional<sip::CallPlan> offer_plan(store::TenantId tenant, std::string_view caller,
                                          std::string_view dialled);
  // Marks the offer of `caller` as about to be dialled by `calling_party`.
  void arm_offer(store::TenantId tenant, std::string_view number, pbx::QueueCallerId caller,
                 std::string calling_party);
  void offer_failed(store::TenantId tenant, std::string_view number, pbx::QueueCallerId caller);
  // `agent` (the extension that answered, LocalSession::on_redirect_answered) took `caller`:
  // it is credited and starts its wrap-up once its call ends. Empty = not known.
  void answered(store::TenantId tenant, std::string_view number, pbx::QueueCallerId caller,
                std::string_view agent);
  // The caller went away while waiting (hung up, or sent to the fallback after expiry).
  void leave(store::TenantId tenant, std::string_view number, pbx::QueueCallerId caller);

  // For `parley queue` statistics and tests.
  std::optional<pbx::QueueStats> stats(store::TenantId tenant, std::string_view number) const;
  std::size_t waiting(store::TenantId tenant, std::string_view number) const;
  // Calls `agent` answered for the queue.
  std::uint64_t answered_by(store::TenantId tenant, std::string_view number,
                            std::string_view agent) const;

 private:
  struct Armed {
    pbx::QueueCallerId caller = 0;
    std::string calling_party;
    std::vector<std::string> agents;
    bool planned = false;
  };
  struct Queue {
    store::CallQueueConfig config;
    std::unique_ptr<pbx::CallQueue> line;
    std::map<pbx::QueueCallerId, std::vector<std::string>> offers;  // agents per ringing caller
    std::optional<Armed> armed;
    // Agents that answered a queue call and are not yet seen idle again.
    std::vector<std::string> talking;
  };
  using Key = std::pair<store::TenantId, std::string>;

  Queue* find(store::TenantId tenant, std::string_view number);
  const Queue* find(store::TenantId tenant, std::string_view number) const;

  const Clock& clock_;
  media::PromptLibrary* prompts_;
  std::once_flag prompts_prepared_;
  mutable std::mutex mutex_;
  std::map<Key, Queue, std::less<>> queues_;  // guarded by mutex_
};

pbx::QueueSettings queue_settings(const store::CallQueueConfig& config);

// The spoken prompts of a position announcement, in order: "You are caller number" and the
// position's digits one by one ("one", "two" for 12). Keys of media::standard_prompts().
std::vector<std::string_view> queue_announcement_prompts(std::size_t position);

// The CallPlan application that answers a call to a queue: "queue:<number>" (the tenant is the
// caller's, CallMediaInfo::tenant_id).
std::string queue_application(std::string_view number);

}  // namespace parley::app
