// Refreshes that only move a binding's expiry, Call-ID and CSeq reach the store batched
// (BindingWriter::Refresh, decision 0044): later, with a cheap UPDATE, and never out of order
// with the other writes of the same address of record. Real SQLite store throughout.

#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "sip/location_table.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace parley::sip {
namespace {

constexpr store::UnixSeconds kStart = 1'700'000'000;

store::Binding phone(std::string contact = "sip:1001@198.51.100.7:5062") {
  store::Binding b;
  b.contact_uri = std::move(contact);
  b.expires_at = kStart + 600;
  b.received = {"UDP", "198.51.100.7", 5062};
  b.local_socket = {"UDP", "192.0.2.1", 5060};
  b.user_agent = "TestPhone 1.0";
  return b;
}

class BindingRefreshTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store::sqlite::SqliteStoreOptions options;
    options.data_dir = dir_.path();
    auto opened = store::sqlite::SqliteStore::open(std::move(options));
    ASSERT_TRUE(opened.ok()) << (opened ? "" : opened.error().message);
    store_ = std::move(opened).value();
    auto tenant = store_->add_tenant({"example.com", "Example", true});
    ASSERT_TRUE(tenant.ok());
    tenant_ = tenant->id;
    ASSERT_TRUE(
        store_->add_extension({tenant_, "1001", "", {"0123456789abcdef0123456789abcdef", ""}})
            .ok());
  }

  void open_table(std::chrono::milliseconds refresh_delay) {
    LocationTableOptions options;
    options.wall_clock = [this] { return now_; };
    options.writer.refresh_delay = refresh_delay;
    auto opened = LocationTable::open(*store_, std::move(options));
    ASSERT_TRUE(opened.ok());
    table_ = std::move(opened).value();
  }

  // One REGISTER of extension 1001 with one contact, expiring `expires` seconds from now.
  void registers(const store::Binding& binding, std::string call_id, std::uint32_t cseq,
                 store::UnixSeconds expires = 600, bool remove = false) {
    RegistrationChange change;
    change.tenant_id = tenant_;
    change.extension = "1001";
    change.call_id = std::move(call_id);
    change.cseq = cseq;
    ContactChange contact{binding, remove, 0};
    contact.binding.expires_at = now_ + expires;
    change.contacts.push_back(std::move(contact));
    ASSERT_FALSE(table_->apply(change).refusal);
  }

  // The store's rows now, without flushing the table's writer.
  std::vector<store::Binding> rows() {
    auto listed = store_->list_bindings(tenant_, "1001", now_);
    EXPECT_TRUE(listed.ok());
    return listed ? *listed : std::vector<store::Binding>{};
  }

  // The store's rows once `done` accepts them, polled without a flush for at most 5 s.
  std::vector<store::Binding> rows_once(
      const std::function<bool(const std::vector<store::Binding>&)>& done) {
    std::vector<store::Binding> stored = rows();
    for (int i = 0; i < 500 && !done(stored); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      stored = rows();
    }
    return stored;
  }

  test::TempDir dir_;
  store::UnixSeconds now_ = kStart;
  std::unique_ptr<store::sqlite::SqliteStore> store_;
  store::TenantId tenant_ = 0;
  std::unique_ptr<LocationTable> table_;
};

TEST_F(BindingRefreshTest, RefreshWaitsAndThenUpdatesOnlyWhatMoved) {
  open_table(std::chrono::hours(1));
  store::Binding binding = phone();
  binding.path = "<sip:edge.example.com;lr>";
  registers(binding, "call-a", 1);
  table_->flush();
  ASSERT_EQ(rows().size(), 1u);

  now_ += 300;
  registers(binding, "call-b", 1);  // a new Call-ID, same device: still only a refresh
  EXPECT_EQ(table_->stats().writer.queued, 1u);
  // Far longer than the 5 ms group commit that any other write would get.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto before = rows();
  ASSERT_EQ(before.size(), 1u);
  EXPECT_EQ(before[0].call_id, "call-a");  // not written yet
  EXPECT_EQ(before[0].expires_at, kStart + 600);

  table_->flush();
  auto after = rows();
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].call_id, "call-b");
  EXPECT_EQ(after[0].cseq, 1u);
  EXPECT_EQ(after[0].expires_at, now_ + 600);
  EXPECT_EQ(after[0].path, "<sip:edge.example.com;lr>");
  EXPECT_EQ(after[0].user_agent, "TestPhone 1.0");
  EXPECT_EQ(after[0].received.port, 5062);
  EXPECT_EQ(table_->stats().writer.queued, 0u);
}

TEST_F(BindingRefreshTest, LatestOfSeveralRefreshesWins) {
  open_table(std::chrono::hours(1));
  registers(phone(), "call-a", 1);
  for (std::uint32_t cseq = 2; cseq <= 5; ++cseq) {
    now_ += 10;
    registers(phone(), "call-a", cseq);
  }
  EXPECT_EQ(table_->stats().writer.queued, 2u);  // the insert, then one pending refresh
  table_->flush();
  auto stored = rows();
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].cseq, 5u);
  EXPECT_EQ(stored[0].expires_at, now_ + 600);
}

TEST_F(BindingRefreshTest, AnythingElseOfTheAorIsWrittenAfterItsPendingRefresh) {
  open_table(std::chrono::hours(1));
  registers(phone(), "call-a", 1);
  table_->flush();
  now_ += 60;
  registers(phone(), "call-a", 2);                      // refresh: pending
  registers(phone(), "call-a", 3, 0, /*remove=*/true);  // removal: queued behind it
  // The removal did not wait for the refresh's delay, and the refresh did not land after it.
  EXPECT_TRUE(rows_once([](const auto& stored) { return stored.empty(); }).empty());
  table_->flush();
  EXPECT_TRUE(rows().empty());
}

TEST_F(BindingRefreshTest, ChangedContactDetailsAreWrittenAtOnce) {
  open_table(std::chrono::hours(1));
  registers(phone(), "call-a", 1);
  table_->flush();
  store::Binding moved = phone();
  moved.received.port = 40000;  // NAT rebinding: where to reach the device changed
  registers(moved, "call-a", 2);
  const auto stored =
      rows_once([](const auto& rows) { return !rows.empty() && rows[0].received.port == 40000; });
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].received.port, 40000);
  EXPECT_EQ(stored[0].cseq, 2u);
}

TEST_F(BindingRefreshTest, PendingRefreshIsWrittenAfterItsDelayWithoutAFlush) {
  open_table(std::chrono::milliseconds(50));
  registers(phone(), "call-a", 1);
  table_->flush();
  registers(phone(), "call-a", 2, 900);
  const auto stored =
      rows_once([](const auto& rows) { return !rows.empty() && rows[0].cseq == 2; });
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].cseq, 2u);
  EXPECT_EQ(stored[0].expires_at, now_ + 900);
}

TEST_F(BindingRefreshTest, RefreshOfARowGoneFromTheStoreWritesItWhole) {
  open_table(std::chrono::hours(1));
  registers(phone(), "call-a", 1);
  table_->flush();
  // Another process (or a purge) removed the row; memory still has the binding.
  ASSERT_TRUE(store_->remove_binding({tenant_, "1001", phone().contact_uri, "", 0}).ok());
  ASSERT_TRUE(rows().empty());
  registers(phone(), "call-a", 2);
  table_->flush();
  auto stored = rows();
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].cseq, 2u);
  EXPECT_EQ(stored[0].user_agent, "TestPhone 1.0");
}

TEST_F(BindingRefreshTest, ShutdownWritesPendingRefreshes) {
  open_table(std::chrono::hours(1));
  registers(phone(), "call-a", 1);
  now_ += 100;
  registers(phone(), "call-a", 2);
  table_.reset();  // the destructor writes everything, pending refreshes included
  auto stored = rows();
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].cseq, 2u);
  EXPECT_EQ(stored[0].expires_at, now_ + 600);
}

}  // namespace
}  // namespace parley::sip
