#pragma once
// Presence of an extension (RFC 3856) derived from its calls, registrations and do-not-disturb,
// and the application/pidf+xml document (RFC 3863, with the RFC 4480 "on-the-phone" activity)
// that carries it. Pure: no state, no I/O.
//
// The mapping (docs/feature-codes.md repeats it for users):
//   not registered                      -> closed, note "Offline"
//   do-not-disturb                      -> closed, note "Do not disturb"
//   in a call (answered)                -> open,   note "On the phone", activity on-the-phone
//   ringing only (as caller or callee)  -> open,   note "Ringing"
//   otherwise                           -> open,   note "Available"
// "open" means the extension can be reached; a phone on a call still takes a second call
// (call waiting), which is why a busy extension stays open and says why in the note.

#include <string>
#include <string_view>

namespace parley::sip {

// What presence is derived from.
struct PresenceInputs {
  bool registered = false;
  bool do_not_disturb = false;
  bool in_call = false;  // at least one confirmed dialog
  bool ringing = false;  // at least one early dialog
};

struct PresenceStatus {
  bool open = false;
  std::string_view note;
  bool on_the_phone = false;
};

PresenceStatus derive_presence(const PresenceInputs& inputs);

// The PIDF document for `entity` ("sip:1001@example.com").
std::string build_pidf(std::string_view entity, const PresenceStatus& status);

}  // namespace parley::sip
