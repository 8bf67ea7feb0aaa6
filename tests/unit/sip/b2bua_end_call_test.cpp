// An administrator ends a call (B2bua::end_call, DELETE /api/v1/calls/live/{id}): found by our
// tag on the caller's leg, an answered call gets BYE on both legs, a ringing one 487 towards
// the caller and CANCEL towards every device that rang, a call Parley answers itself BYE
// towards the caller; each writes one record with hang-up side "system". Unknown tags end
// nothing.

#include <gtest/gtest.h>

#include "b2bua_test_support.hpp"

namespace parley::sip::testing {
namespace {

inline constexpr std::string_view kSdpParley =
    "v=0\r\no=parley 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
    "m=audio 20000 RTP/AVP 0\r\n";

class SilentSession final : public LocalSession {
 public:
  SilentSession(bool& destroyed, TimePoint created) : destroyed_(destroyed), created_(created) {}
  ~SilentSession() override { destroyed_ = true; }
  Result<std::string> answer(std::string_view /*offer*/) override {
    return std::string(kSdpParley);
  }
  TimePoint last_media() const override { return created_; }

 private:
  bool& destroyed_;
  TimePoint created_;
};

class SilentApplications final : public LocalSessionFactory {
 public:
  Result<std::unique_ptr<LocalSession>> create(const CallMediaInfo& /*info*/,
                                               std::string_view /*application*/,
                                               std::function<void()> /*hang_up*/) override {
    return std::unique_ptr<LocalSession>(std::make_unique<SilentSession>(destroyed, clock->now()));
  }
  const Clock* clock = nullptr;
  bool destroyed = false;
};

// Constructed before the fixture, which keeps a pointer to it.
struct ApplicationsHolder {
  SilentApplications applications_;
};

class B2buaEndCallTest : protected ApplicationsHolder, public B2buaFixture {
 protected:
  B2buaEndCallTest()
      : B2buaFixture([this](B2buaOptions& options) { options.applications = &applications_; }) {
    applications_.clock = &clock_;
    routing_.planner = [this](const CallTenant& tenant, std::string_view caller,
                              std::string_view dialled) {
      if (dialled == "*43") return CallPlan{.application = "echo"};
      return routing_.CallRouting::plan_call(tenant, caller, dialled);
    };
  }
};

TEST_F(B2buaEndCallTest, AnAnsweredCallGetsByeOnBothLegsAndOneRecord) {
  const Out b2_invite = establish();
  ASSERT_FALSE(a_tag_.empty());
  clock_.advance(std::chrono::seconds(4));

  ASSERT_TRUE(b2bua_.end_call(a_tag_));
  const auto sent = drain();
  ASSERT_EQ(sent.size(), 2U);
  const Out* bye_a = find(sent, a_peer_, "BYE");
  const Out* bye_b = find(sent, b2_peer_, "BYE");
  ASSERT_NE(bye_a, nullptr);
  ASSERT_NE(bye_b, nullptr);
  EXPECT_EQ(bye_a->message.call_id(), "a-call@192.0.2.10");
  EXPECT_EQ(bye_a->message.from_tag(), a_tag_);
  EXPECT_EQ(bye_a->message.to_tag(), "atag");
  EXPECT_EQ(bye_b->message.call_id(), b2_invite.message.call_id());
  EXPECT_EQ(bye_b->message.to_tag(), "b2tag");
  EXPECT_EQ(b2bua_.call_count(), 0U);
  EXPECT_EQ(b2bua_.dialog_count(), 0U);

  ASSERT_EQ(records_.records.size(), 1U);
  const store::CallRecord& record = records_.records[0];
  EXPECT_EQ(record.disposition, store::Disposition::kAnswered);
  EXPECT_EQ(record.hangup_side, store::HangupSide::kSystem);
  EXPECT_EQ(record.end_reason, store::EndReason::kNormal);
  EXPECT_EQ(record.caller, "1001");
  EXPECT_EQ(record.callee, "1002");
  EXPECT_EQ(record.end_ms - *record.answer_ms, 4000);

  // Both UAs answer their BYE; the answers end the transactions and nothing else.
  from_a(answer(bye_a->message, 200, "atag"));
  from_b2(answer(bye_b->message, 200, "b2tag"));
  EXPECT_TRUE(drain().empty());
  EXPECT_FALSE(b2bua_.end_call(a_tag_)) << "a call ends once";
  EXPECT_EQ(records_.records.size(), 1U);
}

TEST_F(B2buaEndCallTest, ARingingCallIsCancelledTowardsEveryDevice) {
  auto [b1, b2] = invite_and_fork();
  from_b1(answer(b1.message, 180, "b1tag"));
  auto sent = drain();
  const Out* ringing = find_status(sent, a_peer_, 180);
  ASSERT_NE(ringing, nullptr);
  const std::string tag(ringing->message.to_tag());

  ASSERT_TRUE(b2bua_.end_call(tag));
  sent = drain();
  const Out* terminated = find_status(sent, a_peer_, 487);
  ASSERT_NE(terminated, nullptr);
  EXPECT_EQ(terminated->message.to_tag(), tag);
  EXPECT_NE(find(sent, b1_peer_, "CANCEL"), nullptr);
  EXPECT_EQ(find(sent, b2_peer_, "CANCEL"), nullptr) << "no CANCEL before a provisional (§9.1)";
  EXPECT_EQ(b2bua_.call_count(), 0U);
  ASSERT_EQ(records_.records.size(), 1U);
  EXPECT_EQ(records_.records[0].disposition, store::Disposition::kCancelled);
  EXPECT_EQ(records_.records[0].hangup_side, store::HangupSide::kSystem);
  EXPECT_FALSE(records_.records[0].answer_ms.has_value());

  // B2 rings late: it gets its CANCEL now, and the caller hears nothing more.
  from_b2(answer(b2.message, 180, "b2tag"));
  sent = drain();
  EXPECT_NE(find(sent, b2_peer_, "CANCEL"), nullptr);
  EXPECT_TRUE(only(sent, a_peer_).empty());
}

TEST_F(B2buaEndCallTest, ACallParleyAnswersItselfGetsByeTowardsTheCaller) {
  Request invite;
  invite.uri = "sip:*43@example.com";
  invite.to = "<sip:*43@example.com>";
  from_a(invite.text());
  auto sent = drain();
  const Out* ok = find_status(sent, a_peer_, 200);
  ASSERT_NE(ok, nullptr);
  const std::string tag(ok->message.to_tag());

  ASSERT_TRUE(b2bua_.end_call(tag));
  sent = drain();
  ASSERT_EQ(sent.size(), 1U);
  EXPECT_TRUE(sent[0].is("BYE"));
  EXPECT_EQ(sent[0].to.remote, a_peer_.remote);
  EXPECT_TRUE(applications_.destroyed);
  EXPECT_EQ(b2bua_.call_count(), 0U);
  ASSERT_EQ(records_.records.size(), 1U);
  EXPECT_EQ(records_.records[0].callee, "*43");
  EXPECT_EQ(records_.records[0].disposition, store::Disposition::kAnswered);
  EXPECT_EQ(records_.records[0].hangup_side, store::HangupSide::kSystem);
}

TEST_F(B2buaEndCallTest, AnUnknownTagEndsNothing) {
  establish();
  EXPECT_FALSE(b2bua_.end_call("nosuchtag"));
  EXPECT_FALSE(b2bua_.end_call(""));
  EXPECT_FALSE(b2bua_.end_call("atag")) << "the caller's own tag is not ours";
  EXPECT_TRUE(drain().empty());
  EXPECT_EQ(b2bua_.call_count(), 1U);
  EXPECT_TRUE(records_.records.empty());
}

}  // namespace
}  // namespace parley::sip::testing
