// The B2BUA once a call has dialogs: ACKs for 2xx in both directions, our own 2xx
// retransmission (§13.3.1.4), in-dialog requests relayed between the legs, BYE, and the timers.

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

}  // namespace

void B2bua::on_in_dialog(ServerTransaction& transaction, const Message& request) {
  DialogRef* ref = find_dialog(request.call_id(), request.to_tag());
  Call* call = ref != nullptr ? find_call(ref->call) : nullptr;
  if (call == nullptr || request.from_tag() != leg(*call, ref->side).dialog.remote_tag) {
    reject(transaction, 481);
    return;
  }
  const Side side = ref->side;
  Leg& from = leg(*call, side);
  if (!accept_remote_cseq(from.dialog, request)) {
    reject(transaction, 500, "CSeq Out of Order");
    return;
  }
  const Method method = request.method();
  if (method == Method::kBye) {
    ResponseOptions ok;
    ok.extra_headers.emplace_back("Server", options_.user_agent);
    (void)transaction.respond(ok);
    if (!call->answered) {
      // Only the caller's early dialog exists while ringing: its BYE works like a CANCEL.
      finish_ringing(*call, 487, {}, store::Disposition::kCancelled, store::HangupSide::kCaller);
      return;
    }
    const bool from_caller = side == Side::kCaller;
    if (call->transfer != nullptr && call->transfer->transferor == (from_caller ? 0 : 1)) {
      // A blind transfer goes on when the transferor hangs up (decision 0014).
      drop_transferor(*call);
      return;
    }
    hang_up(*call, from_caller ? store::HangupSide::kCaller : store::HangupSide::kCallee,
            !from_caller, from_caller);
    return;
  }
  if (!call->answered) {
    // No callee dialog yet to relay to. OPTIONS is harmless; anything else (an early UPDATE)
    // has to wait for the answer.
    if (method == Method::kOptions) {
      reject(transaction, 200, {}, {{"Allow", std::string(kAllow)}});
    } else {
      reject(transaction, 491);
    }
    return;
  }
  if (call->local != nullptr) {
    on_local_request(*call, transaction, request);
    return;
  }
  if (call->transfer != nullptr && (method == Method::kInvite || method == Method::kUpdate)) {
    reject(transaction, 491);  // the media of a transfer is being negotiated
    return;
  }
  switch (method) {
    case Method::kRefer:
      on_refer(*call, side, transaction, request);
      return;
    case Method::kInvite:
    case Method::kUpdate:
    case Method::kInfo:
    case Method::kOptions:
    case Method::kMessage:
      relay_request(*call, side, transaction, request);
      return;
    case Method::kPrack:
      reject(transaction, 481);  // we never send reliable provisional responses
      return;
    default:
      reject(transaction, 405, {}, {{"Allow", std::string(kAllow)}});
      return;
  }
}

void B2bua::relay_request(Call& call, Side from, ServerTransaction& transaction,
                          const Message& request) {
  const Side to = from == Side::kCaller ? Side::kCallee : Side::kCaller;
  Leg& source = leg(call, from);
  Leg& target = leg(call, to);
  const Method method = request.method();
  if (method == Method::kInvite) {
    // §14.2: one INVITE at a time in a dialog, counting both directions and both legs.
    if (source.invite_server != 0) {
      reject(transaction, 500, {}, {{"Retry-After", "1"}});
      return;
    }
    if (source.invite_client != 0 || source.pending_2xx_cseq != 0 || target.invite_client != 0 ||
        target.invite_server != 0 || target.pending_2xx_cseq != 0) {
      reject(transaction, 491);
      return;
    }
  }
  if ((method == Method::kInvite || method == Method::kUpdate) &&
      !refresh_target(source.dialog, request)) {
    reject(transaction, 400, "Invalid Contact");
    return;
  }
  if (request.max_forwards() == 0) {
    reject(transaction, 483);
    return;
  }
  ClientContext context;
  context.kind = ClientKind::kRelay;
  context.side = from;
  context.call = call.id;
  context.server = transaction.id();
  // A re-INVITE or UPDATE with a body is a new offer (hold, resume, codec change).
  std::string body(request.body());
  if ((method == Method::kInvite || method == Method::kUpdate) && !body.empty()) {
    auto offer = media_body(call, from, request, true);
    if (!offer.ok()) {
      ++stats_.sdp_refused;
      reject(transaction, offer.error().code, offer.error().message);
      return;
    }
    body = std::move(offer).value();
    context.carries_offer = true;
  }
  const std::string extra = b2bua_detail::passthrough_lines(request);
  auto sent = send_in_dialog(call, to, request.method_text(), context, extra,
                             request.first(HeaderId::kContentType), body,
                             request.max_forwards() < 0 ? 70 : request.max_forwards() - 1);
  if (!sent.ok()) {
    reject(transaction, 503);
    return;
  }
  ++stats_.requests_relayed;
  if (method == Method::kInvite) {
    source.invite_server = transaction.id();
    target.invite_client = *sent;
  }
}

void B2bua::on_relay_response(ClientTransaction& transaction, ClientContext& context,
                              const Message& response) {
  const int status = response.status_code();
  if (status == 100) return;  // hop by hop
  const TransactionId id = transaction.id();
  const bool invite = transaction.is_invite();
  const Side from = context.side;
  const Side to = from == Side::kCaller ? Side::kCallee : Side::kCaller;
  Call* call = find_call(context.call);
  ServerTransaction* server = options_.layer.find_server(context.server);

  ResponseOptions relayed;
  relayed.status_code = status;
  relayed.reason = response.reason_phrase();
  relayed.extra_headers.emplace_back("Server", options_.user_agent);
  const bool refreshes = (invite || transaction.request().method() == Method::kUpdate) &&
                         status < 300 && call != nullptr;
  if (refreshes) {
    relayed.extra_headers.emplace_back(
        "Contact", contact_for(leg(*call, from).dialog.peer,
                               from == Side::kCaller ? call->callee : call->caller));
  }
  b2bua_detail::add_passthrough(relayed.extra_headers, response);
  relayed.content_type = response.first(HeaderId::kContentType);
  std::string body(response.body());
  const bool offer_answer_method = invite || transaction.request().method() == Method::kUpdate;
  if (call != nullptr && offer_answer_method && !body.empty() && status < 300) {
    // The answer to the relayed offer; or, for an INVITE that had none, the 2xx's offer.
    if (context.carries_offer || (invite && status >= 200)) {
      auto rewritten = media_body(*call, to, response, !context.carries_offer);
      if (rewritten.ok()) {
        body = std::move(rewritten).value();
      } else {
        ++stats_.sdp_refused;
        body.clear();
        relayed.content_type = {};
      }
    } else {
      body.clear();  // SDP in a provisional answer to an offerless re-INVITE: not relayed
      relayed.content_type = {};
    }
  }
  relayed.body = body;

  if (invite && status >= 200 && status < 300) {
    if (call == nullptr) {
      release_2xx(context, transaction.request(), response, transaction.peer());
      keep_for_retransmissions(id, context);
      return;
    }
    Leg& target = leg(*call, to);
    if (target.invite_client != id) {
      // Already relayed: a retransmission (or a second 2xx of a fork behind the UA).
      if (matches_response(target.dialog, response)) resend_ack(*call, to, response);
      return;
    }
    target.invite_client = 0;
    leg(*call, from).invite_server = 0;
    (void)refresh_target(target.dialog, response);
    target.ack_cseq = response.cseq_number();
    target.ack_sent = false;
    std::string().swap(target.last_ack);
    cancel_timer(target.forget_ack_timer);
    keep_for_retransmissions(id, context);
    if (server == nullptr) {
      send_ack(*call, to, {}, {});  // the requester is gone; at least stop the 2xx
      return;
    }
    answer_2xx(*call, from, *server, protocol::sip::build_response(server->request(), relayed),
               status);
    return;
  }
  if (server != nullptr) (void)server->respond(relayed);
  if (status < 200) return;

  if (call != nullptr) {
    if (invite) {
      if (leg(*call, to).invite_client == id) leg(*call, to).invite_client = 0;
      if (leg(*call, from).invite_server == context.server) leg(*call, from).invite_server = 0;
    } else if (refreshes) {
      (void)refresh_target(leg(*call, to).dialog, response);
    }
  }
  cancel_timer(context.forget);
  clients_.erase(id);
  // §12.2.1.2: 481 and 408 to an in-dialog request end that dialog; the call cannot go on.
  if (call != nullptr && (status == 481 || status == 408)) {
    const bool both = status == 408;
    hang_up(*call, store::HangupSide::kSystem, both || from == Side::kCaller,
            both || from == Side::kCallee);
  }
}

void B2bua::on_relay_failure(ClientContext& context, int status) {
  if (ServerTransaction* server = options_.layer.find_server(context.server)) {
    ResponseOptions response;
    response.status_code = status;
    response.extra_headers.emplace_back("Server", options_.user_agent);
    (void)server->respond(response);
  }
  // The other UA is gone (timeout) or unreachable: the call is over.
  if (Call* call = find_call(context.call)) {
    if (call->answered) hang_up(*call, store::HangupSide::kSystem, true, true);
  }
}

bool B2bua::on_dialog_ack(const Message& ack) {
  DialogRef* ref = find_dialog(ack.call_id(), ack.to_tag());
  Call* call = ref != nullptr ? find_call(ref->call) : nullptr;
  if (call == nullptr) return false;
  const Side side = ref->side;
  Leg& acked = leg(*call, side);
  if (ack.from_tag() != acked.dialog.remote_tag) return false;
  if (acked.pending_2xx_cseq == 0 || ack.cseq_number() != acked.pending_2xx_cseq) {
    return true;  // a retransmitted ACK
  }
  acked.pending_2xx_cseq = 0;
  std::string().swap(acked.pending_2xx);
  cancel_timer(acked.retransmit_timer);
  cancel_timer(acked.ack_timer);
  const Side other = side == Side::kCaller ? Side::kCallee : Side::kCaller;
  Leg& forward = leg(*call, other);
  if (forward.ack_cseq != 0 && !forward.ack_sent) {
    // An ACK body is always the answer to an offer the 2xx carried (§13.2.1).
    std::string body(ack.body());
    if (!body.empty()) {
      auto answer = media_body(*call, side, ack, false);
      if (answer.ok()) {
        body = std::move(answer).value();
      } else {
        ++stats_.sdp_refused;
        // The offerer cannot use our answer: the session cannot go on (§13.2.1 gives no way
        // to refuse an answer in an ACK but ending the call).
        send_ack(*call, other, {}, {});
        hang_up(*call, store::HangupSide::kSystem, true, true);
        return true;
      }
    }
    send_ack(*call, other, body.empty() ? std::string_view{} : ack.first(HeaderId::kContentType),
             body);
  }
  return true;
}

bool B2bua::on_dialog_2xx(const Message& response) {
  DialogRef* ref = find_dialog(response.call_id(), response.from_tag());
  Call* call = ref != nullptr ? find_call(ref->call) : nullptr;
  if (call == nullptr) return false;
  const Side side = ref->side;
  if (!matches_response(leg(*call, side).dialog, response)) return false;
  resend_ack(*call, side, response);
  return true;
}

void B2bua::resend_ack(Call& call, Side side, const Message& response) {
  Leg& l = leg(call, side);
  // Before the other UA ACKed, our ACK does not exist yet: that ACK will answer this 2xx.
  if (l.ack_cseq != response.cseq_number() || !l.ack_sent) return;
  ++stats_.acks_resent;
  if (l.last_ack.empty()) {
    send_ack(call, side, {}, {});  // kept no longer; the body was delivered the first time
    return;
  }
  (void)options_.transport.send(l.dialog.peer, l.last_ack);
}

void B2bua::send_ack(Call& call, Side side, std::string_view content_type, std::string_view body) {
  Leg& l = leg(call, side);
  const std::string via =
      make_via(l.dialog.peer.transport, host_port(l.dialog.peer), options_.layer.make_branch());
  DialogRequest ack;
  ack.method = "ACK";
  ack.cseq = l.ack_cseq;  // §13.2.2.4: the CSeq number of the INVITE it acknowledges
  ack.via = via;
  ack.user_agent = options_.user_agent;
  ack.content_type = content_type;
  ack.body = body;
  l.last_ack = build_request(l.dialog, ack);
  (void)options_.transport.send(l.dialog.peer, l.last_ack);
  l.ack_sent = true;
  cancel_timer(l.forget_ack_timer);
  l.forget_ack_timer =
      schedule(call.id, side == Side::kCaller ? TimerKind::kForgetAckA : TimerKind::kForgetAckB,
               64 * options_.layer.timer_values().t1);
}

void B2bua::answer_2xx(Call& call, Side side, ServerTransaction& transaction, std::string wire,
                       int status) {
  Leg& l = leg(call, side);
  const std::uint32_t cseq = transaction.request().cseq_number();
  if (!transaction.respond_wire(wire, status).ok()) {
    hang_up(call, store::HangupSide::kSystem, side != Side::kCaller, side != Side::kCallee);
    return;
  }
  const TimerValues& timers = options_.layer.timer_values();
  l.pending_2xx = std::move(wire);
  l.pending_2xx_cseq = cseq;
  l.retransmit_interval = timers.t1;
  const bool caller = side == Side::kCaller;
  // §13.3.1.4 asks for retransmission on any transport; over a stream the bytes cannot be lost
  // on the way, so only the wait for the ACK is kept there.
  if (!is_reliable(l.dialog.peer.transport)) {
    l.retransmit_timer =
        schedule(call.id, caller ? TimerKind::kRetransmitA : TimerKind::kRetransmitB, timers.t1);
  }
  l.ack_timer =
      schedule(call.id, caller ? TimerKind::kAckTimeoutA : TimerKind::kAckTimeoutB, 64 * timers.t1);
}

Result<TransactionId> B2bua::send_in_dialog(Call& call, Side side, std::string_view method,
                                            const ClientContext& context,
                                            std::string_view extra_lines,
                                            std::string_view content_type, std::string_view body,
                                            int max_forwards) {
  Leg& l = leg(call, side);
  const Peer& peer = l.dialog.peer;
  const std::string via = make_via(peer.transport, host_port(peer), options_.layer.make_branch());
  // On the caller's leg we stand for the callee, and the other way round.
  const bool refresh = method == "INVITE" || method == "UPDATE";
  const std::string contact =
      refresh ? contact_for(peer, side == Side::kCaller ? call.callee : call.caller)
              : std::string();
  DialogRequest request;
  request.method = method;
  request.cseq = ++l.dialog.local_cseq;
  request.via = via;
  request.contact = contact;
  request.user_agent = options_.user_agent;
  request.max_forwards = max_forwards;
  request.extra_lines = extra_lines;
  request.content_type = content_type;
  request.body = body;
  auto sent = options_.layer.send_request(build_request(l.dialog, request), peer);
  if (sent.ok()) clients_.emplace(*sent, context);
  return sent;
}

void B2bua::hang_up(Call& call, store::HangupSide side, bool bye_caller, bool bye_callee) {
  for (Side s : {Side::kCaller, Side::kCallee}) {
    Leg& l = leg(call, s);
    if (!l.established || !(s == Side::kCaller ? bye_caller : bye_callee)) continue;
    // §13.2.2.4: every 2xx is ACKed, even one whose session we end at once.
    if (l.ack_cseq != 0 && !l.ack_sent) send_ack(call, s, {}, {});
    (void)send_in_dialog(call, s, "BYE", ClientContext{});
  }
  for (Side s : {Side::kCaller, Side::kCallee}) {
    // §15.1.2: requests still pending in a dialog that ends get 487.
    if (ServerTransaction* server = options_.layer.find_server(leg(call, s).invite_server)) {
      ResponseOptions terminated;
      terminated.status_code = 487;
      (void)server->respond(terminated);
    }
  }
  write_record(call, store::Disposition::kAnswered, side);
  destroy(call);
}

void B2bua::fire(std::uint64_t id, TimerKind kind, TimerId timer) {
  if (kind == TimerKind::kForgetClient) {
    auto it = clients_.find(id);
    if (it != clients_.end() && it->second.forget == timer) clients_.erase(it);
    return;
  }
  if (kind == TimerKind::kExternalNoReply) {
    on_external_no_reply(id, timer);
    return;
  }
  Call* call = find_call(id);
  if (call == nullptr) return;
  const TimerValues& timers = options_.layer.timer_values();
  switch (kind) {
    case TimerKind::kNoAnswer:
      if (call->no_answer_timer != timer) return;
      call->no_answer_timer = kNoTimer;
      if (!call->answered) next_stage(*call, store::Disposition::kNoAnswer);
      return;
    case TimerKind::kRetransmitA:
    case TimerKind::kRetransmitB: {
      const Side side = kind == TimerKind::kRetransmitA ? Side::kCaller : Side::kCallee;
      Leg& l = leg(*call, side);
      if (l.retransmit_timer != timer) return;
      l.retransmit_timer = kNoTimer;
      if (l.pending_2xx_cseq == 0) return;
      (void)options_.transport.send(l.dialog.peer, l.pending_2xx);
      l.retransmit_interval = std::min(2 * l.retransmit_interval, timers.t2);
      l.retransmit_timer = schedule(id, kind, l.retransmit_interval);
      return;
    }
    case TimerKind::kAckTimeoutA:
    case TimerKind::kAckTimeoutB: {
      Leg& l = leg(*call, kind == TimerKind::kAckTimeoutA ? Side::kCaller : Side::kCallee);
      if (l.ack_timer != timer) return;
      l.ack_timer = kNoTimer;
      // §13.3.1.4: no ACK within 64*T1: the dialog is confirmed but the session must end.
      if (l.pending_2xx_cseq != 0) hang_up(*call, store::HangupSide::kSystem, true, true);
      return;
    }
    case TimerKind::kForgetAckA:
    case TimerKind::kForgetAckB: {
      Leg& l = leg(*call, kind == TimerKind::kForgetAckA ? Side::kCaller : Side::kCallee);
      if (l.forget_ack_timer != timer) return;
      l.forget_ack_timer = kNoTimer;
      std::string().swap(l.last_ack);
      return;
    }
    case TimerKind::kMediaCheck:
      if (call->media_timer != timer) return;
      call->media_timer = kNoTimer;
      check_media(*call);
      return;
    case TimerKind::kTransferNoAnswer:
      if (call->transfer == nullptr || call->transfer->no_answer_timer != timer) return;
      call->transfer->no_answer_timer = kNoTimer;
      fail_transfer(*call, 480, "Temporarily Unavailable");
      return;
    case TimerKind::kLocalHangUp:
      if (call->local_hang_up_timer != timer) return;
      call->local_hang_up_timer = kNoTimer;
      hang_up(*call, store::HangupSide::kCallee, true, false);
      return;
    case TimerKind::kLocalRedirect:
      if (call->local_redirect_timer != timer) return;
      call->local_redirect_timer = kNoTimer;
      start_redirect(*call);
      return;
    case TimerKind::kForgetClient:
    case TimerKind::kExternalNoReply:
      return;
  }
}

}  // namespace parley::sip
