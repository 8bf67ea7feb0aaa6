// The transaction layer's client side (RFC 3261 §17.1, RFC 6026 §7.2).

#include <algorithm>
#include <utility>

#include "sip/transaction_internal.hpp"
#include "sip/transaction_layer.hpp"
#include "sip/transaction_messages.hpp"

namespace parley::sip {

namespace {

using protocol::sip::Message;
using protocol::sip::Method;
using State = TransactionState;
using detail::kMagicCookie;

// §17.1.3: the top Via branch and the CSeq method (so that a CANCEL, which shares the
// INVITE's branch, has a transaction of its own).
void make_client_key(std::string& key, std::string_view branch, std::string_view method) {
  key.clear();
  detail::append_lower(key, branch);
  key.append("|").append(method);
}

}  // namespace

Result<TransactionId> TransactionLayer::send_request(std::string_view wire_bytes, const Peer& to) {
  auto parsed = protocol::sip::parse_message(wire_bytes);
  if (!parsed.ok()) return make_error(500, "request does not parse: " + parsed.error().message);
  return send_request(std::move(parsed).value(), to);
}

Result<TransactionId> TransactionLayer::send_request(Message request, const Peer& to) {
  if (!request.is_request()) return make_error(500, "not a request");
  if (request.method() == Method::kAck) {
    return make_error(500, "ACK is sent without a transaction");
  }
  if (request.cseq_method_text() != request.method_text()) {
    return make_error(500, "CSeq method differs from the request method");
  }
  const std::string_view branch = request.top_via_branch();
  if (!branch.starts_with(kMagicCookie) || branch.size() == kMagicCookie.size()) {
    return make_error(500, "top Via branch must start with z9hG4bK (use make_branch())");
  }
  make_client_key(key_scratch_, branch, request.method_text());
  if (client_index_.contains(std::string_view(key_scratch_))) {
    return make_error(500, "branch already in use by a client transaction");
  }
  if (size() >= max_transactions_) return make_error(503, "too many transactions");
  if (!transport_.send(to, request.raw())) return make_error(503, "transport refused the request");

  const TransactionId id = next_id_++;
  auto owned = std::make_unique<ClientTransaction>(id, std::move(request), to);
  ClientTransaction& transaction = *owned;
  transaction.key_ = key_scratch_;
  client_index_.emplace(transaction.key_, &transaction);
  clients_.emplace(id, std::move(owned));

  const Duration timeout = 64 * timers_values_.t1;
  if (!transaction.is_reliable()) {
    transaction.retransmit_interval_ = timers_values_.t1;
    start_timer(transaction, transaction.invite_ ? TimerKind::kA : TimerKind::kE,
                timers_values_.t1);
  }
  start_timer(transaction, transaction.invite_ ? TimerKind::kB : TimerKind::kF, timeout);
  return id;
}

void TransactionLayer::handle_response(const Message& response, const Peer& from) {
  make_client_key(key_scratch_, response.top_via_branch(), response.cseq_method_text());
  ClientTransaction* transaction = nullptr;
  if (auto it = client_index_.find(std::string_view(key_scratch_)); it != client_index_.end()) {
    transaction = it->second;
  }
  if (transaction == nullptr || transaction->state_ == State::kTerminated ||
      response.status_code() < 100) {
    ++stats_.stray_responses;
    listener_.on_stray_response(response, from);
    return;
  }
  if (transaction->invite_) {
    handle_invite_response(*transaction, response);
  } else {
    handle_non_invite_response(*transaction, response);
  }
}

void TransactionLayer::handle_invite_response(ClientTransaction& transaction,
                                              const Message& response) {
  const int status = response.status_code();
  switch (transaction.state_) {
    case State::kCalling:
    case State::kProceeding:
      break;
    case State::kCompleted:
      // §17.1.1.2: a retransmitted 3xx-6xx means our ACK was lost; send it again.
      ++stats_.responses_absorbed;
      if (status >= 300 && !transport_.send(transaction.peer_, transaction.ack_)) {
        terminate(transaction);
        listener_.on_client_failure(transaction, ClientFailure::kTransportError);
      }
      return;
    case State::kAccepted:
      // RFC 6026 §7.2: every 2xx goes up, so that the TU can ACK each retransmission.
      if (status >= 200 && status < 300) {
        listener_.on_response(transaction, response);
      } else {
        ++stats_.responses_absorbed;
      }
      return;
    default:
      ++stats_.responses_absorbed;
      return;
  }
  if (status < 200) {
    // Timer B only guards Calling; in Proceeding the TU decides when to give up (CANCEL).
    transaction.state_ = State::kProceeding;
    transaction.last_status_ = status;
    stop_timer(transaction, TimerKind::kA);
    stop_timer(transaction, TimerKind::kB);
    listener_.on_response(transaction, response);
    return;
  }
  transaction.last_status_ = status;
  stop_timer(transaction, TimerKind::kA);
  stop_timer(transaction, TimerKind::kB);
  if (status < 300) {
    transaction.state_ = State::kAccepted;
    start_timer(transaction, TimerKind::kM, 64 * timers_values_.t1);
    listener_.on_response(transaction, response);
    return;
  }
  transaction.state_ = State::kCompleted;
  transaction.ack_ = build_failure_ack(transaction.request_, response);
  const bool ack_sent = transport_.send(transaction.peer_, transaction.ack_);
  if (ack_sent) {
    start_or_terminate(transaction, TimerKind::kD,
                       transaction.is_reliable() ? Duration::zero() : timers_values_.timer_d);
  } else {
    terminate(transaction);
  }
  listener_.on_response(transaction, response);
  if (!ack_sent) listener_.on_client_failure(transaction, ClientFailure::kTransportError);
}

void TransactionLayer::handle_non_invite_response(ClientTransaction& transaction,
                                                  const Message& response) {
  if (transaction.state_ != State::kTrying && transaction.state_ != State::kProceeding) {
    ++stats_.responses_absorbed;
    return;
  }
  const int status = response.status_code();
  transaction.last_status_ = status;
  if (status < 200) {
    // Timer E keeps running; from now on it fires every T2 (§17.1.2.2).
    transaction.state_ = State::kProceeding;
    listener_.on_response(transaction, response);
    return;
  }
  transaction.state_ = State::kCompleted;
  stop_timer(transaction, TimerKind::kE);
  stop_timer(transaction, TimerKind::kF);
  start_or_terminate(transaction, TimerKind::kK,
                     transaction.is_reliable() ? Duration::zero() : timers_values_.t4);
  listener_.on_response(transaction, response);
}

bool TransactionLayer::resend_request(ClientTransaction& transaction) {
  ++stats_.retransmissions_sent;
  if (transport_.send(transaction.peer_, transaction.request_.raw())) return true;
  terminate(transaction);
  listener_.on_client_failure(transaction, ClientFailure::kTransportError);
  return false;
}

void TransactionLayer::fire_client_timer(ClientTransaction& transaction, TimerKind kind) {
  switch (kind) {
    case TimerKind::kA:
      if (transaction.state_ != State::kCalling) return;
      // §17.1.1.2: A doubles each time with no cap; Timer B ends it.
      transaction.retransmit_interval_ *= 2;
      start_timer(transaction, TimerKind::kA, transaction.retransmit_interval_);
      (void)resend_request(transaction);
      return;
    case TimerKind::kE:
      if (transaction.state_ == State::kTrying) {
        transaction.retransmit_interval_ =
            std::min(2 * transaction.retransmit_interval_, timers_values_.t2);
      } else if (transaction.state_ == State::kProceeding) {
        transaction.retransmit_interval_ = timers_values_.t2;
      } else {
        return;
      }
      start_timer(transaction, TimerKind::kE, transaction.retransmit_interval_);
      (void)resend_request(transaction);
      return;
    case TimerKind::kB:
      if (transaction.state_ != State::kCalling) return;
      terminate(transaction);
      listener_.on_client_failure(transaction, ClientFailure::kTimeout);
      return;
    case TimerKind::kF:
      if (transaction.state_ != State::kTrying && transaction.state_ != State::kProceeding) return;
      terminate(transaction);
      listener_.on_client_failure(transaction, ClientFailure::kTimeout);
      return;
    case TimerKind::kD:
    case TimerKind::kK:
    case TimerKind::kM:
      terminate(transaction);
      return;
    default:
      return;
  }
}

}  // namespace parley::sip
