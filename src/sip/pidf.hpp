#pragma once
// The presence a user chose for themselves (available, away, busy, or invisible), and the
// reading of it from an application/pidf+xml document (RFC 3863) that a SIP client PUBLISHes
// (RFC 3903). Pure: no state, no I/O; fuzzed by tests/fuzz/sip_pidf_fuzz.cpp.
//
// The reader is a small XML reader of its own, not a general one: PIDF documents are short and
// flat, and a general parser would bring entity expansion and DTDs to an unauthenticated-size
// input. It refuses (Error code 400 with a reason) anything over kMaxPidfBytes, nested deeper
// than kMaxPidfDepth or with more than kMaxPidfElements elements, a DOCTYPE, unknown entities,
// undeclared namespace prefixes, mismatched tags, invalid UTF-8, and a root that is not PIDF's
// <presence>. Namespaces are resolved properly: <p:presence xmlns:p="urn:ietf:params:xml:ns:pidf">
// is as good as the default namespace.
//
// What is read (all else is ignored, as RFC 3863 §4.1 asks of unknown elements):
//   <tuple><status><basic>: every tuple closed -> kOffline (the user appears offline);
//   RFC 4480 <rpid:activities> in <dm:person> or a tuple: busy, meeting, appointment,
//     performance, presentation, worship -> kBusy; away, vacation, holiday, permanent-absence,
//     travel, in-transit, steering, sleeping, meal, breakfast, lunch, dinner -> kAway (busy wins
//     when both appear); on-the-phone is ignored: Parley knows calls better from the calls;
//   the first <note> of a tuple, else of a person (dm:note), else of the presence element,
//     trimmed, control characters replaced by spaces, cut to kMaxNoteBytes at a character edge.
// The entity attribute is not compared with the Request-URI: phones disagree on its form, and
// the publisher is identified by its authentication, not by its document.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace parley::sip {

enum class UserState : std::uint8_t { kAvailable, kAway, kBusy, kOffline };

// "available", "away", "busy", "offline".
std::string_view user_state_name(UserState state);
std::optional<UserState> parse_user_state(std::string_view name);

// What a user says about themselves; the calls, registrations and do-not-disturb are added by
// derive_presence() (presence.hpp).
struct UserPresence {
  UserState state = UserState::kAvailable;
  std::string note;  // free text, empty = none; valid UTF-8, at most kMaxNoteBytes
  bool operator==(const UserPresence&) const = default;
};

inline constexpr std::size_t kMaxPidfBytes = 16 * 1024;
inline constexpr std::size_t kMaxPidfDepth = 16;
inline constexpr std::size_t kMaxPidfElements = 512;
inline constexpr std::size_t kMaxNoteBytes = 256;

Result<UserPresence> parse_pidf(std::string_view document);

// `text` with control characters replaced by spaces, trimmed and cut to kMaxNoteBytes at a
// character edge; an error (400) when it is not valid UTF-8. For notes from any source (the web
// client's too).
Result<std::string> clean_note(std::string_view text);

}  // namespace parley::sip
