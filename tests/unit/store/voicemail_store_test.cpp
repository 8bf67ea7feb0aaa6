// The VoicemailStore half of SqliteStore against a real SQLite file: messages (indexing is
// idempotent on the path, newest first, counts, state, removal), box settings, and that every
// change moves the change counter.

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "store/voicemail_store.hpp"
#include "store_fixture.hpp"

namespace parley::store::sqlite {
namespace {

class VoicemailStoreTest : public StoreFixture {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(open_with_tenants(/*with_other=*/false));
    ASSERT_NO_FATAL_FAILURE(add_extensions(tenant_.id, {{"1001", "Alice"}, {"1002", "Bob"}}));
  }

  VoicemailMessage message(std::string box, std::string caller, UnixMillis at) {
    VoicemailMessage row;
    row.tenant_id = tenant_.id;
    row.box = std::move(box);
    row.caller = std::move(caller);
    row.received_at = at;
    row.duration_ms = 2000;
    row.size_bytes = 32044;
    row.path = "/data/voicemail/" + std::to_string(tenant_.id) + "/" + row.box + "/" +
               std::to_string(at) + "-1.wav";
    return row;
  }
};

TEST_F(VoicemailStoreTest, MessagesAreListedNewestFirstAndCounted) {
  const auto before = counter();
  auto first = store_->insert_voicemail(message("1002", "1001", 1000));
  ASSERT_TRUE(first.ok()) << first.error().message;
  auto second = store_->insert_voicemail(message("1002", "+4930123", 5000));
  ASSERT_TRUE(second.ok());
  ASSERT_TRUE(store_->insert_voicemail(message("1001", "1002", 3000)).ok());
  EXPECT_GT(counter(), before) << "a message moves the change counter";

  auto listed = store_->list_voicemail(tenant_.id, "1002", 100);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2U);
  EXPECT_EQ((*listed)[0].id, *second);
  EXPECT_EQ((*listed)[0].caller, "+4930123");
  EXPECT_EQ((*listed)[0].state, VoicemailState::kNew);
  EXPECT_EQ((*listed)[1].id, *first);
  EXPECT_EQ((*listed)[1].duration_ms, 2000U);
  EXPECT_EQ((*listed)[1].size_bytes, 32044U);

  auto counts = store_->count_voicemail(tenant_.id, "1002");
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(*counts, (VoicemailCounts{2, 0}));
  ASSERT_TRUE(store_->set_voicemail_state(tenant_.id, "1002", *first, VoicemailState::kSaved));
  counts = store_->count_voicemail(tenant_.id, "1002");
  EXPECT_EQ(*counts, (VoicemailCounts{1, 1}));
  EXPECT_EQ(*store_->count_voicemail(tenant_.id, "1003"), (VoicemailCounts{0, 0}));
}

TEST_F(VoicemailStoreTest, IndexingTheSamePathAgainReturnsTheFirstRow) {
  auto first = store_->insert_voicemail(message("1002", "1001", 1000));
  ASSERT_TRUE(first.ok());
  auto again = store_->insert_voicemail(message("1002", "1001", 1000));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *first);
  EXPECT_EQ(store_->list_voicemail(tenant_.id, "1002", 100)->size(), 1U);
}

TEST_F(VoicemailStoreTest, BadInputIsRefusedWithAClearError) {
  auto unknown_box = store_->insert_voicemail(message("1009", "1001", 1000));
  ASSERT_FALSE(unknown_box.ok());
  EXPECT_EQ(unknown_box.error().code, static_cast<int>(StoreError::kNotFound));
  auto no_path = message("1002", "1001", 1000);
  no_path.path.clear();
  ASSERT_FALSE(store_->insert_voicemail(no_path).ok());
  auto bad_box = message("10x2", "1001", 1000);
  ASSERT_FALSE(store_->insert_voicemail(bad_box).ok());
  EXPECT_FALSE(store_->set_voicemail_state(tenant_.id, "1002", 77, VoicemailState::kSaved).ok());
}

TEST_F(VoicemailStoreTest, RemovingReturnsTheRowOnlyFromItsOwnBox) {
  auto id = store_->insert_voicemail(message("1002", "1001", 1000));
  ASSERT_TRUE(id.ok());
  auto wrong_box = store_->remove_voicemail(tenant_.id, "1001", *id);
  ASSERT_FALSE(wrong_box.ok());
  EXPECT_EQ(wrong_box.error().code, static_cast<int>(StoreError::kNotFound));
  const auto before = counter();
  auto removed = store_->remove_voicemail(tenant_.id, "1002", *id);
  ASSERT_TRUE(removed.ok()) << removed.error().message;
  EXPECT_EQ(removed->path, message("1002", "1001", 1000).path);
  EXPECT_GT(counter(), before);
  EXPECT_TRUE(store_->list_voicemail(tenant_.id, "1002", 100)->empty());
}

TEST_F(VoicemailStoreTest, BoxesAreOnUntilSwitchedOffAndGoWithTheirExtension) {
  auto settings = store_->get_voicemail_settings(tenant_.id, "1002");
  ASSERT_TRUE(settings.ok());
  EXPECT_TRUE(settings->enabled);
  EXPECT_TRUE(store_->list_disabled_voicemail_boxes()->empty());

  const auto before = counter();
  ASSERT_TRUE(store_->set_voicemail_enabled(tenant_.id, "1002", false));
  EXPECT_GT(counter(), before) << "switching a box moves the change counter";
  EXPECT_FALSE(store_->get_voicemail_settings(tenant_.id, "1002")->enabled);
  EXPECT_EQ(*store_->list_disabled_voicemail_boxes(),
            (std::vector<VoicemailBox>{{tenant_.id, "1002"}}));
  ASSERT_TRUE(store_->set_voicemail_enabled(tenant_.id, "1002", true));
  EXPECT_TRUE(store_->list_disabled_voicemail_boxes()->empty());
  EXPECT_FALSE(store_->set_voicemail_enabled(tenant_.id, "1009", false).ok());

  ASSERT_TRUE(store_->set_voicemail_enabled(tenant_.id, "1002", false));
  ASSERT_TRUE(store_->insert_voicemail(message("1002", "1001", 1000)).ok());
  ASSERT_TRUE(store_->remove_extension(tenant_.id, "1002"));
  EXPECT_TRUE(store_->list_disabled_voicemail_boxes()->empty());
  EXPECT_TRUE(store_->list_voicemail(tenant_.id, "1002", 100)->empty());
}

}  // namespace
}  // namespace parley::store::sqlite
