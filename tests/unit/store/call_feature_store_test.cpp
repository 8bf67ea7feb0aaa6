// The CallFeatureStore half of SqliteStore against a real SQLite file: forwarding rules, DND,
// ring groups (changed in place too), the shared number space of extensions and ring groups (both
// directions, also across two connections), the change counter, and the one-read snapshot.

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "store/call_feature_store.hpp"
#include "store_fixture.hpp"

namespace parley::store::sqlite {
namespace {

class CallFeatureStoreTest : public StoreFixture {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(open_with_tenants(/*with_other=*/true));
    ASSERT_NO_FATAL_FAILURE(add_extensions(tenant_.id, {{"1001", ""}, {"1002", ""}, {"1003", ""}}));
    ASSERT_NO_FATAL_FAILURE(add_extensions(other_.id, {{"2001", ""}}));
  }

  RingGroup group(std::string number, std::vector<std::string> members) {
    RingGroup row;
    row.tenant_id = tenant_.id;
    row.number = std::move(number);
    row.name = "Sales";
    row.strategy = RingStrategy::kHunt;
    row.member_timeout_seconds = 10;
    row.members = std::move(members);
    return row;
  }

  static Destination local(std::string number) {
    return {DestinationKind::kExtension, std::move(number)};
  }
};

TEST_F(CallFeatureStoreTest, SchemaVersionIncludesMigrationFive) {
  EXPECT_GE(store_->schema_version(), 5);
}

TEST_F(CallFeatureStoreTest, ForwardRulesAreSetReplacedReadAndCleared) {
  auto features = store_->get_call_features(tenant_.id, "1001");
  ASSERT_TRUE(features.ok()) << features.error().message;
  EXPECT_FALSE(features->dnd);
  EXPECT_TRUE(features->forwards.empty());

  ASSERT_TRUE(
      store_->set_forward(tenant_.id, "1001", {ForwardCondition::kNoAnswer, local("1002"), 25}));
  ASSERT_TRUE(store_->set_forward(
      tenant_.id, "1001", {ForwardCondition::kAlways, {DestinationKind::kExternal, "+4930123"}}));
  ASSERT_TRUE(store_->set_forward(
      tenant_.id, "1001",
      {ForwardCondition::kUnregistered, {DestinationKind::kVoicemail, ""}}));  // own box
  // Replacing: one rule per condition.
  ASSERT_TRUE(
      store_->set_forward(tenant_.id, "1001", {ForwardCondition::kNoAnswer, local("1003"), 30}));

  features = store_->get_call_features(tenant_.id, "1001");
  ASSERT_TRUE(features.ok());
  ASSERT_EQ(features->forwards.size(), 3U);
  EXPECT_EQ(features->forwards[0].condition, ForwardCondition::kAlways);
  EXPECT_EQ(features->forwards[0].destination,
            (Destination{DestinationKind::kExternal, "+4930123"}));
  EXPECT_EQ(features->forwards[1].condition, ForwardCondition::kNoAnswer);
  EXPECT_EQ(features->forwards[1].destination, local("1003"));
  EXPECT_EQ(features->forwards[1].no_answer_seconds, 30U);
  EXPECT_EQ(features->forwards[2].condition, ForwardCondition::kUnregistered);
  EXPECT_EQ(features->forwards[2].destination, (Destination{DestinationKind::kVoicemail, "1001"}));

  auto removed = store_->clear_forward(tenant_.id, "1001", ForwardCondition::kAlways);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 1U);
  removed = store_->clear_forward(tenant_.id, "1001", ForwardCondition::kBusy);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 0U);
  removed = store_->clear_forward(tenant_.id, "1001", ForwardCondition::kNoAnswer);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 1U);  // the stored word differs from the CLI word: must still match
  removed = store_->clear_forward(tenant_.id, "1001", std::nullopt);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 1U);
  features = store_->get_call_features(tenant_.id, "1001");
  ASSERT_TRUE(features.ok());
  EXPECT_TRUE(features->forwards.empty());
}

TEST_F(CallFeatureStoreTest, BadForwardsAreRefusedWithTheirReason) {
  auto refused = [&](std::string_view extension, const CallForward& forward, StoreError kind) {
    auto set = store_->set_forward(tenant_.id, extension, forward);
    EXPECT_FALSE(set.ok());
    if (!set.ok()) {
      EXPECT_TRUE(is_error(set.error(), kind)) << set.error().message;
      return set.error().message;
    }
    return std::string();
  };
  EXPECT_NE(refused("1999", {ForwardCondition::kAlways, local("1002")}, StoreError::kNotFound), "");
  EXPECT_NE(refused("1001", {ForwardCondition::kAlways, local("1001")}, StoreError::kInvalidInput)
                .find("being configured"),
            std::string::npos);
  EXPECT_NE(refused("1001", {ForwardCondition::kAlways, local("1999")}, StoreError::kInvalidInput)
                .find("neither"),
            std::string::npos);
  // Another tenant's extension is not a destination.
  refused("1001", {ForwardCondition::kAlways, local("2001")}, StoreError::kInvalidInput);
  refused("1001", {ForwardCondition::kAlways, {DestinationKind::kHangUp, ""}},
          StoreError::kInvalidInput);
  refused("1001", {ForwardCondition::kAlways, {DestinationKind::kVoicemail, "1999"}},
          StoreError::kInvalidInput);
  refused("1001", {ForwardCondition::kAlways, {DestinationKind::kExternal, "+12ab"}},
          StoreError::kInvalidInput);
  refused("1001", {ForwardCondition::kNoAnswer, local("1002"), 2}, StoreError::kInvalidInput);
  refused("1001", {ForwardCondition::kNoAnswer, local("1002"), 601}, StoreError::kInvalidInput);
  auto features = store_->get_call_features(tenant_.id, "1001");
  ASSERT_TRUE(features.ok());
  EXPECT_TRUE(features->forwards.empty());
  EXPECT_FALSE(store_->clear_forward(tenant_.id, "1999", std::nullopt).ok());
}

TEST_F(CallFeatureStoreTest, DndAndForwardChangesMoveTheChangeCounter) {
  auto before = counter();
  ASSERT_TRUE(store_->set_dnd(tenant_.id, "1002", true));
  EXPECT_GT(counter(), before);
  auto features = store_->get_call_features(tenant_.id, "1002");
  ASSERT_TRUE(features.ok());
  EXPECT_TRUE(features->dnd);

  before = counter();
  ASSERT_TRUE(store_->set_forward(tenant_.id, "1002", {ForwardCondition::kBusy, local("1003")}));
  EXPECT_GT(counter(), before);
  before = counter();
  ASSERT_TRUE(store_->clear_forward(tenant_.id, "1002", std::nullopt));
  EXPECT_GT(counter(), before);

  before = counter();
  auto added = store_->add_ring_group(group("600", {"1001"}));
  ASSERT_TRUE(added.ok()) << added.error().message;
  EXPECT_GT(counter(), before);
  before = counter();
  ASSERT_TRUE(store_->set_ring_group_members(tenant_.id, "600", {"1002", "1001"}));
  EXPECT_GT(counter(), before);
  before = counter();
  ASSERT_TRUE(store_->remove_ring_group(tenant_.id, "600"));
  EXPECT_GT(counter(), before);

  EXPECT_TRUE(is_error(store_->set_dnd(tenant_.id, "1999", true).error(), StoreError::kNotFound));
}

TEST_F(CallFeatureStoreTest, RingGroupsKeepMemberOrderAndFinalDestination) {
  auto spec = group("600", {"1003", "1001", "1002"});
  spec.final_destination = {DestinationKind::kVoicemail, "1001"};
  auto added = store_->add_ring_group(spec);
  ASSERT_TRUE(added.ok()) << added.error().message;
  EXPECT_GT(added->id, 0);
  auto second = group("601", {});
  second.strategy = RingStrategy::kRingAll;
  second.final_destination = local("600");  // a local number stored as the ring group it is
  ASSERT_TRUE(store_->add_ring_group(second).ok());

  auto read = store_->get_ring_group(tenant_.id, "600");
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->name, "Sales");
  EXPECT_EQ(read->strategy, RingStrategy::kHunt);
  EXPECT_EQ(read->member_timeout_seconds, 10U);
  EXPECT_EQ(read->members, (std::vector<std::string>{"1003", "1001", "1002"}));
  EXPECT_EQ(read->final_destination, (Destination{DestinationKind::kVoicemail, "1001"}));

  auto listed = store_->list_ring_groups(tenant_.id);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2U);
  EXPECT_EQ((*listed)[1].final_destination, (Destination{DestinationKind::kRingGroup, "600"}));
  EXPECT_EQ((*listed)[1].strategy, RingStrategy::kRingAll);
  auto none = store_->list_ring_groups(other_.id);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());

  ASSERT_TRUE(store_->set_ring_group_members(tenant_.id, "600", {"1002"}));
  read = store_->get_ring_group(tenant_.id, "600");
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->members, (std::vector<std::string>{"1002"}));

  // Removing an extension drops its membership, not the group.
  ASSERT_TRUE(store_->remove_extension(tenant_.id, "1002"));
  read = store_->get_ring_group(tenant_.id, "600");
  ASSERT_TRUE(read.ok());
  EXPECT_TRUE(read->members.empty());

  ASSERT_TRUE(store_->remove_ring_group(tenant_.id, "600"));
  EXPECT_TRUE(is_error(store_->get_ring_group(tenant_.id, "600").error(), StoreError::kNotFound));
  EXPECT_TRUE(
      is_error(store_->remove_ring_group(tenant_.id, "600").error(), StoreError::kNotFound));
}

TEST_F(CallFeatureStoreTest, BadRingGroupsAreRefused) {
  auto refused = [&](const RingGroup& spec, StoreError kind) {
    auto added = store_->add_ring_group(spec);
    EXPECT_FALSE(added.ok());
    if (!added.ok()) EXPECT_TRUE(is_error(added.error(), kind)) << added.error().message;
  };
  refused(group("6x0", {}), StoreError::kInvalidInput);
  refused(group("600", {"1001", "1001"}), StoreError::kInvalidInput);  // repeated
  refused(group("600", {"1999"}), StoreError::kInvalidInput);          // unknown member
  refused(group("600", {"2001"}), StoreError::kInvalidInput);          // other tenant's
  auto slow = group("600", {});
  slow.member_timeout_seconds = 1;
  refused(slow, StoreError::kInvalidInput);
  auto self_final = group("600", {});
  self_final.final_destination = local("600");
  refused(self_final, StoreError::kInvalidInput);
  auto nameless_box = group("600", {});
  nameless_box.final_destination = {DestinationKind::kVoicemail, ""};
  refused(nameless_box, StoreError::kInvalidInput);
  auto foreign = group("600", {});
  foreign.tenant_id = 99999;
  refused(foreign, StoreError::kNotFound);
  std::vector<std::string> crowd(kMaxRingGroupMembers + 1, "1001");
  refused(group("600", crowd), StoreError::kInvalidInput);

  ASSERT_TRUE(store_->add_ring_group(group("600", {})).ok());
  refused(group("600", {}), StoreError::kConflict);  // exists
  EXPECT_TRUE(is_error(store_->set_ring_group_members(tenant_.id, "600", {"1999"}).error(),
                       StoreError::kInvalidInput));
  EXPECT_TRUE(is_error(store_->set_ring_group_members(tenant_.id, "699", {}).error(),
                       StoreError::kNotFound));
}

// Decision 0054: every setting of a group changes in place in one transaction; a refusal of
// any part (a member, the final destination, a field) leaves the whole group as it was.
TEST_F(CallFeatureStoreTest, RingGroupsChangeInPlaceWholeOrNotAtAll) {
  auto added = store_->add_ring_group(group("600", {"1001"}));
  ASSERT_TRUE(added.ok()) << added.error().message;
  ASSERT_TRUE(store_->add_ring_group(group("601", {})).ok());

  RingGroup change = *added;
  change.name = "Support";
  change.strategy = RingStrategy::kRingAll;
  change.member_timeout_seconds = 25;
  change.members = {"1003", "1002"};
  change.final_destination = local("601");  // stored as the ring group it is
  change.created_at = 0;
  change.id = 0;
  const std::uint64_t before = counter();
  auto updated = store_->update_ring_group(change);
  ASSERT_TRUE(updated.ok()) << updated.error().message;
  EXPECT_GT(counter(), before);
  EXPECT_EQ(updated->id, added->id);
  EXPECT_EQ(updated->created_at, added->created_at);
  auto read = store_->get_ring_group(tenant_.id, "600");
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->name, "Support");
  EXPECT_EQ(read->strategy, RingStrategy::kRingAll);
  EXPECT_EQ(read->member_timeout_seconds, 25U);
  EXPECT_EQ(read->members, (std::vector<std::string>{"1003", "1002"}));
  EXPECT_EQ(read->final_destination, (Destination{DestinationKind::kRingGroup, "601"}));
  EXPECT_EQ(read->created_at, added->created_at);

  const std::uint64_t before_refusals = counter();
  const auto refused = [&](const RingGroup& bad, StoreError kind) {
    auto result = store_->update_ring_group(bad);
    ASSERT_FALSE(result.ok());
    EXPECT_TRUE(is_error(result.error(), kind)) << result.error().message;
  };
  RingGroup bad = *read;
  bad.name = "Renamed";
  bad.members = {"1001", "1999"};  // the second member is unknown
  refused(bad, StoreError::kInvalidInput);
  bad.members = {"2001"};  // another tenant's extension
  refused(bad, StoreError::kInvalidInput);
  bad = *read;
  bad.members = {"1001"};
  bad.final_destination = local("600");  // itself
  refused(bad, StoreError::kInvalidInput);
  bad.final_destination = local("4242");  // nothing of the tenant
  refused(bad, StoreError::kInvalidInput);
  bad = *read;
  bad.members = {"1001"};
  bad.member_timeout_seconds = kMaxRingSeconds + 1;
  refused(bad, StoreError::kInvalidInput);
  bad = *read;
  bad.number = "699";
  refused(bad, StoreError::kNotFound);
  bad = *read;
  bad.tenant_id = other_.id;
  refused(bad, StoreError::kNotFound);
  EXPECT_EQ(counter(), before_refusals);
  auto unchanged = store_->get_ring_group(tenant_.id, "600");
  ASSERT_TRUE(unchanged.ok());
  EXPECT_EQ(unchanged->name, "Support");
  EXPECT_EQ(unchanged->members, (std::vector<std::string>{"1003", "1002"}));
  EXPECT_EQ(unchanged->member_timeout_seconds, 25U);
  EXPECT_EQ(unchanged->final_destination, (Destination{DestinationKind::kRingGroup, "601"}));
}

TEST_F(CallFeatureStoreTest, ExtensionsAndRingGroupsShareOneNumberSpace) {
  // A ring group cannot take an extension's number ...
  auto clash = store_->add_ring_group(group("1001", {}));
  ASSERT_FALSE(clash.ok());
  EXPECT_TRUE(is_error(clash.error(), StoreError::kConflict));
  EXPECT_NE(clash.error().message.find("share one number space"), std::string::npos);
  // ... nor an extension a ring group's, even through a second connection (another process).
  ASSERT_TRUE(store_->add_ring_group(group("600", {})).ok());
  auto second = open_store();
  ASSERT_NE(second, nullptr);
  auto taken = second->add_extension(NewExtension{tenant_.id, "600", "", {"", kSha256}});
  ASSERT_FALSE(taken.ok());
  EXPECT_TRUE(is_error(taken.error(), StoreError::kConflict)) << taken.error().message;
  EXPECT_NE(taken.error().message.find("ring group"), std::string::npos);
  // Other tenants have their own number space.
  EXPECT_TRUE(second->add_extension(NewExtension{other_.id, "600", "", {"", kSha256}}).ok());
}

TEST_F(CallFeatureStoreTest, SnapshotHoldsEveryExtensionAndGroupOfEveryTenant) {
  ASSERT_TRUE(store_->set_dnd(tenant_.id, "1003", true));
  ASSERT_TRUE(store_->set_forward(tenant_.id, "1002", {ForwardCondition::kAlways, local("1003")}));
  ASSERT_TRUE(store_->set_forward(tenant_.id, "1001", {ForwardCondition::kBusy, local("1003")}));
  ASSERT_TRUE(store_->set_forward(tenant_.id, "1001", {ForwardCondition::kAlways, local("1002")}));
  ASSERT_TRUE(store_->add_ring_group(group("600", {"1001", "1003"})).ok());

  auto snapshot = store_->call_feature_snapshot();
  ASSERT_TRUE(snapshot.ok()) << snapshot.error().message;
  ASSERT_EQ(snapshot->extensions.size(), 4U);
  const auto& alice = snapshot->extensions[0];
  EXPECT_EQ(alice.number, "1001");
  ASSERT_EQ(alice.forwards.size(), 2U);
  EXPECT_EQ(alice.forwards[0].condition, ForwardCondition::kAlways);
  EXPECT_EQ(alice.forwards[1].condition, ForwardCondition::kBusy);
  ASSERT_EQ(snapshot->extensions[1].forwards.size(), 1U);
  EXPECT_TRUE(snapshot->extensions[2].dnd);
  EXPECT_TRUE(snapshot->extensions[2].forwards.empty());
  EXPECT_EQ(snapshot->extensions[3].tenant_id, other_.id);
  ASSERT_EQ(snapshot->ring_groups.size(), 1U);
  EXPECT_EQ(snapshot->ring_groups[0].members, (std::vector<std::string>{"1001", "1003"}));

  // A removed target leaves the other extension's rule in place (the dial plan skips it).
  ASSERT_TRUE(store_->remove_extension(tenant_.id, "1002"));
  auto features = store_->get_call_features(tenant_.id, "1001");
  ASSERT_TRUE(features.ok());
  EXPECT_EQ(features->forwards.size(), 2U);
}

TEST(DestinationTextTest, ParsesAndPrintsEveryForm) {
  struct Case {
    const char* text;
    DestinationKind kind;
    const char* target;
  };
  for (const auto& c : {Case{"1001", DestinationKind::kExtension, "1001"},
                        Case{"voicemail", DestinationKind::kVoicemail, ""},
                        Case{"voicemail:1001", DestinationKind::kVoicemail, "1001"},
                        Case{"+4930123456", DestinationKind::kExternal, "+4930123456"},
                        Case{"external:004930", DestinationKind::kExternal, "004930"},
                        Case{"hangup", DestinationKind::kHangUp, ""}}) {
    auto parsed = parse_destination(c.text);
    ASSERT_TRUE(parsed.ok()) << c.text;
    EXPECT_EQ(parsed->kind, c.kind) << c.text;
    EXPECT_EQ(parsed->target, c.target) << c.text;
    EXPECT_EQ(to_text(*parsed), c.text);
  }
  for (const char* bad : {"", "1", "abc", "+", "+1", "voicemail:", "voicemail:x", "external:",
                          "external:+", "1001 ", "hangup2", "+123456789012345678901234567890123"}) {
    auto parsed = parse_destination(bad);
    EXPECT_FALSE(parsed.ok()) << bad;
    if (!parsed.ok()) EXPECT_TRUE(is_error(parsed.error(), StoreError::kInvalidInput));
  }
  EXPECT_EQ(parse_forward_condition("no-answer"), ForwardCondition::kNoAnswer);
  EXPECT_EQ(parse_forward_condition("no_answer"), ForwardCondition::kNoAnswer);
  EXPECT_FALSE(parse_forward_condition("sometimes"));
  EXPECT_EQ(parse_ring_strategy("ring-all"), RingStrategy::kRingAll);
  EXPECT_EQ(parse_ring_strategy("hunt"), RingStrategy::kHunt);
  EXPECT_FALSE(parse_ring_strategy("random"));
}

}  // namespace
}  // namespace parley::store::sqlite
