// Call plans (call_routing.hpp): the B2BUA rings stage after stage, moving on when a stage
// times out or every device in it refused, skips stages nobody is registered for, stops at a
// 6xx, and names the extension that answered in the call record. Forwarding, do-not-disturb
// and ring groups are such plans, made in pbx/.

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "b2bua_test_support.hpp"

namespace parley::sip::testing {
namespace {

using namespace std::chrono_literals;

class B2buaPlanTest : public B2buaFixture {
 protected:
  B2buaPlanTest() {
    routing_.extensions.insert({kTenant, "1004"});
    routing_.extensions.insert({kTenant, "1005"});  // never registered
    location_.bindings[{kTenant, "1004"}] = {
        binding("sip:1004@10.0.0.41:5066", "198.51.100.41", 5066)};
    // Ring group 800: 1002 for 10 s, then 1004 for 10 s.
    plans_["800"] = CallPlan{.stages = {RingStage{{"1002"}, 10s}, RingStage{{"1004"}, 10s}}};
    routing_.planner = [this](const CallTenant& tenant, std::string_view caller,
                              std::string_view dialled) {
      auto it = plans_.find(std::string(dialled));
      if (it != plans_.end()) return it->second;
      return routing_.CallRouting::plan_call(tenant, caller, dialled);
    };
  }

  static Request invite_to(std::string_view number) {
    Request invite;
    invite.uri = "sip:" + std::string(number) + "@example.com";
    invite.to = "<sip:" + std::string(number) + "@example.com>";
    return invite;
  }

  // Answers `invite` (as sent to C) with 200, ACKs as Alice, hangs up as Alice.
  void answer_on_c_and_hang_up(const Out& invite) {
    from_peer(answer(invite.message, 200, "ctag", "<sip:1004@10.0.0.41:5066>", kSdpB), c_peer_);
    auto sent = drain();
    const Out* ok = find_status(sent, a_peer_, 200);
    ASSERT_NE(ok, nullptr);
    const std::string tag(ok->message.to_tag());
    Request ack = invite_to("800");
    ack.method = "ACK";
    ack.to += ";tag=" + tag;
    ack.via_branch = "z9hG4bKack";
    ack.body.clear();
    from_a(ack.text());
    Request bye = invite_to("800");
    bye.method = "BYE";
    bye.to += ";tag=" + tag;
    bye.cseq = 2;
    bye.via_branch = "z9hG4bKbye";
    bye.body.clear();
    from_a(bye.text());
    drain();
  }

  std::map<std::string, CallPlan> plans_;
  Peer c_peer_ = make_peer("198.51.100.41:5066");
};

TEST_F(B2buaPlanTest, HuntRingsTheNextStageWhenTheFirstTimesOut) {
  from_a(invite_to("800").text());
  auto sent = drain();
  const Out* b1 = find(sent, b1_peer_, "INVITE");
  ASSERT_NE(b1, nullptr);
  ASSERT_NE(find(sent, b2_peer_, "INVITE"), nullptr);
  EXPECT_EQ(find(sent, c_peer_, "INVITE"), nullptr) << "1004 waits for the second stage";
  from_b1(answer(b1->message, 180, "b1tag"));
  drain();

  run_for(9999ms);
  EXPECT_EQ(find(drain(), c_peer_, "INVITE"), nullptr);
  run_for(1ms);
  sent = drain();
  EXPECT_NE(find(sent, b1_peer_, "CANCEL"), nullptr) << "the first stage stops ringing";
  EXPECT_EQ(find_status(sent, a_peer_, 480), nullptr) << "the caller keeps waiting";
  const Out* c = find(sent, c_peer_, "INVITE");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->message.request_uri(), "sip:1004@10.0.0.41:5066");
  EXPECT_EQ(c->message.body(), kSdpA);

  answer_on_c_and_hang_up(*c);
  ASSERT_EQ(records_.records.size(), 1U);
  EXPECT_EQ(records_.records[0].disposition, store::Disposition::kAnswered);
  EXPECT_EQ(records_.records[0].callee, "1004") << "the record names who took the call";
  EXPECT_EQ(b2bua_.call_count(), 0U);
}

TEST_F(B2buaPlanTest, EveryDeviceRefusingMovesOnAtOnce) {
  from_a(invite_to("800").text());
  auto sent = drain();
  const Out b1 = *find(sent, b1_peer_, "INVITE");
  const Out b2 = *find(sent, b2_peer_, "INVITE");
  from_b1(answer(b1.message, 486, "b1tag"));
  EXPECT_EQ(find(drain(), c_peer_, "INVITE"), nullptr) << "B2 may still answer";
  from_b2(answer(b2.message, 486, "b2tag"));
  sent = drain();
  EXPECT_NE(find(sent, c_peer_, "INVITE"), nullptr);
  EXPECT_EQ(find_status(sent, a_peer_, 486), nullptr);
}

TEST_F(B2buaPlanTest, LastStageUnansweredGivesTheBestFailure) {
  from_a(invite_to("800").text());
  auto sent = drain();
  from_b1(answer(find(sent, b1_peer_, "INVITE")->message, 486, "b1tag"));
  from_b2(answer(find(sent, b2_peer_, "INVITE")->message, 486, "b2tag"));
  sent = drain();
  const Out* c = find(sent, c_peer_, "INVITE");
  ASSERT_NE(c, nullptr);
  from_peer(answer(c->message, 480, "ctag"), c_peer_);
  sent = drain();
  EXPECT_NE(find_status(sent, a_peer_, 486), nullptr) << "busy ranks above unavailable";
  ASSERT_EQ(records_.records.size(), 1U);
  EXPECT_EQ(records_.records[0].disposition, store::Disposition::kBusy);
}

TEST_F(B2buaPlanTest, ADeclineEndsTheSearch) {
  from_a(invite_to("800").text());
  auto sent = drain();
  from_b1(answer(find(sent, b1_peer_, "INVITE")->message, 603, "b1tag"));
  sent = drain();
  EXPECT_NE(find_status(sent, a_peer_, 603), nullptr);
  EXPECT_EQ(find(sent, c_peer_, "INVITE"), nullptr);
  EXPECT_EQ(b2bua_.call_count(), 0U);
}

TEST_F(B2buaPlanTest, StagesWithoutRegisteredDevicesAreSkipped) {
  plans_["801"] = CallPlan{.stages = {RingStage{{"1005"}, 10s}, RingStage{{"1004"}, 10s}}};
  from_a(invite_to("801").text());
  auto sent = drain();
  EXPECT_NE(find(sent, c_peer_, "INVITE"), nullptr);
}

TEST_F(B2buaPlanTest, OneStageRingsSeveralExtensionsAtOnce) {
  plans_["802"] = CallPlan{.stages = {RingStage{{"1002", "1004"}, 10s}}};
  from_a(invite_to("802").text());
  auto sent = drain();
  EXPECT_NE(find(sent, b1_peer_, "INVITE"), nullptr);
  EXPECT_NE(find(sent, b2_peer_, "INVITE"), nullptr);
  EXPECT_NE(find(sent, c_peer_, "INVITE"), nullptr);
}

TEST_F(B2buaPlanTest, ARefusingPlanRingsNobody) {
  plans_["1002"] = CallPlan{.reject_status = 486, .reject_reason = "Do Not Disturb"};
  from_a(invite_to("1002").text());
  auto sent = drain();
  ASSERT_EQ(sent.size(), 1U);
  EXPECT_TRUE(sent[0].is_status(486));
  EXPECT_EQ(sent[0].message.reason_phrase(), "Do Not Disturb");
  EXPECT_EQ(b2bua_.stats().calls_rejected, 1U);
}

TEST_F(B2buaPlanTest, TheExhaustedStatusReplacesTheDevicesAnswer) {
  plans_["803"] = CallPlan{.stages = {RingStage{{"1004"}, 5s}}, .exhausted_status = 486};
  from_a(invite_to("803").text());
  const Out c = *find(drain(), c_peer_, "INVITE");
  from_peer(answer(c.message, 180, "ctag"), c_peer_);
  drain();
  run_for(5s);
  auto sent = drain();
  EXPECT_NE(find(sent, c_peer_, "CANCEL"), nullptr);
  EXPECT_NE(find_status(sent, a_peer_, 486), nullptr);
}

TEST_F(B2buaPlanTest, NobodyRegisteredAnywhereIs480AndARecord) {
  plans_["804"] = CallPlan{.stages = {RingStage{{"1005"}, 5s}}};
  from_a(invite_to("804").text());
  auto sent = drain();
  ASSERT_EQ(sent.size(), 1U);
  EXPECT_TRUE(sent[0].is_status(480));
  ASSERT_EQ(records_.records.size(), 1U);
  EXPECT_EQ(records_.records[0].callee, "804");
  EXPECT_EQ(b2bua_.call_count(), 0U);
}

// Constructed before the fixture, which keeps a pointer to it.
struct CallStatesHolder {
  struct Recorder final : CallStateListener {
    void on_call_state(const ExtensionCallState& state) override { states.push_back(state); }
    std::vector<ExtensionCallState> states;
  };
  Recorder recorder_;
};

class B2buaPlanStatesTest : protected CallStatesHolder, public B2buaFixture {
 protected:
  B2buaPlanStatesTest()
      : B2buaFixture([this](B2buaOptions& options) { options.call_states = &recorder_; }) {
    routing_.planner = [](const CallTenant& tenant, std::string_view caller,
                          std::string_view dialled) {
      if (dialled == "800") {
        return CallPlan{.stages = {RingStage{{"1002"}, 10s}, RingStage{{"1003", "1002"}, 10s}}};
      }
      return FakeRouting{}.CallRouting::plan_call(tenant, caller, dialled);
    };
  }
};

// Pickup placement finds a ring group's call under its members (decision 0041).
TEST_F(B2buaPlanStatesTest, ARingGroupsRingingReportNamesItsMembers) {
  Request invite;
  invite.uri = "sip:800@example.com";
  invite.to = "<sip:800@example.com>";
  from_a(invite.text());
  drain();
  const auto recipient =
      std::find_if(recorder_.states.begin(), recorder_.states.end(), [](const auto& state) {
        return state.direction == CallDirection::kRecipient && state.phase == CallPhase::kRinging;
      });
  ASSERT_NE(recipient, recorder_.states.end());
  EXPECT_EQ(recipient->extension, "800");
  EXPECT_EQ(recipient->rung_members, (std::vector<std::string>{"1002", "1003"}));
  const auto caller =
      std::find_if(recorder_.states.begin(), recorder_.states.end(),
                   [](const auto& state) { return state.direction == CallDirection::kInitiator; });
  ASSERT_NE(caller, recorder_.states.end());
  EXPECT_TRUE(caller->rung_members.empty());
}

}  // namespace
}  // namespace parley::sip::testing
