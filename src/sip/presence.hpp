#pragma once
// Presence of an extension (RFC 3856) combined from its registrations, do-not-disturb, calls and
// the state its user chose (PUBLISH or the web client, pidf.hpp), and the application/pidf+xml
// document (RFC 3863, with RFC 4480 activities) that carries it. Pure: no state, no I/O.
//
// The combination, first match wins (docs/feature-codes.md repeats it for users; decision 0025):
//   not registered, or the user chose "offline"  -> closed, "Offline"        (state offline)
//   do-not-disturb                               -> closed, "Do not disturb" (state dnd)
//   in a call (answered)                         -> open, "On the phone", activity on-the-phone
//   ringing only (as caller or callee)           -> open, "Ringing"
//   the user chose "away"                        -> open, "Away", activity away
//   the user chose "busy"                        -> open, "Busy", activity busy
//   otherwise                                    -> open, "Available"
// Live facts (calls, DND) beat what the user said, because they say whether a call gets
// through now. "open" means the extension can be reached; a phone on a call still takes a
// second call (call waiting), which is why a busy extension stays open and says why in the note.
// The user's note travels with every registered state except "Offline" (invisible means no
// note either); in PIDF it replaces the tuple's words and the words stay in the person element.

#include <cstdint>
#include <string>
#include <string_view>

#include "sip/pidf.hpp"

namespace parley::sip {

// What presence is derived from.
struct PresenceInputs {
  bool registered = false;
  bool do_not_disturb = false;
  bool in_call = false;  // at least one confirmed dialog
  bool ringing = false;  // at least one early dialog
  UserPresence user;     // what the user chose (PUBLISH, web client); available by default
};

// What watchers see, as one word for the web client and the API.
enum class PresenceState : std::uint8_t {
  kOffline,
  kDoNotDisturb,
  kOnThePhone,
  kRinging,
  kAway,
  kBusy,
  kAvailable
};
// "offline", "dnd", "on-the-phone", "ringing", "away", "busy", "available".
std::string_view presence_state_name(PresenceState state);

struct PresenceStatus {
  bool open = false;
  std::string_view note;  // the state in words ("Away")
  bool on_the_phone = false;
  PresenceState state = PresenceState::kAvailable;
  std::string_view activity;  // RFC 4480 activity besides on-the-phone ("away", "busy"), or empty
  std::string user_note;      // the user's own words, or empty
};

PresenceStatus derive_presence(const PresenceInputs& inputs);

// The PIDF document for `entity` ("sip:1001@example.com").
std::string build_pidf(std::string_view entity, const PresenceStatus& status);

}  // namespace parley::sip
