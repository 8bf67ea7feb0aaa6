// Server transactions (RFC 3261 §17.2, RFC 6026 §7.1): matching, retransmission absorption,
// timers G, H, I, J, L, the automatic 100 Trying, CANCEL, and the RFC 2543 fallback.

#include <gtest/gtest.h>

#include "transaction_test_support.hpp"

namespace parley::sip::testing {
namespace {

using protocol::sip::HeaderId;
using protocol::sip::ResponseOptions;

class ServerTransactionTest : public TransactionFixture {
 protected:
  // Receives `request` and returns the transaction the TU was given.
  ServerTransaction& receive_new(const RequestText& request, const Peer& from = udp_peer()) {
    const std::size_t before = listener_.count(EventKind::kRequest);
    receive(request.text(), from);
    EXPECT_EQ(listener_.count(EventKind::kRequest), before + 1);
    ServerTransaction* transaction = layer_.find_server(listener_.events.back().id);
    EXPECT_NE(transaction, nullptr);
    return *transaction;
  }

  static ResponseOptions status(int code, std::string_view tag = "srvtag1") {
    ResponseOptions options;
    options.status_code = code;
    options.to_tag = code == 100 ? std::string_view() : tag;
    return options;
  }

  RequestText invite_;
};

TEST_F(ServerTransactionTest, NewInviteGoesToTuOnceAndGets100TryingAfter200ms) {
  ServerTransaction& transaction = receive_new(invite_);
  EXPECT_TRUE(transaction.is_invite());
  EXPECT_EQ(transaction.state(), TransactionState::kProceeding);
  EXPECT_EQ(layer_.server_count(), 1U);
  EXPECT_TRUE(transport_.sent.empty());

  run_for(milliseconds(199));
  EXPECT_TRUE(transport_.sent.empty());
  run_for(milliseconds(1));
  ASSERT_EQ(transport_.sent.size(), 1U);
  EXPECT_EQ(transport_.sent[0].to.remote, udp_peer().remote);
  Message trying = sent(0);
  EXPECT_EQ(trying.status_code(), 100);
  EXPECT_EQ(trying.top_via_branch(), "z9hG4bK776asdhds");
  EXPECT_TRUE(trying.to_tag().empty());

  // A retransmitted INVITE is absorbed and answered with the 100 again.
  receive(invite_.text());
  EXPECT_EQ(listener_.count(EventKind::kRequest), 1U);
  ASSERT_EQ(transport_.sent.size(), 2U);
  EXPECT_EQ(sent(1).status_code(), 100);
  EXPECT_EQ(layer_.stats().requests_absorbed, 1U);
}

TEST_F(ServerTransactionTest, No100WhenTuAnswersWithin200ms) {
  listener_.respond_on_request = [](ServerTransaction& transaction, const Message&) {
    ASSERT_TRUE(transaction.respond(status(180)).ok());
  };
  receive(invite_.text());
  run_for(seconds(1));
  ASSERT_EQ(transport_.sent.size(), 1U);
  EXPECT_EQ(sent(0).status_code(), 180);
  EXPECT_EQ(sent(0).to_tag(), "srvtag1");
}

TEST_F(ServerTransactionTest, RetransmittedInviteResendsLastProvisional) {
  ServerTransaction& transaction = receive_new(invite_);
  ASSERT_TRUE(transaction.respond(status(180)).ok());
  ASSERT_TRUE(transaction.respond(status(183)).ok());
  receive(invite_.text());
  receive(invite_.text());
  ASSERT_EQ(transport_.sent.size(), 4U);
  EXPECT_EQ(sent(2).status_code(), 183);
  EXPECT_EQ(sent(3).status_code(), 183);
  EXPECT_EQ(listener_.count(EventKind::kRequest), 1U);
}

TEST_F(ServerTransactionTest, FailureResponseRetransmittedByTimerGThenTimerH) {
  ServerTransaction& transaction = receive_new(invite_);
  const TransactionId id = transaction.id();
  const TimePoint start = clock_.now();
  ASSERT_TRUE(transaction.respond(status(486)).ok());
  EXPECT_EQ(transaction.state(), TransactionState::kCompleted);
  run_recording(seconds(40), start);
  // G: T1, then doubling, capped at T2 = 4 s, until H at 64*T1 = 32 s.
  const std::vector<Duration> expected = {
      milliseconds(500),   milliseconds(1500),  milliseconds(3500),  milliseconds(7500),
      milliseconds(11500), milliseconds(15500), milliseconds(19500), milliseconds(23500),
      milliseconds(27500), milliseconds(31500)};
  EXPECT_EQ(send_times_, expected);
  for (std::size_t i = 1; i < transport_.sent.size(); ++i) {
    EXPECT_EQ(transport_.sent[i].bytes, transport_.sent[0].bytes);
  }
  ASSERT_EQ(listener_.events.back().kind, EventKind::kServerFailure);
  EXPECT_EQ(listener_.events.back().id, id);
  EXPECT_EQ(listener_.events.back().server_failure, ServerFailure::kAckTimeout);
  EXPECT_EQ(layer_.size(), 0U);
  EXPECT_EQ(layer_.find_server(id), nullptr);
}

TEST_F(ServerTransactionTest, TimerHExpiresAt64T1) {
  ServerTransaction& transaction = receive_new(invite_);
  ASSERT_TRUE(transaction.respond(status(404)).ok());
  run_for(milliseconds(31999));
  EXPECT_EQ(listener_.count(EventKind::kServerFailure), 0U);
  EXPECT_EQ(layer_.size(), 1U);
  run_for(milliseconds(1));
  EXPECT_EQ(listener_.count(EventKind::kServerFailure), 1U);
  EXPECT_EQ(layer_.size(), 0U);
}

TEST_F(ServerTransactionTest, AckConfirmsAndTimerIEndsTransaction) {
  ServerTransaction& transaction = receive_new(invite_);
  const TransactionId id = transaction.id();
  ASSERT_TRUE(transaction.respond(status(486)).ok());
  RequestText ack = invite_;
  ack.method = "ACK";
  ack.to += ";tag=srvtag1";
  receive(ack.text());
  ASSERT_NE(layer_.find_server(id), nullptr);
  EXPECT_EQ(layer_.find_server(id)->state(), TransactionState::kConfirmed);
  // Absorbed: the TU hears neither the ACK nor its retransmission, nor the INVITE's.
  receive(ack.text());
  receive(invite_.text());
  EXPECT_EQ(listener_.events.size(), 1U);
  EXPECT_EQ(transport_.sent.size(), 1U);  // the 486 only: G stopped, Confirmed is silent
  run_for(milliseconds(4999));            // T4
  EXPECT_EQ(layer_.size(), 1U);
  EXPECT_EQ(transport_.sent.size(), 1U);
  run_for(milliseconds(1));
  EXPECT_EQ(layer_.size(), 0U);
  EXPECT_EQ(listener_.count(EventKind::kServerFailure), 0U);
}

TEST_F(ServerTransactionTest, RetransmittedInviteInCompletedGetsFinalAgain) {
  ServerTransaction& transaction = receive_new(invite_);
  ASSERT_TRUE(transaction.respond(status(603)).ok());
  receive(invite_.text());
  ASSERT_EQ(transport_.sent.size(), 2U);
  EXPECT_EQ(sent(1).status_code(), 603);
  EXPECT_EQ(listener_.count(EventKind::kRequest), 1U);
}

TEST_F(ServerTransactionTest, ReliableTransportHasNoTimerGAndZeroTimerI) {
  invite_.via = "SIP/2.0/TCP 192.0.2.10:40001;branch=z9hG4bKtcp1";
  ServerTransaction& transaction = receive_new(invite_, tcp_peer());
  ASSERT_TRUE(transaction.respond(status(486)).ok());
  ASSERT_EQ(transport_.sent.size(), 1U);
  EXPECT_EQ(transport_.sent[0].to.connection_id, 17U);  // same connection (§18.2.2)
  run_for(seconds(10));
  EXPECT_EQ(transport_.sent.size(), 1U);
  RequestText ack = invite_;
  ack.method = "ACK";
  ack.to += ";tag=srvtag1";
  receive(ack.text(), tcp_peer());
  EXPECT_EQ(layer_.size(), 0U);  // Timer I is zero over TCP
}

TEST_F(ServerTransactionTest, TwoHundredMovesToAcceptedPerRfc6026) {
  ServerTransaction& transaction = receive_new(invite_);
  const TransactionId id = transaction.id();
  ASSERT_TRUE(transaction.respond(status(200)).ok());
  EXPECT_EQ(transaction.state(), TransactionState::kAccepted);
  // INVITE retransmissions are absorbed without an answer: 2xx retransmission is the TU's job.
  receive(invite_.text());
  EXPECT_EQ(transport_.sent.size(), 1U);
  EXPECT_EQ(listener_.count(EventKind::kRequest), 1U);
  // The TU retransmits its 2xx through the transaction; other codes are refused.
  ASSERT_NE(layer_.find_server(id), nullptr);
  EXPECT_TRUE(layer_.find_server(id)->respond(status(200)).ok());
  EXPECT_EQ(transport_.sent.size(), 2U);
  EXPECT_FALSE(layer_.find_server(id)->respond(status(486)).ok());
  EXPECT_FALSE(layer_.find_server(id)->respond(status(180)).ok());
  // The ACK for a 2xx normally has a new branch: not a transaction's, so a stray for the dialog.
  RequestText ack = invite_;
  ack.method = "ACK";
  ack.to += ";tag=srvtag1";
  ack.via = "SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKack2xx";
  receive(ack.text());
  ASSERT_EQ(listener_.events.back().kind, EventKind::kStrayAck);
  // An ACK reusing the INVITE's branch matches the Accepted transaction and goes up too.
  ack.via = invite_.via;
  receive(ack.text());
  ASSERT_EQ(listener_.events.back().kind, EventKind::kAck);
  EXPECT_EQ(listener_.events.back().id, id);
  // Timer L = 64*T1.
  run_for(milliseconds(31999));
  EXPECT_EQ(layer_.size(), 1U);
  run_for(milliseconds(1));
  EXPECT_EQ(layer_.size(), 0U);
  EXPECT_EQ(listener_.count(EventKind::kServerFailure), 0U);
}

TEST_F(ServerTransactionTest, SecondFinalResponseIsRefused) {
  ServerTransaction& transaction = receive_new(invite_);
  ASSERT_TRUE(transaction.respond(status(486)).ok());
  auto again = transaction.respond(status(500));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, 500);
  EXPECT_FALSE(transaction.respond(status(180)).ok());
  EXPECT_FALSE(transaction.respond_wire("junk", 99).ok());
  EXPECT_EQ(transport_.sent.size(), 1U);
}

TEST_F(ServerTransactionTest, NonInviteAbsorbsRetransmissionsAndTimerJEndsIt) {
  RequestText options = invite_;
  options.method = "OPTIONS";
  options.via = "SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKopt1";
  ServerTransaction& transaction = receive_new(options);
  const TransactionId id = transaction.id();
  EXPECT_FALSE(transaction.is_invite());
  EXPECT_EQ(transaction.state(), TransactionState::kTrying);
  receive(options.text());  // Trying: silently absorbed
  EXPECT_TRUE(transport_.sent.empty());
  run_for(seconds(1));  // no automatic 100 for non-INVITE
  EXPECT_TRUE(transport_.sent.empty());
  ASSERT_NE(layer_.find_server(id), nullptr);
  ASSERT_TRUE(layer_.find_server(id)->respond(status(200)).ok());
  EXPECT_EQ(layer_.find_server(id)->state(), TransactionState::kCompleted);
  receive(options.text());  // Completed: the final response again
  ASSERT_EQ(transport_.sent.size(), 2U);
  EXPECT_EQ(transport_.sent[1].bytes, transport_.sent[0].bytes);
  EXPECT_EQ(listener_.count(EventKind::kRequest), 1U);
  run_for(milliseconds(31999));  // Timer J = 64*T1 on UDP; no retransmissions meanwhile
  EXPECT_EQ(layer_.size(), 1U);
  EXPECT_EQ(transport_.sent.size(), 2U);
  run_for(milliseconds(1));
  EXPECT_EQ(layer_.size(), 0U);
}

TEST_F(ServerTransactionTest, NonInviteProvisionalIsResentOnRetransmission) {
  RequestText message = invite_;
  message.method = "MESSAGE";
  ServerTransaction& transaction = receive_new(message);
  ASSERT_TRUE(transaction.respond(status(100)).ok());
  EXPECT_EQ(transaction.state(), TransactionState::kProceeding);
  receive(message.text());
  ASSERT_EQ(transport_.sent.size(), 2U);
  EXPECT_EQ(sent(1).status_code(), 100);
}

TEST_F(ServerTransactionTest, NonInviteOverTcpTimerJIsZero) {
  RequestText bye = invite_;
  bye.method = "BYE";
  bye.via = "SIP/2.0/TCP 192.0.2.10:40001;branch=z9hG4bKbye1";
  listener_.respond_on_request = [](ServerTransaction& transaction, const Message&) {
    ASSERT_TRUE(transaction.respond(status(200)).ok());
    // Still usable inside the callback although it is already Terminated.
    EXPECT_EQ(transaction.state(), TransactionState::kTerminated);
  };
  receive(bye.text(), tcp_peer());
  EXPECT_EQ(transport_.sent.size(), 1U);
  EXPECT_EQ(layer_.size(), 0U);
}

TEST_F(ServerTransactionTest, TerminatedOutsideCallbackIsReapedOnNextTimerPass) {
  RequestText bye = invite_;
  bye.method = "BYE";
  bye.via = "SIP/2.0/TCP 192.0.2.10:40001;branch=z9hG4bKbye2";
  ServerTransaction& transaction = receive_new(bye, tcp_peer());
  ASSERT_TRUE(transaction.respond(status(200)).ok());  // later, from the TU's own event
  EXPECT_EQ(layer_.size(), 1U);
  EXPECT_EQ(layer_.next_deadline(), clock_.now());
  layer_.process_timers();
  EXPECT_EQ(layer_.size(), 0U);
  EXPECT_EQ(layer_.next_deadline(), TimePoint::max());
}

TEST_F(ServerTransactionTest, MatchingUsesBranchSentByAndMethod) {
  receive_new(invite_);
  // Same branch from another sent-by: another transaction.
  RequestText other = invite_;
  other.via = "SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK776asdhds";
  receive_new(other);
  // Same branch and sent-by but another method: another transaction.
  RequestText options = invite_;
  options.method = "OPTIONS";
  receive_new(options);
  EXPECT_EQ(layer_.server_count(), 3U);
  // Hosts and Via parameter values compare case-insensitively (§7.3.1).
  RequestText named = invite_;
  named.via = "SIP/2.0/UDP PC33.Example.COM:5060;branch=z9hG4bKcase";
  receive_new(named);
  named.via = "SIP/2.0/UDP pc33.example.com:5060;branch=z9hG4bKcase";
  receive(named.text());
  named.via = "SIP/2.0/UDP pc33.example.com:5060;branch=z9hG4bKCASE";
  receive(named.text());
  EXPECT_EQ(listener_.count(EventKind::kRequest), 4U);
  EXPECT_EQ(layer_.server_count(), 4U);
}

TEST_F(ServerTransactionTest, UnmatchedAckIsStray) {
  RequestText ack = invite_;
  ack.method = "ACK";
  ack.to += ";tag=x";
  receive(ack.text());
  ASSERT_EQ(listener_.events.size(), 1U);
  EXPECT_EQ(listener_.events[0].kind, EventKind::kStrayAck);
  EXPECT_EQ(layer_.size(), 0U);
  EXPECT_EQ(layer_.stats().stray_acks, 1U);
}

TEST_F(ServerTransactionTest, CancelMatchingInviteGets200AndTuHears) {
  ServerTransaction& invite = receive_new(invite_);
  const TransactionId invite_id = invite.id();
  ASSERT_TRUE(invite.respond(status(180, "ringtag")).ok());
  listener_.respond_on_cancel = [](ServerTransaction& transaction, const Message&) {
    ASSERT_TRUE(transaction.respond(status(487, "ringtag")).ok());
  };
  RequestText cancel = invite_;
  cancel.method = "CANCEL";
  receive(cancel.text());
  ASSERT_EQ(listener_.events.back().kind, EventKind::kCancel);
  EXPECT_EQ(listener_.events.back().id, invite_id);
  EXPECT_EQ(listener_.count(EventKind::kRequest), 1U);  // the CANCEL is not an on_request
  ASSERT_EQ(transport_.sent.size(), 3U);                // 180, 200 (CANCEL), 487 (INVITE)
  Message ok = sent(1);
  EXPECT_EQ(ok.status_code(), 200);
  EXPECT_EQ(ok.cseq_method_text(), "CANCEL");
  EXPECT_EQ(ok.to_tag(), "ringtag");  // §9.2: same To tag as the INVITE's responses
  EXPECT_EQ(sent(2).status_code(), 487);
  EXPECT_EQ(sent(2).cseq_method_text(), "INVITE");
  // A retransmitted CANCEL gets the 200 again and the TU is not told twice.
  receive(cancel.text());
  EXPECT_EQ(listener_.count(EventKind::kCancel), 1U);
  ASSERT_EQ(transport_.sent.size(), 4U);
  EXPECT_EQ(sent(3).status_code(), 200);
  EXPECT_EQ(layer_.server_count(), 2U);
}

TEST_F(ServerTransactionTest, CancelAfterFinalResponseGets200Only) {
  ServerTransaction& invite = receive_new(invite_);
  ASSERT_TRUE(invite.respond(status(486)).ok());
  RequestText cancel = invite_;
  cancel.method = "CANCEL";
  receive(cancel.text());
  EXPECT_EQ(listener_.count(EventKind::kCancel), 0U);
  ASSERT_EQ(transport_.sent.size(), 2U);
  EXPECT_EQ(sent(1).status_code(), 200);
}

TEST_F(ServerTransactionTest, CancelWithoutInviteGets481) {
  RequestText cancel = invite_;
  cancel.method = "CANCEL";
  cancel.via = "SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKnothere";
  receive(cancel.text());
  EXPECT_TRUE(listener_.events.empty());
  ASSERT_EQ(transport_.sent.size(), 1U);
  Message answer = sent(0);
  EXPECT_EQ(answer.status_code(), 481);
  EXPECT_FALSE(answer.to_tag().empty());
  EXPECT_EQ(answer.cseq_method_text(), "CANCEL");
  // Its transaction lives for Timer J, then goes.
  run_for(seconds(32));
  EXPECT_EQ(layer_.size(), 0U);
}

TEST_F(ServerTransactionTest, Rfc2543RequestsMatchWithoutBranch) {
  RequestText old = invite_;
  old.via = "SIP/2.0/UDP 192.0.2.10:5060";
  ServerTransaction& transaction = receive_new(old);
  const TransactionId id = transaction.id();
  ASSERT_TRUE(transaction.respond(status(486)).ok());
  receive(old.text());  // retransmission: matched by R-URI, Call-ID, CSeq, tags, top Via
  EXPECT_EQ(listener_.count(EventKind::kRequest), 1U);
  ASSERT_EQ(transport_.sent.size(), 2U);
  EXPECT_EQ(sent(1).status_code(), 486);
  // A branch without the magic cookie is RFC 2543 too: the Via text differs, so a new one.
  RequestText cookie_less = old;
  cookie_less.via = "SIP/2.0/UDP 192.0.2.10:5060;branch=1234";
  receive_new(cookie_less);
  // Another CSeq is another transaction.
  RequestText next = old;
  next.cseq = 314160;
  receive_new(next);
  // The ACK (CSeq number equal, method ACK, To carries our tag) matches the first.
  RequestText ack = old;
  ack.method = "ACK";
  ack.to += ";tag=srvtag1";
  receive(ack.text());
  ASSERT_NE(layer_.find_server(id), nullptr);
  EXPECT_EQ(layer_.find_server(id)->state(), TransactionState::kConfirmed);
  EXPECT_EQ(listener_.count(EventKind::kStrayAck), 0U);
}

TEST_F(ServerTransactionTest, Rfc2543CancelFindsItsInvite) {
  RequestText old = invite_;
  old.via = "SIP/2.0/UDP 192.0.2.10:5060";
  ServerTransaction& transaction = receive_new(old);
  const TransactionId id = transaction.id();
  RequestText cancel = old;
  cancel.method = "CANCEL";
  receive(cancel.text());
  ASSERT_EQ(listener_.events.back().kind, EventKind::kCancel);
  EXPECT_EQ(listener_.events.back().id, id);
  EXPECT_EQ(last_sent().status_code(), 200);
}

TEST_F(ServerTransactionTest, ResponsesGoToTheSourceAddressOverUdp) {
  // Via says one address (e.g. behind NAT); the response goes to where the request came from
  // (RFC 3581 received/rport behaviour).
  Peer from = udp_peer();
  from.remote = *net::SocketAddress::parse("203.0.113.5:61000");
  ServerTransaction& transaction = receive_new(invite_, from);
  ASSERT_TRUE(transaction.respond(status(180)).ok());
  ASSERT_EQ(transport_.sent.size(), 1U);
  EXPECT_EQ(transport_.sent[0].to.remote, from.remote);
  EXPECT_EQ(transport_.sent[0].to.transport, TransportKind::kUdp);
}

TEST_F(ServerTransactionTest, TransportErrorOnTimerGInformsTu) {
  ServerTransaction& transaction = receive_new(invite_);
  const TransactionId id = transaction.id();
  ASSERT_TRUE(transaction.respond(status(486)).ok());
  transport_.fail = true;
  run_for(milliseconds(500));
  ASSERT_EQ(listener_.events.back().kind, EventKind::kServerFailure);
  EXPECT_EQ(listener_.events.back().id, id);
  EXPECT_EQ(listener_.events.back().server_failure, ServerFailure::kTransportError);
  EXPECT_EQ(layer_.size(), 0U);
}

TEST_F(ServerTransactionTest, TransportErrorOnRespondFailsAndTerminates) {
  ServerTransaction& transaction = receive_new(invite_);
  transport_.fail = true;
  auto result = transaction.respond(status(486));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, 503);
  EXPECT_EQ(transaction.state(), TransactionState::kTerminated);
  layer_.process_timers();
  EXPECT_EQ(layer_.size(), 0U);
}

TEST_F(ServerTransactionTest, OverloadAnswers503Statelessly) {
  TransactionLayer small(make_options({}, 1));
  small.on_message(parse(invite_.text()), udp_peer());
  RequestText second = invite_;
  second.via = "SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKsecond";
  small.on_message(parse(second.text()), udp_peer());
  EXPECT_EQ(small.size(), 1U);
  EXPECT_EQ(small.stats().rejected_overload, 1U);
  ASSERT_EQ(transport_.sent.size(), 1U);
  Message busy = sent(0);
  EXPECT_EQ(busy.status_code(), 503);
  EXPECT_EQ(busy.top_via_branch(), "z9hG4bKsecond");
  EXPECT_EQ(busy.first(HeaderId::kRetryAfter), "5");
}

TEST_F(ServerTransactionTest, Rfc2543SameKeyWithAnotherToTagIsDropped) {
  RequestText old = invite_;
  old.via = "SIP/2.0/UDP 192.0.2.10:5060";
  receive_new(old);
  RequestText clash = old;
  clash.to += ";tag=elsewhere";
  receive(clash.text());
  EXPECT_EQ(listener_.count(EventKind::kRequest), 1U);
  EXPECT_EQ(layer_.server_count(), 1U);
  EXPECT_EQ(layer_.stats().dropped, 1U);
  EXPECT_EQ(layer_.stats().requests_absorbed, 0U);
}

}  // namespace
}  // namespace parley::sip::testing
