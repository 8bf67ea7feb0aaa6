#include "sip/replaces_match.hpp"

namespace parley::sip {

bool replaces_names(const Dialog& dialog, const protocol::sip::Replaces& replaces) {
  return !replaces.call_id.empty() && dialog.call_id == replaces.call_id &&
         dialog.local_tag == replaces.to_tag && dialog.remote_tag == replaces.from_tag;
}

int replaces_refusal(DialogPhase phase, const protocol::sip::Replaces& replaces) {
  switch (phase) {
    case DialogPhase::kEarlyInitiatedByPeer:
      return 481;
    case DialogPhase::kConfirmed:
      return replaces.early_only ? 486 : 0;
    case DialogPhase::kTerminated:
      return 603;
    case DialogPhase::kEarlyInitiatedByUs:
      return 0;
  }
  return 481;
}

}  // namespace parley::sip
