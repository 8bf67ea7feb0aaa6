// Client transactions (RFC 3261 §17.1, RFC 6026 §7.2): retransmission timers A and E, timeouts
// B and F, the ACK for 3xx-6xx, timers D, K and M, stray responses, transport errors.

#include <gtest/gtest.h>

#include <set>

#include "sip/transaction_messages.hpp"
#include "transaction_test_support.hpp"

namespace parley::sip::testing {
namespace {

constexpr std::string_view kBranch = "z9hG4bKclient1";

class ClientTransactionTest : public TransactionFixture {
 protected:
  ClientTransactionTest() {
    invite_.via = "SIP/2.0/UDP 192.0.2.1:5060;branch=" + std::string(kBranch);
    invite_.from = "Bob <sip:bob@example.com>;tag=caller1";
    invite_.to = "Carol <sip:carol@example.net>";
    invite_.uri = "sip:carol@example.net";
    invite_.call_id = "clientcall@192.0.2.1";
    invite_.cseq = 7;
  }

  Peer target(TransportKind kind = TransportKind::kUdp) {
    Peer peer = kind == TransportKind::kUdp ? udp_peer() : tcp_peer();
    return peer;
  }

  TransactionId send(const RequestText& request, const Peer& to) {
    auto id = layer_.send_request(request.text(), to);
    EXPECT_TRUE(id.ok()) << (id.ok() ? "" : id.error().message);
    return id.ok() ? *id : 0;
  }

  RequestText invite_;
};

TEST_F(ClientTransactionTest, InviteOverUdpRetransmitsWithTimerAUntilTimerB) {
  const TimePoint start = clock_.now();
  const TransactionId id = send(invite_, target());
  ASSERT_EQ(transport_.sent.size(), 1U);
  EXPECT_EQ(transport_.sent[0].bytes, invite_.text());
  EXPECT_EQ(layer_.find_client(id)->state(), TransactionState::kCalling);
  run_recording(seconds(40), start);
  // A: 500 ms, doubling without a cap, until B at 64*T1 = 32 s.
  const std::vector<Duration> expected = {milliseconds(500),   milliseconds(1500),
                                          milliseconds(3500),  milliseconds(7500),
                                          milliseconds(15500), milliseconds(31500)};
  EXPECT_EQ(send_times_, expected);
  for (const auto& message : transport_.sent) EXPECT_EQ(message.bytes, invite_.text());
  ASSERT_EQ(listener_.events.size(), 1U);
  EXPECT_EQ(listener_.events[0].kind, EventKind::kClientFailure);
  EXPECT_EQ(listener_.events[0].id, id);
  EXPECT_EQ(listener_.events[0].client_failure, ClientFailure::kTimeout);
  EXPECT_EQ(listener_.events[0].status, 408);
  EXPECT_EQ(layer_.size(), 0U);
}

TEST_F(ClientTransactionTest, TimerBFiresAt64T1) {
  send(invite_, target());
  run_for(milliseconds(31999));
  EXPECT_TRUE(listener_.events.empty());
  run_for(milliseconds(1));
  EXPECT_EQ(listener_.count(EventKind::kClientFailure), 1U);
}

TEST_F(ClientTransactionTest, ConfigurableT1ScalesTimers) {
  TimerValues fast;
  fast.t1 = milliseconds(100);
  TransactionLayer layer(make_options(fast));
  ASSERT_TRUE(layer.send_request(invite_.text(), target()).ok());
  clock_.advance(milliseconds(100));
  layer.process_timers();
  EXPECT_EQ(transport_.sent.size(), 2U);
  clock_.advance(milliseconds(6300));  // 64*T1 = 6.4 s
  layer.process_timers();
  EXPECT_EQ(listener_.count(EventKind::kClientFailure), 1U);
  EXPECT_EQ(layer.size(), 0U);
}

TEST_F(ClientTransactionTest, InviteOverTcpNeverRetransmitsButStillTimesOut) {
  invite_.via = "SIP/2.0/TCP 192.0.2.1:5060;branch=" + std::string(kBranch);
  send(invite_, target(TransportKind::kTcp));
  run_for(seconds(31));
  EXPECT_EQ(transport_.sent.size(), 1U);
  EXPECT_EQ(transport_.sent[0].to.connection_id, 17U);
  run_for(seconds(1));
  EXPECT_EQ(listener_.count(EventKind::kClientFailure), 1U);
  EXPECT_EQ(layer_.size(), 0U);
}

TEST_F(ClientTransactionTest, ProvisionalStopsRetransmissionAndTimeout) {
  const TransactionId id = send(invite_, target());
  run_for(milliseconds(600));  // one retransmission at 500 ms
  EXPECT_EQ(transport_.sent.size(), 2U);
  receive(response_text(invite_.text(), 180));
  ASSERT_EQ(listener_.events.size(), 1U);
  EXPECT_EQ(listener_.events[0].kind, EventKind::kResponse);
  EXPECT_EQ(listener_.events[0].status, 180);
  EXPECT_EQ(layer_.find_client(id)->state(), TransactionState::kProceeding);
  run_for(seconds(120));
  EXPECT_EQ(transport_.sent.size(), 2U);
  EXPECT_EQ(listener_.events.size(), 1U);
  EXPECT_EQ(layer_.size(), 1U);  // Proceeding waits for the final response, however long
  // Further provisionals go up too.
  receive(response_text(invite_.text(), 183));
  EXPECT_EQ(listener_.events.size(), 2U);
}

TEST_F(ClientTransactionTest, FailureResponseIsAckedPerSection17_1_1_3) {
  invite_.extra =
      "Route: <sip:proxy1.example.com;lr>, <sip:proxy2.example.com;lr>\r\n"
      "Route: <sip:proxy3.example.com;lr>\r\n"
      "Subject: lunch\r\n";
  const TransactionId id = send(invite_, target());
  const std::string busy = response_text(invite_.text(), 486, "uas-tag-9");
  receive(busy);
  ASSERT_EQ(transport_.sent.size(), 2U);
  const std::string expected_ack =
      "ACK sip:carol@example.net SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKclient1\r\n"
      "Max-Forwards: 70\r\n"
      "Route: <sip:proxy1.example.com;lr>\r\n"
      "Route: <sip:proxy2.example.com;lr>\r\n"
      "Route: <sip:proxy3.example.com;lr>\r\n"
      "From: Bob <sip:bob@example.com>;tag=caller1\r\n"
      "To: Carol <sip:carol@example.net>;tag=uas-tag-9\r\n"
      "Call-ID: clientcall@192.0.2.1\r\n"
      "CSeq: 7 ACK\r\n"
      "Content-Length: 0\r\n"
      "\r\n";
  EXPECT_EQ(transport_.sent[1].bytes, expected_ack);
  EXPECT_EQ(transport_.sent[1].to.remote, target().remote);
  Message ack = sent(1);
  EXPECT_EQ(ack.method_text(), "ACK");
  EXPECT_EQ(ack.to_tag(), "uas-tag-9");
  ASSERT_EQ(listener_.events.size(), 1U);
  EXPECT_EQ(listener_.events[0].status, 486);
  EXPECT_EQ(layer_.find_client(id)->state(), TransactionState::kCompleted);
  // A retransmitted 486 is absorbed and ACKed again.
  receive(busy);
  ASSERT_EQ(transport_.sent.size(), 3U);
  EXPECT_EQ(transport_.sent[2].bytes, expected_ack);
  EXPECT_EQ(listener_.events.size(), 1U);
  // No request retransmissions in Completed; Timer D (32 s) ends it.
  run_for(milliseconds(31999));
  EXPECT_EQ(transport_.sent.size(), 3U);
  EXPECT_EQ(layer_.size(), 1U);
  run_for(milliseconds(1));
  EXPECT_EQ(layer_.size(), 0U);
  EXPECT_EQ(listener_.events.size(), 1U);
}

TEST_F(ClientTransactionTest, FailureResponseOverTcpEndsAtOnce) {
  invite_.via = "SIP/2.0/TCP 192.0.2.1:5060;branch=" + std::string(kBranch);
  send(invite_, target(TransportKind::kTcp));
  receive(response_text(invite_.text(), 404), target(TransportKind::kTcp));
  ASSERT_EQ(transport_.sent.size(), 2U);
  EXPECT_EQ(sent(1).method_text(), "ACK");
  EXPECT_EQ(layer_.size(), 0U);  // Timer D is zero over reliable transports
}

TEST_F(ClientTransactionTest, SuccessGoesToAcceptedAndEvery2xxReachesTu) {
  const TransactionId id = send(invite_, target());
  const std::string ok = response_text(invite_.text(), 200);
  receive(ok);
  EXPECT_EQ(layer_.find_client(id)->state(), TransactionState::kAccepted);
  EXPECT_EQ(transport_.sent.size(), 1U);  // no ACK from the transaction for a 2xx
  receive(ok);                            // RFC 6026: retransmitted 2xx goes up for re-ACK
  EXPECT_EQ(listener_.count(EventKind::kResponse), 2U);
  run_for(seconds(10));
  EXPECT_EQ(transport_.sent.size(), 1U);  // Timer A stopped
  // Timer M = 64*T1 from the first 2xx.
  run_for(seconds(22) - milliseconds(1));
  EXPECT_EQ(layer_.size(), 1U);
  run_for(milliseconds(1));
  EXPECT_EQ(layer_.size(), 0U);
  // Later retransmissions are strays: the B2BUA re-ACKs them from the dialog.
  receive(ok);
  ASSERT_EQ(listener_.events.back().kind, EventKind::kStrayResponse);
  EXPECT_EQ(listener_.events.back().status, 200);
}

TEST_F(ClientTransactionTest, NonInviteRetransmitsWithTimerECappedAtT2UntilTimerF) {
  RequestText options = invite_;
  options.method = "OPTIONS";
  const TimePoint start = clock_.now();
  const TransactionId id = send(options, target());
  EXPECT_EQ(layer_.find_client(id)->state(), TransactionState::kTrying);
  run_recording(seconds(40), start);
  const std::vector<Duration> expected = {
      milliseconds(500),   milliseconds(1500),  milliseconds(3500),  milliseconds(7500),
      milliseconds(11500), milliseconds(15500), milliseconds(19500), milliseconds(23500),
      milliseconds(27500), milliseconds(31500)};
  EXPECT_EQ(send_times_, expected);
  ASSERT_EQ(listener_.events.size(), 1U);
  EXPECT_EQ(listener_.events[0].client_failure, ClientFailure::kTimeout);
  EXPECT_EQ(listener_.events[0].status, 408);
  EXPECT_EQ(layer_.size(), 0U);
}

TEST_F(ClientTransactionTest, NonInviteProvisionalSwitchesTimerEToT2) {
  RequestText options = invite_;
  options.method = "REGISTER";
  const TimePoint start = clock_.now();
  send(options, target());
  run_for(milliseconds(100));
  receive(response_text(options.text(), 100));
  ASSERT_EQ(listener_.events.size(), 1U);
  run_recording(seconds(13), start);
  // The pending E at 500 ms still fires, then every T2.
  const std::vector<Duration> expected = {milliseconds(500), milliseconds(4500), milliseconds(8500),
                                          milliseconds(12500)};
  EXPECT_EQ(send_times_, expected);
  // Timer F still bounds Proceeding.
  run_for(seconds(20));
  EXPECT_EQ(listener_.count(EventKind::kClientFailure), 1U);
}

TEST_F(ClientTransactionTest, NonInviteFinalThenTimerKAbsorbsRetransmissions) {
  RequestText bye = invite_;
  bye.method = "BYE";
  bye.to += ";tag=callee1";
  const TransactionId id = send(bye, target());
  const std::string ok = response_text(bye.text(), 200);
  receive(ok);
  EXPECT_EQ(layer_.find_client(id)->state(), TransactionState::kCompleted);
  receive(ok);
  EXPECT_EQ(listener_.count(EventKind::kResponse), 1U);
  EXPECT_EQ(layer_.stats().responses_absorbed, 1U);
  run_for(milliseconds(4999));  // T4
  EXPECT_EQ(layer_.size(), 1U);
  EXPECT_EQ(transport_.sent.size(), 1U);
  run_for(milliseconds(1));
  EXPECT_EQ(layer_.size(), 0U);
}

TEST_F(ClientTransactionTest, NonInviteOverTcpTimerKIsZero) {
  RequestText bye = invite_;
  bye.method = "BYE";
  bye.via = "SIP/2.0/TCP 192.0.2.1:5060;branch=" + std::string(kBranch);
  send(bye, target(TransportKind::kTcp));
  run_for(seconds(10));
  EXPECT_EQ(transport_.sent.size(), 1U);  // no Timer E over TCP
  receive(response_text(bye.text(), 200), target(TransportKind::kTcp));
  EXPECT_EQ(listener_.count(EventKind::kResponse), 1U);
  EXPECT_EQ(layer_.size(), 0U);
}

TEST_F(ClientTransactionTest, ResponsesMatchOnBranchAndCSeqMethod) {
  send(invite_, target());
  // Unknown branch.
  RequestText other = invite_;
  other.via = "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKunknown";
  receive(response_text(other.text(), 200));
  ASSERT_EQ(listener_.events.size(), 1U);
  EXPECT_EQ(listener_.events[0].kind, EventKind::kStrayResponse);
  // Same branch but CSeq method CANCEL: the INVITE's transaction does not take it.
  RequestText cancel = invite_;
  cancel.method = "CANCEL";
  receive(response_text(cancel.text(), 200));
  ASSERT_EQ(listener_.events.size(), 2U);
  EXPECT_EQ(listener_.events[1].kind, EventKind::kStrayResponse);
  EXPECT_EQ(layer_.stats().stray_responses, 2U);
}

TEST_F(ClientTransactionTest, CancelHasItsOwnTransaction) {
  const TransactionId invite_id = send(invite_, target());
  receive(response_text(invite_.text(), 180));
  const std::string cancel_text = build_cancel(layer_.find_client(invite_id)->request());
  EXPECT_EQ(cancel_text,
            "CANCEL sip:carol@example.net SIP/2.0\r\n"
            "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKclient1\r\n"
            "Max-Forwards: 70\r\n"
            "From: Bob <sip:bob@example.com>;tag=caller1\r\n"
            "To: Carol <sip:carol@example.net>\r\n"
            "Call-ID: clientcall@192.0.2.1\r\n"
            "CSeq: 7 CANCEL\r\n"
            "Content-Length: 0\r\n"
            "\r\n");
  auto cancel_id = layer_.send_request(cancel_text, target());
  ASSERT_TRUE(cancel_id.ok());
  EXPECT_NE(*cancel_id, invite_id);
  EXPECT_EQ(layer_.client_count(), 2U);
  receive(response_text(cancel_text, 200));
  ASSERT_EQ(listener_.events.back().kind, EventKind::kResponse);
  EXPECT_EQ(listener_.events.back().id, *cancel_id);
  EXPECT_EQ(listener_.events.back().method, "CANCEL");
  receive(response_text(invite_.text(), 487));
  ASSERT_EQ(listener_.events.back().kind, EventKind::kResponse);
  EXPECT_EQ(listener_.events.back().id, invite_id);
  EXPECT_EQ(listener_.events.back().status, 487);
  EXPECT_EQ(last_sent().method_text(), "ACK");
}

TEST_F(ClientTransactionTest, SendFailureIsReportedSynchronously) {
  transport_.fail = true;
  auto id = layer_.send_request(invite_.text(), target());
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.error().code, 503);
  EXPECT_EQ(layer_.size(), 0U);
  EXPECT_EQ(layer_.next_deadline(), TimePoint::max());
}

TEST_F(ClientTransactionTest, RetransmissionFailureIsATransportErrorEvent) {
  const TransactionId id = send(invite_, target());
  transport_.fail = true;
  run_for(milliseconds(500));
  ASSERT_EQ(listener_.events.size(), 1U);
  EXPECT_EQ(listener_.events[0].kind, EventKind::kClientFailure);
  EXPECT_EQ(listener_.events[0].id, id);
  EXPECT_EQ(listener_.events[0].client_failure, ClientFailure::kTransportError);
  EXPECT_EQ(listener_.events[0].status, 503);
  EXPECT_EQ(layer_.size(), 0U);
  EXPECT_EQ(layer_.next_deadline(), TimePoint::max());  // its timers went with it
}

TEST_F(ClientTransactionTest, AckSendFailureIsATransportErrorEvent) {
  send(invite_, target());
  transport_.fail = true;
  receive(response_text(invite_.text(), 486));
  ASSERT_EQ(listener_.events.size(), 2U);
  EXPECT_EQ(listener_.events[0].kind, EventKind::kResponse);
  EXPECT_EQ(listener_.events[1].client_failure, ClientFailure::kTransportError);
  EXPECT_EQ(layer_.size(), 0U);
}

TEST_F(ClientTransactionTest, RefusesRequestsItCannotOwn) {
  RequestText ack = invite_;
  ack.method = "ACK";
  EXPECT_FALSE(layer_.send_request(ack.text(), target()).ok());
  RequestText old = invite_;
  old.via = "SIP/2.0/UDP 192.0.2.1:5060;branch=1234";
  EXPECT_FALSE(layer_.send_request(old.text(), target()).ok());
  EXPECT_FALSE(layer_.send_request("not sip at all", target()).ok());
  EXPECT_FALSE(layer_.send_request(response_text(invite_.text(), 200), target()).ok());
  ASSERT_TRUE(layer_.send_request(invite_.text(), target()).ok());
  auto again = layer_.send_request(invite_.text(), target());
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, 500);
  EXPECT_EQ(layer_.size(), 1U);
  EXPECT_EQ(transport_.sent.size(), 1U);
}

TEST_F(ClientTransactionTest, RespectsMaxTransactions) {
  TransactionLayer small(make_options({}, 1));
  ASSERT_TRUE(small.send_request(invite_.text(), target()).ok());
  RequestText second = invite_;
  second.via = "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKsecond";
  auto refused = small.send_request(second.text(), target());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, 503);
}

TEST_F(ClientTransactionTest, BranchesAreFreshAndReproducibleFromTheSeed) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const std::string branch = layer_.make_branch();
    EXPECT_TRUE(branch.starts_with("z9hG4bK"));
    EXPECT_EQ(branch.size(), 7U + 24U);
    seen.insert(branch);
  }
  EXPECT_EQ(seen.size(), 100U);
  TransactionLayer twin_a(make_options({}));
  TransactionLayer twin_b(make_options({}));
  EXPECT_EQ(twin_a.make_branch(), twin_b.make_branch());
  EXPECT_NE(twin_a.make_tag(), twin_a.make_tag());
  // A generated branch makes a valid client transaction.
  RequestText request = invite_;
  request.via = "SIP/2.0/UDP 192.0.2.1:5060;branch=" + layer_.make_branch();
  EXPECT_TRUE(layer_.send_request(request.text(), target()).ok());
}

}  // namespace
}  // namespace parley::sip::testing
