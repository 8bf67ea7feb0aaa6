#pragma once
// LiveCalls: the calls in progress on this server, per tenant, for the REST API's
// /api/v1/calls/live and the admin dashboard's live counts.
//
// Fed by the same reports as the PresenceHub: it sits in front of it on the B2BUA's
// CallStateListener seam (sip/call_state.hpp), records the call and passes every report on
// unchanged. A call is keyed by the B2BUA's tag on the caller's leg (the part of the dialog id
// before "-i"/"-r"), which is unique for the server's life; only the initiator's report is
// needed to know caller, callee and phase, so the recipient's is only forwarded.
//
// Thread-safety: every method may be called from any thread. on_call_state() runs on worker
// loops: it takes one mutex for a map update, never across I/O, then calls the next listener
// without holding it. Ownership: borrows `next`, which must outlive it.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "sip/call_state.hpp"
#include "store/store.hpp"

namespace parley::app {

// One call in progress as an administrator sees it.
struct LiveCall {
  std::string id;  // the B2BUA's tag on the caller's leg
  store::TenantId tenant = 0;
  std::string caller;
  std::string callee;
  std::string call_id;  // the caller's SIP Call-ID
  bool answered = false;
  store::UnixMillis started_ms = 0;
  std::optional<store::UnixMillis> answered_ms;
};

struct LiveCallCounts {
  std::size_t ringing = 0;
  std::size_t answered = 0;
};

class LiveCalls final : public sip::CallStateListener {
 public:
  // `wall_clock` stamps started/answered times; empty = the system clock.
  explicit LiveCalls(sip::CallStateListener& next,
                     std::function<store::UnixMillis()> wall_clock = {});

  void on_call_state(const sip::ExtensionCallState& state) override;

  // The tenant's calls, oldest first.
  std::vector<LiveCall> list(store::TenantId tenant) const;
  std::optional<LiveCall> find(store::TenantId tenant, std::string_view id) const;
  // Per tenant with at least one call.
  std::map<store::TenantId, LiveCallCounts> counts() const;
  // Moves on every change: a reader that saw the same value has nothing new to read.
  std::uint64_t version() const;

 private:
  sip::CallStateListener& next_;
  std::function<store::UnixMillis()> wall_clock_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, LiveCall> calls_;  // by id; guarded by mutex_
  std::uint64_t version_ = 0;                        // guarded by mutex_
};

}  // namespace parley::app
