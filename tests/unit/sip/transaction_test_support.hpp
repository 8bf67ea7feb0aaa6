#pragma once
// Shared fixture for the transaction layer tests: a recording Transport (the seam the layer
// sends through), a recording Listener, a ManualClock, and builders for real SIP wire text that
// goes through protocol::sip::parse_message like everything the transports receive.

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/clock.hpp"
#include "protocol/sip/message.hpp"
#include "protocol/sip/response.hpp"
#include "sip/transaction_layer.hpp"
#include "sip/transport.hpp"

namespace parley::sip::testing {

using protocol::sip::Message;
using std::chrono::milliseconds;
using std::chrono::seconds;

struct SentMessage {
  Peer to;
  std::string bytes;
};

class RecordingTransport final : public Transport {
 public:
  bool send(const Peer& to, std::string_view bytes) override {
    ++attempts;
    if (fail) return false;
    sent.push_back({to, std::string(bytes)});
    return true;
  }
  std::vector<SentMessage> sent;
  int attempts = 0;
  bool fail = false;
};

enum class EventKind {
  kRequest,
  kCancel,
  kAck,
  kStrayAck,
  kServerFailure,
  kResponse,
  kClientFailure,
  kStrayResponse,
};

struct Event {
  EventKind kind;
  TransactionId id = 0;
  std::string method;  // of the message handed over, when there is one
  int status = 0;      // response status, or failure_status_code() for client failures
  std::optional<ServerFailure> server_failure;
  std::optional<ClientFailure> client_failure;
  std::string text;  // raw message handed over
};

class RecordingListener final : public TransactionLayer::Listener {
 public:
  void on_request(ServerTransaction& transaction, const Message& request) override {
    events.push_back({EventKind::kRequest,
                      transaction.id(),
                      std::string(request.method_text()),
                      0,
                      {},
                      {},
                      std::string(request.raw())});
    if (respond_on_request) respond_on_request(transaction, request);
  }
  void on_cancel(ServerTransaction& invite, const Message& cancel) override {
    events.push_back({EventKind::kCancel,
                      invite.id(),
                      std::string(cancel.method_text()),
                      0,
                      {},
                      {},
                      std::string(cancel.raw())});
    if (respond_on_cancel) respond_on_cancel(invite, cancel);
  }
  void on_ack(ServerTransaction& invite, const Message& ack) override {
    events.push_back({EventKind::kAck,
                      invite.id(),
                      std::string(ack.method_text()),
                      0,
                      {},
                      {},
                      std::string(ack.raw())});
  }
  void on_stray_ack(const Message& ack, const Peer&) override {
    events.push_back({EventKind::kStrayAck,
                      0,
                      std::string(ack.method_text()),
                      0,
                      {},
                      {},
                      std::string(ack.raw())});
  }
  void on_server_failure(ServerTransaction& transaction, ServerFailure failure) override {
    events.push_back(
        {EventKind::kServerFailure, transaction.id(), "", 0, failure, {}, std::string()});
  }
  void on_response(ClientTransaction& transaction, const Message& response) override {
    events.push_back({EventKind::kResponse,
                      transaction.id(),
                      std::string(response.cseq_method_text()),
                      response.status_code(),
                      {},
                      {},
                      std::string(response.raw())});
  }
  void on_client_failure(ClientTransaction& transaction, ClientFailure failure) override {
    events.push_back({EventKind::kClientFailure,
                      transaction.id(),
                      "",
                      failure_status_code(failure),
                      {},
                      failure,
                      std::string()});
  }
  void on_stray_response(const Message& response, const Peer&) override {
    events.push_back({EventKind::kStrayResponse,
                      0,
                      std::string(response.cseq_method_text()),
                      response.status_code(),
                      {},
                      {},
                      std::string(response.raw())});
  }

  std::size_t count(EventKind kind) const {
    std::size_t n = 0;
    for (const auto& event : events) n += event.kind == kind ? 1 : 0;
    return n;
  }

  std::vector<Event> events;
  std::function<void(ServerTransaction&, const Message&)> respond_on_request;
  std::function<void(ServerTransaction&, const Message&)> respond_on_cancel;
};

// A request as wire text; each field can be changed before text().
struct RequestText {
  std::string method = "INVITE";
  std::string uri = "sip:bob@example.com";
  std::string via = "SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds";
  std::string to = "Bob <sip:bob@example.com>";
  std::string from = "Alice <sip:alice@example.com>;tag=1928301774";
  std::string call_id = "a84b4c76e66710@pc33.example.com";
  std::uint32_t cseq = 314159;
  std::string cseq_method;  // empty = method
  std::string extra;        // whole header lines, each ending in \r\n

  std::string text() const {
    std::string out = method + " " + uri + " SIP/2.0\r\n";
    out += "Via: " + via + "\r\n";
    out += "Max-Forwards: 70\r\n";
    out += extra;
    out += "To: " + to + "\r\n";
    out += "From: " + from + "\r\n";
    out += "Call-ID: " + call_id + "\r\n";
    out += "CSeq: " + std::to_string(cseq) + " " + (cseq_method.empty() ? method : cseq_method) +
           "\r\n";
    out += "Contact: <sip:alice@192.0.2.10>\r\n";
    out += "Content-Length: 0\r\n\r\n";
    return out;
  }
};

inline Message parse(std::string_view text) {
  auto message = protocol::sip::parse_message(text);
  EXPECT_TRUE(message.ok()) << (message.ok() ? "" : message.error().message) << "\n" << text;
  return message.ok() ? std::move(message).value() : Message{};
}

// The response a UAS would send to `request_text`, built by protocol/sip.
inline std::string response_text(const std::string& request_text, int status,
                                 std::string_view to_tag = "a6c85cf") {
  protocol::sip::ResponseOptions options;
  options.status_code = status;
  options.to_tag = status == 100 ? std::string_view() : to_tag;
  return protocol::sip::build_response(parse(request_text), options);
}

inline Peer udp_peer() {
  Peer peer;
  peer.transport = TransportKind::kUdp;
  peer.remote = *net::SocketAddress::parse("192.0.2.10:5060");
  peer.local = *net::SocketAddress::parse("192.0.2.1:5060");
  return peer;
}

inline Peer tcp_peer() {
  Peer peer;
  peer.transport = TransportKind::kTcp;
  peer.remote = *net::SocketAddress::parse("192.0.2.10:40001");
  peer.local = *net::SocketAddress::parse("192.0.2.1:5060");
  peer.connection_id = 17;
  return peer;
}

class TransactionFixture : public ::testing::Test {
 protected:
  TransactionFixture() : layer_(make_options({})) {}

  TransactionLayer::Options make_options(TimerValues timers, std::size_t max = 1000) {
    return TransactionLayer::Options{clock_, transport_, listener_, timers, max, 7};
  }

  void receive(const std::string& text, const Peer& from = udp_peer()) {
    layer_.on_message(parse(text), from);
  }

  // Moves the clock forward by `span`, firing every timer exactly at its deadline, as the
  // worker loop would.
  void run_for(Duration span) {
    const TimePoint end = clock_.now() + span;
    for (;;) {
      const TimePoint next = layer_.next_deadline();
      if (next > end) break;
      if (next > clock_.now()) clock_.advance(next - clock_.now());
      layer_.process_timers();
    }
    clock_.advance(end - clock_.now());
  }

  // Offsets from `start` at which sent messages were recorded, filled by run_recording().
  std::vector<Duration> send_times_;

  // Like run_for, but records the clock offset of every send from `start`.
  void run_recording(Duration span, TimePoint start) {
    const TimePoint end = clock_.now() + span;
    std::size_t seen = transport_.sent.size();
    for (;;) {
      const TimePoint next = layer_.next_deadline();
      if (next > end) break;
      if (next > clock_.now()) clock_.advance(next - clock_.now());
      layer_.process_timers();
      for (; seen < transport_.sent.size(); ++seen) send_times_.push_back(clock_.now() - start);
    }
    clock_.advance(end - clock_.now());
  }

  Message sent(std::size_t index) {
    EXPECT_LT(index, transport_.sent.size());
    if (index >= transport_.sent.size()) return Message{};
    return parse(transport_.sent[index].bytes);
  }
  Message last_sent() { return sent(transport_.sent.size() - 1); }

  ManualClock clock_;
  RecordingTransport transport_;
  RecordingListener listener_;
  TransactionLayer layer_;
};

}  // namespace parley::sip::testing
