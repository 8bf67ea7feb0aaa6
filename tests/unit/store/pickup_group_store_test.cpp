// The PickupGroupStore half of SqliteStore against a real SQLite file: groups per tenant with
// their members, name and member validation, removal of a member whose extension goes, other
// tenants' extensions refused, and the change counter.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "store/pickup_group_store.hpp"
#include "store_fixture.hpp"

namespace parley::store::sqlite {
namespace {

class PickupGroupStoreTest : public StoreFixture {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(open_with_tenants(/*with_other=*/true));
    ASSERT_NO_FATAL_FAILURE(add_extensions(tenant_.id, {{"1001", ""}, {"1002", ""}, {"1003", ""}}));
    ASSERT_NO_FATAL_FAILURE(add_extensions(other_.id, {{"1001", ""}, {"2001", ""}}));
  }
};

TEST_F(PickupGroupStoreTest, GroupsKeepTheirMembersPerTenant) {
  const auto before = counter();
  ASSERT_TRUE(store_->add_pickup_group(tenant_.id, "sales").ok());
  EXPECT_GT(counter(), before);
  const auto added = counter();
  ASSERT_TRUE(store_->set_pickup_group_members(tenant_.id, "sales", {"1003", "1001"}).ok());
  EXPECT_GT(counter(), added);
  ASSERT_TRUE(store_->add_pickup_group(other_.id, "sales").ok());  // same name, other tenant
  ASSERT_TRUE(store_->set_pickup_group_members(other_.id, "sales", {"2001"}).ok());
  ASSERT_TRUE(store_->add_pickup_group(tenant_.id, "empty").ok());

  auto ours = store_->list_pickup_groups(tenant_.id);
  ASSERT_TRUE(ours.ok());
  ASSERT_EQ(ours->size(), 2u);
  EXPECT_EQ((*ours)[0].name, "empty");
  EXPECT_TRUE((*ours)[0].members.empty());
  EXPECT_EQ((*ours)[1].name, "sales");
  EXPECT_EQ((*ours)[1].members, (std::vector<std::string>{"1001", "1003"}));
  auto all = store_->list_pickup_groups(std::nullopt);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 3u);

  ASSERT_TRUE(store_->set_pickup_group_members(tenant_.id, "sales", {}).ok());
  ours = store_->list_pickup_groups(tenant_.id);
  ASSERT_TRUE(ours.ok());
  EXPECT_TRUE((*ours)[1].members.empty());
}

TEST_F(PickupGroupStoreTest, BadNamesMembersAndDuplicatesAreRefused) {
  EXPECT_TRUE(
      is_error(store_->add_pickup_group(tenant_.id, "Sales").error(), StoreError::kInvalidInput));
  EXPECT_TRUE(
      is_error(store_->add_pickup_group(tenant_.id, "").error(), StoreError::kInvalidInput));
  EXPECT_TRUE(is_error(store_->add_pickup_group(tenant_.id, std::string(33, 'a')).error(),
                       StoreError::kInvalidInput));
  ASSERT_TRUE(store_->add_pickup_group(tenant_.id, "desk-2_b").ok());
  EXPECT_TRUE(
      is_error(store_->add_pickup_group(tenant_.id, "desk-2_b").error(), StoreError::kConflict));
  EXPECT_FALSE(store_->add_pickup_group(9999, "nowhere").ok());
  // 2001 is an extension of the other tenant only.
  EXPECT_TRUE(
      is_error(store_->set_pickup_group_members(tenant_.id, "desk-2_b", {"1001", "2001"}).error(),
               StoreError::kNotFound));
  EXPECT_TRUE(
      is_error(store_->set_pickup_group_members(tenant_.id, "desk-2_b", {"1001", "1001"}).error(),
               StoreError::kInvalidInput));
  EXPECT_TRUE(is_error(store_->set_pickup_group_members(tenant_.id, "nope", {"1001"}).error(),
                       StoreError::kNotFound));
  auto listed = store_->list_pickup_groups(tenant_.id);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_TRUE(listed->front().members.empty());  // the refused change left nothing behind
}

TEST_F(PickupGroupStoreTest, RemovedExtensionsAndGroupsGo) {
  ASSERT_TRUE(store_->add_pickup_group(tenant_.id, "sales").ok());
  ASSERT_TRUE(store_->set_pickup_group_members(tenant_.id, "sales", {"1001", "1002"}).ok());
  ASSERT_TRUE(store_->remove_extension(tenant_.id, "1002").ok());
  auto listed = store_->list_pickup_groups(tenant_.id);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->front().members, (std::vector<std::string>{"1001"}));
  const auto before = counter();
  ASSERT_TRUE(store_->remove_pickup_group(tenant_.id, "sales").ok());
  EXPECT_GT(counter(), before);
  EXPECT_TRUE(
      is_error(store_->remove_pickup_group(tenant_.id, "sales").error(), StoreError::kNotFound));
  listed = store_->list_pickup_groups(std::nullopt);
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->empty());
}

}  // namespace
}  // namespace parley::store::sqlite
