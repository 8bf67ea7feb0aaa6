// plan_call(): every rule of pbx/dial_plan.hpp over snapshots built from values — forwarding
// (always, busy, no answer, unregistered), do-not-disturb, loops and the hop limit, ring-all
// and hunt groups with skipped members and final destinations, dangling targets, the caller.

#include "pbx/dial_plan.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "store/sqlite/sqlite_store.hpp"
#include "support/temp_dir.hpp"

namespace parley::pbx {
namespace {

using store::CallForward;
using store::Destination;
using store::DestinationKind;
using store::ForwardCondition;

constexpr store::TenantId kTenant = 1;
constexpr store::TenantId kOtherTenant = 2;

Destination ext(std::string number) {
  return {DestinationKind::kExtension, std::move(number)};
}
Destination group_destination(std::string number) {
  return {DestinationKind::kRingGroup, std::move(number)};
}

// Builds snapshots and live state in a few lines per test.
class DialPlanTest : public ::testing::Test {
 protected:
  store::ExtensionCallFeatures& add(std::string number, store::TenantId tenant = kTenant) {
    rows_.extensions.push_back({tenant, std::move(number), false, {}});
    return rows_.extensions.back();
  }
  void forward(std::string_view number, ForwardCondition condition, Destination to,
               std::uint32_t seconds = store::kDefaultNoAnswerSeconds) {
    for (auto& extension : rows_.extensions) {
      if (extension.number == number && extension.tenant_id == kTenant) {
        extension.forwards.push_back({condition, std::move(to), seconds});
        return;
      }
    }
    FAIL() << "no extension " << number;
  }
  void dnd(std::string_view number) {
    for (auto& extension : rows_.extensions) {
      if (extension.number == number) extension.dnd = true;
    }
  }
  store::RingGroup& add_group(std::string number, store::RingStrategy strategy,
                              std::vector<std::string> members) {
    store::RingGroup group;
    group.tenant_id = kTenant;
    group.number = std::move(number);
    group.strategy = strategy;
    group.member_timeout_seconds = 15;
    group.members = std::move(members);
    rows_.ring_groups.push_back(std::move(group));
    return rows_.ring_groups.back();
  }

  CallPlan plan(std::string_view dialled, std::string_view caller = "outside") {
    const DialPlanSnapshot snapshot(rows_);
    const FixedLiveState live(registered_, busy_);
    return plan_call(snapshot, kTenant, caller, dialled, live);
  }

  store::CallFeatureSnapshot rows_;
  std::set<std::string, std::less<>> registered_;
  std::set<std::string, std::less<>> busy_;
};

std::vector<std::vector<std::string>> rung(const CallPlan& plan) {
  std::vector<std::vector<std::string>> stages;
  for (const auto& stage : plan.stages) stages.push_back(stage.extensions);
  return stages;
}

TEST_F(DialPlanTest, PlainExtensionRingsWithoutLimitAndEnds) {
  add("1001");
  registered_ = {"1001"};
  const auto result = plan("1001");
  ASSERT_EQ(result.stages.size(), 1U);
  EXPECT_EQ(result.stages[0].extensions, (std::vector<std::string>{"1001"}));
  EXPECT_EQ(result.stages[0].timeout_seconds, 0U);
  EXPECT_EQ(result.stages[0].reached, "1001");
  EXPECT_TRUE(result.stages[0].diversions.empty());
  EXPECT_EQ(result.final.kind, FinalKind::kEnd);
}

TEST_F(DialPlanTest, UnknownNumberAndOtherTenantAreNotLocal) {
  add("1001");
  add("2001", kOtherTenant);
  registered_ = {"1001", "2001"};
  for (const char* dialled : {"1999", "2001", "", "*78"}) {
    const auto result = plan(dialled);
    EXPECT_TRUE(result.stages.empty()) << dialled;
    EXPECT_EQ(result.final.kind, FinalKind::kNotLocal) << dialled;
    EXPECT_EQ(result.final.target, dialled);
  }
}

TEST_F(DialPlanTest, ForwardAlwaysGoesStraightToTheTargetAndWinsOverDnd) {
  add("1001");
  add("1002");
  registered_ = {"1001", "1002"};
  forward("1001", ForwardCondition::kAlways, ext("1002"));
  dnd("1001");
  const auto result = plan("1001");
  EXPECT_EQ(rung(result), (std::vector<std::vector<std::string>>{{"1002"}}));
  ASSERT_EQ(result.stages[0].diversions.size(), 1U);
  EXPECT_EQ(result.stages[0].diversions[0], (Diversion{"1001", "unconditional"}));
  EXPECT_EQ(result.stages[0].reached, "1002");
  EXPECT_EQ(result.final.kind, FinalKind::kEnd);
}

TEST_F(DialPlanTest, ForwardAlwaysToOutsideNumberAndVoicemail) {
  add("1001");
  add("1002");
  forward("1001", ForwardCondition::kAlways, {DestinationKind::kExternal, "+4930123"});
  forward("1002", ForwardCondition::kAlways, {DestinationKind::kVoicemail, "1002"});
  auto result = plan("1001");
  EXPECT_TRUE(result.stages.empty());
  EXPECT_EQ(result.final.kind, FinalKind::kExternal);
  EXPECT_EQ(result.final.target, "+4930123");
  ASSERT_EQ(result.final.diversions.size(), 1U);
  EXPECT_EQ(result.final.diversions[0].reason, "unconditional");
  result = plan("1002");
  EXPECT_EQ(result.final.kind, FinalKind::kVoicemail);
  EXPECT_EQ(result.final.target, "1002");
}

TEST_F(DialPlanTest, DndRejectsBusyOrTakesTheBusyForward) {
  add("1001");
  add("1002");
  add("1003");
  registered_ = {"1001", "1002", "1003"};
  dnd("1001");
  dnd("1002");
  forward("1002", ForwardCondition::kBusy, ext("1003"));
  forward("1002", ForwardCondition::kNoAnswer, ext("1001"));  // not used on DND
  auto result = plan("1001");
  EXPECT_TRUE(result.stages.empty());
  EXPECT_EQ(result.final.kind, FinalKind::kReject);
  EXPECT_EQ(result.final.status, 486);
  result = plan("1002");
  EXPECT_EQ(rung(result), (std::vector<std::vector<std::string>>{{"1003"}}));
  EXPECT_EQ(result.stages[0].diversions[0], (Diversion{"1002", "do-not-disturb"}));
}

TEST_F(DialPlanTest, BusyForwardOnlyWhenBusyElseCallWaiting) {
  add("1001");
  add("1002");
  registered_ = {"1001", "1002"};
  busy_ = {"1001"};
  auto result = plan("1001");  // busy, no busy forward: rings (call waiting)
  EXPECT_EQ(rung(result), (std::vector<std::vector<std::string>>{{"1001"}}));
  forward("1001", ForwardCondition::kBusy, ext("1002"));
  result = plan("1001");
  EXPECT_EQ(rung(result), (std::vector<std::vector<std::string>>{{"1002"}}));
  EXPECT_EQ(result.stages[0].diversions[0].reason, "user-busy");
  busy_.clear();
  result = plan("1001");  // idle: the busy forward does not apply
  EXPECT_EQ(rung(result), (std::vector<std::vector<std::string>>{{"1001"}}));
}

TEST_F(DialPlanTest, NoAnswerRingsForItsSecondsThenFollows) {
  add("1001");
  add("1002");
  registered_ = {"1001", "1002"};
  forward("1001", ForwardCondition::kNoAnswer, ext("1002"), 25);
  auto result = plan("1001");
  ASSERT_EQ(rung(result), (std::vector<std::vector<std::string>>{{"1001"}, {"1002"}}));
  EXPECT_EQ(result.stages[0].timeout_seconds, 25U);
  EXPECT_EQ(result.stages[1].timeout_seconds, 0U);
  EXPECT_EQ(result.stages[1].diversions[0], (Diversion{"1001", "no-answer"}));
  EXPECT_EQ(result.final.kind, FinalKind::kEnd);

  forward("1002", ForwardCondition::kNoAnswer, {DestinationKind::kVoicemail, "1001"}, 10);
  result = plan("1001");
  ASSERT_EQ(result.stages.size(), 2U);
  EXPECT_EQ(result.stages[1].timeout_seconds, 10U);
  EXPECT_EQ(result.final.kind, FinalKind::kVoicemail);
  EXPECT_EQ(result.final.target, "1001");
  EXPECT_EQ(result.final.diversions.size(), 2U);
}

TEST_F(DialPlanTest, UnregisteredUsesItsForwardThenNoAnswerThen480) {
  add("1001");
  add("1002");
  add("1003");
  registered_ = {"1002", "1003"};
  auto result = plan("1001");
  EXPECT_TRUE(result.stages.empty());
  EXPECT_EQ(result.final.kind, FinalKind::kReject);
  EXPECT_EQ(result.final.status, 480);

  forward("1001", ForwardCondition::kNoAnswer, ext("1002"));
  result = plan("1001");  // the phone cannot answer: the no-answer wish applies at once
  EXPECT_EQ(rung(result), (std::vector<std::vector<std::string>>{{"1002"}}));
  EXPECT_EQ(result.stages[0].diversions[0].reason, "unavailable");

  forward("1001", ForwardCondition::kUnregistered, ext("1003"));
  result = plan("1001");
  EXPECT_EQ(rung(result), (std::vector<std::vector<std::string>>{{"1003"}}));
}

TEST_F(DialPlanTest, ForwardLoopsEndWith482) {
  add("1001");
  add("1002");
  add("1003");
  registered_ = {"1001", "1002", "1003"};
  forward("1001", ForwardCondition::kAlways, ext("1002"));
  forward("1002", ForwardCondition::kAlways, ext("1003"));
  forward("1003", ForwardCondition::kAlways, ext("1001"));
  auto result = plan("1001");
  EXPECT_TRUE(result.stages.empty());
  EXPECT_EQ(result.final.kind, FinalKind::kReject);
  EXPECT_EQ(result.final.status, 482);
  EXPECT_NE(result.final.reason.find("1001"), std::string::npos);
  EXPECT_EQ(result.final.diversions.size(), 3U);
}

TEST_F(DialPlanTest, NoAnswerLoopRingsEachOnceThen482) {
  add("1001");
  add("1002");
  registered_ = {"1001", "1002"};
  forward("1001", ForwardCondition::kNoAnswer, ext("1002"));
  forward("1002", ForwardCondition::kNoAnswer, ext("1001"));
  const auto result = plan("1001");
  EXPECT_EQ(rung(result), (std::vector<std::vector<std::string>>{{"1001"}, {"1002"}}));
  EXPECT_EQ(result.final.status, 482);
}

TEST_F(DialPlanTest, ChainsLongerThanTheHopLimitEndWith482) {
  std::vector<std::string> numbers;
  for (int i = 0; i <= kMaxForwardHops + 1; ++i) numbers.push_back(std::to_string(1001 + i));
  for (const auto& number : numbers) add(number);
  for (std::size_t i = 0; i + 1 < numbers.size(); ++i) {
    forward(numbers[i], ForwardCondition::kAlways, ext(numbers[i + 1]));
  }
  registered_ = {numbers.begin(), numbers.end()};
  auto result = plan(numbers[0]);
  EXPECT_TRUE(result.stages.empty());
  EXPECT_EQ(result.final.status, 482);

  // Exactly kMaxForwardHops hops still reach the end of the chain.
  result = plan(numbers[1]);
  EXPECT_EQ(rung(result), (std::vector<std::vector<std::string>>{{numbers.back()}}));
  EXPECT_EQ(result.stages[0].diversions.size(), static_cast<std::size_t>(kMaxForwardHops));
}

TEST_F(DialPlanTest, ForwardsToMissingTargetsOrToTheCallerAreIgnored) {
  add("1001");
  add("1002");
  registered_ = {"1001", "1002"};
  forward("1001", ForwardCondition::kAlways, ext("1999"));  // removed since
  forward("1001", ForwardCondition::kNoAnswer, group_destination("699"));
  auto result = plan("1001");
  EXPECT_EQ(rung(result), (std::vector<std::vector<std::string>>{{"1001"}}));
  EXPECT_EQ(result.stages[0].timeout_seconds, 0U);
  EXPECT_EQ(result.final.kind, FinalKind::kEnd);

  // 1002 forwards everything to 1001; 1001 calling 1002 still reaches 1002.
  forward("1002", ForwardCondition::kAlways, ext("1001"));
  result = plan("1002", "1001");
  EXPECT_EQ(rung(result), (std::vector<std::vector<std::string>>{{"1002"}}));
  result = plan("1002", "1003");
  EXPECT_EQ(rung(result), (std::vector<std::vector<std::string>>{{"1001"}}));
}

TEST_F(DialPlanTest, RingAllIsOneStageOfAvailableMembers) {
  for (const char* number : {"1001", "1002", "1003", "1004", "1005", "1006"}) add(number);
  registered_ = {"1001", "1002", "1003", "1005", "1006"};  // 1004 not registered
  busy_ = {"1005"};
  dnd("1003");
  forward("1002", ForwardCondition::kAlways, ext("1006"));  // members' forwards are not followed
  add_group("600", store::RingStrategy::kRingAll, {"1001", "1002", "1003", "1004", "1005", "1006"});
  const auto result = plan("600", "1006");  // the caller is not rung
  ASSERT_EQ(result.stages.size(), 1U);
  EXPECT_EQ(result.stages[0].extensions, (std::vector<std::string>{"1001", "1002"}));
  EXPECT_EQ(result.stages[0].timeout_seconds, 15U);
  EXPECT_EQ(result.stages[0].reached, "600");
  EXPECT_EQ(result.final.kind, FinalKind::kReject);  // default final: hang up
  EXPECT_EQ(result.final.status, 480);
}

TEST_F(DialPlanTest, HuntRingsAvailableMembersInOrderThenTheFinalDestination) {
  for (const char* number : {"1001", "1002", "1003", "1004"}) add(number);
  registered_ = {"1001", "1002", "1004"};
  auto& group = add_group("600", store::RingStrategy::kHunt, {"1004", "1003", "1002", "1001"});
  group.member_timeout_seconds = 8;
  group.final_destination = {DestinationKind::kVoicemail, "1001"};
  const auto result = plan("600");
  EXPECT_EQ(rung(result), (std::vector<std::vector<std::string>>{{"1004"}, {"1002"}, {"1001"}}));
  for (const auto& stage : result.stages) EXPECT_EQ(stage.timeout_seconds, 8U);
  EXPECT_EQ(result.final.kind, FinalKind::kVoicemail);
  EXPECT_EQ(result.final.target, "1001");
  ASSERT_EQ(result.final.diversions.size(), 1U);
  EXPECT_EQ(result.final.diversions[0], (Diversion{"600", "no-answer"}));
}

TEST_F(DialPlanTest, GroupWithNobodyAvailableGoesStraightToItsFinalExtension) {
  for (const char* number : {"1001", "1002", "1009"}) add(number);
  registered_ = {"1009"};
  forward("1009", ForwardCondition::kNoAnswer, {DestinationKind::kExternal, "+15550100"}, 12);
  auto& group = add_group("600", store::RingStrategy::kHunt, {"1001", "1002"});
  group.final_destination = ext("1009");  // the operator's own rules apply
  const auto result = plan("600");
  EXPECT_EQ(rung(result), (std::vector<std::vector<std::string>>{{"1009"}}));
  EXPECT_EQ(result.stages[0].timeout_seconds, 12U);
  EXPECT_EQ(result.final.kind, FinalKind::kExternal);
  EXPECT_EQ(result.final.target, "+15550100");
  EXPECT_EQ(result.final.diversions.size(), 2U);
}

TEST_F(DialPlanTest, GroupsReachedByForwardAndGroupLoops) {
  add("1001");
  add("1002");
  registered_ = {"1002"};
  forward("1001", ForwardCondition::kAlways, group_destination("600"));
  add_group("600", store::RingStrategy::kRingAll, {"1001", "1002"}).final_destination =
      group_destination("601");
  add_group("601", store::RingStrategy::kRingAll, {"1002"}).final_destination =
      group_destination("600");
  const auto result = plan("1001");
  EXPECT_EQ(rung(result), (std::vector<std::vector<std::string>>{{"1002"}, {"1002"}}));
  EXPECT_EQ(result.stages[0].diversions[0], (Diversion{"1001", "unconditional"}));
  EXPECT_EQ(result.final.kind, FinalKind::kReject);
  EXPECT_EQ(result.final.status, 482);
}

TEST_F(DialPlanTest, MissingFinalDestinationHangsUp) {
  add("1001");
  registered_ = {"1001"};
  add_group("600", store::RingStrategy::kRingAll, {"1001"}).final_destination = ext("1999");
  const auto result = plan("600");
  EXPECT_EQ(rung(result), (std::vector<std::vector<std::string>>{{"1001"}}));
  EXPECT_EQ(result.final.kind, FinalKind::kReject);
  EXPECT_EQ(result.final.status, 480);
}

TEST_F(DialPlanTest, SnapshotLooksUpPerTenant) {
  add("1001");
  add("1001", kOtherTenant);
  add_group("600", store::RingStrategy::kHunt, {});
  const DialPlanSnapshot snapshot(rows_);
  EXPECT_NE(snapshot.find_extension(kTenant, "1001"), nullptr);
  EXPECT_NE(snapshot.find_extension(kOtherTenant, "1001"), nullptr);
  EXPECT_EQ(snapshot.find_extension(3, "1001"), nullptr);
  EXPECT_NE(snapshot.find_ring_group(kTenant, "600"), nullptr);
  EXPECT_EQ(snapshot.find_ring_group(kOtherTenant, "600"), nullptr);
  EXPECT_EQ(snapshot.find_ring_group(kTenant, "1001"), nullptr);
}

// The snapshot the server builds: one read of a real SQLite store, then plans from memory.
TEST(DialPlanStoreTest, PlansFromASnapshotLoadedFromTheStore) {
  test::TempDir dir;
  store::sqlite::SqliteStoreOptions options;
  options.data_dir = dir.path() / "data";
  auto opened = store::sqlite::SqliteStore::open(std::move(options));
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  auto& db = **opened;
  auto tenant = db.add_tenant({"example.com", "", false});
  ASSERT_TRUE(tenant.ok());
  for (const char* number : {"1001", "1002", "1003"}) {
    ASSERT_TRUE(db.add_extension({tenant->id, number, "", {"", std::string(64, 'a')}}).ok());
  }
  store::RingGroup group;
  group.tenant_id = tenant->id;
  group.number = "600";
  group.strategy = store::RingStrategy::kHunt;
  group.members = {"1003", "1002"};
  group.final_destination = {DestinationKind::kVoicemail, "1001"};
  ASSERT_TRUE(db.add_ring_group(group).ok());
  ASSERT_TRUE(db.set_forward(tenant->id, "1001", {ForwardCondition::kAlways, ext("600")}).ok());
  ASSERT_TRUE(db.set_dnd(tenant->id, "1002", true).ok());

  auto snapshot = DialPlanSnapshot::load(db);
  ASSERT_TRUE(snapshot.ok()) << snapshot.error().message;
  const FixedLiveState live({"1001", "1002", "1003"}, {});
  const auto result = plan_call(*snapshot, tenant->id, "outside", "1001", live);
  EXPECT_EQ(rung(result), (std::vector<std::vector<std::string>>{{"1003"}}));  // 1002 on DND
  EXPECT_EQ(result.stages[0].diversions[0], (Diversion{"1001", "unconditional"}));
  EXPECT_EQ(result.final.kind, FinalKind::kVoicemail);
  EXPECT_EQ(result.final.target, "1001");
}

}  // namespace
}  // namespace parley::pbx
