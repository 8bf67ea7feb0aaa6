// The CallQueueStore half of SqliteStore against a real SQLite file: queues per tenant with
// their members in order, settings validation, the number space shared with extensions, ring
// groups and rooms (both ways), member removal when an extension goes, and the change counter.

#include <gtest/gtest.h>

#include <cstddef>
#include <iterator>
#include <memory>
#include <string>
#include <utility>

#include "store/call_feature_store.hpp"
#include "store/call_queue_store.hpp"
#include "store/conference_store.hpp"
#include "store_fixture.hpp"

namespace parley::store::sqlite {
namespace {

class CallQueueStoreTest : public StoreFixture {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(open_with_tenants(/*with_other=*/false));
    ASSERT_NO_FATAL_FAILURE(add_extensions(tenant_.id, {{"1001", ""}, {"1002", ""}, {"1003", ""}}));
  }

  CallQueueConfig queue(std::string number) const {
    CallQueueConfig row;
    row.tenant_id = tenant_.id;
    row.number = std::move(number);
    row.name = "Sales";
    row.strategy = "longest-idle";
    row.ring_timeout_s = 20;
    row.wrap_up_s = 5;
    row.max_wait_s = 120;
    row.max_callers = 10;
    row.fallback = "voicemail:1001";
    row.members = {"1002", "1001"};
    return row;
  }
};

TEST_F(CallQueueStoreTest, AddsChangesListsAndRemovesQueues) {
  const std::uint64_t before = counter();
  auto added = store_->add_call_queue(queue("700"));
  ASSERT_TRUE(added.ok()) << added.error().message;
  EXPECT_GT(added->created_at, 0);
  EXPECT_GT(counter(), before);

  auto listed = store_->list_call_queues(tenant_.id);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  const auto& row = listed->front();
  EXPECT_EQ(row.number, "700");
  EXPECT_EQ(row.name, "Sales");
  EXPECT_EQ(row.strategy, "longest-idle");
  EXPECT_EQ(row.ring_timeout_s, 20u);
  EXPECT_EQ(row.wrap_up_s, 5u);
  EXPECT_EQ(row.max_wait_s, 120u);
  EXPECT_EQ(row.max_callers, 10u);
  EXPECT_EQ(row.fallback, "voicemail:1001");
  EXPECT_EQ(row.announce_s, 30u) << "announcements every 30 s unless told otherwise";
  EXPECT_EQ(row.members, (std::vector<std::string>{"1002", "1001"}));

  CallQueueConfig changed = queue("700");
  changed.strategy = "round-robin";
  changed.fallback = "";
  changed.announce_s = 0;
  const std::uint64_t before_update = counter();
  ASSERT_TRUE(store_->update_call_queue(changed).ok());
  ASSERT_TRUE(store_->set_call_queue_members(tenant_.id, "700", {"1003", "1001", "1002"}).ok());
  EXPECT_GT(counter(), before_update);
  listed = store_->list_call_queues(std::nullopt);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front().strategy, "round-robin");
  EXPECT_EQ(listed->front().fallback, "");
  EXPECT_EQ(listed->front().announce_s, 0u);
  EXPECT_EQ(listed->front().members, (std::vector<std::string>{"1003", "1001", "1002"}));

  ASSERT_TRUE(store_->remove_call_queue(tenant_.id, "700").ok());
  auto gone = store_->remove_call_queue(tenant_.id, "700");
  ASSERT_FALSE(gone.ok());
  EXPECT_TRUE(is_error(gone.error(), StoreError::kNotFound));
  auto missing = store_->update_call_queue(changed);
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(is_error(missing.error(), StoreError::kNotFound));
}

TEST_F(CallQueueStoreTest, RefusesBadSettingsAndMembers) {
  using Change = void (*)(CallQueueConfig&);
  const std::pair<Change, StoreError> cases[] = {
      {[](CallQueueConfig& q) { q.strategy = "random"; }, StoreError::kInvalidInput},
      {[](CallQueueConfig& q) { q.ring_timeout_s = 4; }, StoreError::kInvalidInput},
      {[](CallQueueConfig& q) { q.wrap_up_s = 601; }, StoreError::kInvalidInput},
      {[](CallQueueConfig& q) { q.max_callers = 10001; }, StoreError::kInvalidInput},
      {[](CallQueueConfig& q) { q.announce_s = 3601; }, StoreError::kInvalidInput},
      {[](CallQueueConfig& q) { q.fallback = "voicemail:abc"; }, StoreError::kInvalidInput},
      {[](CallQueueConfig& q) { q.number = "70x"; }, StoreError::kInvalidInput},
      {[](CallQueueConfig& q) {
         q.members = {"1001", "1001"};
       },
       StoreError::kInvalidInput},
      {[](CallQueueConfig& q) { q.members = {"1999"}; }, StoreError::kNotFound},
  };
  for (std::size_t i = 0; i < std::size(cases); ++i) {
    CallQueueConfig row = queue("700");
    cases[i].first(row);
    auto added = store_->add_call_queue(row);
    EXPECT_FALSE(added.ok()) << "case " << i;
    if (!added.ok()) EXPECT_TRUE(is_error(added.error(), cases[i].second)) << added.error().message;
  }
  EXPECT_TRUE(store_->list_call_queues(tenant_.id)->empty()) << "nothing half-written";
}

TEST_F(CallQueueStoreTest, SharesTheNumberSpaceBothWays) {
  RingGroup group;
  group.tenant_id = tenant_.id;
  group.number = "600";
  group.members = {"1001"};
  ASSERT_TRUE(store_->add_ring_group(group).ok());
  ConferenceRoom room;
  room.tenant_id = tenant_.id;
  room.number = "800";
  room.max_participants = 5;
  ASSERT_TRUE(store_->add_conference_room(room).ok());
  ASSERT_TRUE(store_->add_call_queue(queue("700")).ok());
  for (const char* taken : {"1001", "600", "800", "700"}) {
    auto added = store_->add_call_queue(queue(taken));
    ASSERT_FALSE(added.ok()) << taken;
    EXPECT_TRUE(is_error(added.error(), StoreError::kConflict)) << added.error().message;
  }
  EXPECT_FALSE(store_->add_extension(NewExtension{tenant_.id, "700", "", {"", kSha256}}).ok());
  group.number = "700";
  EXPECT_FALSE(store_->add_ring_group(group).ok());
  room.number = "700";
  EXPECT_FALSE(store_->add_conference_room(room).ok());
}

TEST_F(CallQueueStoreTest, RemovedExtensionLeavesEveryQueue) {
  ASSERT_TRUE(store_->add_call_queue(queue("700")).ok());
  ASSERT_TRUE(store_->remove_extension(tenant_.id, "1002").ok());
  auto listed = store_->list_call_queues(tenant_.id);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front().members, (std::vector<std::string>{"1001"}));
}

}  // namespace
}  // namespace parley::store::sqlite
