#pragma once
// Which of our dialogs a Replaces value (RFC 3891) names, and whether it may be replaced. The
// B2BUA asks this for the Replaces embedded in a REFER's Refer-To (attended transfer) and for an
// INVITE that carries Replaces (decision 0024). Pure; safe from any thread.

#include <cstdint>

#include "protocol/sip/replaces.hpp"
#include "sip/dialog.hpp"

namespace parley::sip {

// Whether `replaces` names `dialog`. The tags are those of the agent receiving the INVITE with
// Replaces, which is us: to-tag is our local tag, from-tag the remote one. Call-ID and tags are
// compared exactly (RFC 3261 §12: case-sensitive).
bool replaces_names(const Dialog& dialog, const protocol::sip::Replaces& replaces);

// RFC 3891 §3's verdict on a matched dialog, as the status to answer (0 = it may be replaced):
//   - an early dialog we did not initiate (we are its UAS: a call still ringing to us) → 481;
//   - early-only given but the dialog is already confirmed → 486;
//   - a dialog that already ended → 603 (declined: there is nothing left to take over).
enum class DialogPhase : std::uint8_t {
  kEarlyInitiatedByUs,
  kEarlyInitiatedByPeer,
  kConfirmed,
  kTerminated
};
int replaces_refusal(DialogPhase phase, const protocol::sip::Replaces& replaces);

}  // namespace parley::sip
