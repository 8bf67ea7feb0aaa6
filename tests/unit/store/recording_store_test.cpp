// The RecordingStore half of SqliteStore against a real SQLite file: recording policy (and that
// changing it moves the change counter) and the recordings list.

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "store/recording_store.hpp"
#include "store_fixture.hpp"

namespace parley::store::sqlite {
namespace {

class RecordingStoreTest : public StoreFixture {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(open_with_tenants(/*with_other=*/true));
    ASSERT_NO_FATAL_FAILURE(add_extensions(tenant_.id, {{"1001", "Alice"}, {"1002", "Bob"}}));
  }

  Recording recording(TenantId tenant, std::string call_id, std::string caller, std::string callee,
                      UnixMillis started) {
    Recording row;
    row.tenant_id = tenant;
    row.call_id = std::move(call_id);
    row.caller = std::move(caller);
    row.callee = std::move(callee);
    row.path = "/data/recordings/" + row.call_id + ".wav";
    row.size_bytes = 64044;
    row.duration_ms = 2000;
    row.started_at = started;
    return row;
  }
};

TEST_F(RecordingStoreTest, PolicyDefaultsToOffAndChangesMoveTheCounter) {
  auto policies = store_->recording_policies();
  ASSERT_TRUE(policies.ok());
  ASSERT_EQ(policies->tenants.size(), 2U);
  EXPECT_FALSE(policies->tenants[0].record_all);
  EXPECT_TRUE(policies->extensions.empty());  // everyone inherits

  const auto before = store_->change_counter();
  ASSERT_TRUE(before.ok());
  ASSERT_TRUE(store_->set_tenant_recording(tenant_.id, true).ok());
  ASSERT_TRUE(store_->set_extension_recording(tenant_.id, "1002", ExtensionRecording::kNever).ok());
  const auto after = store_->change_counter();
  ASSERT_TRUE(after.ok());
  EXPECT_GT(*after, *before);  // a running server reloads its snapshot

  policies = store_->recording_policies();
  ASSERT_TRUE(policies.ok());
  for (const auto& tenant : policies->tenants) {
    EXPECT_EQ(tenant.record_all, tenant.tenant_id == tenant_.id) << tenant.domain;
  }
  ASSERT_EQ(policies->extensions.size(), 1U);
  EXPECT_EQ(policies->extensions[0].number, "1002");
  EXPECT_EQ(policies->extensions[0].mode, ExtensionRecording::kNever);

  ASSERT_TRUE(
      store_->set_extension_recording(tenant_.id, "1002", ExtensionRecording::kInherit).ok());
  policies = store_->recording_policies();
  ASSERT_TRUE(policies.ok());
  EXPECT_TRUE(policies->extensions.empty());
}

TEST_F(RecordingStoreTest, UnknownTargetsAndBadInputAreClearErrors) {
  auto tenant = store_->set_tenant_recording(999, true);
  ASSERT_FALSE(tenant.ok());
  EXPECT_TRUE(is_error(tenant.error(), StoreError::kNotFound));
  auto extension = store_->set_extension_recording(tenant_.id, "1999", ExtensionRecording::kAlways);
  ASSERT_FALSE(extension.ok());
  EXPECT_TRUE(is_error(extension.error(), StoreError::kNotFound));
  auto number =
      store_->set_extension_recording(tenant_.id, "x'; DROP", ExtensionRecording::kAlways);
  ASSERT_FALSE(number.ok());
  EXPECT_TRUE(is_error(number.error(), StoreError::kInvalidInput));
  auto empty = store_->insert_recording(recording(tenant_.id, "", "1001", "1002", 1));
  ASSERT_FALSE(empty.ok());
  EXPECT_TRUE(is_error(empty.error(), StoreError::kInvalidInput));
  EXPECT_EQ(parse_extension_recording("sometimes"), std::nullopt);
  EXPECT_EQ(parse_extension_recording(to_text(ExtensionRecording::kAlways)),
            ExtensionRecording::kAlways);
}

TEST_F(RecordingStoreTest, ListsNewestFirstByTenantAndExtension) {
  ASSERT_TRUE(store_->insert_recording(recording(tenant_.id, "a@x", "1001", "1002", 1000)).ok());
  ASSERT_TRUE(store_->insert_recording(recording(tenant_.id, "b@x", "1002", "1003", 3000)).ok());
  ASSERT_TRUE(store_->insert_recording(recording(other_.id, "c@x", "2001", "1001", 2000)).ok());

  auto all = store_->list_recordings({});
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3U);
  EXPECT_EQ((*all)[0].call_id, "b@x");
  EXPECT_EQ((*all)[1].call_id, "c@x");
  EXPECT_EQ((*all)[2].call_id, "a@x");
  EXPECT_EQ((*all)[2].path, "/data/recordings/a@x.wav");
  EXPECT_EQ((*all)[2].size_bytes, 64044U);
  EXPECT_EQ((*all)[2].duration_ms, 2000U);

  RecordingQuery query;
  query.tenant = tenant_.id;
  query.extension = "1001";
  auto mine = store_->list_recordings(query);
  ASSERT_TRUE(mine.ok());
  ASSERT_EQ(mine->size(), 1U);
  EXPECT_EQ((*mine)[0].call_id, "a@x");

  query.tenant.reset();
  auto anywhere = store_->list_recordings(query);
  ASSERT_TRUE(anywhere.ok());
  EXPECT_EQ(anywhere->size(), 2U);

  query = {};
  query.limit = 1;
  auto one = store_->list_recordings(query);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->size(), 1U);

  // Recordings go with their tenant.
  ASSERT_TRUE(store_->remove_tenant(other_.id).ok());
  all = store_->list_recordings({});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 2U);
}

}  // namespace
}  // namespace parley::store::sqlite
