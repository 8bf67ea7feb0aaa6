// B2BUA call setup (docs/decisions/0005-b2bua.md): authentication, routing, forking to every
// binding, provisional and final answers, CANCEL, busy, best-response selection, the no-answer
// timeout and call detail records. Every flow runs through a real TransactionLayer and wire
// text; in-dialog behaviour is in b2bua_dialog_test.cpp.

#include <gtest/gtest.h>

#include "b2bua_test_support.hpp"

namespace parley::sip::testing {
namespace {

using protocol::sip::HeaderId;
using protocol::sip::parse_name_addr;

class B2buaTest : public B2buaFixture {};

TEST_F(B2buaTest, ForksToEveryBindingWithANewDialogEach) {
  from_a(Request{}.text());
  auto sent = drain();
  ASSERT_EQ(sent.size(), 2U);
  const Out* b1 = find(sent, b1_peer_, "INVITE");
  const Out* b2 = find(sent, b2_peer_, "INVITE");
  ASSERT_NE(b1, nullptr);
  ASSERT_NE(b2, nullptr);

  // Request-URI = the registered contact; sent to where the device registered from (NAT).
  EXPECT_EQ(b1->message.request_uri(), "sip:1002@10.0.0.21:5062");
  EXPECT_EQ(b2->message.request_uri(), "sip:1002@10.0.0.22:5064");
  EXPECT_EQ(b1->to.remote.to_string(), "198.51.100.21:5062");
  EXPECT_EQ(b2->to.remote.to_string(), "198.51.100.22:5064");
  EXPECT_EQ(b1->to.local.to_string(), "192.0.2.1:5060");
  // The Path of a registration becomes the Route of requests to it.
  EXPECT_FALSE(b1->message.has(HeaderId::kRoute));
  EXPECT_EQ(b2->message.first(HeaderId::kRoute), "<sip:edge.example.com;lr>");

  for (const Out* leg : {b1, b2}) {
    const Message& m = leg->message;
    // A dialog of its own: new Call-ID, new From tag, own CSeq space, only our Via.
    EXPECT_NE(m.call_id(), "a-call@192.0.2.10");
    EXPECT_NE(m.from_tag(), "atag");
    EXPECT_FALSE(m.from_tag().empty());
    EXPECT_TRUE(m.to_tag().empty());
    EXPECT_EQ(m.cseq_number(), 1U);
    EXPECT_EQ(m.cseq_method_text(), "INVITE");
    EXPECT_EQ(m.count(HeaderId::kVia), 1U);
    EXPECT_TRUE(m.top_via().starts_with("SIP/2.0/UDP 192.0.2.1:5060;rport;branch=z9hG4bK"))
        << m.top_via();
    EXPECT_EQ(m.max_forwards(), 69);
    EXPECT_EQ(m.first(HeaderId::kContact), "<sip:1001@192.0.2.1:5060>");
    EXPECT_EQ(m.first(HeaderId::kTo), "<sip:1002@example.com>");
    // The caller's display name and user survive; the SDP passes unchanged.
    auto from = parse_name_addr(m.first(HeaderId::kFrom));
    ASSERT_TRUE(from.ok());
    EXPECT_EQ(from->display_name, "Alice");
    EXPECT_EQ(from->uri.user, "1001");
    EXPECT_EQ(m.first(HeaderId::kContentType), "application/sdp");
    EXPECT_EQ(m.body(), kSdpA);
    EXPECT_EQ(m.first(HeaderId::kUserAgent), "Parley");
  }
  EXPECT_NE(b1->message.call_id(), b2->message.call_id());
  EXPECT_NE(b1->message.from_tag(), b2->message.from_tag());
  EXPECT_NE(b1->message.top_via_branch(), b2->message.top_via_branch());
  EXPECT_EQ(b2bua_.call_count(), 1U);
  EXPECT_EQ(b2bua_.stats().calls_started, 1U);
}

TEST_F(B2buaTest, BasicCallRingAnswerCancelOtherAckAndByeFromCallee) {
  auto [b1, b2] = invite_and_fork();

  from_b1(answer(b1.message, 100, ""));
  EXPECT_TRUE(drain().empty()) << "100 Trying is hop-by-hop";

  clock_.advance(std::chrono::milliseconds(100));
  from_b1(answer(b1.message, 180, "b1tag"));
  auto sent = drain();
  ASSERT_EQ(sent.size(), 1U);
  ASSERT_TRUE(sent[0].is_status(180));
  EXPECT_EQ(sent[0].to.remote, a_peer_.remote);
  const std::string tag(sent[0].message.to_tag());
  EXPECT_FALSE(tag.empty());
  EXPECT_EQ(sent[0].message.call_id(), "a-call@192.0.2.10");
  EXPECT_EQ(sent[0].message.top_via_branch(), "z9hG4bKa1");
  EXPECT_EQ(sent[0].message.first(HeaderId::kContact), "<sip:1002@192.0.2.1:5060>");

  from_b2(answer(b2.message, 180, "b2tag"));
  EXPECT_TRUE(drain().empty()) << "the caller hears ringing once";

  clock_.advance(std::chrono::seconds(2));
  from_b2(answer(b2.message, 200, "b2tag", "<sip:1002@10.0.0.22:5064>", kSdpB,
                 {{"Record-Route", "<sip:edge.example.com;lr>"}}));
  sent = drain();
  const Out* ok = find_status(sent, a_peer_, 200);
  ASSERT_NE(ok, nullptr);
  EXPECT_EQ(ok->message.to_tag(), tag) << "one dialog towards the caller, one To tag";
  EXPECT_EQ(ok->message.body(), kSdpB);
  EXPECT_EQ(ok->message.first(HeaderId::kContentType), "application/sdp");
  EXPECT_EQ(ok->message.first(HeaderId::kContact), "<sip:1002@192.0.2.1:5060>");
  EXPECT_FALSE(ok->message.has(HeaderId::kRecordRoute)) << "we never Record-Route";
  EXPECT_EQ(ok->message.cseq_number(), 1U);

  const Out* cancel = find(sent, b1_peer_, "CANCEL");
  ASSERT_NE(cancel, nullptr);
  EXPECT_EQ(cancel->message.top_via_branch(), b1.message.top_via_branch());
  EXPECT_EQ(cancel->message.request_uri(), b1.message.request_uri());
  EXPECT_EQ(cancel->message.cseq_number(), 1U);
  EXPECT_EQ(cancel->message.cseq_method_text(), "CANCEL");
  EXPECT_NE(cancel->message.first("Reason").find("Call completed elsewhere"),
            std::string_view::npos);
  EXPECT_EQ(find(sent, b2_peer_, "ACK"), nullptr) << "B is ACKed when A ACKs";

  from_b1(answer(cancel->message, 200, "b1tag"));
  from_b1(answer(b1.message, 487, "b1tag"));
  sent = drain();
  ASSERT_EQ(sent.size(), 1U);
  EXPECT_TRUE(find(sent, b1_peer_, "ACK") != nullptr) << "the layer ACKs the 487";

  a_tag_ = tag;
  from_a(ack_from_a().text());
  sent = drain();
  ASSERT_EQ(sent.size(), 1U);
  const Out* ack = find(sent, b2_peer_, "ACK");
  ASSERT_NE(ack, nullptr);
  EXPECT_EQ(ack->message.request_uri(), "sip:1002@10.0.0.22:5064");
  EXPECT_EQ(ack->message.call_id(), b2.message.call_id());
  EXPECT_EQ(ack->message.from_tag(), b2.message.from_tag());
  EXPECT_EQ(ack->message.to_tag(), "b2tag");
  EXPECT_EQ(ack->message.cseq_number(), 1U);
  EXPECT_EQ(ack->message.cseq_method_text(), "ACK");
  EXPECT_EQ(ack->message.first(HeaderId::kRoute), "<sip:edge.example.com;lr>");
  EXPECT_NE(ack->message.top_via_branch(), b2.message.top_via_branch())
      << "the ACK for a 2xx is a transaction of its own";
  EXPECT_EQ(b2bua_.dialog_count(), 2U);

  clock_.advance(std::chrono::seconds(10));
  from_b2(from_bob(b2, "BYE", 1).text());
  sent = drain();
  ASSERT_EQ(sent.size(), 2U);
  const Out* bye_ok = find_status(sent, b2_peer_, 200);
  ASSERT_NE(bye_ok, nullptr);
  EXPECT_EQ(bye_ok->message.cseq_method_text(), "BYE");
  const Out* bye = find(sent, a_peer_, "BYE");
  ASSERT_NE(bye, nullptr);
  EXPECT_EQ(bye->message.request_uri(), "sip:1001@192.0.2.10:5060");
  EXPECT_EQ(bye->message.call_id(), "a-call@192.0.2.10");
  EXPECT_EQ(bye->message.first(HeaderId::kFrom), "<sip:1002@example.com>;tag=" + tag);
  EXPECT_EQ(bye->message.first(HeaderId::kTo), "\"Alice\" <sip:1001@example.com>;tag=atag");
  EXPECT_EQ(bye->message.cseq_number(), 1U);
  EXPECT_EQ(bye->message.cseq_method_text(), "BYE");
  EXPECT_EQ(b2bua_.call_count(), 0U);
  EXPECT_EQ(b2bua_.dialog_count(), 0U);

  from_a(answer(bye->message, 200, "atag"));
  EXPECT_TRUE(drain().empty());

  ASSERT_EQ(records_.records.size(), 1U);
  const store::CallRecord& record = records_.records[0];
  EXPECT_EQ(record.tenant_id, kTenant);
  EXPECT_EQ(record.call_id, "a-call@192.0.2.10");
  EXPECT_EQ(record.caller, "1001");
  EXPECT_EQ(record.callee, "1002");
  EXPECT_EQ(record.start_ms, kWallStart);
  ASSERT_TRUE(record.answer_ms.has_value());
  EXPECT_EQ(*record.answer_ms, kWallStart + 2100);
  EXPECT_EQ(record.end_ms, kWallStart + 12100);
  EXPECT_EQ(record.disposition, store::Disposition::kAnswered);
  EXPECT_EQ(record.hangup_side, store::HangupSide::kCallee);
}

TEST_F(B2buaTest, ChallengesWith407ThenForksTheAuthenticatedRetry) {
  routing_.require_credentials = true;
  from_a(Request{}.text());
  auto sent = drain();
  ASSERT_EQ(sent.size(), 1U);
  ASSERT_TRUE(sent[0].is_status(407));
  const Message& challenge = sent[0].message;
  EXPECT_EQ(challenge.count(HeaderId::kProxyAuthenticate), 2U);
  EXPECT_NE(challenge.first(HeaderId::kProxyAuthenticate).find("realm=\"example.com\""),
            std::string_view::npos);
  EXPECT_FALSE(challenge.to_tag().empty());

  // The ACK for the 407 is the layer's business.
  Request ack;
  ack.method = "ACK";
  ack.to = "<sip:1002@example.com>;tag=" + std::string(challenge.to_tag());
  ack.body.clear();
  from_a(ack.text());
  EXPECT_TRUE(drain().empty());

  Request retry;
  retry.via_branch = "z9hG4bKa2";
  retry.cseq = 2;
  retry.extra =
      "Proxy-Authorization: Digest username=\"1001\", realm=\"example.com\", nonce=\"n1\", "
      "uri=\"sip:1002@example.com\", response=\"00\"\r\n";
  from_a(retry.text());
  sent = drain();
  EXPECT_NE(find(sent, b1_peer_, "INVITE"), nullptr);
  EXPECT_NE(find(sent, b2_peer_, "INVITE"), nullptr);
  const Out* invite = find(sent, b1_peer_, "INVITE");
  ASSERT_NE(invite, nullptr);
  EXPECT_FALSE(invite->message.has(HeaderId::kProxyAuthorization))
      << "credentials are for us, not for the callee";
  EXPECT_EQ(routing_.auth_calls, 2);
}

TEST_F(B2buaTest, FromUserMustBeTheAuthenticatedUser) {
  routing_.authenticated_user = "1003";
  from_a(Request{}.text());
  auto sent = drain();
  ASSERT_EQ(sent.size(), 1U);
  EXPECT_TRUE(sent[0].is_status(403));
  EXPECT_EQ(b2bua_.call_count(), 0U);
  EXPECT_TRUE(records_.records.empty());
}

TEST_F(B2buaTest, RefusedCredentialsGet403) {
  routing_.forbidden = true;
  from_a(Request{}.text());
  auto sent = drain();
  ASSERT_EQ(sent.size(), 1U);
  EXPECT_TRUE(sent[0].is_status(403));
}

TEST_F(B2buaTest, UnknownCallerDomainGets403) {
  Request invite;
  invite.from = "<sip:1001@unknown.example>;tag=atag";
  from_a(invite.text());
  auto sent = drain();
  ASSERT_EQ(sent.size(), 1U);
  EXPECT_TRUE(sent[0].is_status(403));
  EXPECT_EQ(routing_.auth_calls, 0);
}

TEST_F(B2buaTest, UnknownExtensionGets404WithoutRecord) {
  Request invite;
  invite.uri = "sip:1999@example.com";
  invite.to = "<sip:1999@example.com>";
  from_a(invite.text());
  auto sent = drain();
  ASSERT_EQ(sent.size(), 1U);
  EXPECT_TRUE(sent[0].is_status(404));
  EXPECT_TRUE(records_.records.empty());
  EXPECT_EQ(b2bua_.stats().calls_rejected, 1U);
}

TEST_F(B2buaTest, ExtensionWithoutBindingsGets480AndAFailedRecord) {
  Request invite;
  invite.uri = "sip:1003@example.com";
  invite.to = "<sip:1003@example.com>";
  from_a(invite.text());
  auto sent = drain();
  ASSERT_EQ(sent.size(), 1U);
  EXPECT_TRUE(sent[0].is_status(480));
  ASSERT_EQ(records_.records.size(), 1U);
  EXPECT_EQ(records_.records[0].disposition, store::Disposition::kFailed);
  EXPECT_EQ(records_.records[0].callee, "1003");
  EXPECT_FALSE(records_.records[0].answer_ms.has_value());
}

TEST_F(B2buaTest, DialledServerAddressReachesTheCallersTenant) {
  Request invite;
  invite.uri = "sip:1002@192.0.2.1:5060";
  from_a(invite.text());
  auto sent = drain();
  EXPECT_NE(find(sent, b1_peer_, "INVITE"), nullptr);
  EXPECT_NE(find(sent, b2_peer_, "INVITE"), nullptr);
}

TEST_F(B2buaTest, CallsBetweenTenantsAreRefusedByDefault) {
  Request invite;
  invite.uri = "sip:2001@other.example";
  invite.to = "<sip:2001@other.example>";
  from_a(invite.text());
  auto sent = drain();
  ASSERT_EQ(sent.size(), 1U);
  EXPECT_TRUE(sent[0].is_status(403));
}

class B2buaInterTenantTest : public B2buaFixture {
 protected:
  B2buaInterTenantTest()
      : B2buaFixture([](B2buaOptions& o) { o.allow_inter_tenant_calls = true; }) {}
};

TEST_F(B2buaInterTenantTest, CallsBetweenTenantsGoThroughWhenAllowed) {
  Request invite;
  invite.uri = "sip:2001@other.example";
  invite.to = "<sip:2001@other.example>";
  from_a(invite.text());
  auto sent = drain();
  ASSERT_EQ(sent.size(), 1U);
  EXPECT_TRUE(sent[0].is("INVITE"));
  EXPECT_EQ(sent[0].message.request_uri(), "sip:2001@10.0.0.31:5060");
}

TEST_F(B2buaTest, CancelBeforeAnswerCancelsBranchesAndAnswers487) {
  auto [b1, b2] = invite_and_fork();
  from_b1(answer(b1.message, 180, "b1tag"));
  drain();

  Request cancel;
  cancel.method = "CANCEL";
  cancel.contact.clear();
  cancel.body.clear();
  from_a(cancel.text());
  auto sent = drain();
  const Out* cancel_ok = find_status(sent, a_peer_, 200);
  ASSERT_NE(cancel_ok, nullptr);
  EXPECT_EQ(cancel_ok->message.cseq_method_text(), "CANCEL");
  const Out* terminated = find_status(sent, a_peer_, 487);
  ASSERT_NE(terminated, nullptr);
  EXPECT_EQ(terminated->message.cseq_method_text(), "INVITE");
  ASSERT_NE(find(sent, b1_peer_, "CANCEL"), nullptr);
  const Out cancel_b1 = *find(sent, b1_peer_, "CANCEL");
  EXPECT_EQ(cancel_b1.message.top_via_branch(), b1.message.top_via_branch());
  EXPECT_EQ(cancel_b1.message.first("Reason"), "") << "not completed elsewhere";
  EXPECT_EQ(find(sent, b2_peer_, "CANCEL"), nullptr)
      << "§9.1: no CANCEL before a provisional response";

  ASSERT_EQ(records_.records.size(), 1U);
  EXPECT_EQ(records_.records[0].disposition, store::Disposition::kCancelled);
  EXPECT_EQ(records_.records[0].hangup_side, store::HangupSide::kCaller);
  EXPECT_FALSE(records_.records[0].answer_ms.has_value());
  EXPECT_EQ(b2bua_.call_count(), 0U);

  // B2 starts ringing late: now it gets its CANCEL, and the caller hears nothing more.
  from_b2(answer(b2.message, 180, "b2tag"));
  sent = drain();
  ASSERT_EQ(sent.size(), 1U);
  const Out* cancel_b2 = find(sent, b2_peer_, "CANCEL");
  ASSERT_NE(cancel_b2, nullptr);
  EXPECT_EQ(cancel_b2->message.top_via_branch(), b2.message.top_via_branch());

  // ... and answers anyway (the CANCEL crossed its 200): ACK it, then BYE it.
  from_b2(answer(b2.message, 200, "b2tag", "<sip:1002@10.0.0.22:5064>", kSdpB));
  sent = drain();
  ASSERT_EQ(sent.size(), 2U);
  const Out* ack = find(sent, b2_peer_, "ACK");
  const Out* bye = find(sent, b2_peer_, "BYE");
  ASSERT_NE(ack, nullptr);
  ASSERT_NE(bye, nullptr);
  EXPECT_EQ(ack->message.cseq_number(), 1U);
  EXPECT_EQ(bye->message.cseq_number(), 2U);
  EXPECT_EQ(bye->message.request_uri(), "sip:1002@10.0.0.22:5064");
  EXPECT_EQ(bye->message.to_tag(), "b2tag");
  EXPECT_EQ(bye->message.call_id(), b2.message.call_id());
  EXPECT_EQ(b2bua_.stats().extra_2xx_released, 1U);

  from_b1(answer(cancel_b1.message, 200, "b1tag"));
  from_b1(answer(b1.message, 487, "b1tag"));
  from_b2(answer(bye->message, 200, "b2tag"));
  drain();
  run_for(std::chrono::seconds(40));
  EXPECT_EQ(b2bua_.tracked_client_count(), 0U);
  EXPECT_EQ(records_.records.size(), 1U);
}

class B2buaSingleDeviceTest : public B2buaFixture {
 protected:
  B2buaSingleDeviceTest() {
    location_.bindings[{kTenant, "1003"}] = {
        binding("sip:1003@10.0.0.21:5062", "198.51.100.21", 5062)};
  }
  Out invite_1003() {
    Request invite;
    invite.uri = "sip:1003@example.com";
    invite.to = "<sip:1003@example.com>";
    from_a(invite.text());
    auto sent = drain();
    EXPECT_EQ(sent.size(), 1U);
    return sent.empty() ? Out{} : sent[0];
  }
};

TEST_F(B2buaSingleDeviceTest, BusyDeviceMeans486AndABusyRecord) {
  const Out invite = invite_1003();
  from_b1(answer(invite.message, 180, "b1tag"));
  drain();
  from_b1(answer(invite.message, 486, "b1tag"));
  auto sent = drain();
  ASSERT_EQ(sent.size(), 2U);
  EXPECT_NE(find(sent, b1_peer_, "ACK"), nullptr);
  const Out* busy = find_status(sent, a_peer_, 486);
  ASSERT_NE(busy, nullptr);
  EXPECT_EQ(busy->message.reason_phrase(), "Busy Here");
  ASSERT_EQ(records_.records.size(), 1U);
  EXPECT_EQ(records_.records[0].disposition, store::Disposition::kBusy);
  EXPECT_EQ(records_.records[0].hangup_side, store::HangupSide::kCallee);
  EXPECT_EQ(b2bua_.call_count(), 0U);
  EXPECT_EQ(b2bua_.tracked_client_count(), 0U);
}

TEST_F(B2buaSingleDeviceTest, BusyEverywhereIsRelayedAs600) {
  const Out invite = invite_1003();
  from_b1(answer(invite.message, 600, "b1tag"));
  auto sent = drain();
  EXPECT_NE(find_status(sent, a_peer_, 600), nullptr);
  ASSERT_EQ(records_.records.size(), 1U);
  EXPECT_EQ(records_.records[0].disposition, store::Disposition::kBusy);
}

TEST_F(B2buaSingleDeviceTest, ServiceUnavailableFromTheDeviceBecomes500) {
  const Out invite = invite_1003();
  from_b1(answer(invite.message, 503, "b1tag"));
  auto sent = drain();
  EXPECT_NE(find_status(sent, a_peer_, 500), nullptr);
  ASSERT_EQ(records_.records.size(), 1U);
  EXPECT_EQ(records_.records[0].disposition, store::Disposition::kFailed);
}

TEST_F(B2buaTest, BestFailurePrefersBusyOverUnavailable) {
  auto [b1, b2] = invite_and_fork();
  from_b1(answer(b1.message, 480, "b1tag"));
  EXPECT_EQ(find_status(drain(), a_peer_, 480), nullptr) << "B2 may still answer";
  from_b2(answer(b2.message, 486, "b2tag"));
  auto sent = drain();
  EXPECT_NE(find_status(sent, a_peer_, 486), nullptr);
  ASSERT_EQ(records_.records.size(), 1U);
  EXPECT_EQ(records_.records[0].disposition, store::Disposition::kBusy);
}

TEST_F(B2buaTest, GlobalFailureWinsAndStopsTheOtherBranches) {
  auto [b1, b2] = invite_and_fork();
  from_b1(answer(b1.message, 180, "b1tag"));
  drain();
  from_b2(answer(b2.message, 603, "b2tag"));
  auto sent = drain();
  EXPECT_NE(find_status(sent, a_peer_, 603), nullptr) << "a 6xx needs no other answer";
  EXPECT_NE(find(sent, b1_peer_, "CANCEL"), nullptr);
  ASSERT_EQ(records_.records.size(), 1U);
  EXPECT_EQ(records_.records[0].disposition, store::Disposition::kBusy);
}

TEST_F(B2buaTest, NoAnswerTimeoutCancelsEveryBranchAndAnswers480) {
  auto [b1, b2] = invite_and_fork();
  from_b1(answer(b1.message, 180, "b1tag"));
  from_b2(answer(b2.message, 180, "b2tag"));
  drain();
  run_for(std::chrono::milliseconds(29999));
  auto sent = drain();
  EXPECT_TRUE(sent.empty());
  run_for(std::chrono::milliseconds(1));
  sent = drain();
  EXPECT_NE(find(sent, b1_peer_, "CANCEL"), nullptr);
  EXPECT_NE(find(sent, b2_peer_, "CANCEL"), nullptr);
  EXPECT_NE(find_status(sent, a_peer_, 480), nullptr);
  ASSERT_EQ(records_.records.size(), 1U);
  EXPECT_EQ(records_.records[0].disposition, store::Disposition::kNoAnswer);
  EXPECT_EQ(records_.records[0].hangup_side, store::HangupSide::kSystem);
  EXPECT_EQ(records_.records[0].end_ms - records_.records[0].start_ms, 30000);
}

TEST_F(B2buaTest, SecondAnswerOfAForkIsAckedAndReleased) {
  auto [b1, b2] = invite_and_fork();
  from_b1(answer(b1.message, 200, "b1tag", "<sip:1002@10.0.0.21:5062>", kSdpB));
  auto sent = drain();
  ASSERT_NE(find_status(sent, a_peer_, 200), nullptr);
  EXPECT_EQ(find(sent, b2_peer_, "CANCEL"), nullptr) << "B2 sent no provisional yet";

  from_b2(answer(b2.message, 200, "b2tag", "<sip:1002@10.0.0.22:5064>", kSdpB));
  sent = drain();
  ASSERT_EQ(sent.size(), 2U);
  const Out* ack = find(sent, b2_peer_, "ACK");
  const Out* bye = find(sent, b2_peer_, "BYE");
  ASSERT_NE(ack, nullptr);
  ASSERT_NE(bye, nullptr);
  EXPECT_EQ(bye->message.first(HeaderId::kRoute), "");
  EXPECT_EQ(ack->message.to_tag(), "b2tag");
  EXPECT_EQ(find_status(sent, a_peer_, 200), nullptr) << "the caller keeps one answer";

  // Its retransmission is ACKed again, without a second BYE.
  from_b2(answer(b2.message, 200, "b2tag", "<sip:1002@10.0.0.22:5064>", kSdpB));
  sent = drain();
  ASSERT_EQ(sent.size(), 1U);
  EXPECT_TRUE(sent[0].is("ACK"));
  EXPECT_EQ(b2bua_.call_count(), 1U);
}

TEST_F(B2buaTest, OneFailingBranchDoesNotEndTheCall) {
  auto [b1, b2] = invite_and_fork();
  from_b1(answer(b1.message, 486, "b1tag"));
  auto sent = drain();
  EXPECT_EQ(only(sent, a_peer_).size(), 0U);
  from_b2(answer(b2.message, 200, "b2tag", "<sip:1002@10.0.0.22:5064>", kSdpB));
  sent = drain();
  EXPECT_NE(find_status(sent, a_peer_, 200), nullptr);
}

TEST_F(B2buaTest, EarlyMediaIsRelayedWithItsSdp) {
  auto [b1, b2] = invite_and_fork();
  from_b2(answer(b2.message, 183, "b2tag", "<sip:1002@10.0.0.22:5064>", kSdpB));
  auto sent = drain();
  ASSERT_EQ(sent.size(), 1U);
  ASSERT_TRUE(sent[0].is_status(183));
  EXPECT_EQ(sent[0].message.body(), kSdpB);
  EXPECT_EQ(sent[0].message.first(HeaderId::kContentType), "application/sdp");
}

TEST_F(B2buaTest, UnclaimedRequestsGoToTheFallback) {
  Request reg;
  reg.method = "REGISTER";
  reg.uri = "sip:example.com";
  reg.to = "<sip:1001@example.com>";
  reg.body.clear();
  from_a(reg.text());
  Request options;
  options.method = "OPTIONS";
  options.via_branch = "z9hG4bKo1";
  options.body.clear();
  from_a(options.text());
  ASSERT_EQ(fallback_.count(EventKind::kRequest), 2U);
  EXPECT_EQ(fallback_.events[0].method, "REGISTER");
  EXPECT_EQ(fallback_.events[1].method, "OPTIONS");
  EXPECT_TRUE(drain().empty());
}

TEST_F(B2buaTest, EndAllCallsRecordsEveryCall) {
  invite_and_fork();
  b2bua_.end_all_calls();
  auto sent = drain();
  EXPECT_NE(find_status(sent, a_peer_, 503), nullptr);
  ASSERT_EQ(records_.records.size(), 1U);
  EXPECT_EQ(records_.records[0].hangup_side, store::HangupSide::kSystem);
  EXPECT_EQ(b2bua_.call_count(), 0U);
}

}  // namespace
}  // namespace parley::sip::testing
