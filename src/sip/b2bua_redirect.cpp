// An application that answered a call passes the caller on (an IVR choice, decision 0022).
//
// To a number: the B2BUA plans it as if the caller had dialled it, anchors media with a new
// CallMedia offered the caller's last SDP offer, and rings the plan's stages one after the other
// with the blind-transfer machinery (B2buaTransfer::from_application: no REFER, no NOTIFY, the
// "transferor" is the application's side, which has no leg): forwarding on no answer, the busy
// hook (decision 0052) and at the end the plan's application, e.g. the voicemail box (decision
// 0058). A queue's "agent:" offer rings only the agent's devices. The application keeps the
// caller meanwhile. When a device answers, its leg becomes the callee leg, the application's
// session ends and the caller gets a re-INVITE whose offer is the relay's side of the media.
// When nobody answers and the plan has nothing left, the relay is dropped and the application
// hears on_redirect_failed().
//
// To another application ("app:voicemail:1001", or a number the dial plan answers with one):
// the new session answers the caller's last offer, replaces the old one at once, and the caller
// gets a re-INVITE with its SDP.

#include <utility>

#include "protocol/sip/headers.hpp"
#include "protocol/sip/uri.hpp"
#include "sip/b2bua.hpp"
#include "sip/b2bua_branch_offer.hpp"
#include "sip/b2bua_call.hpp"

namespace parley::sip {
namespace {

using protocol::sip::Message;

constexpr std::string_view kApplicationPrefix = "app:";
// A queue offers its caller to one agent: that extension's devices ring, its forwarding and
// voicemail do not apply (the queue tries the next agent).
constexpr std::string_view kAgentPrefix = "agent:";

bool refused_busy(int status) {
  return status == 486 || status == 600 || status == 603;
}

std::string uri_of(std::string_view party) {
  auto parsed = protocol::sip::parse_name_addr(party);
  return parsed.ok() ? std::string(parsed->uri_text) : std::string();
}

}  // namespace

void B2bua::attach_redirect(Call& call) {
  if (call.local == nullptr) return;
  const CallId id = call.id;
  call.local->set_redirect(
      [this, id](std::string target) { request_local_redirect(id, std::move(target)); });
}

void B2bua::request_local_redirect(CallId id, std::string target) {
  Call* call = find_call(id);
  if (call == nullptr || call->local == nullptr || call->transfer != nullptr ||
      call->local_redirect_timer != kNoTimer) {
    return;
  }
  call->redirect_target = std::move(target);
  call->local_redirect_timer = schedule(id, TimerKind::kLocalRedirect, Duration::zero());
  if (options_.wake) options_.wake();
}

void B2bua::start_redirect(Call& call) {
  if (call.local == nullptr || call.transfer != nullptr || !call.answered) return;
  const std::string target = std::move(call.redirect_target);
  if (target.starts_with(kApplicationPrefix)) {
    redirect_to_application(call, std::string_view(target).substr(kApplicationPrefix.size()));
    return;
  }
  if (call.tenant_domain.empty() || call.local_offer.empty()) {
    fail_redirect(call, 500);
    return;
  }
  const bool follow_plan = !target.starts_with(kAgentPrefix);
  const std::string number = follow_plan ? target : target.substr(kAgentPrefix.size());
  const CallTenant tenant{call.tenant, call.tenant_domain};
  CallPlan plan = options_.routing.plan_call(tenant, call.caller, number);
  if (!plan.application.empty()) {
    redirect_to_application(call, plan.application);
    return;
  }
  if (plan.reject_status != 0) {
    fail_redirect(call, plan.reject_status);
    return;
  }
  if (plan.stages.empty()) {
    // Nobody to ring (no registered device): the plan's own end, e.g. the voicemail box.
    if (follow_plan && !plan.exhausted_application.empty()) {
      redirect_to_application(call, plan.exhausted_application);
    } else {
      fail_redirect(call, 404);
    }
    return;
  }
  if (options_.media == nullptr) {
    fail_redirect(call, 501);
    return;
  }
  Leg& caller = leg(call, Side::kCaller);
  auto media = options_.media->create(CallMediaInfo{call.id, call.caller, target, call.tenant,
                                                    call.tenant_domain, caller.dialog.call_id});
  if (!media.ok()) {
    fail_redirect(call, media.error().code);
    return;
  }
  auto offer = (*media)->offer(MediaSide::kCaller, call.local_offer);
  if (!offer.ok()) {
    ++stats_.sdp_refused;
    fail_redirect(call, offer.error().code);
    return;
  }
  call.media = std::move(media).value();

  auto transfer = std::make_unique<B2buaTransfer>();
  transfer->from_application = true;
  transfer->transferor = 1;
  transfer->transferor_gone = true;
  transfer->target = number;
  transfer->domain = call.tenant_domain;
  transfer->transferee_uri = uri_of(caller.dialog.remote_party);
  transfer->start_ms = now_ms();
  transfer->follow_plan = follow_plan;
  transfer->offer = std::move(offer).value();
  if (follow_plan) {
    transfer->later_stages.assign(std::make_move_iterator(plan.stages.begin() + 1),
                                  std::make_move_iterator(plan.stages.end()));
    transfer->exhausted_application = std::move(plan.exhausted_application);
  }
  call.transfer = std::move(transfer);
  if (!ring_redirect_stage(call, plan.stages.front()) && !next_redirect_stage(call, 480)) {
    fail_redirect(call, 480);
  }
}

bool B2bua::ring_redirect_stage(Call& call, const RingStage& stage) {
  B2buaTransfer& transfer = *call.transfer;
  const Leg& caller = leg(call, Side::kCaller);
  transfer.best_status = 0;
  transfer.best_reason.clear();
  transfer.when_busy = transfer.follow_plan ? stage.when_busy : nullptr;
  for (const std::string& extension : stage.extensions) {
    for (const auto& binding : options_.location.lookup(call.tenant, extension)) {
      if (transfer.branches.size() >= 0xffffU) break;
      auto peer = options_.routing.binding_peer(binding);
      if (!peer) continue;
      if (peer->local.empty()) peer->local = caller.dialog.peer.local;
      // A browser gets WebRTC, a phone over TLS SDES-SRTP (decision 0048), as ring stages do.
      if (auto secured = secured_branch_offer(*call.media, MediaSide::kCallee, peer->transport)) {
        (void)send_transfer_branch(call, *secured, *peer, binding);
        continue;
      }
      (void)send_transfer_branch(call, transfer.offer, *peer, binding);
    }
  }
  if (transfer.live_branches == 0) return false;
  const Duration timeout =
      stage.timeout > Duration::zero() ? stage.timeout : options_.no_answer_timeout;
  transfer.no_answer_timer = schedule(call.id, TimerKind::kTransferNoAnswer, timeout);
  return true;
}

bool B2bua::next_redirect_stage(Call& call, int status) {
  B2buaTransfer& transfer = *call.transfer;
  if (!transfer.follow_plan) return false;
  cancel_transfer_branches(call, false);
  transfer.live_branches = 0;
  cancel_timer(transfer.no_answer_timer);
  transfer.no_answer_timer = kNoTimer;
  auto when_busy = std::move(transfer.when_busy);
  transfer.when_busy = nullptr;
  std::optional<CallPlan> rest;
  if (refused_busy(status) && when_busy) rest = when_busy();
  if (rest) {
    // The extension's busy forward replaces the rest of the plan (decision 0052).
    if (!rest->application.empty()) {
      transfer.later_stages.clear();
      transfer.exhausted_application = std::move(rest->application);
    } else {
      transfer.later_stages = std::move(rest->stages);
      transfer.exhausted_application = std::move(rest->exhausted_application);
    }
  } else if (status >= 600) {
    return false;  // a 6xx ends the search, as in a call's own plan
  }
  while (!transfer.later_stages.empty()) {
    const RingStage stage = std::move(transfer.later_stages.front());
    transfer.later_stages.erase(transfer.later_stages.begin());
    if (ring_redirect_stage(call, stage)) return true;  // else: nobody registered there
  }
  if (transfer.exhausted_application.empty()) return false;
  const std::string application = std::move(transfer.exhausted_application);
  call.transfer.reset();
  call.media.reset();
  redirect_to_application(call, application);
  return true;
}

void B2bua::redirect_to_application(Call& call, std::string_view application) {
  if (options_.applications == nullptr || call.local_offer.empty()) {
    fail_redirect(call, 404);
    return;
  }
  const CallId id = call.id;
  auto session = options_.applications->create(
      CallMediaInfo{id, call.caller, call.callee, call.tenant, call.tenant_domain,
                    leg(call, Side::kCaller).dialog.call_id},
      application, [this, id] { request_local_hang_up(id); });
  if (!session.ok()) {
    fail_redirect(call, session.error().code);
    return;
  }
  auto answer = (*session)->answer(call.local_offer);
  if (!answer.ok()) {
    ++stats_.sdp_refused;
    fail_redirect(call, answer.error().code);
    return;
  }
  call.local = std::move(session).value();
  attach_redirect(call);
  reinvite_caller(call, *answer);
}

void B2bua::fail_redirect(Call& call, int status) {
  if (call.transfer != nullptr) {
    cancel_transfer_branches(call, false);
    cancel_timer(call.transfer->no_answer_timer);
    call.transfer.reset();
  }
  call.media.reset();
  if (call.local != nullptr) call.local->on_redirect_failed(status);
}

void B2bua::reinvite_leg(Call& call, Side side, std::string_view sdp) {
  Leg& l = leg(call, side);
  // Our ACK for its 2xx: sent as soon as the 2xx arrives (on_own_invite_response).
  l.ack_cseq = l.dialog.local_cseq + 1;
  l.ack_sent = false;
  ClientContext context;
  context.kind = ClientKind::kOther;
  context.side = side;
  context.call = call.id;
  auto sent = send_in_dialog(call, side, "INVITE", context, {}, "application/sdp", sdp);
  if (!sent.ok()) hang_up(call, store::HangupSide::kSystem, true, true);
}

void B2bua::on_own_invite_response(ClientContext& context, const Message& response) {
  Call* call = find_call(context.call);
  if (call == nullptr) return;
  Leg& l = leg(*call, context.side);
  const int status = response.status_code();
  if (status >= 200 && status < 300) {
    if (l.ack_cseq == response.cseq_number() && !l.ack_sent) send_ack(*call, context.side, {}, {});
    // A call an application took over by transfer (b2bua_park.cpp) learns the caller's SDP
    // here: the application hears its real address, a later redirect offers it on.
    if (call->local != nullptr && call->local_offer.empty() && !response.body().empty()) {
      call->local_offer = std::string(response.body());
      (void)call->local->answer(call->local_offer);
    }
    return;
  }
  // The caller refused the new media: its RTP goes nowhere now, so the call ends.
  if (status >= 300 && l.ack_cseq == response.cseq_number()) {
    l.ack_cseq = 0;
    hang_up(*call, store::HangupSide::kSystem, true, true);
  }
}

}  // namespace parley::sip
