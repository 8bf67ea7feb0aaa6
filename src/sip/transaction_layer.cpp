// The transaction layer's shared machinery and its server side (RFC 3261 §17.2, RFC 6026 §7.1).
// The client side lives in transaction_client.cpp.

#include "sip/transaction_layer.hpp"

#include <algorithm>
#include <utility>

#include "protocol/sip/headers.hpp"
#include "protocol/sip/response.hpp"
#include "sip/transaction_internal.hpp"

namespace parley::sip {

namespace {

using protocol::sip::Message;
using protocol::sip::Method;
using protocol::sip::ResponseOptions;
using State = TransactionState;
using detail::append_lower;
using detail::is_server_timer;
using detail::kMagicCookie;
using detail::kTimerKindBits;
using detail::kTimerKindMask;
using detail::slot_of;

void append_hex(std::string& out, std::uint64_t value, int digits) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = digits - 1; i >= 0; --i) {
    out.push_back(kHex[(value >> (4U * static_cast<unsigned>(i))) & 0xfU]);
  }
}

std::uint64_t seed_from(std::uint64_t seed) {
  if (seed != 0) return seed;
  std::random_device device;
  return (static_cast<std::uint64_t>(device()) << 32U) ^ device();
}

}  // namespace

TransactionLayer::TransactionLayer(const Options& options)
    : clock_(options.clock),
      transport_(options.transport),
      listener_(options.listener),
      timers_values_(options.timers),
      max_transactions_(options.max_transactions),
      random_(seed_from(options.random_seed)) {}

TransactionLayer::~TransactionLayer() = default;

std::string TransactionLayer::make_branch() {
  std::string branch(kMagicCookie);
  append_hex(branch, random_(), 16);
  append_hex(branch, random_(), 8);
  return branch;
}

std::string TransactionLayer::make_tag() {
  std::string tag;
  append_hex(tag, random_(), 16);
  return tag;
}

ServerTransaction* TransactionLayer::find_server(TransactionId id) {
  auto it = servers_.find(id);
  return it == servers_.end() ? nullptr : it->second.get();
}

ClientTransaction* TransactionLayer::find_client(TransactionId id) {
  auto it = clients_.find(id);
  return it == clients_.end() ? nullptr : it->second.get();
}

void TransactionLayer::on_message(Message message, const Peer& from) {
  reap();
  if (message.is_request()) {
    handle_request(std::move(message), from);
  } else {
    handle_response(message, from);
  }
  reap();
}

TimePoint TransactionLayer::next_deadline() const {
  if (!doomed_.empty()) return clock_.now();
  return timers_.next_deadline().value_or(TimePoint::max());
}

void TransactionLayer::process_timers() {
  reap();
  const TimePoint now = clock_.now();
  while (auto expired = timers_.pop_due(now)) {
    const TransactionId id = expired->cookie >> kTimerKindBits;
    const auto kind = static_cast<TimerKind>(expired->cookie & kTimerKindMask);
    if (is_server_timer(kind)) {
      ServerTransaction* transaction = find_server(id);
      if (transaction == nullptr) continue;
      transaction->timers_[slot_of(kind)] = kNoTimer;
      fire_server_timer(*transaction, kind);
    } else {
      ClientTransaction* transaction = find_client(id);
      if (transaction == nullptr) continue;
      transaction->timers_[slot_of(kind)] = kNoTimer;
      fire_client_timer(*transaction, kind);
    }
  }
  reap();
}

// --- shared ---

void TransactionLayer::start_timer(Transaction& transaction, TimerKind kind, Duration delay) {
  TimerId& slot = transaction.timers_[slot_of(kind)];
  timers_.cancel(slot);
  const std::uint64_t cookie = (transaction.id_ << kTimerKindBits) | static_cast<unsigned>(kind);
  slot = timers_.schedule(clock_.now() + delay, cookie);
}

void TransactionLayer::stop_timer(Transaction& transaction, TimerKind kind) {
  TimerId& slot = transaction.timers_[slot_of(kind)];
  timers_.cancel(slot);
  slot = kNoTimer;
}

void TransactionLayer::start_or_terminate(Transaction& transaction, TimerKind kind,
                                          Duration delay) {
  if (delay <= Duration::zero()) {
    terminate(transaction);
  } else {
    start_timer(transaction, kind, delay);
  }
}

void TransactionLayer::terminate(Transaction& transaction) {
  if (transaction.state_ == State::kTerminated) return;
  transaction.state_ = State::kTerminated;
  for (TimerId& timer : transaction.timers_) {
    timers_.cancel(timer);
    timer = kNoTimer;
  }
  doomed_.push_back(transaction.id_);
}

void TransactionLayer::reap() {
  for (TransactionId id : doomed_) {
    if (auto it = servers_.find(id); it != servers_.end()) {
      server_index_.erase(it->second->key_);
      servers_.erase(it);
    } else if (auto client = clients_.find(id); client != clients_.end()) {
      client_index_.erase(client->second->key_);
      clients_.erase(client);
    }
  }
  doomed_.clear();
}

bool TransactionLayer::make_server_key(const Message& request, std::string_view method_class,
                                       TransportKind transport, const net::SocketAddress& source,
                                       bool& rfc2543) {
  std::string& key = key_scratch_;
  key.clear();
  key.append(to_text(transport)).append("|");
  // Over UDP the source address is part of the key too: a retransmission comes from where the
  // original came from, and an identical request from elsewhere deserves its own answer rather
  // than a resend of ours to the first sender (RFC 5118's messages share every identifier).
  if (transport == TransportKind::kUdp) {
    source.append_to(key);
    key += '|';
  }
  const std::string_view branch = request.top_via_branch();
  const std::string_view top_via = request.top_via();
  if (top_via.empty()) return false;
  rfc2543 = !branch.starts_with(kMagicCookie);
  if (!rfc2543) {
    // §17.2.3: branch, sent-by and method.
    auto via = protocol::sip::parse_via(top_via);
    if (!via.ok()) return false;
    key.append("3261|").append(method_class).append("|");
    append_lower(key, branch);
    key.append("|");
    append_lower(key, via->host);
    if (via->port) key.append(":").append(std::to_string(*via->port));
    // Call-ID and CSeq number are the same in every retransmission, ACK and CANCEL of a
    // transaction, so adding them never breaks §17.2.3 matching; it keeps two requests apart
    // whose sloppy senders reused one branch (RFC 4475's messages share several).
    key.append("|").append(request.call_id()).append("|");
    key.append(std::to_string(request.cseq_number()));
    return true;
  }
  // §17.2.3 fallback for RFC 2543 peers; the To tag is checked after lookup (see header).
  key.append("2543|").append(method_class).append("|").append(request.request_uri());
  key.append("|").append(request.call_id()).append("|");
  key.append(std::to_string(request.cseq_number())).append("|").append(request.from_tag());
  key.append("|").append(top_via);
  return true;
}

// --- server side ---

void TransactionLayer::handle_request(Message message, const Peer& from) {
  const Method method = message.method();
  // ACK belongs to the INVITE transaction; CANCEL has a transaction of its own (§17.2.3).
  const std::string_view method_class =
      method == Method::kAck ? to_text(Method::kInvite) : message.method_text();
  bool rfc2543 = false;
  if (!make_server_key(message, method_class, from.transport, from.remote, rfc2543)) {
    ++stats_.dropped;
    return;
  }
  ServerTransaction* transaction = nullptr;
  if (auto it = server_index_.find(std::string_view(key_scratch_)); it != server_index_.end()) {
    transaction = it->second;
  }
  if (transaction != nullptr && transaction->rfc2543_ && method != Method::kAck &&
      transaction->request_.to_tag() != message.to_tag()) {
    // Same RFC 2543 key but another To tag: not ours, and it cannot have a transaction of its own.
    ++stats_.dropped;
    return;
  }
  if (method == Method::kAck) {
    handle_ack(transaction, message, from);
    return;
  }
  if (transaction != nullptr) {
    absorb_retransmission(*transaction);
    return;
  }
  if (size() >= max_transactions_) {
    reject_overload(message, from);
    return;
  }
  if (method == Method::kCancel) {
    handle_cancel(std::move(message), from, rfc2543);
    return;
  }
  ServerTransaction& created = create_server(std::move(message), from, rfc2543);
  if (created.invite_) start_timer(created, TimerKind::kTrying, timers_values_.trying_delay);
  listener_.on_request(created, created.request_);
}

ServerTransaction& TransactionLayer::create_server(Message request, const Peer& from,
                                                   bool rfc2543) {
  const TransactionId id = next_id_++;
  auto owned = std::make_unique<ServerTransaction>(*this, id, std::move(request), from);
  ServerTransaction& transaction = *owned;
  transaction.rfc2543_ = rfc2543;
  transaction.key_ = key_scratch_;
  server_index_.emplace(transaction.key_, &transaction);
  servers_.emplace(id, std::move(owned));
  return transaction;
}

void TransactionLayer::handle_ack(ServerTransaction* transaction, const Message& ack,
                                  const Peer& from) {
  if (transaction == nullptr || transaction->state_ == State::kTerminated) {
    ++stats_.stray_acks;
    listener_.on_stray_ack(ack, from);
    return;
  }
  switch (transaction->state_) {
    case State::kCompleted:
      // §17.2.1: the ACK for our 3xx-6xx; keep absorbing retransmitted ACKs for T4.
      ++stats_.requests_absorbed;
      transaction->state_ = State::kConfirmed;
      stop_timer(*transaction, TimerKind::kG);
      stop_timer(*transaction, TimerKind::kH);
      start_or_terminate(*transaction, TimerKind::kI,
                         transaction->is_reliable() ? Duration::zero() : timers_values_.t4);
      break;
    case State::kAccepted:
      listener_.on_ack(*transaction, ack);
      break;
    default:
      ++stats_.requests_absorbed;
      break;
  }
}

void TransactionLayer::absorb_retransmission(ServerTransaction& transaction) {
  ++stats_.requests_absorbed;
  // Trying, Confirmed and Accepted (RFC 6026: the TU retransmits its 2xx) stay silent.
  if ((transaction.state_ == State::kProceeding && !transaction.last_response_.empty()) ||
      transaction.state_ == State::kCompleted) {
    resend_response(transaction);
  }
}

void TransactionLayer::resend_response(ServerTransaction& transaction) {
  if (transport_.send(transaction.peer_, transaction.last_response_)) return;
  terminate(transaction);
  listener_.on_server_failure(transaction, ServerFailure::kTransportError);
}

void TransactionLayer::handle_cancel(Message cancel, const Peer& from, bool rfc2543) {
  // The CANCEL's own transaction first, while key_scratch_ still holds its key.
  ServerTransaction& cancel_transaction = create_server(std::move(cancel), from, rfc2543);
  const Message& request = cancel_transaction.request_;
  ServerTransaction* invite = nullptr;
  bool invite_rfc2543 = false;
  if (make_server_key(request, to_text(Method::kInvite), from.transport, from.remote,
                      invite_rfc2543)) {
    if (auto it = server_index_.find(std::string_view(key_scratch_)); it != server_index_.end()) {
      invite = it->second;
    }
  }
  if (invite != nullptr && (invite->state_ == State::kTerminated ||
                            (invite->rfc2543_ && invite->request_.to_tag() != request.to_tag()))) {
    invite = nullptr;
  }
  ResponseOptions answer;
  std::string tag;
  if (invite == nullptr) {
    answer.status_code = 481;
    tag = make_tag();
  } else {
    // §9.2: the CANCEL's 200 should carry the same To tag as the INVITE's responses.
    answer.status_code = 200;
    tag = invite->local_tag_.empty() ? make_tag() : invite->local_tag_;
  }
  answer.to_tag = tag;
  (void)respond(cancel_transaction, protocol::sip::build_response(request, answer),
                answer.status_code);
  if (invite != nullptr && invite->state_ == State::kProceeding) {
    listener_.on_cancel(*invite, request);
  }
}

void TransactionLayer::reject_overload(const Message& request, const Peer& from) {
  ++stats_.rejected_overload;
  const std::string tag = make_tag();
  ResponseOptions answer;
  answer.status_code = 503;
  answer.to_tag = tag;
  answer.extra_headers.emplace_back("Retry-After", "5");
  (void)transport_.send(from, protocol::sip::build_response(request, answer));
}

Result<void> TransactionLayer::respond(ServerTransaction& transaction, std::string wire,
                                       int status_code) {
  if (status_code < 100 || status_code > 699) {
    return make_error(500, "status code out of range");
  }
  const bool provisional = status_code < 200;
  const bool success = !provisional && status_code < 300;
  switch (transaction.state_) {
    case State::kTrying:
    case State::kProceeding:
      break;
    case State::kAccepted:
      // RFC 6026 §7.1: 2xx retransmissions are the TU's and pass straight through.
      if (!success || !transaction.invite_) {
        return make_error(500, "only a 2xx may follow a 2xx");
      }
      if (!transport_.send(transaction.peer_, wire)) {
        return make_error(503, "transport refused the response");
      }
      return {};
    default:
      return make_error(500, "transaction already has its final response");
  }
  if (!transport_.send(transaction.peer_, wire)) {
    terminate(transaction);
    return make_error(503, "transport refused the response");
  }
  transaction.last_status_ = status_code;
  stop_timer(transaction, TimerKind::kTrying);
  if (provisional) {
    transaction.state_ = State::kProceeding;
    transaction.last_response_ = std::move(wire);
    return {};
  }
  const bool reliable = transaction.is_reliable();
  const Duration wait = 64 * timers_values_.t1;
  if (!transaction.invite_) {
    transaction.state_ = State::kCompleted;
    transaction.last_response_ = std::move(wire);
    start_or_terminate(transaction, TimerKind::kJ, reliable ? Duration::zero() : wait);
  } else if (success) {
    // RFC 6026 Accepted: nothing to retransmit, so the response text is not kept.
    transaction.state_ = State::kAccepted;
    transaction.last_response_.clear();
    transaction.last_response_.shrink_to_fit();
    start_timer(transaction, TimerKind::kL, wait);
  } else {
    transaction.state_ = State::kCompleted;
    transaction.last_response_ = std::move(wire);
    if (!reliable) {
      transaction.retransmit_interval_ = timers_values_.t1;
      start_timer(transaction, TimerKind::kG, timers_values_.t1);
    }
    start_timer(transaction, TimerKind::kH, wait);
  }
  return {};
}

void TransactionLayer::fire_server_timer(ServerTransaction& transaction, TimerKind kind) {
  switch (kind) {
    case TimerKind::kTrying: {
      if (transaction.state_ != State::kProceeding || transaction.last_status_ != 0) return;
      ResponseOptions trying;
      trying.status_code = 100;
      (void)respond(transaction, protocol::sip::build_response(transaction.request_, trying), 100);
      if (transaction.state_ == State::kTerminated) {
        listener_.on_server_failure(transaction, ServerFailure::kTransportError);
      }
      return;
    }
    case TimerKind::kG:
      if (transaction.state_ != State::kCompleted) return;
      ++stats_.retransmissions_sent;
      transaction.retransmit_interval_ =
          std::min(2 * transaction.retransmit_interval_, timers_values_.t2);
      start_timer(transaction, TimerKind::kG, transaction.retransmit_interval_);
      resend_response(transaction);
      return;
    case TimerKind::kH:
      if (transaction.state_ != State::kCompleted) return;
      terminate(transaction);
      listener_.on_server_failure(transaction, ServerFailure::kAckTimeout);
      return;
    case TimerKind::kI:
    case TimerKind::kJ:
    case TimerKind::kL:
      terminate(transaction);
      return;
    default:
      return;
  }
}

}  // namespace parley::sip
