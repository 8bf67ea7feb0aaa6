// An application that answered a call passes the caller on (an IVR choice, decision 0022).
//
// To a number: the B2BUA plans it as if the caller had dialled it, anchors media with a new
// CallMedia offered the caller's last SDP offer, and rings the first stage's devices with the
// blind-transfer machinery (B2buaTransfer::from_application: no REFER, no NOTIFY, the
// "transferor" is the application's side, which has no leg). The application keeps the caller
// meanwhile. When a device answers, its leg becomes the callee leg, the application's session
// ends and the caller gets a re-INVITE whose offer is the relay's side of the media. When nobody
// answers, the relay is dropped and the application hears on_redirect_failed().
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
  const CallTenant tenant{call.tenant, call.tenant_domain};
  const CallPlan plan = options_.routing.plan_call(tenant, call.caller, target);
  if (!plan.application.empty()) {
    redirect_to_application(call, plan.application);
    return;
  }
  if (plan.stages.empty() || plan.stages.front().extensions.empty()) {
    fail_redirect(call, plan.reject_status != 0 ? plan.reject_status : 404);
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
  transfer->target = target;
  transfer->domain = call.tenant_domain;
  transfer->transferee_uri = uri_of(caller.dialog.remote_party);
  transfer->start_ms = now_ms();
  call.transfer = std::move(transfer);

  const RingStage& stage = plan.stages.front();
  for (const std::string& extension : stage.extensions) {
    for (const auto& binding : options_.location.lookup(call.tenant, extension)) {
      if (call.transfer->branches.size() >= 0xffffU) break;
      auto peer = options_.routing.binding_peer(binding);
      if (!peer) continue;
      if (peer->local.empty()) peer->local = caller.dialog.peer.local;
      // A browser gets WebRTC, a phone over TLS SDES-SRTP (decision 0048), as ring stages do.
      if (auto secured = secured_branch_offer(*call.media, MediaSide::kCallee, peer->transport)) {
        (void)send_transfer_branch(call, *secured, *peer, binding);
        continue;
      }
      (void)send_transfer_branch(call, *offer, *peer, binding);
    }
  }
  if (call.transfer->live_branches == 0) {
    fail_redirect(call, 480);
    return;
  }
  const Duration timeout =
      stage.timeout > Duration::zero() ? stage.timeout : options_.no_answer_timeout;
  call.transfer->no_answer_timer = schedule(call.id, TimerKind::kTransferNoAnswer, timeout);
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
