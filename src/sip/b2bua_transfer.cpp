// Blind transfer (RFC 3515 REFER with message/sipfrag NOTIFYs) of an answered call: the
// transferor's leg is replaced by a new one to the target, placed from the transferee's
// identity. Rules and reasons: docs/decisions/0014-blind-transfer.md.

#include <algorithm>
#include <cctype>
#include <optional>
#include <utility>

#include "protocol/sip/headers.hpp"
#include "protocol/sip/replaces.hpp"
#include "protocol/sip/uri.hpp"
#include "sip/b2bua.hpp"
#include "sip/b2bua_branch_offer.hpp"
#include "sip/b2bua_call.hpp"

namespace parley::sip {
namespace {

using b2bua_detail::kAllow;
using protocol::sip::HeaderId;
using protocol::sip::Message;
using protocol::sip::ResponseOptions;

// A host that names no domain: empty, an IPv6 reference, or a dotted IPv4 literal.
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

// The URI part of a name-addr value ("<sip:1001@x>;tag=..." → "sip:1001@x").
std::string uri_of(std::string_view party) {
  auto parsed = protocol::sip::parse_name_addr(party);
  return parsed.ok() ? std::string(parsed->uri_text) : std::string();
}

}  // namespace

void B2bua::on_refer(Call& call, Side from, ServerTransaction& transaction, const Message& refer) {
  const Side other = from == Side::kCaller ? Side::kCallee : Side::kCaller;
  Leg& transferor = leg(call, from);
  Leg& transferee = leg(call, other);
  if (call.transfer != nullptr) {
    reject(transaction, 491, "Transfer Already Pending");
    return;
  }
  if (transferor.invite_client != 0 || transferor.invite_server != 0 ||
      transferee.invite_client != 0 || transferee.invite_server != 0 ||
      transferor.pending_2xx_cseq != 0 || transferee.pending_2xx_cseq != 0) {
    reject(transaction, 491);  // an offer/answer exchange is under way
    return;
  }
  auto target = read_refer_target(call, from, transaction, refer);
  if (!target) return;
  if (target->replaces) {
    on_attended_refer(call, from, transaction, refer, *target->replaces);
    return;
  }
  std::string number = std::move(target->number);
  const std::string& transferor_number = from == Side::kCaller ? call.caller : call.callee;
  const std::string& transferee_number = from == Side::kCaller ? call.callee : call.caller;
  if (number == transferor_number || number == transferee_number) {
    reject(transaction, 403, "Transfer Loop");
    return;
  }
  const CallTenant& tenant = target->tenant;
  if (!options_.routing.extension_exists(tenant, number)) {
    if (auto application =
            options_.routing.transfer_application(tenant, transferor_number, number)) {
      transfer_to_application(call, from, transaction, refer, *application, number);
      return;
    }
    reject(transaction, 404);
    return;
  }
  const std::vector<store::Binding> bindings = options_.location.lookup(tenant.id, number);
  if (bindings.empty()) {
    reject(transaction, 480);
    return;
  }
  const auto media_side = from == Side::kCaller ? MediaSide::kCaller : MediaSide::kCallee;
  auto offer = transfer_offer_for(call, from, transaction);
  if (!offer) return;

  auto transfer = std::make_unique<B2buaTransfer>();
  transfer->transferor = from == Side::kCaller ? 0 : 1;
  transfer->refer_cseq = refer.cseq_number();
  transfer->target = std::move(number);
  transfer->domain = tenant.domain;
  transfer->transferee_uri = std::move(target->own_uri);
  transfer->start_ms = now_ms();
  call.transfer = std::move(transfer);

  accept_refer(transaction, transferor, transferee_number);
  // RFC 3515 §2.4.4: the first NOTIFY goes out at once.
  notify_transferor(call, 100, "Trying", false);

  for (const auto& binding : bindings) {
    if (call.transfer->branches.size() >= 0xffffU) break;
    auto peer = options_.routing.binding_peer(binding);
    if (!peer) continue;
    if (peer->local.empty()) peer->local = transferor.dialog.peer.local;
    // A browser gets WebRTC, a phone over TLS SDES-SRTP (decision 0048), as ring stages do.
    if (auto secured = secured_branch_offer(*call.media, media_side, peer->transport)) {
      (void)send_transfer_branch(call, *secured, *peer, binding);
      continue;
    }
    (void)send_transfer_branch(call, *offer, *peer, binding);
  }
  if (call.transfer->live_branches == 0) {
    fail_transfer(call, 480, "Temporarily Unavailable");
    return;
  }
  call.transfer->no_answer_timer =
      schedule(call.id, TimerKind::kTransferNoAnswer, options_.no_answer_timeout);
}

std::optional<B2bua::ReferTarget> B2bua::read_refer_target(Call& call, Side from,
                                                           ServerTransaction& transaction,
                                                           const Message& refer) {
  const std::string_view refer_to = refer.first(HeaderId::kReferTo);
  if (refer_to.empty() || refer.count(HeaderId::kReferTo) != 1) {
    reject(transaction, 400, "Missing Refer-To");
    return std::nullopt;
  }
  auto target = protocol::sip::parse_name_addr(refer_to);
  if (!target.ok() || target->is_star || target->opaque_uri ||
      target->uri.scheme == protocol::sip::UriScheme::kTel || target->uri.user.empty()) {
    reject(transaction, 400, "Bad Refer-To");
    return std::nullopt;
  }
  auto replaces = protocol::sip::replaces_in_uri_headers(target->uri.headers);
  if (!replaces.ok()) {
    reject(transaction, 400, "Bad Replaces In Refer-To");
    return std::nullopt;
  }
  if (!target->uri.headers.empty() && !replaces->has_value()) {
    // Embedded headers other than Replaces (attended transfer): nothing we could honour.
    reject(transaction, 501, "Refer-To Headers Not Supported");
    return std::nullopt;
  }
  if (call.media == nullptr && call.local == nullptr) {
    reject(transaction, 501, "Transfer Needs Media Anchoring");
    return std::nullopt;
  }
  ReferTarget out;
  out.own_uri = uri_of(leg(call, from).dialog.local_party);
  auto own = protocol::sip::parse_uri(out.own_uri);
  if (!own.ok()) {
    reject(transaction, 500);
    return std::nullopt;
  }
  const std::string_view host = names_no_domain(target->uri.host) ? own->host : target->uri.host;
  auto tenant = options_.routing.resolve_tenant(host);
  if (!tenant) {
    reject(transaction, 404, "Unknown Domain");
    return std::nullopt;
  }
  if (tenant->id != call.tenant) {
    reject(transaction, 403, "Transfer To Another Tenant Not Allowed");
    return std::nullopt;
  }
  out.number = unescaped(target->uri.user);
  out.tenant = std::move(tenant).value();
  out.replaces = std::move(replaces).value();
  return out;
}

std::optional<std::string> B2bua::transfer_offer_for(Call& call, Side from,
                                                     ServerTransaction& transaction) {
  auto offer =
      call.media->transfer_offer(from == Side::kCaller ? MediaSide::kCaller : MediaSide::kCallee);
  if (!offer.ok()) {
    reject(transaction, offer.error().code, offer.error().message);
    return std::nullopt;
  }
  return std::move(offer).value();
}

void B2bua::complete_refer_at_once(Call& call, Side from, ServerTransaction& transaction,
                                   const Message& refer, std::string_view contact_user,
                                   std::string_view outcome) {
  accept_refer(transaction, leg(call, from), contact_user);
  auto notifying = std::make_unique<B2buaTransfer>();
  notifying->transferor = from == Side::kCaller ? 0 : 1;
  notifying->refer_cseq = refer.cseq_number();
  call.transfer = std::move(notifying);
  notify_transferor(call, 100, "Trying", false);
  notify_transferor(call, 200, outcome.empty() ? std::string_view("OK") : outcome, true);
  call.transfer.reset();
}

void B2bua::bye_leg(Call& call, Side side) {
  Leg& l = leg(call, side);
  if (l.ack_cseq != 0 && !l.ack_sent) send_ack(call, side, {}, {});
  (void)send_in_dialog(call, side, "BYE", ClientContext{});
}

void B2bua::retire_leg(Call& call, Side side) {
  write_record(call, store::Disposition::kAnswered,
               side == Side::kCaller ? store::HangupSide::kCaller : store::HangupSide::kCallee);
  report_call_state(call, CallPhase::kTerminated);
  call.holding[side == Side::kCaller ? 0 : 1] = false;  // whoever comes next has not held
  Leg& old = leg(call, side);
  cancel_timer(old.retransmit_timer);
  cancel_timer(old.ack_timer);
  cancel_timer(old.forget_ack_timer);
  if (old.established) {
    if (DialogRef* ref = find_dialog(old.dialog.call_id, old.dialog.local_tag);
        ref != nullptr && ref->call == call.id) {
      dialogs_.erase(key_scratch_);
    }
  }
  old = Leg{};
}

void B2bua::accept_refer(ServerTransaction& transaction, const Leg& transferor,
                         std::string_view contact_user) {
  ResponseOptions accepted;
  accepted.status_code = 202;
  accepted.extra_headers.emplace_back("Contact", contact_for(transferor.dialog.peer, contact_user));
  accepted.extra_headers.emplace_back("Server", options_.user_agent);
  (void)transaction.respond(accepted);
}

bool B2bua::send_transfer_branch(Call& call, std::string_view body, const Peer& peer,
                                 const store::Binding& binding) {
  B2buaTransfer& transfer = *call.transfer;
  const Side from = transfer.transferor == 0 ? Side::kCaller : Side::kCallee;
  const std::string to = "<sip:" + transfer.target + "@" + transfer.domain + ">";
  const std::string referred_by =
      "Referred-By: <" + uri_of(leg(call, from).dialog.remote_party) + ">\r\n";
  OutgoingInvite out;
  out.from_uri = transfer.transferee_uri;
  out.to = to;
  out.contact_user = from == Side::kCaller ? call.callee : call.caller;  // the transferee
  if (!transfer.from_application) out.extra_lines = referred_by;
  out.content_type = "application/sdp";
  out.body = body;
  auto sent = send_invite(out, peer, binding);
  if (!sent.ok()) return false;
  ClientContext context;
  context.kind = ClientKind::kTransfer;
  context.call = call.id;
  context.branch = static_cast<std::uint16_t>(transfer.branches.size());
  clients_.emplace(*sent, std::move(context));
  transfer.branches.push_back(*sent);
  transfer.branch_extensions.push_back(binding.extension);
  ++transfer.live_branches;
  return true;
}

void B2bua::on_transfer_response(ClientTransaction& transaction, ClientContext& context,
                                 const Message& response) {
  const int status = response.status_code();
  const TransactionId id = transaction.id();
  Call* call = find_call(context.call);
  const bool live = call != nullptr && call->transfer != nullptr &&
                    context.branch < call->transfer->branches.size() &&
                    call->transfer->branches[context.branch] == id;
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
    return;
  }
  if (status < 300) {
    if (live) {
      on_transfer_answer(*call, transaction, context, response);
      return;
    }
    // The winner's 2xx again: the ACK we sent answers it. Anything else is not wanted.
    if (call != nullptr) {
      for (Side side : {Side::kCaller, Side::kCallee}) {
        Leg& l = leg(*call, side);
        if (l.established && matches_response(l.dialog, response)) {
          resend_ack(*call, side, response);
          return;
        }
      }
    }
    release_2xx(context, transaction.request(), response, transaction.peer());
    keep_for_retransmissions(id, context);
    return;
  }
  const std::uint16_t branch = context.branch;
  cancel_timer(context.forget);
  clients_.erase(id);
  if (live) on_transfer_branch_failure(*call, branch, status, response.reason_phrase());
}

void B2bua::on_transfer_branch_failure(Call& call, std::uint16_t branch, int status,
                                       std::string_view reason) {
  B2buaTransfer& transfer = *call.transfer;
  transfer.branches[branch] = 0;
  --transfer.live_branches;
  // The same preference as a fork's failures (§16.7): 6xx, then busy, then the rest.
  auto rank = [](int s) {
    if (s >= 600) return 0;
    if (s == 486) return 1;
    if (s >= 400 && s < 500) return 2;
    if (s >= 500) return 3;
    return 4;
  };
  if (transfer.best_status == 0 || rank(status) < rank(transfer.best_status)) {
    transfer.best_status = status;
    transfer.best_reason.assign(reason);
  }
  if (status >= 600) {
    cancel_transfer_branches(call, false);
    transfer.live_branches = 0;
  }
  if (transfer.live_branches != 0) return;
  int reported = transfer.best_status;
  std::string reported_reason = transfer.best_reason;
  if (reported < 400 || reported == 401 || reported == 407 || reported == 408 || reported == 487) {
    reported = 480;
    reported_reason = "Temporarily Unavailable";
  }
  fail_transfer(call, reported, reported_reason);
}

void B2bua::on_transfer_answer(Call& call, ClientTransaction& transaction, ClientContext& context,
                               const Message& response) {
  B2buaTransfer& transfer = *call.transfer;
  const Side side = transfer.transferor == 0 ? Side::kCaller : Side::kCallee;
  const auto media_side = side == Side::kCaller ? MediaSide::kCaller : MediaSide::kCallee;
  auto dialog = make_uac_dialog(transaction.request(), response, transaction.peer());
  auto answer = call.media->answer(media_side, response.body());
  if (!dialog.ok() || !answer.ok()) {
    if (!answer.ok()) ++stats_.sdp_refused;
    release_2xx(context, transaction.request(), response, transaction.peer());
    keep_for_retransmissions(transaction.id(), context);
    on_transfer_branch_failure(call, context.branch, answer.ok() ? 502 : answer.error().code,
                               answer.ok() ? "Bad Gateway" : "Not Acceptable Here");
    return;
  }
  transfer.branches[context.branch] = 0;
  // With several extensions ringing (a queue's ring-all offer) the one that answered is the
  // party of the call from now on: its record, its busy state, the queue's credit.
  const std::string answered_by = context.branch < transfer.branch_extensions.size() &&
                                          !transfer.branch_extensions[context.branch].empty()
                                      ? transfer.branch_extensions[context.branch]
                                      : transfer.target;
  cancel_transfer_branches(call, true);
  cancel_timer(transfer.no_answer_timer);
  keep_for_retransmissions(transaction.id(), context);

  // A desk phone holds the call before a blind transfer: the transferee answered that hold
  // recvonly and is taken off hold once the target has answered (decision 0057).
  const bool transferee_held = call.holding[side == Side::kCaller ? 0 : 1];
  // The transferor learns the outcome and leaves; its call ends as answered, hung up by it.
  if (!transfer.transferor_gone) {
    notify_transferor(call, response.status_code(), response.reason_phrase(), true);
    bye_leg(call, side);
  }
  retire_leg(call, side);

  // The target takes the transferor's place; the new record starts with the transfer.
  Leg& old = leg(call, side);
  old.dialog = std::move(dialog).value();
  old.established = true;
  old.ack_cseq = old.dialog.local_cseq;
  add_dialog(call, side);
  send_ack(call, side, {}, {});
  if (side == Side::kCaller) {
    call.caller = answered_by;
    call.record_swapped = true;
  } else {
    call.callee = answered_by;
    call.record_swapped = false;
  }
  call.start_ms = transfer.start_ms;
  call.answer_ms = now_ms();
  call.end_reason = store::EndReason::kNormal;
  const bool from_application = call.transfer->from_application;
  call.transfer.reset();
  ++stats_.calls_answered;
  report_call_state(call, CallPhase::kConfirmed);
  if (from_application) {
    // The application's part ends; the caller's media moves to the relay.
    call.local->on_redirect_answered(answered_by);
    call.local.reset();
    cancel_timer(call.local_hang_up_timer);
    cancel_timer(call.local_redirect_timer);
    reinvite_caller(call, *answer);
  } else if (transferee_held) {
    reinvite_leg(call, side == Side::kCaller ? Side::kCallee : Side::kCaller, *answer);
  }
}

void B2bua::fail_transfer(Call& call, int status, std::string_view reason) {
  if (call.transfer->from_application) {
    if (!next_redirect_stage(call, status)) fail_redirect(call, status);
    return;
  }
  B2buaTransfer& transfer = *call.transfer;
  cancel_transfer_branches(call, false);
  cancel_timer(transfer.no_answer_timer);
  const bool gone = transfer.transferor_gone;
  if (!gone) notify_transferor(call, status, reason, true);
  call.transfer.reset();
  // Nobody is left to take the transferee back: the call ends.
  if (gone) hang_up(call, store::HangupSide::kSystem, true, true);
}

void B2bua::notify_transferor(Call& call, int status, std::string_view reason, bool final) {
  const B2buaTransfer& transfer = *call.transfer;
  const Side side = transfer.transferor == 0 ? Side::kCaller : Side::kCallee;
  std::string lines = "Event: refer;id=" + std::to_string(transfer.refer_cseq) + "\r\n";
  lines.append(final ? "Subscription-State: terminated;reason=noresource\r\n"
                     : "Subscription-State: active;expires=60\r\n");
  const std::string body = "SIP/2.0 " + std::to_string(status) + " " + std::string(reason) + "\r\n";
  (void)send_in_dialog(call, side, "NOTIFY", ClientContext{}, lines, "message/sipfrag;version=2.0",
                       body);
}

void B2bua::drop_transferor(Call& call) {
  B2buaTransfer& transfer = *call.transfer;
  const Side side = transfer.transferor == 0 ? Side::kCaller : Side::kCallee;
  Leg& l = leg(call, side);
  transfer.transferor_gone = true;
  cancel_timer(l.retransmit_timer);
  cancel_timer(l.ack_timer);
  if (DialogRef* ref = find_dialog(l.dialog.call_id, l.dialog.local_tag);
      ref != nullptr && ref->call == call.id) {
    dialogs_.erase(key_scratch_);
  }
  l.established = false;
}

void B2bua::cancel_transfer_branches(Call& call, bool completed_elsewhere) {
  if (call.transfer == nullptr) return;
  for (TransactionId& branch : call.transfer->branches) {
    if (branch != 0) cancel_branch(branch, completed_elsewhere);
    branch = 0;
  }
}

}  // namespace parley::sip
