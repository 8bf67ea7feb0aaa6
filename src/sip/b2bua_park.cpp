// A blind transfer whose target is an application Parley answers itself (call park, decision
// 0030): desk phones park a call by REFERring it to the park code (700) or to a slot (701).
//
// Nothing rings, so the transfer completes within the REFER's own turn of the loop: the
// application's session answers an offer built from the transferee's current codec
// (CallMedia::transfer_offer), the transferor gets 202, a NOTIFY 100 and at once the final
// NOTIFY (reason phrase: the session's summary, "Parked at 701") and our BYE; the relay ends and
// the transferee gets a re-INVITE to the application's media. From then on the call is one
// Parley answers itself (b2bua_local.cpp) whose caller leg is the transferee's: when the
// transferor was the caller, the callee's leg moves into the caller's place. The transferee's
// 2xx tells the call its SDP (on_own_invite_response), which a later redirect offers on (the
// park timeout ringing the parker back).

#include <utility>

#include "sip/b2bua.hpp"
#include "sip/b2bua_call.hpp"

namespace parley::sip {

using protocol::sip::Message;

void B2bua::transfer_to_application(Call& call, Side from, ServerTransaction& transaction,
                                    const Message& refer, std::string_view application,
                                    std::string_view target) {
  const Side other = from == Side::kCaller ? Side::kCallee : Side::kCaller;
  const std::string transferee_number = from == Side::kCaller ? call.callee : call.caller;
  if (options_.applications == nullptr) {
    reject(transaction, 404);
    return;
  }
  auto offer = transfer_offer_for(call, from, transaction);
  if (!offer) return;
  const CallId id = call.id;
  auto session = options_.applications->create(
      CallMediaInfo{id, transferee_number, std::string(target), call.tenant, call.tenant_domain,
                    leg(call, other).dialog.call_id},
      application, [this, id] { request_local_hang_up(id); });
  if (!session.ok()) {
    // A full park lot (486), an empty or foreign slot (404): the transferor keeps its call.
    reject(transaction, session.error().code, session.error().message);
    return;
  }
  auto answer = (*session)->answer(*offer);
  if (!answer.ok()) {
    ++stats_.sdp_refused;
    reject(transaction, answer.error().code, answer.error().message);
    return;
  }

  complete_refer_at_once(call, from, transaction, refer, transferee_number, (*session)->summary());

  // The transferor leaves; the call so far ends as answered, hung up by it.
  bye_leg(call, from);
  write_record(call, store::Disposition::kAnswered,
               from == Side::kCaller ? store::HangupSide::kCaller : store::HangupSide::kCallee);
  report_call_state(call, CallPhase::kTerminated);
  release_legs(call);
  if (from == Side::kCaller) call.legs[0] = std::move(call.legs[1]);
  call.legs[1] = Leg{};
  add_dialog(call, Side::kCaller);

  // A new record starts: the transferee calls the application.
  call.caller = transferee_number;
  call.callee = std::string(target);
  call.record_swapped = false;
  call.start_ms = now_ms();
  call.answer_ms = call.start_ms;
  call.end_reason = store::EndReason::kNormal;
  call.media.reset();
  call.holding = {};
  call.local = std::move(session).value();
  call.local_offer.clear();  // learnt from the transferee's answer to our re-INVITE
  attach_redirect(call);
  report_call_state(call, CallPhase::kConfirmed);
  arm_media_timer(call, options_.media_timeout);
  reinvite_caller(call, *answer);
}

}  // namespace parley::sip
