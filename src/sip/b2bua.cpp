// The B2BUA's entry points, new calls, forking and the ringing phase. In-dialog behaviour lives
// in b2bua_dialog.cpp.

#include "sip/b2bua.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <utility>

#include "protocol/sip/headers.hpp"
#include "protocol/sip/uri.hpp"
#include "sip/b2bua_call.hpp"
#include "sip/request_checks.hpp"
#include "sip/transaction_messages.hpp"

namespace parley::sip {

namespace {

using b2bua_detail::kAllow;
using protocol::sip::ExtraHeaders;
using protocol::sip::HeaderId;
using protocol::sip::Message;
using protocol::sip::Method;
using protocol::sip::ResponseOptions;

constexpr std::string_view kCompletedElsewhere =
    "Reason: SIP;cause=200;text=\"Call completed elsewhere\"\r\n";

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

// A host that names no domain: empty (tel: URIs), an IPv6 reference, or a dotted IPv4 literal.
bool names_no_domain(std::string_view host) {
  if (host.empty() || host.front() == '[') return true;
  return std::all_of(host.begin(), host.end(), [](char c) {
    return c == '.' || std::isdigit(static_cast<unsigned char>(c));
  });
}

std::string unescaped(std::string_view text) {
  auto decoded = protocol::sip::unescape(text);
  return decoded.ok() ? std::move(decoded).value() : std::string(text);
}

// Preference among the failures of a fork, lower is better (RFC 3261 §16.7 step 6, adapted):
// a 6xx is global and wins, then 486 so that a busy device is reported as busy, then other 4xx,
// then 5xx, and 3xx last because we do not relay redirects (recursing on them is a later
// feature).
int failure_rank(int status) {
  if (status >= 600) return 0;
  if (status == 486) return 1;
  if (status >= 400 && status < 500) return 2;
  if (status >= 500) return 3;
  return 4;
}

// What the caller is told for the best failure of a fork.
int caller_status(int status) {
  if (status < 400) return 480;  // a redirect we do not follow
  switch (status) {
    case 401:  // a device's own challenge means nothing to the caller
    case 407:
    case 408:  // the device did not answer in time
    case 487:  // we cancelled it ourselves
      return 480;
    case 503:
      return 500;  // §16.7: a 503 would tell the caller that we are overloaded
    default:
      return status;
  }
}

store::Disposition disposition_of(int status) {
  switch (status) {
    case 486:
    case 600:
    case 603:
      return store::Disposition::kBusy;
    case 408:
    case 480:
      return store::Disposition::kNoAnswer;
    default:
      return store::Disposition::kFailed;
  }
}

}  // namespace

namespace b2bua_detail {

bool is_passthrough(const Message& message, const protocol::sip::HeaderField& field) {
  if (field.id == HeaderId::kContentDisposition) return true;
  if (field.id != HeaderId::kOther) return false;
  const std::string_view name = message.name(field);
  return equal_ignoring_case(name, "Info-Package") || equal_ignoring_case(name, "Recv-Info");
}

std::string passthrough_lines(const Message& message) {
  std::string out;
  for (const auto& field : message.headers()) {
    if (!is_passthrough(message, field)) continue;
    out.append(message.name(field)).append(": ").append(message.value(field)).append("\r\n");
  }
  return out;
}

void add_passthrough(ExtraHeaders& extra, const Message& message) {
  for (const auto& field : message.headers()) {
    if (is_passthrough(message, field)) {
      extra.emplace_back(message.name(field), std::string(message.value(field)));
    }
  }
}

}  // namespace b2bua_detail

B2bua::B2bua(B2buaOptions options) : options_(std::move(options)) {}

B2bua::~B2bua() = default;

bool B2bua::claims(const Message& request) {
  switch (request.method()) {
    case Method::kRegister:
      return false;
    case Method::kInvite:
    case Method::kAck:
    case Method::kCancel:
    case Method::kBye:
    case Method::kUpdate:
    case Method::kInfo:
    case Method::kPrack:
      return true;
    default:
      return !request.to_tag().empty();
  }
}

// --- TransactionLayer::Listener ---

void B2bua::on_request(ServerTransaction& transaction, const Message& request) {
  if (!claims(request)) {
    forward_unclaimed(transaction, request);
    return;
  }
  if (!request.to_tag().empty()) {
    on_in_dialog(transaction, request);
  } else if (request.method() == Method::kInvite) {
    on_invite(transaction, request);
  } else {
    reject(transaction, 481);  // BYE, UPDATE, INFO, PRACK outside any dialog
  }
}

void B2bua::on_cancel(ServerTransaction& invite, const Message& /*cancel*/) {
  auto it = invites_.find(invite.id());
  if (it == invites_.end()) return;  // a rejected INVITE: the layer already answered the CANCEL
  if (Call* call = find_call(it->second)) {
    finish_ringing(*call, 487, {}, store::Disposition::kCancelled, store::HangupSide::kCaller);
  }
}

void B2bua::on_ack(ServerTransaction& /*invite*/, const Message& ack) {
  // Every INVITE is ours, so an ACK matching one is never the fallback's business.
  (void)on_dialog_ack(ack);
}

void B2bua::on_stray_ack(const Message& ack, const Peer& /*from*/) {
  (void)on_dialog_ack(ack);
}

void B2bua::on_server_failure(ServerTransaction& transaction, ServerFailure failure) {
  if (auto it = invites_.find(transaction.id()); it != invites_.end()) {
    // The caller cannot be reached any more: give up the whole call.
    if (Call* call = find_call(it->second)) {
      finish_ringing(*call, 500, {}, store::Disposition::kFailed, store::HangupSide::kSystem);
    }
    return;
  }
  if (!claims(transaction.request()) && options_.fallback != nullptr) {
    options_.fallback->on_server_failure(transaction, failure);
  }
}

void B2bua::on_response(ClientTransaction& transaction, const Message& response) {
  auto it = clients_.find(transaction.id());
  if (it == clients_.end()) {
    if (transaction.is_invite()) {
      if (response.status_code() >= 200 && response.status_code() < 300) {
        (void)on_dialog_2xx(response);
      }
      return;
    }
    if (options_.fallback != nullptr) options_.fallback->on_response(transaction, response);
    return;
  }
  ClientContext& context = it->second;
  switch (context.kind) {
    case ClientKind::kBranch:
      on_branch_response(transaction, context, response);
      return;
    case ClientKind::kRelay:
      on_relay_response(transaction, context, response);
      return;
    case ClientKind::kTransfer:
      on_transfer_response(transaction, context, response);
      return;
    case ClientKind::kAttended:
      on_attended_response(transaction, context, response);
      return;
    case ClientKind::kOther:
      if (response.status_code() >= 200) {
        ClientContext done = std::move(context);
        cancel_timer(done.forget);
        clients_.erase(it);
        // Our own re-INVITE (b2bua_redirect.cpp) is the only INVITE of this kind.
        if (transaction.is_invite()) on_own_invite_response(done, response);
      }
      return;
  }
}

void B2bua::on_client_failure(ClientTransaction& transaction, ClientFailure failure) {
  auto it = clients_.find(transaction.id());
  if (it == clients_.end()) {
    if (!transaction.is_invite() && options_.fallback != nullptr) {
      options_.fallback->on_client_failure(transaction, failure);
    }
    return;
  }
  ClientContext context = std::move(it->second);
  cancel_timer(context.forget);
  clients_.erase(it);
  switch (context.kind) {
    case ClientKind::kBranch: {
      Call* call = find_call(context.call);
      if (call != nullptr && !call->answered && context.branch < call->branches.size() &&
          call->branches[context.branch] == transaction.id()) {
        // Unreachable or silent device: for the caller that is "temporarily unavailable".
        on_branch_failure(*call, context.branch, 480, {});
      }
      return;
    }
    case ClientKind::kRelay:
      on_relay_failure(context, failure_status_code(failure));
      return;
    case ClientKind::kTransfer: {
      Call* call = find_call(context.call);
      if (call != nullptr && call->transfer != nullptr &&
          context.branch < call->transfer->branches.size() &&
          call->transfer->branches[context.branch] == transaction.id()) {
        on_transfer_branch_failure(*call, context.branch, 480, {});
      }
      return;
    }
    case ClientKind::kAttended:
      on_attended_failure(context, failure_status_code(failure), "Request Timeout");
      return;
    case ClientKind::kOther:
      return;
  }
}

void B2bua::on_stray_response(const Message& response, const Peer& from) {
  if (response.cseq_method() == Method::kInvite) {
    if (response.status_code() >= 200 && response.status_code() < 300) {
      (void)on_dialog_2xx(response);
    }
    return;
  }
  if (options_.fallback != nullptr) options_.fallback->on_stray_response(response, from);
}

void B2bua::forward_unclaimed(ServerTransaction& transaction, const Message& request) {
  if (options_.fallback != nullptr) {
    options_.fallback->on_request(transaction, request);
    return;
  }
  const RequestVerdict verdict = classify_request(request);
  const int status = status_code_of(verdict);
  if (status == 0) return;
  ExtraHeaders extra;
  if (verdict == RequestVerdict::kOptionsOk || verdict == RequestVerdict::kMethodNotAllowed) {
    extra.emplace_back("Allow", std::string(kAllow));
  }
  if (verdict == RequestVerdict::kBadExtension) {
    extra.emplace_back("Unsupported", unsupported_option_tags(request));
  }
  reject(transaction, status, {}, std::move(extra));
}

// --- new calls ---

void B2bua::reject(ServerTransaction& transaction, int status, std::string_view reason,
                   ExtraHeaders extra) {
  const std::string tag = options_.layer.make_tag();
  ResponseOptions response;
  response.status_code = status;
  response.reason = reason;
  response.to_tag = tag;
  response.extra_headers = std::move(extra);
  response.extra_headers.emplace_back("Server", options_.user_agent);
  (void)transaction.respond(response);
}

void B2bua::on_invite(ServerTransaction& transaction, const Message& invite) {
  if (auto verdict = check_request_headers(invite)) {
    ExtraHeaders extra;
    if (*verdict == RequestVerdict::kBadExtension) {
      extra.emplace_back("Unsupported", unsupported_option_tags(invite));
    }
    reject(transaction, status_code_of(*verdict), {}, std::move(extra));
    return;
  }
  if (invite.max_forwards() == 0) {
    reject(transaction, 483);
    return;
  }
  if (calls_.size() >= options_.max_calls) {
    reject(transaction, 503, {}, {{"Retry-After", "5"}});
    return;
  }
  auto from = protocol::sip::parse_name_addr(invite.first(HeaderId::kFrom));
  auto target = protocol::sip::parse_uri(invite.request_uri());
  // An INVITE without a From tag comes from an RFC 2543 element (RFC 4475 INV2543): its
  // dialog simply has an empty remote tag (RFC 3261 §12.1.1).
  if (!from.ok() || from->is_star || from->opaque_uri || !target.ok()) {
    reject(transaction, 400, "Bad From or Request-URI");
    return;
  }
  // A provider trunk is recognised by its address before anything else: its From names an
  // outside caller, not a tenant (issue 11).
  std::optional<CallAuth> peer_auth = options_.routing.authenticate_peer(invite);
  if (peer_auth && !peer_auth->trusted_peer) peer_auth->outcome = CallAuthOutcome::kForbidden;
  const bool trusted = peer_auth && peer_auth->outcome == CallAuthOutcome::kOk;
  const auto caller_tenant =
      trusted ? peer_auth->trusted_peer : options_.routing.resolve_tenant(from->uri.host);
  if (!caller_tenant) {
    reject(transaction, 403, "Unknown Domain");
    return;
  }
  CallAuth auth =
      peer_auth ? std::move(*peer_auth) : options_.routing.authenticate(invite, *caller_tenant);
  if (auth.outcome == CallAuthOutcome::kChallenge) {
    ExtraHeaders extra;
    for (auto& challenge : auth.challenges) {
      extra.emplace_back("Proxy-Authenticate", std::move(challenge));
    }
    reject(transaction, 407, {}, std::move(extra));
    return;
  }
  // From here on a refusal is a call attempt that failed, counted in calls_rejected.
  auto refuse = [&](int status, std::string_view reason = {}) {
    ++stats_.calls_rejected;
    reject(transaction, status, reason);
  };
  if (auth.outcome != CallAuthOutcome::kOk) {
    refuse(403);
    return;
  }
  std::string caller = unescaped(from->uri.user);
  if (!trusted && caller != auth.username) {
    refuse(403, "From Does Not Match Credentials");
    return;
  }
  if (!invite.first("Replaces").empty() &&
      refuse_replacing_invite(transaction, invite, caller_tenant->id, caller)) {
    return;  // RFC 3891: an INVITE with Replaces never rings anyone (decision 0024)
  }
  // A domain in the Request-URI names the callee's tenant; an address names only this server,
  // so a phone dialling our IP reaches its own tenant. A trunk's calls stay in its tenant.
  std::optional<CallTenant> callee_tenant = trusted || names_no_domain(target->host)
                                                ? caller_tenant
                                                : options_.routing.resolve_tenant(target->host);
  if (!callee_tenant) {
    refuse(404, "Unknown Domain");
    return;
  }
  if (callee_tenant->id != caller_tenant->id && !options_.allow_inter_tenant_calls) {
    refuse(403, "Calls Between Tenants Not Allowed");
    return;
  }
  std::string callee = unescaped(target->user);
  CallPlan plan = trusted ? options_.routing.plan_peer_call(*callee_tenant, auth, caller, callee)
                          : options_.routing.plan_call(*callee_tenant, caller, callee);
  // A number that rings nobody right now (do-not-disturb, unavailable) is a missed call worth a
  // record; a number that does not exist is not.
  auto record_failure = [&](int status) {
    store::CallRecord record;
    record.tenant_id = caller_tenant->id;
    record.call_id.assign(invite.call_id());
    record.caller = caller;
    record.callee = callee;
    record.start_ms = now_ms();
    record.end_ms = record.start_ms;
    record.disposition = status == 486 ? store::Disposition::kBusy : store::Disposition::kFailed;
    record.hangup_side = status == 486 ? store::HangupSide::kCallee : store::HangupSide::kSystem;
    options_.records.record(record);
  };
  if (plan.reject_status != 0) {
    refuse(plan.reject_status, plan.reject_reason);
    if (plan.reject_status == 486 || plan.reject_status == 480) record_failure(plan.reject_status);
    return;
  }
  if (plan.pickup) {
    // Never across tenants (decision 0031), even where calls between them are allowed.
    if (callee_tenant->id != caller_tenant->id) {
      refuse(403, "Pickup In Another Tenant Not Allowed");
      return;
    }
    start_pickup(transaction, invite, caller_tenant->id, std::move(caller), plan.pickup_from);
    return;
  }
  if (!plan.application.empty()) {
    start_local_call(transaction, invite, *caller_tenant, std::move(caller), std::move(callee),
                     plan.application, std::move(plan.keep_alive));
    return;
  }
  const bool anyone_registered =
      std::any_of(plan.stages.begin(), plan.stages.end(), [&](const RingStage& stage) {
        return !stage.externals.empty() ||
               std::any_of(stage.extensions.begin(), stage.extensions.end(),
                           [&](const std::string& extension) {
                             return !options_.location.lookup(callee_tenant->id, extension).empty();
                           });
      });
  if (!anyone_registered && !plan.exhausted_application.empty()) {
    start_local_call(transaction, invite, *caller_tenant, std::move(caller), std::move(callee),
                     plan.exhausted_application, std::move(plan.keep_alive));
    return;
  }
  if (!anyone_registered) {
    const int status = plan.exhausted_status != 0 ? plan.exhausted_status : 480;
    refuse(status);
    record_failure(status);
    return;
  }
  start_call(transaction, invite, *caller_tenant, std::move(caller), std::move(callee),
             CalleePlan{callee_tenant->id, std::move(plan)});
}

void B2bua::start_call(ServerTransaction& transaction, const Message& invite,
                       const CallTenant& tenant, std::string caller, std::string callee,
                       CalleePlan plan) {
  auto dialog = make_uas_dialog(invite, options_.layer.make_tag(), transaction.peer());
  if (!dialog.ok()) {
    reject(transaction, 400, dialog.error().message);
    return;
  }
  auto owned = std::make_unique<Call>();
  Call& call = *owned;
  call.id = next_call_++;
  call.branch_offer.assign(invite.body());
  call.invite_offer = !invite.body().empty();
  if (options_.media != nullptr) {
    auto media = options_.media->create(CallMediaInfo{
        call.id, caller, callee, tenant.id, tenant.domain, std::string(invite.call_id())});
    if (!media.ok()) {
      reject(transaction, media.error().code, media.error().message);
      return;
    }
    call.media = std::move(media).value();
    if (call.invite_offer) {
      auto offer = media_body(call, Side::kCaller, invite, true);
      if (!offer.ok()) {
        reject(transaction, offer.error().code, offer.error().message);
        return;
      }
      call.branch_offer = std::move(offer).value();
    }
  }
  call.tenant = tenant.id;
  call.tenant_domain = tenant.domain;
  call.caller = std::move(caller);
  call.callee = std::move(callee);
  call.start_ms = now_ms();
  call.invite = transaction.id();
  call.callee_tenant = plan.tenant;
  call.stages = std::move(plan.plan.stages);
  call.exhausted_status = plan.plan.exhausted_status;
  call.exhausted_application = std::move(plan.plan.exhausted_application);
  call.keep_alive = std::move(plan.plan.keep_alive);
  call.legs[0].dialog = std::move(dialog).value();
  call.legs[0].established = true;
  calls_.emplace(call.id, std::move(owned));
  add_dialog(call, Side::kCaller);
  invites_.emplace(transaction.id(), call.id);
  ++stats_.calls_started;
  report_call_state(call, CallPhase::kRinging);
  ring_stage(call, invite);
}

void B2bua::ring_stage(Call& call, const Message& invite) {
  const CallId id = call.id;
  for (; call.stage < call.stages.size(); ++call.stage) {
    const RingStage& stage = call.stages[call.stage];
    call.stage_refused_busy = true;
    for (std::size_t index = 0; index < stage.extensions.size(); ++index) {
      const auto bindings = options_.location.lookup(call.callee_tenant, stage.extensions[index]);
      const auto target = static_cast<std::uint32_t>((call.stage << 16U) | index);
      for (const auto& binding : bindings) {
        if (call.branches.size() >= 0xffffU) break;
        auto peer = options_.routing.binding_peer(binding);
        if (!peer) continue;
        if (peer->local.empty()) peer->local = leg(call, Side::kCaller).dialog.peer.local;
        // A browser (reached over SIP over WebSocket) needs the WebRTC rendering of the offer.
        const bool browser =
            peer->transport == TransportKind::kWs || peer->transport == TransportKind::kWss;
        std::optional<std::string> webrtc_offer;
        if (browser && call.media != nullptr && call.invite_offer) {
          auto offer = call.media->webrtc_offer(MediaSide::kCallee);
          if (offer.ok()) webrtc_offer = std::move(offer).value();
        } else if (peer->transport == TransportKind::kTls && call.media != nullptr &&
                   call.invite_offer) {
          // A phone registered over TLS gets SDES-SRTP (decision 0033); plain when refused.
          auto offer = call.media->sdes_offer(MediaSide::kCallee);
          if (offer.ok()) webrtc_offer = std::move(offer).value();
        }
        const std::string_view body = webrtc_offer ? *webrtc_offer : call.branch_offer;
        if (send_branch(call, invite, body, *peer, binding)) call.branch_targets.push_back(target);
      }
    }
    ring_externals(call, invite);
    if (call.live_branches != 0) {
      const Duration timeout =
          stage.timeout > Duration{} ? stage.timeout : options_.no_answer_timeout;
      call.no_answer_timer = schedule(id, TimerKind::kNoAnswer, timeout);
      return;
    }
  }
  end_unanswered(call, store::Disposition::kFailed);
}

void B2bua::next_stage(Call& call, store::Disposition disposition) {
  cancel_timer(call.no_answer_timer);
  for (TransactionId& branch : call.branches) {
    if (branch != 0) cancel_branch(branch, false);
    branch = 0;
  }
  call.live_branches = 0;
  std::vector<std::shared_ptr<void>>().swap(call.branch_holds);
  ServerTransaction* server = options_.layer.find_server(call.invite);
  if (server == nullptr || call.stage + 1 >= call.stages.size()) {
    end_unanswered(call, disposition);
    return;
  }
  ++call.stage;
  ring_stage(call, server->request());
}

void B2bua::end_unanswered(Call& call, store::Disposition disposition) {
  if (!call.exhausted_application.empty()) {
    answer_with_application(call, disposition);
    return;
  }
  if (call.best_status == 0 || disposition == store::Disposition::kNoAnswer) {
    const int status = call.exhausted_status != 0 ? call.exhausted_status : 480;
    finish_ringing(call, status, {}, disposition, store::HangupSide::kSystem);
    return;
  }
  const int status_to_caller =
      call.exhausted_status != 0 ? call.exhausted_status : caller_status(call.best_status);
  const std::string reason_to_caller =
      status_to_caller == call.best_status ? call.best_reason : std::string();
  const store::Disposition answered_as = disposition_of(call.best_status);
  finish_ringing(call, status_to_caller, reason_to_caller, answered_as,
                 answered_as == store::Disposition::kBusy ? store::HangupSide::kCallee
                                                          : store::HangupSide::kSystem);
}

bool B2bua::send_branch(Call& call, const Message& invite, std::string_view body, const Peer& peer,
                        const store::Binding& binding) {
  auto from = protocol::sip::parse_name_addr(invite.first(HeaderId::kFrom));
  if (!from.ok()) return false;
  // The caller's display name and URI as they wrote them; only the tag is ours.
  const std::string passthrough = b2bua_detail::passthrough_lines(invite);
  OutgoingInvite out;
  out.from_display = from->display_name;
  out.from_uri = from->uri_text;
  out.to = invite.first(HeaderId::kTo);
  out.max_forwards = invite.max_forwards() < 0 ? 70 : invite.max_forwards() - 1;
  out.contact_user = call.caller;
  out.extra_lines = passthrough;
  out.content_type = body.empty() ? std::string_view() : invite.first(HeaderId::kContentType);
  out.body = body;
  auto sent = send_invite(out, peer, binding);
  if (!sent.ok()) return false;
  ClientContext context;
  context.kind = ClientKind::kBranch;
  context.call = call.id;
  context.branch = static_cast<std::uint16_t>(call.branches.size());
  clients_.emplace(*sent, std::move(context));
  call.branches.push_back(*sent);
  ++call.live_branches;
  return true;
}

Result<TransactionId> B2bua::send_invite(const OutgoingInvite& invite, const Peer& peer,
                                         const store::Binding& binding) {
  const std::string branch = options_.layer.make_branch();
  std::string out;
  out.reserve(640 + binding.contact_uri.size() + binding.path.size() + invite.extra_lines.size() +
              invite.body.size());
  auto header = [&out](std::string_view name, std::string_view value) {
    out.append(name).append(": ").append(value).append("\r\n");
  };
  out.append("INVITE ").append(binding.contact_uri).append(" SIP/2.0\r\n");
  header("Via", make_via(peer.transport, host_port(peer), branch));
  header("Max-Forwards", std::to_string(invite.max_forwards));
  if (!binding.path.empty()) header("Route", binding.path);
  out.append("From: ");
  if (!invite.from_display.empty()) out.append("\"").append(invite.from_display).append("\" ");
  out.append("<").append(invite.from_uri).append(">;tag=").append(options_.layer.make_tag());
  out.append("\r\n");
  header("To", invite.to);
  if (options_.make_call_id) {
    header("Call-ID", options_.make_call_id());
  } else {
    header("Call-ID", options_.layer.make_tag() + options_.layer.make_tag());
  }
  header("CSeq", "1 INVITE");
  header("Contact", contact_for(peer, invite.contact_user));
  header("Allow", kAllow);
  if (!options_.user_agent.empty()) header("User-Agent", options_.user_agent);
  out.append(invite.extra_lines);
  if (!invite.content_type.empty()) header("Content-Type", invite.content_type);
  header("Content-Length", std::to_string(invite.body.size()));
  out.append("\r\n").append(invite.body);
  return options_.layer.send_request(out, peer);
}

void B2bua::on_branch_response(ClientTransaction& transaction, ClientContext& context,
                               const Message& response) {
  const int status = response.status_code();
  const TransactionId id = transaction.id();
  Call* call = find_call(context.call);
  const bool live = call != nullptr && !call->answered && context.branch < call->branches.size() &&
                    call->branches[context.branch] == id;
  cancel_timer(context.no_reply);  // any answer shows the target is alive
  if (status < 200) {
    if (!context.provisional) {
      context.provisional = true;
      if (context.cancel_pending) {
        context.cancel_pending = false;
        send_cancel(transaction, context.completed_elsewhere);
        context.cancelled = true;
        keep_for_retransmissions(id, context);
      }
    }
    if (live && status > 100) relay_provisional(*call, response);
    return;
  }
  if (status < 300) {
    if (live) {
      on_branch_answer(*call, transaction, context, response);
    } else if (call != nullptr && call->answered && leg(*call, Side::kCallee).established &&
               matches_response(leg(*call, Side::kCallee).dialog, response)) {
      resend_ack(*call, Side::kCallee, response);  // the winner's 2xx again
    } else {
      // Another device answered too, or after the caller gave up: §13.2.2.4 says ACK it, and
      // the session it started is not wanted, so BYE it.
      release_2xx(context, transaction.request(), response, transaction.peer());
      keep_for_retransmissions(id, context);
    }
    return;
  }
  if ((status == 401 || status == 407) && live &&
      retry_with_credentials(*call, transaction, context, response)) {
    return;
  }
  const std::uint16_t branch = context.branch;
  cancel_timer(context.forget);
  clients_.erase(id);
  if (live) on_branch_failure(*call, branch, status, response.reason_phrase());
}

void B2bua::note_failure(Call& call, int status, std::string_view reason) {
  if (call.best_status == 0 || failure_rank(status) < failure_rank(call.best_status)) {
    call.best_status = status;
    call.best_reason.assign(reason);
  }
}

void B2bua::on_branch_failure(Call& call, std::uint16_t branch, int status,
                              std::string_view reason) {
  call.branches[branch] = 0;
  --call.live_branches;
  if (branch < call.branch_holds.size()) call.branch_holds[branch].reset();
  note_failure(call, status, reason);
  if (status != 486 && status != 600 && status != 603) call.stage_refused_busy = false;
  if (status >= 600) {
    // §16.7: a 6xx ends the search; the other devices stop ringing, later stages are skipped.
    for (TransactionId& other : call.branches) {
      if (other != 0) cancel_branch(other, false);
      other = 0;
    }
    call.live_branches = 0;
  }
  if (call.live_branches != 0) return;
  // The phones themselves say the extension is busy: its busy forward, if it has one, rather
  // than the rest of the plan (decision 0052).
  if (call.stage_refused_busy && forward_when_busy(call)) return;
  if (status >= 600) call.stage = call.stages.size();
  next_stage(call, store::Disposition::kFailed);
}

void B2bua::on_branch_answer(Call& call, ClientTransaction& transaction, ClientContext& context,
                             const Message& response) {
  // With the caller's offer the 2xx holds the answer; without, it holds the offer (§13.2.1)
  // and the caller's ACK will answer it.
  auto body = media_body(call, Side::kCallee, response, !call.invite_offer);
  if (!body.ok()) {
    ++stats_.sdp_refused;
    release_2xx(context, transaction.request(), response, transaction.peer());
    keep_for_retransmissions(transaction.id(), context);
    on_branch_failure(call, context.branch, body.error().code, body.error().message);
    return;
  }
  auto dialog = make_uac_dialog(transaction.request(), response, transaction.peer());
  if (!dialog.ok()) {
    // A 2xx without a To tag can be neither ACKed nor BYEd properly: count it as a failure.
    keep_for_retransmissions(transaction.id(), context);
    on_branch_failure(call, context.branch, 502, {});
    return;
  }
  if (context.branch < call.branch_targets.size()) {
    const std::uint32_t target = call.branch_targets[context.branch];
    const std::size_t stage = target >> 16U;
    const std::size_t index = target & 0xffffU;
    if (stage < call.stages.size() && index < call.stages[stage].extensions.size() &&
        call.stages[stage].extensions[index] != call.callee) {
      // A ring group member or a forwarding target answered: BLF and the call record name it.
      report_call_state(call, CallPhase::kTerminated);
      call.callee = call.stages[stage].extensions[index];
    }
  }
  Leg& callee = leg(call, Side::kCallee);
  callee.dialog = std::move(dialog).value();
  callee.established = true;
  callee.ack_cseq = callee.dialog.local_cseq;
  callee.ack_sent = false;
  add_dialog(call, Side::kCallee);

  call.branches[context.branch] = 0;
  for (TransactionId other : call.branches) {
    if (other != 0) cancel_branch(other, true);
  }
  if (context.branch < call.branch_holds.size()) {
    call.answered_hold = std::move(call.branch_holds[context.branch]);
  }
  forget_ringing(call);
  call.answered = true;
  call.answer_ms = now_ms();
  ++stats_.calls_answered;
  report_call_state(call, CallPhase::kConfirmed);
  keep_for_retransmissions(transaction.id(), context);

  ServerTransaction* server = options_.layer.find_server(call.invite);
  invites_.erase(call.invite);
  call.invite = 0;
  if (server == nullptr) {
    hang_up(call, store::HangupSide::kSystem, false, true);
    return;
  }
  const Leg& caller = leg(call, Side::kCaller);
  const std::string contact = contact_for(caller.dialog.peer, call.callee);
  ResponseOptions answer;
  answer.status_code = response.status_code();
  answer.reason = response.reason_phrase();
  answer.to_tag = caller.dialog.local_tag;
  answer.extra_headers.emplace_back("Contact", contact);
  answer.extra_headers.emplace_back("Allow", std::string(kAllow));
  answer.extra_headers.emplace_back("Server", options_.user_agent);
  b2bua_detail::add_passthrough(answer.extra_headers, response);
  answer.content_type = response.first(HeaderId::kContentType);
  answer.body = *body;
  arm_media_timer(call, options_.media_timeout);
  answer_2xx(call, Side::kCaller, *server, protocol::sip::build_response(server->request(), answer),
             response.status_code());
}

void B2bua::relay_provisional(Call& call, const Message& response) {
  const int status = response.status_code();
  if (status == 180 && response.body().empty()) {
    // Every ringing device says so; the caller needs to hear it once.
    if (call.ringing_relayed) return;
    call.ringing_relayed = true;
  }
  ServerTransaction* server = options_.layer.find_server(call.invite);
  if (server == nullptr) return;
  const Leg& caller = leg(call, Side::kCaller);
  ResponseOptions provisional;
  provisional.status_code = status;
  provisional.reason = response.reason_phrase();
  provisional.to_tag = caller.dialog.local_tag;
  provisional.extra_headers.emplace_back("Contact", contact_for(caller.dialog.peer, call.callee));
  provisional.extra_headers.emplace_back("Server", options_.user_agent);
  b2bua_detail::add_passthrough(provisional.extra_headers, response);
  // Early media: a provisional answer to the caller's offer. One we cannot use is relayed
  // without its body (the caller then hears its own ringback).
  std::string body;
  if (!response.body().empty() && call.invite_offer) {
    auto rewritten = media_body(call, Side::kCallee, response, false);
    if (rewritten.ok()) body = std::move(rewritten).value();
  }
  if (!body.empty()) provisional.content_type = response.first(HeaderId::kContentType);
  provisional.body = body;
  (void)server->respond(provisional);
}

void B2bua::finish_ringing(Call& call, int status, std::string_view reason,
                           store::Disposition disposition, store::HangupSide side) {
  for (TransactionId branch : call.branches) {
    if (branch != 0) cancel_branch(branch, false);
  }
  call.branches.clear();
  call.live_branches = 0;
  if (ServerTransaction* server = options_.layer.find_server(call.invite)) {
    ResponseOptions response;
    response.status_code = status;
    response.reason = reason;
    response.to_tag = leg(call, Side::kCaller).dialog.local_tag;
    response.extra_headers.emplace_back("Server", options_.user_agent);
    (void)server->respond(response);
  }
  write_record(call, disposition, side);
  destroy(call);
}

// Frees what only a ringing call needs (its branches, their holds and offer, the stages, the
// no-answer timer) once it is answered or picked up.
void B2bua::forget_ringing(Call& call) {
  std::vector<std::shared_ptr<void>>().swap(call.branch_holds);
  std::vector<TransactionId>().swap(call.branches);
  std::vector<std::uint32_t>().swap(call.branch_targets);
  std::vector<RingStage>().swap(call.stages);
  std::string().swap(call.branch_offer);
  std::string().swap(call.best_reason);
  call.live_branches = 0;
  cancel_timer(call.no_answer_timer);
}

void B2bua::cancel_branch(TransactionId branch, bool completed_elsewhere) {
  auto it = clients_.find(branch);
  if (it == clients_.end()) return;
  ClientContext& context = it->second;
  if (context.cancelled || context.cancel_pending) return;
  context.completed_elsewhere = completed_elsewhere;
  if (!context.provisional) {
    // §9.1: no CANCEL before a provisional response; it goes out when one arrives.
    context.cancel_pending = true;
    return;
  }
  ClientTransaction* transaction = options_.layer.find_client(branch);
  if (transaction == nullptr || transaction->state() != TransactionState::kProceeding) return;
  send_cancel(*transaction, completed_elsewhere);
  context.cancelled = true;
  // A device that never answers the INVITE after our CANCEL is forgotten 64*T1 later (§9.1).
  keep_for_retransmissions(branch, context);
}

void B2bua::send_cancel(ClientTransaction& invite, bool completed_elsewhere) {
  std::string cancel = build_cancel(invite.request());
  if (completed_elsewhere) {
    // RFC 3326: phones then do not list the call as missed.
    const auto at = cancel.find("Content-Length:");
    if (at != std::string::npos) cancel.insert(at, kCompletedElsewhere);
  }
  auto sent = options_.layer.send_request(cancel, invite.peer());
  if (sent.ok()) clients_.emplace(*sent, ClientContext{});
}

void B2bua::release_2xx(ClientContext& context, const Message& invite, const Message& response,
                        const Peer& to) {
  auto dialog = make_uac_dialog(invite, response, to);
  if (!dialog.ok()) return;
  const std::string host = host_port(to);
  const std::string ack_via = make_via(to.transport, host, options_.layer.make_branch());
  DialogRequest ack;
  ack.method = "ACK";
  ack.cseq = invite.cseq_number();
  ack.via = ack_via;
  ack.user_agent = options_.user_agent;
  (void)options_.transport.send(to, build_request(*dialog, ack));
  if (context.released_tag == response.to_tag()) {
    ++stats_.acks_resent;  // a retransmission of a 2xx we already ended
    return;
  }
  context.released_tag.assign(response.to_tag());
  const std::string bye_via = make_via(to.transport, host, options_.layer.make_branch());
  DialogRequest bye;
  bye.method = "BYE";
  bye.cseq = invite.cseq_number() + 1;
  bye.via = bye_via;
  bye.user_agent = options_.user_agent;
  auto sent = options_.layer.send_request(build_request(*dialog, bye), to);
  if (sent.ok()) clients_.emplace(*sent, ClientContext{});
  ++stats_.extra_2xx_released;
}

void B2bua::keep_for_retransmissions(TransactionId transaction, ClientContext& context) {
  cancel_timer(context.forget);
  context.forget =
      schedule(transaction, TimerKind::kForgetClient, 64 * options_.layer.timer_values().t1);
}

// --- shared ---

B2bua::Call* B2bua::find_call(CallId id) {
  auto it = calls_.find(id);
  return it == calls_.end() ? nullptr : it->second.get();
}

B2bua::DialogRef* B2bua::find_dialog(std::string_view call_id, std::string_view local_tag) {
  key_scratch_.assign(call_id).append("\n").append(local_tag);
  auto it = dialogs_.find(key_scratch_);
  return it == dialogs_.end() ? nullptr : &it->second;
}

B2bua::Leg& B2bua::leg(Call& call, Side side) {
  return call.legs[side == Side::kCaller ? 0 : 1];
}

std::string B2bua::host_port(const Peer& peer) const {
  if (options_.advertised_host.empty() && !peer.local.empty()) return peer.local.to_string();
  std::string out = options_.advertised_host;
  out.append(":").append(std::to_string(peer.local.port()));
  return out;
}

std::string B2bua::contact_for(const Peer& peer, std::string_view user) const {
  return make_contact(peer.transport, user, host_port(peer));
}

void B2bua::add_dialog(Call& call, Side side) {
  const Dialog& dialog = leg(call, side).dialog;
  std::string key = dialog.call_id;
  key.append("\n").append(dialog.local_tag);
  dialogs_.insert_or_assign(std::move(key), DialogRef{call.id, side});
}

void B2bua::write_record(const Call& call, store::Disposition disposition, store::HangupSide side) {
  store::CallRecord record;
  record.tenant_id = call.tenant;
  record.call_id = call.legs[0].dialog.call_id;
  record.caller = call.record_swapped ? call.callee : call.caller;
  record.callee = call.record_swapped ? call.caller : call.callee;
  record.start_ms = call.start_ms;
  if (disposition == store::Disposition::kAnswered) record.answer_ms = call.answer_ms;
  // The wall clock may step back (NTP); a record must still satisfy start <= answer <= end.
  record.end_ms = std::max({now_ms(), call.start_ms, call.answered ? call.answer_ms : 0});
  record.disposition = disposition;
  record.hangup_side = side;
  if (call.record_swapped && side == store::HangupSide::kCaller) {
    record.hangup_side = store::HangupSide::kCallee;
  } else if (call.record_swapped && side == store::HangupSide::kCallee) {
    record.hangup_side = store::HangupSide::kCaller;
  }
  record.end_reason = call.end_reason;
  options_.records.record(record);
}

void B2bua::release_legs(Call& call) {
  for (Side side : {Side::kCaller, Side::kCallee}) {
    Leg& l = leg(call, side);
    cancel_timer(l.retransmit_timer);
    cancel_timer(l.ack_timer);
    cancel_timer(l.forget_ack_timer);
    if (!l.established) continue;
    if (DialogRef* ref = find_dialog(l.dialog.call_id, l.dialog.local_tag);
        ref != nullptr && ref->call == call.id) {
      dialogs_.erase(key_scratch_);
    }
  }
}

void B2bua::destroy(Call& call) {
  report_call_state(call, CallPhase::kTerminated);
  release_legs(call);
  cancel_timer(call.no_answer_timer);
  cancel_timer(call.media_timer);
  cancel_timer(call.local_hang_up_timer);
  cancel_timer(call.local_redirect_timer);
  if (call.transfer != nullptr) {
    cancel_transfer_branches(call, false);
    cancel_timer(call.transfer->no_answer_timer);
  }
  if (call.invite != 0) invites_.erase(call.invite);
  const CallId id = call.id;
  calls_.erase(id);
}

TimerId B2bua::schedule(std::uint64_t id, TimerKind kind, Duration delay) {
  return timers_.schedule(options_.clock.now() + delay,
                          (id << kB2buaTimerBits) | static_cast<std::uint64_t>(kind));
}

void B2bua::cancel_timer(TimerId& timer) {
  timers_.cancel(timer);
  timer = kNoTimer;
}

TimePoint B2bua::next_deadline() const {
  return timers_.next_deadline().value_or(TimePoint::max());
}

void B2bua::process_timers() {
  const TimePoint now = options_.clock.now();
  while (auto expired = timers_.pop_due(now)) {
    const auto kind = static_cast<TimerKind>(expired->cookie & ((1U << kB2buaTimerBits) - 1));
    fire(expired->cookie >> kB2buaTimerBits, kind, expired->id);
  }
}

store::UnixMillis B2bua::now_ms() const {
  if (options_.wall_clock) return options_.wall_clock();
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void B2bua::end_all_calls() {
  std::vector<CallId> ids;
  ids.reserve(calls_.size());
  for (const auto& entry : calls_) ids.push_back(entry.first);
  for (CallId id : ids) {
    Call* call = find_call(id);
    if (call == nullptr) continue;
    call->end_reason = store::EndReason::kShutdown;
    if (call->answered) {
      hang_up(*call, store::HangupSide::kSystem, true, true);
    } else {
      finish_ringing(*call, 503, {}, store::Disposition::kFailed, store::HangupSide::kSystem);
    }
  }
}

bool B2bua::end_call(std::string_view caller_tag) {
  // A scan, not an index: an administrator's hang-up is rare, and a second map kept in step
  // with every call (transfers replace the caller leg) would cost more than it saves.
  Call* found = nullptr;
  for (const auto& [id, call] : calls_) {
    if (call->legs[0].dialog.local_tag == caller_tag) {
      found = call.get();
      break;
    }
  }
  if (found == nullptr || caller_tag.empty()) return false;
  // store::EndReason has no "ended by an administrator": its CHECK constraint in the schema
  // would need call_records rebuilt. The record says hang-up side "system", reason "normal".
  if (found->answered || found->local != nullptr) {
    hang_up(*found, store::HangupSide::kSystem, true, true);
  } else {
    finish_ringing(*found, 487, {}, store::Disposition::kCancelled, store::HangupSide::kSystem);
  }
  return true;
}

}  // namespace parley::sip
