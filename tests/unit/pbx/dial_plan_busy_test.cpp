// plan_when_busy() and forwards_when_busy() (decision 0052): the plan made again when every
// phone of a ringing extension refused busy by itself. The busy forward applies with the chain
// that led to the stage (Diversion reasons, loops, the hop limit); ring-group stages, extensions
// without a busy forward and forwards back to the caller give nothing, so the original plan
// goes on.

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "pbx/dial_plan.hpp"

namespace parley::pbx {
namespace {

using store::Destination;
using store::DestinationKind;
using store::ForwardCondition;

constexpr store::TenantId kTenant = 1;

class DialPlanBusyTest : public ::testing::Test {
 protected:
  void add(std::string number) {
    rows_.extensions.push_back({kTenant, std::move(number), false, {}});
    registered_.insert(rows_.extensions.back().number);
  }
  void forward(std::string_view number, ForwardCondition condition, Destination to) {
    for (auto& extension : rows_.extensions) {
      if (extension.number == number) {
        extension.forwards.push_back({condition, std::move(to), 5});
        return;
      }
    }
    FAIL() << "no extension " << number;
  }

  CallPlan plan(std::string_view dialled, std::string_view caller = "outside") {
    snapshot_ = DialPlanSnapshot(rows_);
    return plan_call(snapshot_, kTenant, caller, dialled, FixedLiveState(registered_, busy_));
  }
  std::optional<CallPlan> when_busy(const RingStage& stage, std::string_view caller = "outside") {
    const FixedLiveState live(registered_, busy_);
    EXPECT_EQ(forwards_when_busy(snapshot_, kTenant, caller, stage),
              plan_when_busy(snapshot_, kTenant, caller, stage, live).has_value())
        << "forwards_when_busy() must foretell plan_when_busy()";
    return plan_when_busy(snapshot_, kTenant, caller, stage, live);
  }

  static Destination ext(std::string number) {
    return {DestinationKind::kExtension, std::move(number)};
  }

  store::CallFeatureSnapshot rows_;
  DialPlanSnapshot snapshot_;
  std::set<std::string, std::less<>> registered_;
  std::set<std::string, std::less<>> busy_;
};

TEST_F(DialPlanBusyTest, APhoneRefusingBusyTakesTheBusyForwardNotTheNoAnswerOne) {
  add("1006");
  add("1007");
  forward("1006", ForwardCondition::kBusy, {DestinationKind::kExternal, "02071234570"});
  forward("1006", ForwardCondition::kNoAnswer, {DestinationKind::kVoicemail, "1006"});
  const CallPlan original = plan("1006");
  ASSERT_EQ(original.stages.size(), 1U);
  EXPECT_EQ(original.final.kind, FinalKind::kVoicemail) << "no answer: voicemail";

  const auto rest = when_busy(original.stages[0]);
  ASSERT_TRUE(rest.has_value());
  EXPECT_TRUE(rest->stages.empty()) << "the extension does not ring again";
  EXPECT_EQ(rest->final.kind, FinalKind::kExternal);
  EXPECT_EQ(rest->final.target, "02071234570");
  EXPECT_EQ(rest->final.diversions, (std::vector<Diversion>{{"1006", "user-busy"}}));
}

TEST_F(DialPlanBusyTest, TheBusyForwardToAnExtensionOrVoicemailFollowsItsRules) {
  add("1006");
  add("1007");
  add("1008");
  forward("1006", ForwardCondition::kBusy, ext("1007"));
  forward("1007", ForwardCondition::kNoAnswer, {DestinationKind::kVoicemail, "1007"});
  forward("1008", ForwardCondition::kBusy, {DestinationKind::kVoicemail, "1008"});

  auto rest = when_busy(plan("1006").stages.at(0));
  ASSERT_TRUE(rest.has_value());
  ASSERT_EQ(rest->stages.size(), 1U);
  EXPECT_EQ(rest->stages[0].extensions, (std::vector<std::string>{"1007"}));
  EXPECT_EQ(rest->stages[0].reached, "1007");
  EXPECT_EQ(rest->stages[0].timeout_seconds, 5U);
  EXPECT_EQ(rest->stages[0].diversions, (std::vector<Diversion>{{"1006", "user-busy"}}));
  EXPECT_EQ(rest->final.kind, FinalKind::kVoicemail) << "1007's own no-answer forward";
  EXPECT_EQ(rest->final.target, "1007");

  rest = when_busy(plan("1008").stages.at(0));
  ASSERT_TRUE(rest.has_value());
  EXPECT_TRUE(rest->stages.empty());
  EXPECT_EQ(rest->final.kind, FinalKind::kVoicemail);
  EXPECT_EQ(rest->final.target, "1008");

  registered_.erase("1007");  // the target's unregistered rule applies: its no-answer forward
  rest = when_busy(plan("1006").stages.at(0));
  ASSERT_TRUE(rest.has_value());
  EXPECT_TRUE(rest->stages.empty());
  EXPECT_EQ(rest->final.kind, FinalKind::kVoicemail);
  EXPECT_EQ(rest->final.diversions,
            (std::vector<Diversion>{{"1006", "user-busy"}, {"1007", "unavailable"}}));
}

TEST_F(DialPlanBusyTest, AStageReachedByForwardingKeepsItsChain) {
  add("1001");
  add("1006");
  forward("1001", ForwardCondition::kNoAnswer, ext("1006"));
  forward("1006", ForwardCondition::kBusy, {DestinationKind::kExternal, "02071234570"});
  const CallPlan original = plan("1001");
  ASSERT_EQ(original.stages.size(), 2U);
  EXPECT_FALSE(forwards_when_busy(snapshot_, kTenant, "outside", original.stages[0]))
      << "1001 has no busy forward";
  const auto rest = when_busy(original.stages[1]);
  ASSERT_TRUE(rest.has_value());
  EXPECT_EQ(rest->final.kind, FinalKind::kExternal);
  EXPECT_EQ(rest->final.diversions,
            (std::vector<Diversion>{{"1001", "no-answer"}, {"1006", "user-busy"}}));
}

TEST_F(DialPlanBusyTest, ForwardsBackAlongTheChainAreLoops) {
  add("1006");
  add("1007");
  forward("1006", ForwardCondition::kBusy, ext("1007"));
  forward("1007", ForwardCondition::kBusy, ext("1006"));
  auto rest = when_busy(plan("1006").stages.at(0));
  ASSERT_TRUE(rest.has_value());
  ASSERT_EQ(rest->stages.size(), 1U);
  rest = when_busy(rest->stages[0]);  // 1007's phone refuses busy too
  ASSERT_TRUE(rest.has_value());
  EXPECT_EQ(rest->final.kind, FinalKind::kReject);
  EXPECT_EQ(rest->final.status, 482);
}

TEST_F(DialPlanBusyTest, NothingWithoutAUsableBusyForwardOrForAGroupStage) {
  add("1001");
  add("1006");
  add("1007");
  forward("1006", ForwardCondition::kNoAnswer, ext("1007"));
  EXPECT_FALSE(when_busy(plan("1006").stages.at(0)).has_value()) << "only a no-answer forward";

  forward("1007", ForwardCondition::kBusy, ext("1001"));
  EXPECT_FALSE(when_busy(plan("1007", "1001").stages.at(0), "1001").has_value())
      << "a busy forward to the caller is ignored, as when planning";
  EXPECT_TRUE(when_busy(plan("1007", "1006").stages.at(0), "1006").has_value());

  store::RingGroup group;
  group.tenant_id = kTenant;
  group.number = "600";
  group.strategy = store::RingStrategy::kHunt;
  group.member_timeout_seconds = 15;
  group.members = {"1007"};
  rows_.ring_groups.push_back(group);
  const CallPlan hunt = plan("600");
  ASSERT_EQ(hunt.stages.size(), 1U);
  EXPECT_EQ(hunt.stages[0].extensions, (std::vector<std::string>{"1007"}));
  EXPECT_FALSE(when_busy(hunt.stages[0]).has_value())
      << "a member's own forwarding is not followed for the group's call";

  RingStage removed{{"1999"}, 0, "1999", {}};
  EXPECT_FALSE(when_busy(removed).has_value()) << "an extension removed since";
}

TEST_F(DialPlanBusyTest, TheHopLimitCountsTheChainBeforeTheStage) {
  for (const char* number : {"1001", "1002", "1003", "1004", "1005", "1006", "1007"}) {
    add(number);
  }
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"1001", "1002"}, {"1002", "1003"}, {"1003", "1004"}, {"1004", "1005"}}) {
    forward(from, ForwardCondition::kNoAnswer, ext(to));
  }
  forward("1005", ForwardCondition::kBusy, ext("1006"));
  forward("1006", ForwardCondition::kBusy, ext("1007"));
  const CallPlan original = plan("1001");
  ASSERT_EQ(original.stages.size(), 5U);
  auto rest = when_busy(original.stages[4]);  // the fifth hop: still allowed
  ASSERT_TRUE(rest.has_value());
  ASSERT_EQ(rest->stages.size(), 1U);
  EXPECT_EQ(rest->stages[0].reached, "1006");
  rest = when_busy(rest->stages[0]);  // a sixth
  ASSERT_TRUE(rest.has_value());
  EXPECT_EQ(rest->final.kind, FinalKind::kReject);
  EXPECT_EQ(rest->final.status, 482);
}

}  // namespace
}  // namespace parley::pbx
