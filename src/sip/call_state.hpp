#pragma once
// The seam through which the B2BUA reports what each extension's calls are doing, for the
// dialog event package (RFC 4235) and presence (RFC 3856) that BLF keys of desk phones watch.
//
// The B2BUA reports one ExtensionCallState per extension taking part in a call each time the
// call changes phase: when it starts ringing (both the caller and the callee), when it is
// answered, and when it ends. It knows nothing of subscriptions; the PresenceHub implements
// the listener and wakes the workers whose subscribers watch that extension.
//
// Thread-safety: on_call_state() is called on whichever worker loop owns the call, so an
// implementation must be thread-safe and must return at once (no I/O, no blocking).

#include <cstdint>
#include <string>
#include <vector>

#include "store/store.hpp"

namespace parley::sip {

// The phase of one call as one of its extensions sees it.
enum class CallPhase : std::uint8_t {
  kRinging,     // the INVITE is out to the callee's devices (RFC 4235 "early")
  kConfirmed,   // answered (RFC 4235 "confirmed")
  kTerminated,  // over, whatever the outcome
};

// Which end of the call the extension is (RFC 4235 "direction").
enum class CallDirection : std::uint8_t { kInitiator, kRecipient };

struct ExtensionCallState {
  store::TenantId tenant = 0;
  std::string extension;
  // Unique over the whole server and stable for the call's life: the same dialog of the same
  // extension keeps its id from ringing to terminated.
  std::string dialog_id;
  CallDirection direction = CallDirection::kInitiator;
  CallPhase phase = CallPhase::kRinging;
  // The extension's own SIP dialog, from the phone's point of view, when known: a caller's from
  // the start, a callee's once a device answered (while ringing, one INVITE per device is out).
  std::string call_id;
  std::string local_tag;     // the phone's tag
  std::string remote_tag;    // ours
  std::string remote_party;  // the other extension's number
  // The recipient's report while ringing: the other extensions whose devices the call's plan
  // rings for it (a ring group's members, a forwarding target), from which a pickup may take it
  // (CallPlacement, decision 0041); empty when only `extension` itself rings.
  std::vector<std::string> rung_members;
};

class CallStateListener {
 public:
  virtual ~CallStateListener() = default;
  virtual void on_call_state(const ExtensionCallState& state) = 0;
};

}  // namespace parley::sip
