// The AdminStore half of SqliteStore against a real SQLite file: admin accounts, web sessions,
// API tokens, in-place updates, call-record search and counts.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <filesystem>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "store/admin_store.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "support/temp_dir.hpp"

namespace parley::store::sqlite {
namespace {

using ::testing::HasSubstr;

constexpr UnixSeconds kNow = 1'700'000'000;
constexpr std::string_view kHash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g";
const std::string kDigestA(64, 'a');
const std::string kDigestB(64, 'b');
constexpr std::string_view kSha256 =
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

class AdminStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SqliteStoreOptions options;
    options.data_dir = dir_.path() / "data";
    options.wall_clock = [this] { return clock_; };
    auto opened = SqliteStore::open(std::move(options));
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    store_ = std::move(opened).value();
    auto tenant = store_->add_tenant(NewTenant{"example.com", "Example", false});
    ASSERT_TRUE(tenant.ok());
    tenant_ = *tenant;
    auto other = store_->add_tenant(NewTenant{"other.org", "Other", false});
    ASSERT_TRUE(other.ok());
    other_ = *other;
    ASSERT_TRUE(store_->add_extension(
        NewExtension{tenant_.id, "1001", "Alice", Credentials{"", std::string(kSha256)}}));
  }

  WebSession user_session(const std::string& digest, UnixSeconds expires) {
    WebSession session;
    session.id_digest = digest;
    session.tenant_id = tenant_.id;
    session.extension = "1001";
    session.csrf_token = "csrf";
    session.created_at = clock_;
    session.expires_at = expires;
    return session;
  }

  test::TempDir dir_;
  UnixSeconds clock_ = kNow;
  std::unique_ptr<SqliteStore> store_;
  Tenant tenant_;
  Tenant other_;
};

TEST_F(AdminStoreTest, AddsListsAndFindsAdmins) {
  auto system = store_->add_admin(
      NewAdminAccount{"root", std::string(kHash), AdminRole::kSystemAdmin, std::nullopt});
  ASSERT_TRUE(system.ok()) << system.error().message;
  auto local = store_->add_admin(
      NewAdminAccount{"alice.admin", std::string(kHash), AdminRole::kTenantAdmin, tenant_.id});
  ASSERT_TRUE(local.ok()) << local.error().message;

  auto found = store_->get_admin_by_name("alice.admin");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->role, AdminRole::kTenantAdmin);
  EXPECT_EQ(found->tenant_id, tenant_.id);
  EXPECT_EQ(found->password_hash, kHash);
  EXPECT_EQ(found->created_at, kNow);

  auto all = store_->list_admins();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2U);
  EXPECT_EQ((*all)[0].name, "alice.admin");  // by name
  EXPECT_EQ((*all)[1].name, "root");
}

TEST_F(AdminStoreTest, RefusesBadAdmins) {
  const auto refused = [&](NewAdminAccount admin, StoreError kind) {
    auto added = store_->add_admin(admin);
    return !added.ok() && is_error(added.error(), kind);
  };
  EXPECT_TRUE(
      refused({"a@b", std::string(kHash), AdminRole::kSystemAdmin, {}}, StoreError::kInvalidInput));
  EXPECT_TRUE(
      refused({"", std::string(kHash), AdminRole::kSystemAdmin, {}}, StoreError::kInvalidInput));
  EXPECT_TRUE(refused({std::string(65, 'x'), std::string(kHash), AdminRole::kSystemAdmin, {}},
                      StoreError::kInvalidInput));
  EXPECT_TRUE(
      refused({"root", "plain password", AdminRole::kSystemAdmin, {}}, StoreError::kInvalidInput));
  EXPECT_TRUE(refused({"root", std::string(kHash), AdminRole::kTenantAdmin, {}},
                      StoreError::kInvalidInput));
  EXPECT_TRUE(refused({"root", std::string(kHash), AdminRole::kSystemAdmin, tenant_.id},
                      StoreError::kInvalidInput));
  EXPECT_TRUE(
      refused({"root", std::string(kHash), AdminRole::kTenantAdmin, 999}, StoreError::kNotFound));
  ASSERT_TRUE(store_->add_admin({"root", std::string(kHash), AdminRole::kSystemAdmin, {}}));
  EXPECT_TRUE(
      refused({"root", std::string(kHash), AdminRole::kSystemAdmin, {}}, StoreError::kConflict));
}

TEST_F(AdminStoreTest, SessionsExpireAndEndWithTheirOwner) {
  auto admin = store_->add_admin({"root", std::string(kHash), AdminRole::kSystemAdmin, {}});
  ASSERT_TRUE(admin.ok());
  WebSession session;
  session.id_digest = kDigestA;
  session.admin_id = admin->id;
  session.csrf_token = "token";
  session.created_at = kNow;
  session.expires_at = kNow + 100;
  ASSERT_TRUE(store_->add_web_session(session));
  ASSERT_TRUE(store_->add_web_session(user_session(kDigestB, kNow + 100)));

  auto found = store_->get_web_session(kDigestA, kNow + 99);
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->admin_id, admin->id);
  EXPECT_EQ(found->csrf_token, "token");
  auto expired = store_->get_web_session(kDigestA, kNow + 100);
  ASSERT_FALSE(expired.ok());
  EXPECT_TRUE(is_error(expired.error(), StoreError::kNotFound));

  // A new password ends the admin's sessions.
  ASSERT_TRUE(store_->set_admin_password_hash("root", kHash));
  EXPECT_FALSE(store_->get_web_session(kDigestA, kNow).ok());

  // Removing the extension ends its user's sessions.
  auto user = store_->get_web_session(kDigestB, kNow);
  ASSERT_TRUE(user.ok());
  EXPECT_EQ(user->extension, "1001");
  ASSERT_TRUE(store_->remove_extension(tenant_.id, "1001"));
  EXPECT_FALSE(store_->get_web_session(kDigestB, kNow).ok());
}

TEST_F(AdminStoreTest, PurgesExpiredSessionsAndRemovesOne) {
  ASSERT_TRUE(store_->add_web_session(user_session(kDigestA, kNow + 10)));
  ASSERT_TRUE(store_->add_web_session(user_session(kDigestB, kNow + 1000)));
  auto purged = store_->purge_expired_web_sessions(kNow + 10);
  ASSERT_TRUE(purged.ok());
  EXPECT_EQ(*purged, 1U);
  auto removed = store_->remove_web_session(kDigestB);
  ASSERT_TRUE(removed.ok());
  EXPECT_TRUE(*removed);
  EXPECT_FALSE(*store_->remove_web_session(kDigestB));
  EXPECT_FALSE(store_->add_web_session(user_session("not-hex", kNow + 10)).ok());
}

TEST_F(AdminStoreTest, TokensAreFoundByDigestAndScopedToTheirTenant) {
  auto token = store_->add_api_token(NewApiToken{kDigestA, tenant_.id, "ci"});
  ASSERT_TRUE(token.ok()) << token.error().message;
  auto duplicate = store_->add_api_token(NewApiToken{kDigestB, tenant_.id, "ci"});
  ASSERT_FALSE(duplicate.ok());
  EXPECT_TRUE(is_error(duplicate.error(), StoreError::kConflict));
  ASSERT_TRUE(store_->add_api_token(NewApiToken{kDigestB, other_.id, "ci"}));  // other tenant

  auto found = store_->find_api_token(kDigestA);
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->tenant_id, tenant_.id);
  EXPECT_FALSE(found->last_used_at.has_value());
  ASSERT_TRUE(store_->touch_api_token(found->id, kNow + 5));
  ASSERT_TRUE(store_->touch_api_token(found->id, kNow + 30));  // within a minute: not written
  EXPECT_EQ(store_->find_api_token(kDigestA)->last_used_at, kNow + 5);
  ASSERT_TRUE(store_->touch_api_token(found->id, kNow + 65));
  EXPECT_EQ(store_->find_api_token(kDigestA)->last_used_at, kNow + 65);

  EXPECT_EQ(store_->list_api_tokens(tenant_.id)->size(), 1U);
  ASSERT_TRUE(store_->remove_tenant(other_.id));
  EXPECT_FALSE(store_->find_api_token(kDigestB).ok());
}

TEST_F(AdminStoreTest, UpdatesTenantsWhollyAndMovesTheChangeCounter) {
  const auto before = *store_->change_counter();
  auto changed = store_->update_tenant(tenant_.id, TenantUpdate{"Renamed", true});
  ASSERT_TRUE(changed.ok()) << changed.error().message;
  EXPECT_EQ(changed->display_name, "Renamed");
  EXPECT_TRUE(changed->is_default);
  EXPECT_GT(*store_->change_counter(), before);

  ASSERT_TRUE(store_->update_tenant(other_.id, TenantUpdate{std::nullopt, true}));
  EXPECT_FALSE(store_->get_tenant(tenant_.id)->is_default);
  EXPECT_TRUE(store_->get_default_tenant()->id == other_.id);

  // A bad display name changes nothing, not even the valid half of the update.
  auto refused = store_->update_tenant(other_.id, TenantUpdate{std::string("bad\x01name"), false});
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(store_->get_tenant(other_.id)->is_default);
}

TEST_F(AdminStoreTest, UpdatesExtensionsAndEndsSessionsOnNewCredentials) {
  ASSERT_TRUE(store_->add_web_session(user_session(kDigestA, kNow + 100)));
  auto renamed = store_->update_extension(tenant_.id, "1001", ExtensionUpdate{"Alicia", {}});
  ASSERT_TRUE(renamed.ok());
  EXPECT_EQ(renamed->display_name, "Alicia");
  EXPECT_TRUE(store_->get_web_session(kDigestA, kNow).ok());

  const std::string other_hash(64, 'c');
  auto rekeyed = store_->update_extension(tenant_.id, "1001",
                                          ExtensionUpdate{{}, Credentials{"", other_hash}});
  ASSERT_TRUE(rekeyed.ok());
  EXPECT_EQ(rekeyed->credentials.ha1_sha256, other_hash);
  EXPECT_FALSE(store_->get_web_session(kDigestA, kNow).ok());

  auto missing = store_->update_extension(tenant_.id, "1999", ExtensionUpdate{"X", {}});
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(is_error(missing.error(), StoreError::kNotFound));
}

TEST_F(AdminStoreTest, SearchesCallRecordsWithFiltersAndCursor) {
  ASSERT_TRUE(store_->add_extension(
      NewExtension{tenant_.id, "1002", "Bob", Credentials{"", std::string(kSha256)}}));
  for (int i = 0; i < 10; ++i) {
    CallRecord record;
    record.tenant_id = tenant_.id;
    record.call_id = "call-" + std::to_string(i);
    record.caller = i % 2 == 0 ? "1001" : "1002";
    record.callee = "1003";
    record.start_ms = 1000 * i;
    record.end_ms = 1000 * i + 500;
    record.disposition = i % 3 == 0 ? Disposition::kAnswered : Disposition::kBusy;
    if (record.disposition == Disposition::kAnswered) record.answer_ms = 1000 * i + 100;
    ASSERT_TRUE(store_->insert_call_record(record));
  }
  CallRecordQuery query;
  query.tenant = tenant_.id;
  query.limit = 4;
  auto first = store_->search_call_records(query);
  ASSERT_TRUE(first.ok()) << first.error().message;
  ASSERT_EQ(first->size(), 4U);
  EXPECT_EQ(first->front().call_id, "call-9");
  query.after = CallRecordCursor{first->back().start_ms, first->back().id};
  auto second = store_->search_call_records(query);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->front().call_id, "call-5");

  CallRecordQuery filtered;
  filtered.tenant = tenant_.id;
  filtered.extension = "1001";
  filtered.from_ms = 2000;
  filtered.to_ms = 8000;
  filtered.disposition = Disposition::kAnswered;
  auto matches = store_->search_call_records(filtered);
  ASSERT_TRUE(matches.ok());
  ASSERT_EQ(matches->size(), 1U);  // call-6: caller 1001, answered, start 6000
  EXPECT_EQ((*matches)[0].call_id, "call-6");

  filtered.extension = "1' OR '1'='1";
  EXPECT_FALSE(store_->search_call_records(filtered).ok());

  auto counts = store_->count_objects(tenant_.id, kNow);
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->tenants, 1U);
  EXPECT_EQ(counts->extensions, 2U);
  EXPECT_EQ(counts->call_records, 10U);
  auto everything = store_->count_objects(std::nullopt, kNow);
  ASSERT_TRUE(everything.ok());
  EXPECT_EQ(everything->tenants, 2U);
}

// The time window and the cursor are one range on (start_ms, id): ties on start_ms page by id,
// `to` is exclusive, `from` inclusive, and the tighter of `to` and the cursor wins.
TEST_F(AdminStoreTest, PagesCallRecordsThroughTiesAndTimeWindows) {
  for (int i = 0; i < 9; ++i) {
    CallRecord record;
    record.tenant_id = tenant_.id;
    record.call_id = "tie-" + std::to_string(i);
    record.caller = "1001";
    record.callee = "1002";
    record.start_ms = 1000 * (i / 3);  // three calls at 0, three at 1000, three at 2000
    record.end_ms = record.start_ms + 10;
    record.disposition = Disposition::kNoAnswer;
    ASSERT_TRUE(store_->insert_call_record(record));
  }
  CallRecordQuery query;
  query.tenant = tenant_.id;
  query.limit = 2;
  std::vector<std::string> seen;
  for (int page = 0; page < 10; ++page) {
    auto records = store_->search_call_records(query);
    ASSERT_TRUE(records.ok()) << records.error().message;
    for (const auto& record : *records) seen.push_back(record.call_id);
    if (records->size() < query.limit) break;
    query.after = CallRecordCursor{records->back().start_ms, records->back().id};
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"tie-8", "tie-7", "tie-6", "tie-5", "tie-4", "tie-3",
                                            "tie-2", "tie-1", "tie-0"}));

  CallRecordQuery window;
  window.tenant = tenant_.id;
  window.from_ms = 1000;
  window.to_ms = 2000;
  window.limit = 10;
  auto inside = store_->search_call_records(window);
  ASSERT_TRUE(inside.ok());
  ASSERT_EQ(inside->size(), 3U);  // from inclusive, to exclusive
  EXPECT_EQ(inside->front().call_id, "tie-5");

  // A cursor above `to` changes nothing; one inside the window starts after it.
  auto top = store_->search_call_records(window);
  ASSERT_TRUE(top.ok());
  window.after = CallRecordCursor{5000, 999};
  auto same = store_->search_call_records(window);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->size(), 3U);
  window.after = CallRecordCursor{(*top)[0].start_ms, (*top)[0].id};
  auto rest = store_->search_call_records(window);
  ASSERT_TRUE(rest.ok());
  ASSERT_EQ(rest->size(), 2U);
  EXPECT_EQ(rest->front().call_id, "tie-4");
  EXPECT_EQ(rest->back().call_id, "tie-3");
}

// The statement the extension filter used before migration 10: one range of
// call_records_recent with `caller = ? OR callee = ?` as a filter. Kept here as the reference
// the UNION of two index seeks must agree with, row for row and page for page.
constexpr const char* kExtensionSearchBefore10 =
    "SELECT id FROM call_records WHERE tenant_id = ?1 AND start_ms >= ?2 "
    "AND (start_ms, id) < (?3, ?4) AND (?5 IS NULL OR caller = ?5 OR callee = ?5) "
    "AND (?6 IS NULL OR disposition = ?6) ORDER BY start_ms DESC, id DESC LIMIT ?7";

using RawDb = std::unique_ptr<sqlite3, decltype(&sqlite3_close)>;

// A connection of its own to the store's file, for the reference statement.
RawDb open_raw(const std::filesystem::path& file) {
  sqlite3* raw = nullptr;
  EXPECT_EQ(sqlite3_open_v2(file.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  return RawDb(raw, &sqlite3_close);
}

// One page of the reference statement.
std::vector<CallRecordId> reference_page(sqlite3* db, const CallRecordQuery& query) {
  constexpr std::int64_t kLowest = std::numeric_limits<std::int64_t>::min();
  constexpr std::int64_t kHighest = std::numeric_limits<std::int64_t>::max();
  std::pair<std::int64_t, std::int64_t> before{kHighest, kHighest};
  if (query.to_ms) before = std::min(before, {*query.to_ms, kLowest});
  if (query.after) before = std::min(before, {query.after->start_ms, query.after->id});
  sqlite3_stmt* prepared = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, kExtensionSearchBefore10, -1, &prepared, nullptr), SQLITE_OK);
  std::unique_ptr<sqlite3_stmt, decltype(&sqlite3_finalize)> statement(prepared, &sqlite3_finalize);
  sqlite3_bind_int64(statement.get(), 1, query.tenant);
  sqlite3_bind_int64(statement.get(), 2, query.from_ms.value_or(kLowest));
  sqlite3_bind_int64(statement.get(), 3, before.first);
  sqlite3_bind_int64(statement.get(), 4, before.second);
  sqlite3_bind_text(statement.get(), 5, query.extension.c_str(), -1, SQLITE_TRANSIENT);
  const std::string disposition = query.disposition ? std::string(to_text(*query.disposition)) : "";
  if (query.disposition) {
    sqlite3_bind_text(statement.get(), 6, disposition.c_str(), -1, SQLITE_TRANSIENT);
  }
  sqlite3_bind_int64(statement.get(), 7, static_cast<std::int64_t>(query.limit));
  std::vector<CallRecordId> ids;
  while (sqlite3_step(statement.get()) == SQLITE_ROW) {
    ids.push_back(sqlite3_column_int64(statement.get(), 0));
  }
  return ids;
}

// Paging by extension (two index seeks and a UNION since migration 10) returns exactly what the
// single-range statement before it returned: the same rows in the same order on every page,
// through ties on start_ms, calls from an extension to itself (once), other tenants' calls with
// the same numbers (never), time windows and disposition filters.
TEST_F(AdminStoreTest, PagingByExtensionReturnsWhatTheSingleRangeStatementReturned) {
  std::mt19937 random(20261206);
  const std::vector<std::string> parties = {"1001", "1002", "1003", "1004", "+15550100"};
  const Disposition dispositions[] = {Disposition::kAnswered, Disposition::kBusy,
                                      Disposition::kNoAnswer, Disposition::kCancelled};
  int self_calls = 0;
  // One transaction for all of them: a durable commit per record would take seconds.
  auto inserted = store_->write_batch([&] {
    for (int i = 0; i < 400; ++i) {
      CallRecord record;
      record.tenant_id = i % 5 == 4 ? other_.id : tenant_.id;
      record.call_id = "r-" + std::to_string(i);
      record.caller = parties[random() % parties.size()];
      record.callee = parties[random() % (parties.size() - 1)];
      if (record.caller == record.callee && record.tenant_id == tenant_.id) ++self_calls;
      record.start_ms = 1000 * static_cast<UnixMillis>(random() % 120);  // many ties
      record.end_ms = record.start_ms + 500;
      record.disposition = dispositions[random() % 4];
      if (record.disposition == Disposition::kAnswered) record.answer_ms = record.start_ms + 100;
      ASSERT_TRUE(store_->insert_call_record(record));
    }
  });
  ASSERT_TRUE(inserted.ok()) << inserted.error().message;
  ASSERT_GT(self_calls, 5) << "the data must hold calls from an extension to itself";

  const RawDb reference = open_raw(dir_.path() / "data" / "parley.db");
  std::size_t compared_rows = 0;
  for (const std::string extension : {"1001", "1003", "1004", "1999"}) {
    for (int variant = 0; variant < 4; ++variant) {
      CallRecordQuery query;
      query.tenant = tenant_.id;
      query.extension = extension;
      query.limit = 7;
      if (variant & 1) {
        query.from_ms = 20'000;
        query.to_ms = 90'000;
      }
      if (variant & 2) query.disposition = Disposition::kAnswered;
      std::vector<CallRecordId> seen;
      for (int page = 0; page < 200; ++page) {
        auto records = store_->search_call_records(query);
        ASSERT_TRUE(records.ok()) << records.error().message;
        std::vector<CallRecordId> ids;
        for (const auto& record : *records) {
          ids.push_back(record.id);
          EXPECT_EQ(record.tenant_id, tenant_.id);
          EXPECT_TRUE(record.caller == extension || record.callee == extension);
        }
        ASSERT_EQ(ids, reference_page(reference.get(), query))
            << extension << " variant " << variant << " page " << page;
        seen.insert(seen.end(), ids.begin(), ids.end());
        compared_rows += ids.size();
        if (records->size() < query.limit) break;
        query.after = CallRecordCursor{records->back().start_ms, records->back().id};
      }
      std::vector<CallRecordId> unique = seen;
      std::sort(unique.begin(), unique.end());
      EXPECT_EQ(std::unique(unique.begin(), unique.end()), unique.end())
          << "a call from an extension to itself is listed once";
    }
  }
  EXPECT_GT(compared_rows, 300U) << "the comparison must cover real pages";
}

}  // namespace
}  // namespace parley::store::sqlite
