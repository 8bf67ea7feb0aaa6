// The voicemail e-mail outbox of SqliteStore (decision 0040, migration 18) against a real SQLite
// file: a mail is queued with its message in one transaction, listed soonest first with its
// message, rescheduled, removed, kept across a reopen and dropped with its message.

#include <gtest/gtest.h>

#include <string>

#include "store/voicemail_store.hpp"
#include "store_fixture.hpp"

namespace parley::store::sqlite {
namespace {

class VoicemailOutboxTest : public StoreFixture {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(open_with_tenants(/*with_other=*/false));
    ASSERT_NO_FATAL_FAILURE(add_extensions(tenant_.id, {{"1001", "Alice"}, {"1002", "Bob"}}));
  }

  VoicemailMessage message(UnixMillis at) {
    VoicemailMessage row;
    row.tenant_id = tenant_.id;
    row.box = "1002";
    row.caller = "1001";
    row.received_at = at;
    row.duration_ms = 2000;
    row.size_bytes = 32044;
    row.path = "/data/voicemail/1002/" + std::to_string(at) + "-1.wav";
    return row;
  }
};

TEST_F(VoicemailOutboxTest, AMailIsQueuedWithItsMessageAndListedSoonestFirst) {
  auto late = store_->insert_voicemail_with_mail(message(1000), "bob@example.com", 9000);
  ASSERT_TRUE(late.ok()) << late.error().message;
  auto soon = store_->insert_voicemail_with_mail(message(2000), "carol@example.com", 5000);
  ASSERT_TRUE(soon.ok());
  ASSERT_TRUE(store_->insert_voicemail(message(3000)).ok());  // a box without an address

  auto queued = store_->list_voicemail_mail();
  ASSERT_TRUE(queued.ok()) << queued.error().message;
  ASSERT_EQ(queued->size(), 2U);
  EXPECT_EQ((*queued)[0].message.id, *soon);
  EXPECT_EQ((*queued)[0].recipient, "carol@example.com");
  EXPECT_EQ((*queued)[0].attempts, 0U);
  EXPECT_EQ((*queued)[0].next_attempt, 5000);
  EXPECT_EQ((*queued)[0].message.path, message(2000).path);
  EXPECT_EQ((*queued)[0].message.box, "1002");
  EXPECT_EQ((*queued)[1].message.id, *late);
  EXPECT_EQ(store_->list_voicemail(tenant_.id, "1002", 10)->size(), 3U);
}

TEST_F(VoicemailOutboxTest, IndexingTheSamePathAgainQueuesNoSecondMail) {
  auto first = store_->insert_voicemail_with_mail(message(1000), "bob@example.com", 1000);
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(store_->remove_voicemail_mail(*first).ok());  // sent
  auto again = store_->insert_voicemail_with_mail(message(1000), "bob@example.com", 2000);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *first);
  EXPECT_TRUE(store_->list_voicemail_mail()->empty()) << "a recovered message is mailed once";
}

TEST_F(VoicemailOutboxTest, RetriesAreRescheduledAndSurviveAReopen) {
  auto id = store_->insert_voicemail_with_mail(message(1000), "bob@example.com", 1000);
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(store_->reschedule_voicemail_mail(*id, 3, 64000).ok());
  store_.reset();
  store_ = open_store();
  ASSERT_NE(store_, nullptr);
  auto queued = store_->list_voicemail_mail();
  ASSERT_TRUE(queued.ok());
  ASSERT_EQ(queued->size(), 1U);
  EXPECT_EQ((*queued)[0].attempts, 3U);
  EXPECT_EQ((*queued)[0].next_attempt, 64000);
  ASSERT_TRUE(store_->remove_voicemail_mail(*id).ok());
  EXPECT_TRUE(store_->list_voicemail_mail()->empty());
  EXPECT_TRUE(store_->remove_voicemail_mail(*id).ok()) << "removing twice is no error";
  auto gone = store_->reschedule_voicemail_mail(*id, 4, 1);
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().code, static_cast<int>(StoreError::kNotFound));
}

TEST_F(VoicemailOutboxTest, DeletingTheMessageDropsItsMail) {
  auto id = store_->insert_voicemail_with_mail(message(1000), "bob@example.com", 1000);
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(store_->remove_voicemail(tenant_.id, "1002", *id).ok());
  EXPECT_TRUE(store_->list_voicemail_mail()->empty());
}

TEST_F(VoicemailOutboxTest, ABadRecipientIndexesNothing) {
  auto bad = store_->insert_voicemail_with_mail(message(1000), "not an address", 1000);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, static_cast<int>(StoreError::kInvalidInput));
  EXPECT_TRUE(store_->list_voicemail(tenant_.id, "1002", 10)->empty());
  auto unknown_box = message(2000);
  unknown_box.box = "1009";
  auto refused = store_->insert_voicemail_with_mail(unknown_box, "bob@example.com", 1000);
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(store_->list_voicemail_mail()->empty()) << "nothing half-written";
}

}  // namespace
}  // namespace parley::store::sqlite
