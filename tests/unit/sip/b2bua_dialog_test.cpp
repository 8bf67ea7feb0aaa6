// B2BUA dialogs after the answer: BYE from either side, re-INVITE, UPDATE, INFO and OPTIONS
// relayed with their answers, end-to-end ACKs (late offer), re-ACKing retransmitted 2xx, our own
// 2xx retransmission until the ACK (§13.3.1.4), 481 and glare.

#include <gtest/gtest.h>

#include "b2bua_test_support.hpp"

namespace parley::sip::testing {
namespace {

using protocol::sip::HeaderId;
using std::chrono::milliseconds;
using std::chrono::seconds;

class B2buaDialogTest : public B2buaFixture {
 protected:
  const Out* only_one(const std::vector<Out>& sent, const Peer& to, std::string_view method) {
    EXPECT_EQ(sent.size(), 1U);
    return find(sent, to, method);
  }
};

TEST_F(B2buaDialogTest, ByeFromCallerGoesToCalleeInItsOwnDialog) {
  const Out b2 = establish();
  Request bye = from_alice("BYE", 2);
  from_a(bye.text());
  auto sent = drain();
  ASSERT_EQ(sent.size(), 2U);
  const Out* ok = find_status(sent, a_peer_, 200);
  ASSERT_NE(ok, nullptr);
  EXPECT_EQ(ok->message.cseq_number(), 2U);
  const Out* forwarded = find(sent, b2_peer_, "BYE");
  ASSERT_NE(forwarded, nullptr);
  const Message& m = forwarded->message;
  EXPECT_EQ(m.request_uri(), "sip:1002@10.0.0.22:5064");
  EXPECT_EQ(m.call_id(), b2.message.call_id());
  EXPECT_EQ(m.from_tag(), b2.message.from_tag());
  EXPECT_EQ(m.to_tag(), "b2tag");
  EXPECT_EQ(m.cseq_number(), 2U) << "the INVITE used 1 in this leg's CSeq space";
  // §12.1.2: the route set is the 2xx's Record-Route (none here), not the registration's Path.
  EXPECT_FALSE(m.has(HeaderId::kRoute));
  EXPECT_EQ(forwarded->to.remote, b2_peer_.remote);

  ASSERT_EQ(records_.records.size(), 1U);
  EXPECT_EQ(records_.records[0].disposition, store::Disposition::kAnswered);
  EXPECT_EQ(records_.records[0].hangup_side, store::HangupSide::kCaller);
  EXPECT_EQ(b2bua_.call_count(), 0U);

  from_b2(answer(m, 200, "b2tag"));
  EXPECT_TRUE(drain().empty());
  run_for(seconds(40));
  EXPECT_EQ(b2bua_.tracked_client_count(), 0U);
  EXPECT_EQ(layer_.size(), 0U);
}

TEST_F(B2buaDialogTest, RequestsForUnknownDialogsGet481) {
  const Out b2 = establish();
  Request bye = from_alice("BYE", 2);
  bye.to = "<sip:1002@example.com>;tag=nosuchtag";
  from_a(bye.text());
  auto sent = drain();
  ASSERT_EQ(sent.size(), 1U);
  EXPECT_TRUE(sent[0].is_status(481));

  Request wrong_from = from_alice("INFO", 3);
  wrong_from.from = "\"Alice\" <sip:1001@example.com>;tag=othertag";
  from_a(wrong_from.text());
  sent = drain();
  ASSERT_EQ(sent.size(), 1U);
  EXPECT_TRUE(sent[0].is_status(481));

  Request no_tag = from_alice("BYE", 4);
  no_tag.to = "<sip:1002@example.com>";
  from_a(no_tag.text());
  sent = drain();
  ASSERT_EQ(sent.size(), 1U);
  EXPECT_TRUE(sent[0].is_status(481));

  Request reinvite = from_alice("INVITE", 5);
  reinvite.call_id = "other-call@192.0.2.10";
  from_a(reinvite.text());
  sent = drain();
  ASSERT_EQ(sent.size(), 1U);
  EXPECT_TRUE(sent[0].is_status(481));
  EXPECT_EQ(b2bua_.call_count(), 1U) << "the real call is untouched";
}

TEST_F(B2buaDialogTest, OutOfOrderCSeqGets500) {
  establish();
  from_a(from_alice("INFO", 5).text());
  drain();
  from_a(from_alice("INFO", 3).text());
  auto sent = drain();
  ASSERT_EQ(sent.size(), 1U);
  EXPECT_TRUE(sent[0].is_status(500));
}

TEST_F(B2buaDialogTest, ReInviteFromCallerIsRelayedWithAnswerAndEndToEndAck) {
  const Out b2 = establish();
  Request reinvite = from_alice("INVITE", 2);
  reinvite.body = std::string(kSdpA) + "a=sendonly\r\n";
  reinvite.contact = "<sip:1001@192.0.2.10:5070>";  // a target refresh
  from_a(reinvite.text());
  auto sent = drain();
  const Out* relayed = only_one(sent, b2_peer_, "INVITE");
  ASSERT_NE(relayed, nullptr);
  const Message& m = relayed->message;
  EXPECT_EQ(m.request_uri(), "sip:1002@10.0.0.22:5064");
  EXPECT_EQ(m.call_id(), b2.message.call_id());
  EXPECT_EQ(m.to_tag(), "b2tag");
  EXPECT_EQ(m.cseq_number(), 2U);
  EXPECT_EQ(m.body(), reinvite.body);
  EXPECT_EQ(m.first(HeaderId::kContact), "<sip:1001@192.0.2.1:5060>") << "our Contact";
  EXPECT_EQ(m.max_forwards(), 69);

  const std::string answer_sdp = std::string(kSdpB) + "a=recvonly\r\n";
  from_b2(answer(m, 200, "b2tag", "<sip:1002@10.0.0.22:5064>", answer_sdp));
  sent = drain();
  ASSERT_EQ(sent.size(), 1U);
  const Out* ok = &sent[0];
  ASSERT_TRUE(ok->is_status(200));
  EXPECT_EQ(ok->to.remote, a_peer_.remote);
  EXPECT_EQ(ok->message.cseq_number(), 2U);
  EXPECT_EQ(ok->message.to_tag(), a_tag_);
  EXPECT_EQ(ok->message.body(), answer_sdp);
  EXPECT_EQ(ok->message.first(HeaderId::kContact), "<sip:1002@192.0.2.1:5060>");

  from_a(ack_from_a(2).text());
  sent = drain();
  const Out* ack = only_one(sent, b2_peer_, "ACK");
  ASSERT_NE(ack, nullptr);
  EXPECT_EQ(ack->message.cseq_number(), 2U);
  EXPECT_EQ(ack->message.to_tag(), "b2tag");

  // The refreshed target is where the next request to Alice goes.
  from_b2(from_bob(b2, "BYE", 1).text());
  sent = drain();
  const Out* bye = find(sent, a_peer_, "BYE");
  ASSERT_NE(bye, nullptr);
  EXPECT_EQ(bye->message.request_uri(), "sip:1001@192.0.2.10:5070");
}

TEST_F(B2buaDialogTest, ReInviteFromCalleeIsRelayedToCaller) {
  const Out b2 = establish();
  Request reinvite = from_bob(b2, "INVITE", 1);
  reinvite.body = std::string(kSdpB);
  from_b2(reinvite.text());
  auto sent = drain();
  const Out* relayed = only_one(sent, a_peer_, "INVITE");
  ASSERT_NE(relayed, nullptr);
  const Message& m = relayed->message;
  EXPECT_EQ(m.request_uri(), "sip:1001@192.0.2.10:5060");
  EXPECT_EQ(m.call_id(), "a-call@192.0.2.10");
  EXPECT_EQ(m.from_tag(), a_tag_);
  EXPECT_EQ(m.to_tag(), "atag");
  EXPECT_EQ(m.cseq_number(), 1U) << "our first request in the caller's dialog";
  EXPECT_EQ(m.first(HeaderId::kContact), "<sip:1002@192.0.2.1:5060>");
  EXPECT_EQ(m.body(), kSdpB);

  from_a(answer(m, 200, "atag", "<sip:1001@192.0.2.10:5060>", kSdpA));
  sent = drain();
  ASSERT_EQ(sent.size(), 1U);
  ASSERT_TRUE(sent[0].is_status(200));
  EXPECT_EQ(sent[0].to.remote, b2_peer_.remote);
  EXPECT_EQ(sent[0].message.cseq_number(), 1U);
  EXPECT_EQ(sent[0].message.to_tag(), b2.message.from_tag());
  EXPECT_EQ(sent[0].message.body(), kSdpA);

  Request ack = from_bob(b2, "ACK", 1);
  from_b2(ack.text());
  sent = drain();
  const Out* forwarded = only_one(sent, a_peer_, "ACK");
  ASSERT_NE(forwarded, nullptr);
  EXPECT_EQ(forwarded->message.cseq_number(), 1U);
  EXPECT_EQ(forwarded->message.to_tag(), "atag");
}

TEST_F(B2buaDialogTest, FailedReInviteIsRelayedAndTheCallGoesOn) {
  const Out b2 = establish();
  Request reinvite = from_alice("INVITE", 2);
  reinvite.body = std::string(kSdpA);
  from_a(reinvite.text());
  auto sent = drain();
  ASSERT_EQ(sent.size(), 1U);
  from_b2(answer(sent[0].message, 488, "b2tag"));
  sent = drain();
  EXPECT_NE(find(sent, b2_peer_, "ACK"), nullptr) << "the layer ACKs the 488";
  EXPECT_NE(find_status(sent, a_peer_, 488), nullptr);
  EXPECT_EQ(b2bua_.call_count(), 1U);

  // The next re-INVITE is not refused as glare.
  Request again = from_alice("INVITE", 3);
  again.via_branch = "z9hG4bKagain";
  from_a(again.text());
  sent = drain();
  EXPECT_NE(find(sent, b2_peer_, "INVITE"), nullptr);
}

TEST_F(B2buaDialogTest, ReInviteDuringAnotherGetsGlareAnswers) {
  const Out b2 = establish();
  from_a(from_alice("INVITE", 2).text());
  drain();
  Request crossing = from_bob(b2, "INVITE", 1);
  from_b2(crossing.text());
  auto sent = drain();
  ASSERT_EQ(sent.size(), 1U);
  EXPECT_TRUE(sent[0].is_status(491));
  Request second = from_alice("INVITE", 3);
  from_a(second.text());
  sent = drain();
  ASSERT_EQ(sent.size(), 1U);
  EXPECT_TRUE(sent[0].is_status(500)) << "§14.2: ours is still being answered";
  EXPECT_NE(sent[0].message.first(HeaderId::kRetryAfter), "");
}

TEST_F(B2buaDialogTest, UpdateInfoAndOptionsAreRelayedBothWays) {
  const Out b2 = establish();
  Request update = from_alice("UPDATE", 2);
  update.body = std::string(kSdpA);
  from_a(update.text());
  auto sent = drain();
  const Out* relayed = only_one(sent, b2_peer_, "UPDATE");
  ASSERT_NE(relayed, nullptr);
  EXPECT_EQ(relayed->message.body(), kSdpA);
  EXPECT_EQ(relayed->message.cseq_number(), 2U);
  from_b2(answer(relayed->message, 200, "b2tag", "<sip:1002@10.0.0.22:5064>", kSdpB));
  sent = drain();
  ASSERT_EQ(sent.size(), 1U);
  EXPECT_TRUE(sent[0].is_status(200));
  EXPECT_EQ(sent[0].message.cseq_method_text(), "UPDATE");
  EXPECT_EQ(sent[0].message.body(), kSdpB);

  Request info = from_bob(b2, "INFO", 1);
  info.content_type = "application/dtmf-relay";
  info.body = "Signal=5\r\nDuration=160\r\n";
  info.extra = "Info-Package: dtmf\r\n";
  info.contact.clear();
  from_b2(info.text());
  sent = drain();
  const Out* info_out = only_one(sent, a_peer_, "INFO");
  ASSERT_NE(info_out, nullptr);
  EXPECT_EQ(info_out->message.first(HeaderId::kContentType), "application/dtmf-relay");
  EXPECT_EQ(info_out->message.first("Info-Package"), "dtmf");
  EXPECT_EQ(info_out->message.body(), info.body);
  EXPECT_EQ(info_out->message.cseq_number(), 1U);
  from_a(answer(info_out->message, 200, "atag"));
  sent = drain();
  ASSERT_EQ(sent.size(), 1U);
  EXPECT_TRUE(sent[0].is_status(200));
  EXPECT_EQ(sent[0].to.remote, b2_peer_.remote);

  from_a(from_alice("OPTIONS", 3).text());
  sent = drain();
  const Out* options = only_one(sent, b2_peer_, "OPTIONS");
  ASSERT_NE(options, nullptr);
  EXPECT_EQ(options->message.cseq_number(), 3U);
  EXPECT_EQ(b2bua_.stats().requests_relayed, 3U);
}

TEST_F(B2buaDialogTest, UnsupportedInDialogMethodGets405) {
  establish();
  from_a(from_alice("PUBLISH", 2).text());
  auto sent = drain();
  ASSERT_EQ(sent.size(), 1U);
  EXPECT_TRUE(sent[0].is_status(405));
  EXPECT_NE(sent[0].message.first(HeaderId::kAllow), "");
}

// Blind transfer (decision 0014); the whole flow is in tests/integration/transfer_test.py.
TEST_F(B2buaDialogTest, ReferWithoutReferToGets400AndTheCallGoesOn) {
  establish();
  from_a(from_alice("REFER", 2).text());
  auto sent = drain();
  ASSERT_EQ(sent.size(), 1U);
  EXPECT_TRUE(sent[0].is_status(400));
  EXPECT_EQ(b2bua_.call_count(), 1U);
}

TEST_F(B2buaDialogTest, ReferWithoutMediaAnchoringGets501) {
  establish();
  Request refer = from_alice("REFER", 2);
  refer.extra = "Refer-To: <sip:1003@example.com>\r\n";
  from_a(refer.text());
  auto sent = drain();
  ASSERT_EQ(sent.size(), 1U);
  EXPECT_TRUE(sent[0].is_status(501));
  EXPECT_EQ(b2bua_.call_count(), 1U);
}

TEST_F(B2buaDialogTest, Response481ToRelayedRequestEndsTheCall) {
  establish();
  from_a(from_alice("INFO", 2).text());
  auto sent = drain();
  ASSERT_EQ(sent.size(), 1U);
  from_b2(answer(sent[0].message, 481, "b2tag"));
  sent = drain();
  EXPECT_NE(find_status(sent, a_peer_, 481), nullptr);
  EXPECT_NE(find(sent, a_peer_, "BYE"), nullptr);
  EXPECT_EQ(find(sent, b2_peer_, "BYE"), nullptr) << "B's dialog is already gone";
  ASSERT_EQ(records_.records.size(), 1U);
  EXPECT_EQ(records_.records[0].hangup_side, store::HangupSide::kSystem);
}

TEST_F(B2buaDialogTest, RetransmittedCallee2xxIsReAckedWhileTrackedAndAfterwards) {
  auto [b1, b2] = invite_and_fork();
  const std::string ok = answer(b2.message, 200, "b2tag", "<sip:1002@10.0.0.22:5064>", kSdpB);
  from_b2(ok);
  auto sent = drain();
  a_tag_ = std::string(find_status(sent, a_peer_, 200)->message.to_tag());

  // Before Alice's ACK we have no ACK to give: B keeps retransmitting and we wait.
  from_b2(ok);
  EXPECT_TRUE(only(drain(), b2_peer_).empty());

  from_a(ack_from_a().text());
  sent = drain();
  ASSERT_EQ(sent.size(), 1U);
  const std::string first_ack = sent[0].text;

  from_b2(ok);  // the transaction is in Accepted: on_response
  sent = drain();
  ASSERT_EQ(sent.size(), 1U);
  EXPECT_EQ(sent[0].text, first_ack);
  EXPECT_EQ(sent[0].to.remote, b2_peer_.remote);

  run_for(seconds(40));  // Timer M is gone, and so is the kept ACK
  drain();
  from_b2(ok);  // now a stray response
  sent = drain();
  const Out* ack = only_one(sent, b2_peer_, "ACK");
  ASSERT_NE(ack, nullptr);
  EXPECT_EQ(ack->message.cseq_number(), 1U);
  EXPECT_EQ(ack->message.request_uri(), "sip:1002@10.0.0.22:5064");
  EXPECT_EQ(ack->message.to_tag(), "b2tag");
  EXPECT_EQ(b2bua_.stats().acks_resent, 2U);
  EXPECT_EQ(b2bua_.tracked_client_count(), 0U);
}

TEST_F(B2buaDialogTest, Our2xxIsRetransmittedUntilTheAck) {
  auto [b1, b2] = invite_and_fork();
  from_b2(answer(b2.message, 200, "b2tag", "<sip:1002@10.0.0.22:5064>", kSdpB));
  auto sent = drain();
  const Out* ok = find_status(sent, a_peer_, 200);
  ASSERT_NE(ok, nullptr);
  const std::string ok_text = ok->text;
  a_tag_ = std::string(ok->message.to_tag());

  const TimePoint start = clock_.now();
  std::vector<Duration> times;
  while (clock_.now() - start < milliseconds(8000)) {
    run_for(milliseconds(100));
    for (const auto& out : drain()) {
      if (out.to.remote == a_peer_.remote && out.is_status(200)) {
        EXPECT_EQ(out.text, ok_text);
        times.push_back(clock_.now() - start);
      }
    }
  }
  // T1, doubling up to T2: 0.5, 1.5, 3.5, 7.5 s.
  const std::vector<Duration> expected = {milliseconds(500), milliseconds(1500), milliseconds(3500),
                                          milliseconds(7500)};
  EXPECT_EQ(times, expected);

  from_a(ack_from_a().text());
  drain();
  run_for(seconds(30));
  EXPECT_TRUE(only(drain(), a_peer_).empty()) << "the ACK stops the retransmissions";
  EXPECT_EQ(b2bua_.call_count(), 1U);
}

TEST_F(B2buaDialogTest, NoAckWithin64T1EndsTheCallOnBothLegs) {
  auto [b1, b2] = invite_and_fork();
  from_b2(answer(b2.message, 200, "b2tag", "<sip:1002@10.0.0.22:5064>", kSdpB));
  drain();
  run_for(milliseconds(31999));
  auto sent = drain();
  EXPECT_EQ(only(sent, a_peer_).size(), 10U);  // 0.5 1.5 3.5 7.5 11.5 ... 31.5 s
  EXPECT_EQ(find(sent, b2_peer_, "BYE"), nullptr);
  run_for(milliseconds(1));
  sent = drain();
  const Out* ack = find(sent, b2_peer_, "ACK");
  const Out* bye_b = find(sent, b2_peer_, "BYE");
  ASSERT_NE(ack, nullptr) << "B's 2xx is ACKed before its BYE";
  ASSERT_NE(bye_b, nullptr);
  EXPECT_EQ(bye_b->message.cseq_number(), 2U);
  EXPECT_NE(find(sent, a_peer_, "BYE"), nullptr);
  ASSERT_EQ(records_.records.size(), 1U);
  EXPECT_EQ(records_.records[0].disposition, store::Disposition::kAnswered);
  EXPECT_EQ(records_.records[0].hangup_side, store::HangupSide::kSystem);
}

TEST_F(B2buaDialogTest, NoRetransmissionOverStreams) {
  a_peer_ = make_peer("192.0.2.10:40001", TransportKind::kTcp);
  a_peer_.connection_id = 9;
  auto [b1, b2] = invite_and_fork();
  from_b2(answer(b2.message, 200, "b2tag", "<sip:1002@10.0.0.22:5064>", kSdpB));
  auto sent = drain();
  const Out* ok = find_status(sent, a_peer_, 200);
  ASSERT_NE(ok, nullptr);
  EXPECT_EQ(ok->to.connection_id, 9U);
  EXPECT_EQ(ok->message.first(HeaderId::kContact), "<sip:1002@192.0.2.1:5060;transport=tcp>");
  run_for(seconds(10));
  EXPECT_TRUE(only(drain(), a_peer_).empty());
}

TEST_F(B2buaDialogTest, LateOfferAnswerTravelsInTheAck) {
  Request invite;
  invite.body.clear();
  auto [b1, b2] = invite_and_fork(invite);
  EXPECT_TRUE(b2.message.body().empty());
  EXPECT_FALSE(b2.message.has(HeaderId::kContentType));
  from_b2(answer(b2.message, 200, "b2tag", "<sip:1002@10.0.0.22:5064>", kSdpB));
  auto sent = drain();
  a_tag_ = std::string(find_status(sent, a_peer_, 200)->message.to_tag());
  Request ack = ack_from_a();
  ack.body = std::string(kSdpA);
  from_a(ack.text());
  sent = drain();
  const Out* forwarded = find(sent, b2_peer_, "ACK");
  ASSERT_NE(forwarded, nullptr);
  EXPECT_EQ(forwarded->message.body(), kSdpA);
  EXPECT_EQ(forwarded->message.first(HeaderId::kContentType), "application/sdp");
}

TEST_F(B2buaDialogTest, EarlyByeFromCallerEndsRingingLikeCancel) {
  auto [b1, b2] = invite_and_fork();
  from_b1(answer(b1.message, 180, "b1tag"));
  auto sent = drain();
  a_tag_ = std::string(sent[0].message.to_tag());
  Request early_options = from_alice("OPTIONS", 2);
  from_a(early_options.text());
  sent = drain();
  ASSERT_EQ(sent.size(), 1U);
  EXPECT_TRUE(sent[0].is_status(200)) << "nothing to relay to yet, answered locally";

  from_a(from_alice("BYE", 3).text());
  sent = drain();
  EXPECT_NE(find_status(sent, a_peer_, 200), nullptr);
  EXPECT_NE(find_status(sent, a_peer_, 487), nullptr);
  EXPECT_NE(find(sent, b1_peer_, "CANCEL"), nullptr);
  ASSERT_EQ(records_.records.size(), 1U);
  EXPECT_EQ(records_.records[0].disposition, store::Disposition::kCancelled);
}

TEST_F(B2buaDialogTest, TwoCallsHaveIndependentDialogs) {
  const Out first = establish();
  Request second;
  second.call_id = "second-call@192.0.2.10";
  second.from = "\"Alice\" <sip:1001@example.com>;tag=atag2";
  second.via_branch = "z9hG4bKsecond";
  auto [b1, b2] = invite_and_fork(second);
  EXPECT_NE(b2.message.call_id(), first.message.call_id());
  EXPECT_EQ(b2bua_.call_count(), 2U);

  from_a(from_alice("BYE", 2).text());  // ends the first call only
  auto sent = drain();
  EXPECT_NE(find(sent, b2_peer_, "BYE"), nullptr);
  EXPECT_EQ(find(sent, b2_peer_, "BYE")->message.call_id(), first.message.call_id());
  EXPECT_EQ(b2bua_.call_count(), 1U);
  EXPECT_EQ(b2bua_.dialog_count(), 1U) << "the ringing call keeps its caller dialog";
  ASSERT_EQ(records_.records.size(), 1U);
  EXPECT_EQ(records_.records[0].call_id, "a-call@192.0.2.10");
}

}  // namespace
}  // namespace parley::sip::testing
