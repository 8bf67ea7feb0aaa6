#pragma once
// application/dialog-info+xml documents (RFC 4235) for the dialog event package, as BLF keys of
// desk phones read them. Pure text building: no state, no I/O.
//
// We always send full state (state="full"): one <dialog> per call the extension takes part in,
// and an empty <dialog-info> when it is idle. Phones (Yealink, Polycom, Snom) need only each
// dialog's <state> and direction; call-id and tags are added when known so that a phone can
// name the dialog in a later pickup (Replaces).

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "sip/call_state.hpp"

namespace parley::sip {

// RFC 4235 §4.1.6 dialog states used here.
enum class DialogInfoState : std::uint8_t { kTrying, kEarly, kConfirmed, kTerminated };
std::string_view to_text(DialogInfoState state);

// The dialog-info state for a call phase.
DialogInfoState dialog_info_state(CallPhase phase);

struct DialogInfoEntry {
  std::string_view id;
  CallDirection direction = CallDirection::kInitiator;
  DialogInfoState state = DialogInfoState::kEarly;
  std::string_view call_id;          // empty = attribute left out (then both tags are left out too)
  std::string_view local_tag;        // the watched extension's tag
  std::string_view remote_tag;       // the other end's tag
  std::string_view remote_identity;  // URI of the other party, empty = no <remote>
};

// The whole document. `entity` is the watched resource's URI ("sip:1001@example.com"),
// `version` the subscription's document counter (0 for its first NOTIFY, then +1 each).
std::string build_dialog_info(std::string_view entity, std::uint32_t version,
                              std::span<const DialogInfoEntry> dialogs);

// Escapes &, <, >, " and ' for use in XML text and attribute values; drops bytes that XML 1.0
// forbids (control characters other than tab, CR and LF).
std::string xml_escape(std::string_view text);

}  // namespace parley::sip
