// The SQLite backend's life on disk: migrations, refusing foreign or newer files, durability,
// and two Store instances sharing one folder as `parley serve` and the CLI do.
// A raw sqlite3 connection plays the other process (or the newer Parley) where needed.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include "base/check.hpp"
#include "store/sqlite/migrations.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "support/temp_dir.hpp"

namespace parley::store::sqlite {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr std::string_view kMd5 = "0123456789abcdef0123456789abcdef";

using TempDir = test::TempDir;

// Another process's view of the file, through the plain C API.
class RawDb {
 public:
  explicit RawDb(const fs::path& file) {
    sqlite3* raw = nullptr;
    const int rc =
        sqlite3_open_v2(file.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
    db_.reset(raw);
    PARLEY_CHECK(rc == SQLITE_OK);
  }
  int exec(const std::string& sql) {
    return sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, nullptr);
  }
  std::int64_t integer(const std::string& sql) {
    sqlite3_stmt* raw = nullptr;
    PARLEY_CHECK(sqlite3_prepare_v2(db_.get(), sql.c_str(), -1, &raw, nullptr) == SQLITE_OK);
    std::unique_ptr<sqlite3_stmt, decltype(&sqlite3_finalize)> statement(raw, &sqlite3_finalize);
    PARLEY_CHECK(sqlite3_step(statement.get()) == SQLITE_ROW);
    return sqlite3_column_int64(statement.get(), 0);
  }
  // How many instructions of an EXPLAIN listing have this opcode.
  int opcodes(const std::string& explain, std::string_view opcode) {
    sqlite3_stmt* raw = nullptr;
    PARLEY_CHECK(sqlite3_prepare_v2(db_.get(), explain.c_str(), -1, &raw, nullptr) == SQLITE_OK);
    std::unique_ptr<sqlite3_stmt, decltype(&sqlite3_finalize)> statement(raw, &sqlite3_finalize);
    int count = 0;
    while (sqlite3_step(statement.get()) == SQLITE_ROW) {
      const auto* name = sqlite3_column_text(statement.get(), 1);
      if (name != nullptr && opcode == reinterpret_cast<const char*>(name)) ++count;
    }
    return count;
  }
  std::string text(const std::string& sql) {
    sqlite3_stmt* raw = nullptr;
    PARLEY_CHECK(sqlite3_prepare_v2(db_.get(), sql.c_str(), -1, &raw, nullptr) == SQLITE_OK);
    std::unique_ptr<sqlite3_stmt, decltype(&sqlite3_finalize)> statement(raw, &sqlite3_finalize);
    PARLEY_CHECK(sqlite3_step(statement.get()) == SQLITE_ROW);
    const auto* value = sqlite3_column_text(statement.get(), 0);
    return value ? reinterpret_cast<const char*>(value) : "";
  }

 private:
  std::unique_ptr<sqlite3, decltype(&sqlite3_close_v2)> db_{nullptr, &sqlite3_close_v2};
};

class SqliteFilesTest : public ::testing::Test {
 protected:
  Result<std::unique_ptr<SqliteStore>> open(
      std::chrono::milliseconds busy_timeout = std::chrono::milliseconds(5000)) {
    SqliteStoreOptions options;
    options.data_dir = data_;
    options.busy_timeout = busy_timeout;
    return SqliteStore::open(std::move(options));
  }
  std::unique_ptr<SqliteStore> open_ok() {
    auto opened = open();
    EXPECT_TRUE(opened.ok()) << (opened ? "" : opened.error().message);
    return opened ? std::move(opened).value() : nullptr;
  }
  fs::path file() const { return data_ / "parley.db"; }

  TempDir dir_;
  fs::path data_ = dir_.path() / "data";
};

TEST(Migrations, AreNumberedWithoutGaps) {
  int expected = 1;
  for (const auto& migration : migrations()) {
    EXPECT_EQ(migration.version, expected++);
    EXPECT_FALSE(migration.name.empty());
    EXPECT_FALSE(migration.sql.empty());
  }
  EXPECT_EQ(latest_schema_version(), expected - 1);
}

// Migration 21 rebuilt call_records so that its CHECKs need no temporary table per INSERT: a
// database of version 20 with records keeps every record and every rule, and the writer's
// INSERT plan opens no ephemeral table (the cost decision 0056 removed).
TEST_F(SqliteFilesTest, CallRecordsKeepRowsAndRulesAcrossMigration21) {
  fs::create_directories(data_);
  {
    RawDb raw(file());
    ASSERT_EQ(raw.exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT "
                       "NOT NULL, applied_at INTEGER NOT NULL) STRICT"),
              SQLITE_OK);
    for (const auto& migration : migrations()) {
      if (migration.version > 20) break;
      ASSERT_EQ(raw.exec(std::string(migration.sql)), SQLITE_OK) << migration.version;
      ASSERT_EQ(raw.exec("INSERT INTO schema_migrations VALUES (" +
                         std::to_string(migration.version) + ", 'old', 0)"),
                SQLITE_OK);
    }
    ASSERT_EQ(raw.exec("INSERT INTO tenants (id, domain, created_at) VALUES (7, 'old.example', 0)"),
              SQLITE_OK);
    ASSERT_EQ(raw.exec("INSERT INTO call_records (id, tenant_id, call_id, caller, callee, "
                       "start_ms, answer_ms, end_ms, disposition, hangup_side, end_reason) VALUES "
                       "(41, 7, 'a@h', '1001', '1002', 1000, 2000, 3000, 'answered', 'callee', "
                       "'normal'), (42, 7, 'b@h', '1002', '1001', 4000, NULL, 5000, 'busy', "
                       "'system', 'media_timeout')"),
              SQLITE_OK);
  }
  auto store = open_ok();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->schema_version(), latest_schema_version());
  auto records = store->list_recent_call_records(7, 10);
  ASSERT_TRUE(records.ok()) << records.error().message;
  ASSERT_EQ(records->size(), 2U);
  EXPECT_EQ((*records)[0].id, 42);
  EXPECT_EQ((*records)[0].disposition, Disposition::kBusy);
  EXPECT_EQ((*records)[0].end_reason, EndReason::kMediaTimeout);
  EXPECT_FALSE((*records)[0].answer_ms.has_value());
  EXPECT_EQ((*records)[1].call_id, "a@h");
  EXPECT_EQ((*records)[1].answer_ms, std::optional<UnixMillis>(2000));

  RawDb raw(file());
  const std::string insert =
      "INSERT INTO call_records (tenant_id, call_id, caller, callee, start_ms, end_ms, "
      "disposition, hangup_side, end_reason) VALUES (7, 'c@h', '1', '2', 1, 2, ";
  EXPECT_EQ(raw.exec(insert + "'answered', 'caller', 'shutdown')"), SQLITE_OK);
  EXPECT_EQ(raw.exec(insert + "'maybe', 'caller', 'normal')"), SQLITE_CONSTRAINT);
  EXPECT_EQ(raw.exec(insert + "'failed', 'nobody', 'normal')"), SQLITE_CONSTRAINT);
  EXPECT_EQ(raw.exec(insert + "'failed', 'caller', 'lunch')"), SQLITE_CONSTRAINT);
  EXPECT_EQ(raw.integer("SELECT count(*) FROM call_records"), 3);
  EXPECT_EQ(raw.integer("SELECT count(*) FROM sqlite_schema WHERE tbl_name = 'call_records' AND "
                        "type = 'index' AND name LIKE 'call_records_%'"),
            3);
  EXPECT_EQ(raw.opcodes("EXPLAIN " + insert + "'answered', 'caller', 'normal')", "OpenEphemeral"),
            0);
  EXPECT_GT(raw.opcodes("EXPLAIN " + insert + "'answered', 'caller', 'normal')", "Insert"), 0);
  ASSERT_EQ(raw.exec("PRAGMA foreign_keys = ON"), SQLITE_OK);
  EXPECT_EQ(raw.exec("DELETE FROM tenants WHERE id = 7"), SQLITE_OK);  // still cascades
  EXPECT_EQ(raw.integer("SELECT count(*) FROM call_records"), 0);
}

TEST_F(SqliteFilesTest, CreatesAPrivateWalDatabase) {
  auto store = open_ok();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->path(), file());
  EXPECT_EQ(fs::status(file()).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_EQ(fs::status(data_).permissions() & fs::perms::all, fs::perms::owner_all);
  RawDb raw(file());
  EXPECT_EQ(raw.text("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(raw.integer("PRAGMA application_id"), kApplicationId);
}

TEST_F(SqliteFilesTest, MigrationsRunOnceAndReopeningIsIdempotent) {
  for (int i = 0; i < 3; ++i) {
    auto store = open_ok();
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(store->schema_version(), latest_schema_version());
  }
  RawDb raw(file());
  EXPECT_EQ(raw.integer("SELECT count(*) FROM schema_migrations"), latest_schema_version());
  EXPECT_EQ(raw.integer("SELECT max(version) FROM schema_migrations"), latest_schema_version());
  EXPECT_EQ(raw.integer("SELECT count(*) FROM change_counter"), 1);
}

TEST_F(SqliteFilesTest, ConcurrentFirstOpensMigrateOnce) {
  Result<std::unique_ptr<SqliteStore>> first = make_error(0, "not run");
  Result<std::unique_ptr<SqliteStore>> second = make_error(0, "not run");
  std::thread a([&] { first = open(); });
  std::thread b([&] { second = open(); });
  a.join();
  b.join();
  ASSERT_TRUE(first.ok()) << first.error().message;
  ASSERT_TRUE(second.ok()) << second.error().message;
  RawDb raw(file());
  EXPECT_EQ(raw.integer("SELECT count(*) FROM schema_migrations"), latest_schema_version());
}

TEST_F(SqliteFilesTest, DataSurvivesClosingAndReopening) {
  TenantId tenant_id = 0;
  {
    auto store = open_ok();
    ASSERT_NE(store, nullptr);
    auto tenant = store->add_tenant(NewTenant{"example.com", "Example", true});
    ASSERT_TRUE(tenant.ok());
    tenant_id = tenant->id;
    ASSERT_TRUE(
        store->add_extension(NewExtension{tenant_id, "1001", "Alice", {std::string(kMd5), ""}})
            .ok());
    Binding binding;
    binding.tenant_id = tenant_id;
    binding.extension = "1001";
    binding.contact_uri = "sip:alice@192.0.2.4";
    binding.call_id = "call";
    binding.expires_at = 4'000'000'000;
    binding.received = Endpoint{"TCP", "192.0.2.4", 5060};
    binding.local_socket = Endpoint{"TCP", "192.0.2.1", 5060};
    ASSERT_TRUE(store->upsert_binding(binding).ok());
    ASSERT_TRUE(
        store
            ->insert_call_record(CallRecord{0, tenant_id, "c@h", "1001", "1002", 1, std::nullopt, 2,
                                            Disposition::kNoAnswer, HangupSide::kCaller})
            .ok());
  }
  auto store = open_ok();
  ASSERT_NE(store, nullptr);
  auto tenant = store->get_default_tenant();
  ASSERT_TRUE(tenant.ok());
  EXPECT_EQ(tenant->id, tenant_id);
  EXPECT_EQ(tenant->display_name, "Example");
  auto extension = store->get_extension(tenant_id, "1001");
  ASSERT_TRUE(extension.ok());
  EXPECT_EQ(extension->credentials.ha1_md5, kMd5);
  auto bindings = store->list_live_bindings(0);
  ASSERT_TRUE(bindings.ok());
  ASSERT_EQ(bindings->size(), 1U);
  EXPECT_EQ((*bindings)[0].contact_uri, "sip:alice@192.0.2.4");
  auto records = store->list_recent_call_records(tenant_id, 10);
  ASSERT_TRUE(records.ok());
  EXPECT_EQ(records->size(), 1U);
}

TEST_F(SqliteFilesTest, RefusesADatabaseFromANewerParley) {
  { ASSERT_NE(open_ok(), nullptr); }
  const int future = latest_schema_version() + 1;
  {
    RawDb newer(file());
    ASSERT_EQ(newer.exec("INSERT INTO schema_migrations VALUES (" + std::to_string(future) +
                         ", 'from the future', 0)"),
              SQLITE_OK);
  }
  auto refused = open();
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(is_error(refused.error(), StoreError::kSchemaTooNew));
  EXPECT_THAT(refused.error().message, HasSubstr(file().string()));
  EXPECT_THAT(refused.error().message,
              HasSubstr("schema version " + std::to_string(future) + ", newer than the version " +
                        std::to_string(latest_schema_version())));
  EXPECT_THAT(refused.error().message, HasSubstr("refusing to open it"));
  // Nothing was rolled back or rewritten.
  RawDb raw(file());
  EXPECT_EQ(raw.integer("SELECT max(version) FROM schema_migrations"), future);
  EXPECT_EQ(raw.integer("SELECT count(*) FROM schema_migrations"), future);
}

TEST_F(SqliteFilesTest, RefusesAnotherApplicationsDatabase) {
  fs::create_directories(data_);
  {
    RawDb other(file());
    ASSERT_EQ(other.exec("CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT)"), SQLITE_OK);
  }
  auto refused = open();
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(is_error(refused.error(), StoreError::kBackend));
  EXPECT_THAT(refused.error().message, HasSubstr("holds tables but no Parley schema"));
  {
    RawDb other(file());
    ASSERT_EQ(other.exec("PRAGMA application_id = 42"), SQLITE_OK);
  }
  auto foreign = open();
  ASSERT_FALSE(foreign.ok());
  EXPECT_THAT(foreign.error().message,
              HasSubstr("is not a Parley database (its application id is 0x2a)"));
  RawDb raw(file());
  EXPECT_EQ(raw.integer("SELECT count(*) FROM sqlite_schema WHERE name = 'tenants'"), 0);
}

TEST_F(SqliteFilesTest, RefusesAFileThatIsNotADatabase) {
  fs::create_directories(data_);
  {
    std::ofstream garbage(file(), std::ios::binary);
    garbage << std::string(4096, 'x');
  }
  auto refused = open();
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(is_error(refused.error(), StoreError::kBackend));
  EXPECT_THAT(refused.error().message, HasSubstr("not a database"));
  EXPECT_THAT(refused.error().message, HasSubstr(file().string()));
}

TEST_F(SqliteFilesTest, MissingFolderCanBeAnError) {
  SqliteStoreOptions options;
  options.data_dir = data_ / "typo";
  options.create_if_missing = false;
  auto refused = SqliteStore::open(std::move(options));
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(is_error(refused.error(), StoreError::kNotFound));
  EXPECT_THAT(refused.error().message, HasSubstr("does not exist"));
  EXPECT_FALSE(fs::exists(data_ / "typo"));
}

TEST_F(SqliteFilesTest, AFileWhereTheFolderShouldBeIsAnError) {
  { std::ofstream file(data_); }
  auto refused = open();
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(is_error(refused.error(), StoreError::kBackend));
  EXPECT_THAT(refused.error().message, HasSubstr("exists but is not a folder"));
}

TEST_F(SqliteFilesTest, TwoStoresOnOneFolderSeeEachOthersChanges) {
  auto server = open_ok();
  auto cli = open_ok();
  ASSERT_NE(server, nullptr);
  ASSERT_NE(cli, nullptr);
  auto before = server->change_counter();
  ASSERT_TRUE(before.ok());

  auto tenant = cli->add_tenant(NewTenant{"example.com", "", false});
  ASSERT_TRUE(tenant.ok());
  auto after_tenant = server->change_counter();
  ASSERT_TRUE(after_tenant.ok());
  EXPECT_NE(*after_tenant, *before);
  EXPECT_TRUE(server->get_tenant_by_domain("example.com").ok());

  ASSERT_TRUE(
      cli->add_extension(NewExtension{tenant->id, "1001", "", {std::string(kMd5), ""}}).ok());
  auto after_extension = server->change_counter();
  ASSERT_TRUE(after_extension.ok());
  EXPECT_NE(*after_extension, *after_tenant);
  auto seen = server->get_extension(tenant->id, "1001");
  ASSERT_TRUE(seen.ok());

  // And the other way: the server's write is visible to the CLI.
  ASSERT_TRUE(server->set_default_tenant(tenant->id).ok());
  auto cli_view = cli->get_default_tenant();
  ASSERT_TRUE(cli_view.ok());
  EXPECT_EQ(cli_view->id, tenant->id);
  auto cli_counter = cli->change_counter();
  ASSERT_TRUE(cli_counter.ok());
  auto server_counter = server->change_counter();
  ASSERT_TRUE(server_counter.ok());
  EXPECT_EQ(*cli_counter, *server_counter);
}

TEST_F(SqliteFilesTest, AWriterWaitsForAnotherProcessAndThenGivesUpClearly) {
  auto store_or = open(std::chrono::milliseconds(200));
  ASSERT_TRUE(store_or.ok());
  auto& store = *store_or;
  RawDb other(file());
  ASSERT_EQ(other.exec("BEGIN IMMEDIATE"), SQLITE_OK);

  const auto start = std::chrono::steady_clock::now();
  auto blocked = store->add_tenant(NewTenant{"example.com", "", false});
  const auto waited = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(blocked.ok());
  EXPECT_TRUE(is_error(blocked.error(), StoreError::kBusy));
  EXPECT_THAT(blocked.error().message, HasSubstr("database is locked"));
  EXPECT_THAT(blocked.error().message, HasSubstr("adding tenant example.com"));
  EXPECT_GE(waited, std::chrono::milliseconds(150));
  // Reads are not blocked by a writer in WAL mode.
  EXPECT_TRUE(store->list_tenants().ok());

  // A lock released within the timeout is simply waited for (opening takes the write lock too).
  std::thread releaser([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    other.exec("COMMIT");
  });
  auto patient_or = open(std::chrono::milliseconds(5000));
  releaser.join();
  ASSERT_TRUE(patient_or.ok()) << patient_or.error().message;
  EXPECT_TRUE((*patient_or)->add_tenant(NewTenant{"example.com", "", false}).ok());
  EXPECT_TRUE(store->get_tenant_by_domain("example.com").ok());
}

TEST_F(SqliteFilesTest, NothingAcknowledgedIsLostOnKill9) {
  GTEST_FLAG_SET(death_test_style, "fast");  // fork here, so the child writes to our folder
  ASSERT_EXIT(
      {
        auto store = open();
        if (!store) std::_Exit(1);
        auto tenant = (*store)->add_tenant(NewTenant{"survivor.example.com", "", true});
        if (!tenant) std::_Exit(2);
        auto record =
            (*store)->insert_call_record(CallRecord{0, tenant->id, "c@h", "1", "2", 1, std::nullopt,
                                                    2, Disposition::kBusy, HangupSide::kCallee});
        if (!record) std::_Exit(3);
        raise(SIGKILL);  // no destructors, no checkpoint, the WAL stays as it is
      },
      ::testing::KilledBySignal(SIGKILL), "");
  auto store = open_ok();
  ASSERT_NE(store, nullptr);
  auto tenant = store->get_tenant_by_domain("survivor.example.com");
  ASSERT_TRUE(tenant.ok());
  EXPECT_TRUE(tenant->is_default);
  auto records = store->list_recent_call_records(tenant->id, 1);
  ASSERT_TRUE(records.ok());
  EXPECT_EQ(records->size(), 1U);
}

}  // namespace
}  // namespace parley::store::sqlite
