#pragma once
// CallPlacement: which worker a SIP message of a call goes to, when hashing its Call-ID
// (call_affinity.hpp) is not enough (decision 0024).
//
// A phone's calls must share a worker for features that join two of its calls: attended
// transfer joins the call A–B with B's consultation call B–C, and each call lives on one worker
// loop. B's phone chooses the consultation's Call-ID, so by the hash alone the two calls share a
// worker with probability 1/N. Therefore a new INVITE (no To tag) from an extension that is
// already in a call is placed on that call's worker (and, failing that, an INVITE to an
// extension that is in a call); its Call-ID is then *pinned* there, and every later message
// with that Call-ID (retransmissions, CANCEL, ACK, in-dialog requests, responses) follows the
// pin instead of the hash. Calls of an idle extension are placed by the hash as before, so
// load still spreads over the workers.
//
// Where extensions' calls are comes from the B2BUA's call-state reports (call_state.hpp), fed
// in by each worker through a PlacementReporter. A pin made for an INVITE lasts `linger` unless
// the call it started is reported (then it lasts for the call's life), and `linger` after the
// call's last dialog with that Call-ID ends, so that retransmissions still reach the transactions
// on the worker that served them.
//
// Thread-safety: every method may be called from any thread (one mutex; map updates only, never
// any I/O under it). A message whose Call-ID is not pinned costs one atomic load while no pin
// exists at all.

#include <atomic>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/clock.hpp"
#include "protocol/sip/message.hpp"
#include "sip/call_state.hpp"
#include "store/store.hpp"

namespace parley::sip {

struct CallPlacementOptions {
  std::size_t workers = 1;
  const Clock& clock;
  // How long a pin outlives its call, or an INVITE no call came of (64*T1 on UDP).
  Duration linger = std::chrono::seconds(32);
  // The tenant a From or Request-URI host names (a tenant's domain or alias); nullopt for
  // anything else. Called without the mutex held. Empty = placement by the hash only.
  std::function<std::optional<store::TenantId>(std::string_view host)> tenant_of_host;
  // The extensions whose ringing calls `dialled` (a Request-URI user, unescaped) may pick up
  // for `caller` of `tenant` (decision 0031), empty when it is no pickup code. Called without
  // the mutex held. Empty function = pickup INVITEs are placed like any other.
  std::function<std::vector<std::string>(store::TenantId tenant, std::string_view caller,
                                         std::string_view dialled)>
      pickup_from;
};

class CallPlacement {
 public:
  explicit CallPlacement(CallPlacementOptions options);
  CallPlacement(const CallPlacement&) = delete;
  CallPlacement& operator=(const CallPlacement&) = delete;

  // The worker that must handle `message`, one that needs_call_affinity(): the pin of its
  // Call-ID; for a new INVITE with no pin, the worker of the call its Replaces names, of the
  // longest-ringing call it may pick up (options.pickup_from), else where its caller (else its
  // callee) is in a call, pinning the Call-ID there when that is not its hash; else
  // call_owner().
  std::size_t route(const protocol::sip::Message& message);

  // The worker that owns the call whose caller leg has `call_id`: its pin, else call_owner().
  std::size_t owner(std::string_view call_id);

  // One call-state report of worker `worker`'s B2BUA (PlacementReporter passes them on).
  void note(std::size_t worker, const ExtensionCallState& state);

  // Pins in force or lingering (for tests and metrics).
  std::size_t pin_count() const { return pin_count_.load(std::memory_order_relaxed); }

 private:
  struct Pin {
    std::size_t worker = 0;
    TimePoint expires = TimePoint::max();  // max(): its call is alive
  };
  struct PartyDialog {
    std::string dialog_id;
    std::size_t worker = 0;
    bool confirmed = false;
    bool ringing_here = false;  // the party is the recipient and its devices ring (pickup)
    TimePoint since{};          // first reported
    // Filed for a member a ring group (or forwarding) rings on the recipient's behalf: found by
    // pickup only, never taken for the member's own calls by party_worker().
    bool member = false;
  };

  // The worker of `key`'s most recently confirmed dialog, else its most recent one.
  std::optional<std::size_t> party_worker(const std::string& key) const;
  // The worker of the longest-ringing call at any of `keys` (as recipient).
  std::optional<std::size_t> ringing_worker(const std::vector<std::string>& keys) const;
  // Files (ringing) or drops (any other phase) `state`'s dialog under its rung members' keys.
  // Mutex held.
  void note_members(std::size_t worker, const ExtensionCallState& state, TimePoint now);
  // Erases expired pins, at most once per `linger / 4`. Mutex held.
  void purge(TimePoint now);
  // Mutex held.
  std::optional<std::size_t> pinned(std::string_view call_id, TimePoint now);

  CallPlacementOptions options_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Pin> pins_;                          // by Call-ID
  std::unordered_map<std::string, std::vector<PartyDialog>> parties_;  // by party key
  // The member keys each ringing recipient dialog is filed under (by dialog id).
  std::unordered_map<std::string, std::vector<std::string>> member_keys_;
  std::atomic<std::size_t> pin_count_{0};
  TimePoint next_purge_{};
};

// The key CallPlacement files an extension's calls under.
std::string placement_party_key(store::TenantId tenant, std::string_view extension);

// A worker's CallStateListener: tells the placement where the extensions' calls are, then passes
// each report on unchanged to `next` (may be null). Thread-safety: as CallPlacement.
class PlacementReporter final : public CallStateListener {
 public:
  PlacementReporter(CallPlacement& placement, std::size_t worker, CallStateListener* next)
      : placement_(placement), worker_(worker), next_(next) {}
  void on_call_state(const ExtensionCallState& state) override;

 private:
  CallPlacement& placement_;
  std::size_t worker_;
  CallStateListener* next_;
};

}  // namespace parley::sip
