// Call pickup (*8 and **EXT, decision 0031): the picker's INVITE rings nobody; it takes over the
// callee side of a call that is still ringing on this worker. Every branch of that call is
// cancelled as "completed elsewhere", the caller gets 200 with the relay's answer to its offer,
// and the picker gets 200 with the relay's callee-side address, both made from the crossing
// offers by answer_crossed_offers (the picker's INVITE carries an offer of its own while the
// caller's offer is still unanswered). Either party may be secure (decision 0043): a browser or
// SDES caller keeps its leg, and a browser or SDES picker is answered from the relay's offer
// rendered for it (webrtc_offer, sdes_offer). CallPlacement sends the pickup INVITE to the worker
// where the ringing call lives, so two pickers of one call meet on one loop: the first one
// takes it and the second finds nothing (480).

#include <algorithm>
#include <utility>

#include "protocol/sip/headers.hpp"
#include "protocol/sip/response.hpp"
#include "sip/b2bua.hpp"
#include "sip/b2bua_call.hpp"
#include "sip/b2bua_pickup_sdp.hpp"

namespace parley::sip {
namespace {

using protocol::sip::Message;
using protocol::sip::ResponseOptions;

// The relay's outstanding offer to the rung devices, rendered for a picker that protects its
// media as `security` says.
Result<std::string> relay_offer_for(CallMedia& media, const std::string& branch_offer,
                                    CrossedSecurity security) {
  switch (security) {
    case CrossedSecurity::kWebRtc:
      return media.webrtc_offer(MediaSide::kCallee);
    case CrossedSecurity::kSdes:
      return media.sdes_offer(MediaSide::kCallee);
    case CrossedSecurity::kPlain:
      break;
  }
  return branch_offer;
}

}  // namespace

B2bua::Call* B2bua::longest_ringing(store::TenantId tenant, std::string_view picker,
                                    const std::vector<std::string>& ringing_at) {
  Call* best = nullptr;
  for (auto& [id, owned] : calls_) {
    Call& call = *owned;
    // Only a ringing call of this tenant whose media Parley anchors and whose caller offered.
    if (call.answered || call.invite == 0 || call.local != nullptr || call.media == nullptr ||
        call.transfer != nullptr || !call.invite_offer || call.tenant != tenant ||
        call.callee_tenant != tenant || call.caller == picker) {
      continue;
    }
    bool rings_one = false;
    for (std::size_t branch = 0; branch < call.branches.size() && !rings_one; ++branch) {
      if (call.branches[branch] == 0 || branch >= call.branch_targets.size()) continue;
      const std::uint32_t target = call.branch_targets[branch];
      const std::size_t stage = target >> 16U;
      const std::size_t index = target & 0xffffU;
      if (stage >= call.stages.size() || index >= call.stages[stage].extensions.size()) continue;
      const std::string& extension = call.stages[stage].extensions[index];
      rings_one = std::find(ringing_at.begin(), ringing_at.end(), extension) != ringing_at.end();
    }
    if (!rings_one) continue;
    if (best == nullptr || call.start_ms < best->start_ms ||
        (call.start_ms == best->start_ms && call.id < best->id)) {
      best = &call;
    }
  }
  return best;
}

void B2bua::start_pickup(ServerTransaction& transaction, const Message& invite,
                         store::TenantId tenant, std::string picker,
                         const std::vector<std::string>& ringing_at) {
  auto refuse = [&](int status, std::string_view reason) {
    ++stats_.calls_rejected;
    reject(transaction, status, reason);
  };
  Call* found = longest_ringing(tenant, picker, ringing_at);
  if (found == nullptr) {
    refuse(480, "Nothing To Pick Up");
    return;
  }
  Call& call = *found;
  if (invite.body().empty()) {
    refuse(488, "Pickup Needs An SDP Offer");
    return;
  }
  // A secure picker is answered from the rendering of the relay's offer that carries our keys
  // for its side (decision 0043); the caller's leg keeps its own transport.
  const auto relay_offer =
      relay_offer_for(*call.media, call.branch_offer, crossed_security(invite.body()));
  if (!relay_offer.ok()) {
    refuse(488, relay_offer.error().message);
    return;
  }
  auto dialog = make_uas_dialog(invite, options_.layer.make_tag(), transaction.peer());
  if (!dialog.ok()) {
    refuse(400, dialog.error().message);
    return;
  }
  ServerTransaction* server = options_.layer.find_server(call.invite);
  if (server == nullptr) {
    refuse(480, "Nothing To Pick Up");
    return;
  }
  auto answers = answer_crossed_offers(*relay_offer, invite.body());
  if (!answers.ok()) {
    refuse(answers.error().code, answers.error().message);
    return;
  }
  // From here on the relay's callee side points at the picker.
  auto for_caller = call.media->answer(MediaSide::kCallee, answers->relay_answer);
  if (!for_caller.ok()) {
    ++stats_.sdp_refused;
    refuse(for_caller.error().code, for_caller.error().message);
    return;
  }

  // The rung devices stop ringing and do not list a missed call (RFC 3326).
  for (TransactionId branch : call.branches) {
    if (branch != 0) cancel_branch(branch, true);
  }
  report_call_state(call, CallPhase::kTerminated);  // BLF: the rung extension is idle again
  forget_ringing(call);
  invites_.erase(call.invite);
  call.invite = 0;

  Leg& callee = leg(call, Side::kCallee);
  callee = Leg{};
  callee.dialog = std::move(dialog).value();
  callee.established = true;
  add_dialog(call, Side::kCallee);
  call.callee = std::move(picker);
  call.answered = true;
  call.answer_ms = now_ms();
  ++stats_.calls_answered;
  report_call_state(call, CallPhase::kConfirmed);
  arm_media_timer(call, options_.media_timeout);

  const CallId id = call.id;
  answer_newcomer(call, Side::kCallee, transaction, answers->newcomer_answer);
  Call* still = find_call(id);
  if (still == nullptr) return;  // the picker's 200 could not be sent: the call ended
  const Leg& caller = leg(*still, Side::kCaller);
  ResponseOptions answer;
  answer.status_code = 200;
  answer.to_tag = caller.dialog.local_tag;
  answer.extra_headers.emplace_back("Contact", contact_for(caller.dialog.peer, still->callee));
  answer.extra_headers.emplace_back("Allow", std::string(b2bua_detail::kAllow));
  answer.extra_headers.emplace_back("Server", options_.user_agent);
  answer.content_type = "application/sdp";
  answer.body = *for_caller;
  answer_2xx(*still, Side::kCaller, *server,
             protocol::sip::build_response(server->request(), answer), 200);
}

void B2bua::answer_newcomer(Call& call, Side side, ServerTransaction& transaction,
                            std::string_view sdp) {
  const Leg& newcomer = leg(call, side);
  const std::string& other = side == Side::kCaller ? call.callee : call.caller;
  ResponseOptions ok;
  ok.status_code = 200;
  ok.to_tag = newcomer.dialog.local_tag;
  ok.extra_headers.emplace_back("Contact", contact_for(newcomer.dialog.peer, other));
  ok.extra_headers.emplace_back("Allow", std::string(b2bua_detail::kAllow));
  ok.extra_headers.emplace_back("Server", options_.user_agent);
  ok.content_type = "application/sdp";
  ok.body = sdp;
  answer_2xx(call, side, transaction, protocol::sip::build_response(transaction.request(), ok),
             200);
}

}  // namespace parley::sip
