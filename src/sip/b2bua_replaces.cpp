// An INVITE with Replaces (RFC 3891) naming a confirmed dialog of a call Parley relays
// (decision 0031): the new caller's dialog takes the named leg's place and the replaced phone
// gets BYE. The party that stays is not re-INVITEd: the relay offers the newcomer what that
// party uses now (replacing_offer: a browser or an SDES newcomer gets it rendered for it,
// decision 0047), and because the newcomer's INVITE brings an offer of its own, Parley answers
// both crossing offers itself (answer_crossed_offers). The checks
// that lead here (tenant, tags, early dialogs, early-only) are in refuse_replacing_invite.

#include <utility>

#include "protocol/sip/headers.hpp"
#include "sip/b2bua.hpp"
#include "sip/b2bua_call.hpp"
#include "sip/b2bua_pickup_sdp.hpp"
#include "sip/b2bua_replacing_offer.hpp"

namespace parley::sip {
namespace {

using protocol::sip::Message;

MediaSide media_side(bool caller_side) {
  return caller_side ? MediaSide::kCaller : MediaSide::kCallee;
}

}  // namespace

void B2bua::replace_dialog(ServerTransaction& transaction, const Message& invite, Call& call,
                           Side side, std::string newcomer) {
  if (call.local != nullptr || call.media == nullptr) {
    reject(transaction, 501, "Cannot Replace A Leg Of This Call");
    return;
  }
  if (call.transfer != nullptr) {
    reject(transaction, 491, "Transfer Pending");
    return;
  }
  for (const Leg& l : call.legs) {
    if (l.invite_client != 0 || l.invite_server != 0 || l.pending_2xx_cseq != 0) {
      reject(transaction, 491);  // an offer/answer exchange is under way
      return;
    }
  }
  if (invite.body().empty()) {
    reject(transaction, 488, "Replaces Needs An SDP Offer");
    return;
  }
  const MediaSide replaced = media_side(side == Side::kCaller);
  auto offer = replacing_offer(*call.media, replaced, crossed_security(invite.body()));
  if (!offer.ok()) {
    reject(transaction, offer.error().code, offer.error().message);
    return;
  }
  auto answers = answer_crossed_offers(*offer, invite.body());
  if (!answers.ok()) {
    reject(transaction, answers.error().code, answers.error().message);
    return;
  }
  // What the staying party's relay leg sends back is unchanged: only the replaced leg is
  // re-pointed, at the newcomer.
  if (auto repointed = call.media->answer(replaced, answers->relay_answer); !repointed.ok()) {
    ++stats_.sdp_refused;
    reject(transaction, repointed.error().code, repointed.error().message);
    return;
  }
  auto dialog = make_uas_dialog(invite, options_.layer.make_tag(), transaction.peer());
  if (!dialog.ok()) {
    reject(transaction, 400, dialog.error().message);
    return;
  }

  // The replaced phone's part ends: BYE, its own record, BLF idle.
  bye_leg(call, side);
  retire_leg(call, side);
  Leg& old = leg(call, side);
  old.dialog = std::move(dialog).value();
  old.established = true;
  add_dialog(call, side);

  // From here on the record runs from the newcomer, who placed the new call, to the party that
  // stayed.
  if (side == Side::kCaller) {
    call.caller = std::move(newcomer);
    call.record_swapped = false;
  } else {
    call.callee = std::move(newcomer);
    call.record_swapped = true;
  }
  call.start_ms = now_ms();
  call.answer_ms = call.start_ms;
  call.end_reason = store::EndReason::kNormal;
  report_call_state(call, CallPhase::kConfirmed);
  answer_newcomer(call, side, transaction, answers->newcomer_answer);
}

}  // namespace parley::sip
