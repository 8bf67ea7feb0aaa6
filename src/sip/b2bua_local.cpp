// Calls Parley answers itself (CallPlan::application): a conference room, voicemail, an IVR.
// Only the caller's leg exists; its SDP offers go to the call's LocalSession, which answers
// them, and the application may end the call (LocalSessionFactory's hang_up), which the B2BUA
// does on a later turn of the loop so that a session never sees its own destruction mid-call.

#include <utility>

#include "protocol/sip/headers.hpp"
#include "sip/b2bua.hpp"
#include "sip/b2bua_call.hpp"

namespace parley::sip {

namespace {

using b2bua_detail::kAllow;
using protocol::sip::HeaderId;
using protocol::sip::Message;
using protocol::sip::Method;
using protocol::sip::ResponseOptions;

constexpr std::string_view kSdpType = "application/sdp";

}  // namespace

void B2bua::start_local_call(ServerTransaction& transaction, const Message& invite,
                             const CallTenant& tenant, std::string caller, std::string callee,
                             std::string_view application, std::shared_ptr<void> keep_alive) {
  auto refuse = [&](int status, std::string_view reason) {
    ++stats_.calls_rejected;
    reject(transaction, status, reason);
  };
  if (options_.applications == nullptr) {
    refuse(404, {});
    return;
  }
  // We answer, so we need the caller's offer; an offer of our own in the 200 (RFC 3261
  // §13.2.1 late offer) is not supported for applications.
  if (invite.body().empty()) {
    refuse(488, "SDP Offer Required");
    return;
  }
  auto dialog = make_uas_dialog(invite, options_.layer.make_tag(), transaction.peer());
  if (!dialog.ok()) {
    reject(transaction, 400, dialog.error().message);
    return;
  }
  auto owned = std::make_unique<Call>();
  Call& call = *owned;
  call.id = next_call_++;
  const CallId id = call.id;
  auto session = options_.applications->create(
      CallMediaInfo{id, caller, callee, tenant.id, tenant.domain, std::string(invite.call_id())},
      application, [this, id] { request_local_hang_up(id); });
  if (!session.ok()) {
    refuse(session.error().code, session.error().message);
    return;
  }
  call.local = std::move(session).value();
  auto answer = call.local->answer(invite.body());
  if (!answer.ok()) {
    ++stats_.sdp_refused;
    refuse(answer.error().code, answer.error().message);
    return;
  }
  call.tenant = tenant.id;
  call.callee_tenant = tenant.id;
  call.tenant_domain = tenant.domain;
  call.local_offer = std::string(invite.body());
  call.caller = std::move(caller);
  call.callee = std::move(callee);
  // A DID answered by an application holds its trunk channel until the call ends (decision
  // 0026); a refusal above drops it at once.
  call.keep_alive = std::move(keep_alive);
  call.start_ms = now_ms();
  call.answer_ms = call.start_ms;
  call.answered = true;
  call.invite_offer = true;
  call.legs[0].dialog = std::move(dialog).value();
  call.legs[0].established = true;
  calls_.emplace(id, std::move(owned));
  add_dialog(call, Side::kCaller);
  attach_redirect(call);
  ++stats_.calls_started;
  ++stats_.calls_answered;
  report_call_state(call, CallPhase::kRinging);
  report_call_state(call, CallPhase::kConfirmed);

  arm_media_timer(call, options_.media_timeout);
  send_local_answer(call, transaction, *answer);
}

void B2bua::send_local_answer(Call& call, ServerTransaction& transaction, std::string_view sdp) {
  const Leg& caller_leg = leg(call, Side::kCaller);
  ResponseOptions ok;
  ok.status_code = 200;
  ok.to_tag = caller_leg.dialog.local_tag;
  ok.extra_headers.emplace_back("Contact", contact_for(caller_leg.dialog.peer, call.callee));
  ok.extra_headers.emplace_back("Allow", std::string(kAllow));
  ok.extra_headers.emplace_back("Server", options_.user_agent);
  ok.content_type = kSdpType;
  ok.body = sdp;
  answer_2xx(call, Side::kCaller, transaction,
             protocol::sip::build_response(transaction.request(), ok), 200);
}

void B2bua::answer_with_application(Call& call, store::Disposition unanswered) {
  const int fallback = call.exhausted_status != 0 ? call.exhausted_status : 480;
  ServerTransaction* server = options_.layer.find_server(call.invite);
  const Message* invite = server != nullptr ? &server->request() : nullptr;
  if (options_.applications == nullptr || invite == nullptr || invite->body().empty()) {
    finish_ringing(call, fallback, {}, unanswered, store::HangupSide::kSystem);
    return;
  }
  const CallId id = call.id;
  auto session = options_.applications->create(
      CallMediaInfo{id, call.caller, call.callee, call.tenant, {}, call.legs[0].dialog.call_id},
      call.exhausted_application, [this, id] { request_local_hang_up(id); });
  if (!session.ok()) {
    finish_ringing(call, fallback, {}, unanswered, store::HangupSide::kSystem);
    return;
  }
  auto answer = (*session)->answer(invite->body());
  if (!answer.ok()) {
    ++stats_.sdp_refused;
    finish_ringing(call, answer.error().code, answer.error().message, store::Disposition::kFailed,
                   store::HangupSide::kSystem);
    return;
  }
  // The relay set up for the devices is not needed any more: media ends at the application.
  call.media.reset();
  call.local = std::move(session).value();
  call.local_offer = std::string(invite->body());
  attach_redirect(call);
  cancel_timer(call.no_answer_timer);
  std::vector<TransactionId>().swap(call.branches);
  std::vector<std::uint32_t>().swap(call.branch_targets);
  std::vector<RingStage>().swap(call.stages);
  std::string().swap(call.branch_offer);
  call.answered = true;
  call.answer_ms = now_ms();
  ++stats_.calls_answered;
  report_call_state(call, CallPhase::kConfirmed);
  invites_.erase(call.invite);
  call.invite = 0;
  arm_media_timer(call, options_.media_timeout);
  send_local_answer(call, *server, *answer);
}

void B2bua::on_local_request(Call& call, ServerTransaction& transaction, const Message& request) {
  Leg& caller = leg(call, Side::kCaller);
  const Method method = request.method();
  switch (method) {
    case Method::kInvite:
    case Method::kUpdate: {
      if (method == Method::kInvite && caller.pending_2xx_cseq != 0) {
        reject(transaction, 491);  // §14.2: our 2xx to the last INVITE still awaits its ACK
        return;
      }
      if (!refresh_target(caller.dialog, request)) {
        reject(transaction, 400, "Invalid Contact");
        return;
      }
      if (request.body().empty()) {
        // A session refresh without an offer; we have nothing new to say.
        if (method == Method::kInvite) {
          reject(transaction, 488, "SDP Offer Required");
        } else {
          reject(transaction, 200, {}, {{"Contact", contact_for(caller.dialog.peer, call.callee)}});
        }
        return;
      }
      auto answer = call.local->answer(request.body());
      if (!answer.ok()) {
        ++stats_.sdp_refused;
        reject(transaction, answer.error().code, answer.error().message);
        return;
      }
      call.local_offer = std::string(request.body());
      ResponseOptions ok;
      ok.status_code = 200;
      ok.to_tag = caller.dialog.local_tag;
      ok.extra_headers.emplace_back("Contact", contact_for(caller.dialog.peer, call.callee));
      ok.extra_headers.emplace_back("Allow", std::string(kAllow));
      ok.extra_headers.emplace_back("Server", options_.user_agent);
      ok.content_type = kSdpType;
      ok.body = *answer;
      if (method == Method::kInvite) {
        answer_2xx(call, Side::kCaller, transaction,
                   protocol::sip::build_response(transaction.request(), ok), 200);
      } else {
        (void)transaction.respond(ok);
      }
      return;
    }
    case Method::kInfo:
    case Method::kOptions:
    case Method::kMessage:
      reject(transaction, 200, {}, {{"Allow", std::string(kAllow)}});
      return;
    case Method::kRefer:
      on_local_refer(call, transaction, request);
      return;
    case Method::kPrack:
      reject(transaction, 481);
      return;
    default:
      reject(transaction, 405, {}, {{"Allow", std::string(kAllow)}});
      return;
  }
}

void B2bua::request_local_hang_up(CallId id) {
  Call* call = find_call(id);
  if (call == nullptr || call->local == nullptr || call->local_hang_up_timer != kNoTimer) return;
  call->local_hang_up_timer = schedule(id, TimerKind::kLocalHangUp, Duration::zero());
  if (options_.wake) options_.wake();
}

}  // namespace parley::sip
