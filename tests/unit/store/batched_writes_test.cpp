// The store writes the hot paths batch (decision 0044): refresh_binding, the cheap UPDATE the
// binding writer uses for a REGISTER that only moved a binding's expiry, and
// insert_call_records, several call records under one commit.

#include <gtest/gtest.h>

#include <optional>
#include <vector>

#include "store/sqlite/sqlite_store.hpp"
#include "store_fixture.hpp"

namespace parley::store::sqlite {
namespace {

constexpr UnixSeconds kNow = 1'700'000'000;

class BatchedWritesTest : public StoreFixture {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(open_with_tenants(false));
    ASSERT_NO_FATAL_FAILURE(add_extensions(tenant_.id, {{"1001", "Alice"}}));
  }

  Binding binding(std::string contact, std::string instance = "", std::uint32_t reg_id = 0) {
    Binding b;
    b.tenant_id = tenant_.id;
    b.extension = "1001";
    b.contact_uri = std::move(contact);
    b.instance = std::move(instance);
    b.reg_id = reg_id;
    b.path = "<sip:edge.example.com;lr>";
    b.q_per_mille = 700;
    b.call_id = "first@phone";
    b.cseq = 1;
    b.expires_at = kNow + 600;
    b.received = {"UDP", "198.51.100.7", 40000};
    b.local_socket = {"UDP", "192.0.2.1", 5060};
    b.user_agent = "TestPhone 1.0";
    return b;
  }

  std::vector<Binding> live() {
    auto listed = store_->list_bindings(tenant_.id, "1001", kNow);
    EXPECT_TRUE(listed.ok());
    return listed ? *listed : std::vector<Binding>{};
  }

  CallRecord record(TenantId tenant, std::string call_id) {
    return CallRecord{0,
                      tenant,
                      std::move(call_id),
                      "1001",
                      "1002",
                      10'000,
                      12'000,
                      20'000,
                      Disposition::kAnswered,
                      HangupSide::kCaller};
  }
};

TEST_F(BatchedWritesTest, RefreshMovesExpiryCallIdAndCSeqOnly) {
  ASSERT_TRUE(store_->upsert_binding(binding("sip:a@198.51.100.7")).ok());
  Binding refreshed = binding("sip:a@198.51.100.7");
  refreshed.call_id = "second@phone";
  refreshed.cseq = 9;
  refreshed.expires_at = kNow + 3600;
  ASSERT_TRUE(store_->refresh_binding(refreshed).ok());
  auto rows = live();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].call_id, "second@phone");
  EXPECT_EQ(rows[0].cseq, 9u);
  EXPECT_EQ(rows[0].expires_at, kNow + 3600);
  EXPECT_EQ(rows[0].path, "<sip:edge.example.com;lr>");
  EXPECT_EQ(rows[0].q_per_mille, 700);
  EXPECT_EQ(rows[0].received.port, 40000);
}

TEST_F(BatchedWritesTest, RefreshFindsInstanceBindingsByInstanceAndRegId) {
  const std::string instance = "<urn:uuid:00000000-0000-1000-8000-000000000001>";
  ASSERT_TRUE(store_->upsert_binding(binding("sip:a@198.51.100.7", instance, 1)).ok());
  ASSERT_TRUE(store_->upsert_binding(binding("sip:a@198.51.100.7", instance, 2)).ok());
  Binding refreshed = binding("sip:a@198.51.100.7", instance, 2);
  refreshed.cseq = 5;
  ASSERT_TRUE(store_->refresh_binding(refreshed).ok());
  auto rows = live();
  ASSERT_EQ(rows.size(), 2u);
  for (const Binding& row : rows) EXPECT_EQ(row.cseq, row.reg_id == 2 ? 5u : 1u);
}

TEST_F(BatchedWritesTest, RefreshOfAMissingBindingInsertsIt) {
  Binding refreshed = binding("sip:gone@198.51.100.7");
  refreshed.cseq = 3;
  ASSERT_TRUE(store_->refresh_binding(refreshed).ok());
  auto rows = live();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].cseq, 3u);
  EXPECT_EQ(rows[0].user_agent, "TestPhone 1.0");
}

TEST_F(BatchedWritesTest, RefreshRefusesBadInputAndUnknownExtensions) {
  Binding bad = binding("sip:a@198.51.100.7");
  bad.cseq = 0x80000000U;
  EXPECT_FALSE(store_->refresh_binding(bad).ok());
  Binding stranger = binding("sip:a@198.51.100.7");
  stranger.extension = "1999";
  auto refreshed = store_->refresh_binding(stranger);
  ASSERT_FALSE(refreshed.ok());
  EXPECT_TRUE(is_error(refreshed.error(), StoreError::kNotFound));
  EXPECT_TRUE(live().empty());
}

TEST_F(BatchedWritesTest, CallRecordsCommitTogetherEachOnItsOwn) {
  std::vector<CallRecord> records{record(tenant_.id, "one@host"), record(9999, "orphan@host"),
                                  record(tenant_.id, "two@host")};
  auto results = store_->insert_call_records(records);
  ASSERT_EQ(results.size(), 3u);
  EXPECT_TRUE(results[0].ok());
  EXPECT_FALSE(results[1].ok());
  EXPECT_TRUE(results[2].ok());
  EXPECT_NE(*results[0], *results[2]);
  auto recent = store_->list_recent_call_records(tenant_.id, 10);
  ASSERT_TRUE(recent.ok());
  ASSERT_EQ(recent->size(), 2u);

  // Reopened: the batch was committed, not left in an open transaction.
  store_.reset();
  store_ = open_store();
  ASSERT_NE(store_, nullptr);
  recent = store_->list_recent_call_records(tenant_.id, 10);
  ASSERT_TRUE(recent.ok());
  EXPECT_EQ(recent->size(), 2u);
}

TEST_F(BatchedWritesTest, OneCallRecordAndNoneWork) {
  EXPECT_TRUE(store_->insert_call_records({}).empty());
  auto results = store_->insert_call_records({record(tenant_.id, "solo@host")});
  ASSERT_EQ(results.size(), 1u);
  EXPECT_TRUE(results[0].ok());
}

}  // namespace
}  // namespace parley::store::sqlite
