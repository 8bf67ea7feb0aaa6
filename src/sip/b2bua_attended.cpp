// Attended transfer (RFC 3515 REFER whose Refer-To carries Replaces, RFC 3891): the transferor
// B is in a call with A (the call the REFER arrives in) and in a consultation call with C (the
// dialog Replaces names). We re-INVITE C with an offer anchored on B's leg of A's relay, so A is
// never re-INVITEd; once C answers, C's dialog takes B's place in A's call and both of B's legs
// end. Rules and reasons: docs/decisions/0024-attended-transfer-and-pickup.md.

#include <utility>

#include "protocol/sip/headers.hpp"
#include "protocol/sip/replaces.hpp"
#include "sip/b2bua.hpp"
#include "sip/b2bua_call.hpp"
#include "sip/replaces_match.hpp"

namespace parley::sip {
namespace {

using protocol::sip::Message;
using protocol::sip::ResponseOptions;

MediaSide media_side_of(std::uint8_t index) {
  return index == 0 ? MediaSide::kCaller : MediaSide::kCallee;
}

}  // namespace

void B2bua::on_attended_refer(Call& call, Side from, ServerTransaction& transaction,
                              const Message& refer, std::string_view replaces_text) {
  auto replaces = protocol::sip::parse_replaces(replaces_text);
  if (!replaces.ok()) {
    reject(transaction, 400, "Bad Replaces In Refer-To");
    return;
  }
  DialogRef* ref = find_dialog(replaces->call_id, replaces->to_tag);
  Call* consultation = ref != nullptr ? find_call(ref->call) : nullptr;
  const Side consultation_side = ref != nullptr ? ref->side : Side::kCaller;
  if (consultation != nullptr &&
      !replaces_names(leg(*consultation, consultation_side).dialog, *replaces)) {
    consultation = nullptr;
  }
  const std::string& transferor_number = from == Side::kCaller ? call.caller : call.callee;
  if (consultation == &call) {
    reject(transaction, 403, "Transfer Loop");
    return;
  }
  if (consultation != nullptr) {
    if (consultation->tenant != call.tenant) {
      reject(transaction, 403, "Transfer To Another Tenant Not Allowed");
      return;
    }
    const std::string& party =
        consultation_side == Side::kCaller ? consultation->caller : consultation->callee;
    if (party != transferor_number) {
      reject(transaction, 403, "Replaces Names A Call Of Someone Else");
      return;
    }
    if (consultation->local != nullptr || consultation->media == nullptr) {
      reject(transaction, 501, "Cannot Transfer Into This Call");
      return;
    }
    if (consultation->transfer != nullptr) {
      reject(transaction, 491, "Transfer Already Pending");
      return;
    }
    for (const Leg& l : consultation->legs) {
      if (l.invite_client != 0 || l.invite_server != 0 || l.pending_2xx_cseq != 0) {
        reject(transaction, 491);  // an offer/answer exchange is under way
        return;
      }
    }
  }
  if (consultation == nullptr && options_.dialog_elsewhere &&
      options_.dialog_elsewhere(replaces->call_id)) {
    // The consultation lives on another worker's loop: no call can be joined across loops
    // (decision 0024), so the REFER is refused and both calls go on (decision 0041).
    reject(transaction, 501, "Consultation Call Is On Another Worker");
    return;
  }
  const Side target_side = consultation_side == Side::kCaller ? Side::kCallee : Side::kCaller;
  std::string offer;
  if (consultation != nullptr && consultation->answered) {
    const Leg& target_leg = leg(*consultation, target_side);
    const bool browser = target_leg.dialog.peer.transport == TransportKind::kWs ||
                         target_leg.dialog.peer.transport == TransportKind::kWss;
    const MediaSide anchor = from == Side::kCaller ? MediaSide::kCaller : MediaSide::kCallee;
    auto made = call.media->transfer_offer(anchor);
    // webrtc_offer renders the offer transfer_offer just made, for a browser target.
    if (browser && made.ok()) made = call.media->webrtc_offer(anchor);
    if (!made.ok()) {
      reject(transaction, made.error().code, made.error().message);
      return;
    }
    offer = std::move(made).value();
  }

  auto transfer = std::make_unique<B2buaTransfer>();
  transfer->transferor = from == Side::kCaller ? 0 : 1;
  transfer->refer_cseq = refer.cseq_number();
  transfer->start_ms = now_ms();
  call.transfer = std::move(transfer);
  ResponseOptions accepted;
  accepted.status_code = 202;
  accepted.extra_headers.emplace_back("Server", options_.user_agent);
  (void)transaction.respond(accepted);
  notify_transferor(call, 100, "Trying", false);

  // What the transferee would have heard for its INVITE with Replaces (RFC 3891 §3), as the
  // final NOTIFY: the REFER itself was fine.
  if (consultation == nullptr) {
    fail_transfer(call, 481, "Call/Transaction Does Not Exist");
    return;
  }
  if (!consultation->answered) {
    const DialogPhase phase = consultation_side == Side::kCaller
                                  ? DialogPhase::kEarlyInitiatedByPeer
                                  : DialogPhase::kEarlyInitiatedByUs;
    const int refusal = replaces_refusal(phase, *replaces);
    // A consultation call still ringing at C cannot be joined yet (decision 0024).
    fail_transfer(call, refusal != 0 ? refusal : 481, "Call/Transaction Does Not Exist");
    return;
  }
  if (const int refusal = replaces_refusal(DialogPhase::kConfirmed, *replaces); refusal != 0) {
    fail_transfer(call, refusal, "Busy Here");
    return;
  }

  call.transfer->consultation = consultation->id;
  call.transfer->consultation_transferor = consultation_side == Side::kCaller ? 0 : 1;
  call.transfer->target =
      target_side == Side::kCaller ? consultation->caller : consultation->callee;
  ClientContext context;
  context.kind = ClientKind::kAttended;
  context.side = target_side;
  context.call = call.id;
  context.replaced_call = consultation->id;
  auto sent =
      send_in_dialog(*consultation, target_side, "INVITE", context, {}, "application/sdp", offer);
  if (!sent.ok()) {
    fail_transfer(call, 503, "Service Unavailable");
    return;
  }
  leg(*consultation, target_side).invite_client = *sent;
  call.transfer->reinvite = *sent;
}

void B2bua::on_attended_response(ClientTransaction& transaction, ClientContext& context,
                                 const Message& response) {
  const int status = response.status_code();
  if (status < 200) return;
  const TransactionId id = transaction.id();
  Call* call = find_call(context.call);
  Call* consultation = find_call(context.replaced_call);
  const bool live = call != nullptr && call->transfer != nullptr &&
                    call->transfer->reinvite == id && consultation != nullptr;
  if (status >= 300) {
    const ClientContext copy = context;
    cancel_timer(context.forget);
    clients_.erase(id);
    on_attended_failure(copy, status, response.reason_phrase());
    return;
  }
  if (consultation == nullptr || leg(*consultation, context.side).invite_client != id) {
    // A retransmitted 2xx (our ACK answers it), or the consultation call ended meanwhile.
    if (!on_dialog_2xx(response)) {
      release_2xx(context, transaction.request(), response, transaction.peer());
      keep_for_retransmissions(id, context);
      if (call != nullptr && call->transfer != nullptr && call->transfer->reinvite == id) {
        fail_transfer(*call, 487, "Request Terminated");
      }
    }
    return;
  }
  Leg& target = leg(*consultation, context.side);
  target.invite_client = 0;
  (void)refresh_target(target.dialog, response);
  target.ack_cseq = response.cseq_number();
  target.ack_sent = false;
  std::string().swap(target.last_ack);
  keep_for_retransmissions(id, context);
  send_ack(*consultation, context.side, {}, {});  // the offer was ours, the answer is in the 2xx
  if (!live) {
    // The call to join ended while the target was re-INVITEd: its media now points nowhere.
    hang_up(*consultation, store::HangupSide::kSystem, true, true);
    return;
  }
  auto answer = call->media->answer(media_side_of(call->transfer->transferor), response.body());
  if (!answer.ok()) {
    ++stats_.sdp_refused;
    fail_transfer(*call, answer.error().code, answer.error().message);
    hang_up(*consultation, store::HangupSide::kSystem, true, true);
    return;
  }
  join_attended(*call, *consultation, *answer);
}

void B2bua::on_attended_failure(const ClientContext& context, int status, std::string_view reason) {
  if (Call* consultation = find_call(context.replaced_call)) {
    Leg& target = leg(*consultation, context.side);
    target.invite_client = 0;
  }
  Call* call = find_call(context.call);
  if (call == nullptr || call->transfer == nullptr || call->transfer->consultation == 0) return;
  fail_transfer(*call, status, reason);
}

void B2bua::join_attended(Call& call, Call& consultation, std::string_view transferee_sdp) {
  B2buaTransfer& transfer = *call.transfer;
  const Side side = transfer.transferor == 0 ? Side::kCaller : Side::kCallee;
  // A phone usually holds the transferee before it consults (RFC 5589 §7): the transferee
  // answered that hold recvonly and would stay silent after the join (decision 0057).
  const bool transferee_held = call.holding[transfer.transferor];
  const Side consulting = transfer.consultation_transferor == 0 ? Side::kCaller : Side::kCallee;
  const Side target_side = consulting == Side::kCaller ? Side::kCallee : Side::kCaller;

  // The transferor learns the outcome in the dialog it sent REFER in, then both its legs end.
  if (!transfer.transferor_gone) {
    notify_transferor(call, 200, "OK", true);
    bye_leg(call, side);
  }
  if (leg(consultation, consulting).established) bye_leg(consultation, consulting);
  retire_leg(call, side);
  write_record(
      consultation, store::Disposition::kAnswered,
      consulting == Side::kCaller ? store::HangupSide::kCaller : store::HangupSide::kCallee);
  Leg& old = leg(call, side);

  // The target's leg moves over; its timers were the consultation call's.
  Leg moved = std::move(leg(consultation, target_side));
  leg(consultation, target_side) = Leg{};
  cancel_timer(moved.retransmit_timer);
  cancel_timer(moved.ack_timer);
  cancel_timer(moved.forget_ack_timer);
  std::string target_number =
      target_side == Side::kCaller ? consultation.caller : consultation.callee;
  destroy(consultation);  // its relay and the transferor's leg in it

  old = std::move(moved);
  add_dialog(call, side);
  if (old.ack_sent) {
    old.forget_ack_timer =
        schedule(call.id, side == Side::kCaller ? TimerKind::kForgetAckA : TimerKind::kForgetAckB,
                 64 * options_.layer.timer_values().t1);
  }
  if (side == Side::kCaller) {
    call.caller = std::move(target_number);
    call.record_swapped = true;
  } else {
    call.callee = std::move(target_number);
    call.record_swapped = false;
  }
  call.start_ms = transfer.start_ms;
  call.answer_ms = now_ms();
  call.end_reason = store::EndReason::kNormal;
  call.transfer.reset();
  report_call_state(call, CallPhase::kConfirmed);
  if (transferee_held)
    reinvite_leg(call, side == Side::kCaller ? Side::kCallee : Side::kCaller, transferee_sdp);
}

bool B2bua::refuse_replacing_invite(ServerTransaction& transaction, const Message& invite,
                                    store::TenantId caller_tenant, std::string_view caller) {
  auto replaces = protocol::sip::parse_replaces(invite.first("Replaces"));
  if (!replaces.ok()) {
    reject(transaction, 400, "Bad Replaces");
    return true;
  }
  DialogRef* ref = find_dialog(replaces->call_id, replaces->to_tag);
  Call* call = ref != nullptr ? find_call(ref->call) : nullptr;
  if (call == nullptr || !replaces_names(leg(*call, ref->side).dialog, *replaces) ||
      call->tenant != caller_tenant) {
    reject(transaction, 481);
    return true;
  }
  DialogPhase phase = DialogPhase::kConfirmed;
  if (!call->answered) {
    phase = ref->side == Side::kCaller ? DialogPhase::kEarlyInitiatedByPeer
                                       : DialogPhase::kEarlyInitiatedByUs;
  }
  if (const int refusal = replaces_refusal(phase, *replaces); refusal != 0) {
    reject(transaction, refusal);
    return true;
  }
  // A confirmed leg: the new caller takes it over (b2bua_replaces.cpp, decision 0031).
  replace_dialog(transaction, invite, *call, ref->side, std::string(caller));
  return true;
}

}  // namespace parley::sip
