#pragma once
// The embedded Store backend: one SQLite file, `parley.db`, in the data folder.
//
// Settings: WAL journal (readers never block the writer), synchronous=NORMAL, foreign keys on,
// a busy timeout so that the CLI and a running server can both write the same file. Tenant and
// extension changes and call records commit with synchronous=FULL; bindings with NORMAL (see
// docs/decisions/0002-store.md for why).
//
// Thread-safety: every method may be called from any thread; one internal mutex serialises the
// calls over the single connection. Every call may block on disk I/O or, for up to the busy
// timeout, on another process's write lock, so event-loop code must reach the store through a
// worker thread (the async wrapper that comes with the registrar), never directly.
//
// Several processes may open the same folder at once; each sees the others' committed changes,
// and change_counter() tells when tenants or extensions moved.

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string_view>

#include "store/sqlite/connection.hpp"
#include "store/store.hpp"

namespace parley::store::sqlite {

struct SqliteStoreOptions {
  std::filesystem::path data_dir;
  // Create the folder (mode 0700) if it does not exist. The app may turn this off so that a
  // mistyped --data path fails instead of starting an empty installation.
  bool create_if_missing = true;
  // How long a write waits for another process's write lock before failing with kBusy.
  std::chrono::milliseconds busy_timeout{5000};
  // Wall clock for created_at/updated_at and migration stamps; empty = the system clock.
  std::function<UnixSeconds()> wall_clock;
};

class SqliteStore final : public Store {
  struct Key {};  // only open() constructs a SqliteStore

 public:
  static constexpr std::string_view kFileName = "parley.db";

  // Opens or creates `<data_dir>/parley.db` (file mode 0600: it holds digest credentials) and
  // applies pending migrations. Fails with kSchemaTooNew if the file comes from a newer Parley,
  // kBusy if another process keeps the write lock, kBackend for anything else.
  static Result<std::unique_ptr<SqliteStore>> open(SqliteStoreOptions options);

  SqliteStore(Key key, std::filesystem::path path, Connection connection,
              std::function<UnixSeconds()> wall_clock, int schema_version);
  ~SqliteStore() override;

  const std::filesystem::path& path() const { return path_; }
  int schema_version() const { return schema_version_; }

  Result<Tenant> add_tenant(const NewTenant& tenant) override;
  Result<std::vector<Tenant>> list_tenants() override;
  Result<Tenant> get_tenant(TenantId id) override;
  Result<Tenant> get_tenant_by_domain(std::string_view domain) override;
  Result<Tenant> get_default_tenant() override;
  Result<void> set_default_tenant(TenantId id) override;
  Result<void> remove_tenant(TenantId id) override;

  Result<Extension> add_extension(const NewExtension& extension) override;
  Result<std::vector<Extension>> list_extensions(TenantId tenant) override;
  Result<Extension> get_extension(TenantId tenant, std::string_view number) override;
  Result<void> set_credentials(TenantId tenant, std::string_view number,
                               const Credentials& credentials) override;
  Result<void> remove_extension(TenantId tenant, std::string_view number) override;

  Result<void> upsert_binding(const Binding& binding) override;
  Result<std::vector<Binding>> list_bindings(TenantId tenant, std::string_view extension,
                                             UnixSeconds now) override;
  Result<bool> remove_binding(const BindingKey& key) override;
  Result<std::size_t> remove_bindings(TenantId tenant, std::string_view extension) override;
  Result<std::size_t> purge_expired_bindings(UnixSeconds now) override;
  Result<std::vector<Binding>> list_live_bindings(UnixSeconds now) override;

  Result<CallRecordId> insert_call_record(const CallRecord& record) override;
  Result<std::vector<CallRecord>> list_recent_call_records(TenantId tenant,
                                                           std::size_t limit) override;

  Result<std::uint64_t> change_counter() override;
  Result<void> write_batch(const std::function<void()>& body) override;

 private:
  UnixSeconds now() const;
  // Lookups used inside other operations; the caller holds mutex_.
  Result<Tenant> find_tenant(TenantId id);
  Result<Tenant> find_tenant_by_domain(const std::string& domain);
  Result<Tenant> get_default_locked();
  Result<Extension> find_extension(TenantId tenant, std::string_view number);

  const std::filesystem::path path_;
  const std::function<UnixSeconds()> wall_clock_;
  const int schema_version_;
  // Serialises all calls: a SQLite connection and its cached statements are single-threaded.
  // Recursive: write_batch() holds it while the writes inside take it again.
  std::recursive_mutex mutex_;
  Connection connection_;  // guarded by mutex_
};

}  // namespace parley::store::sqlite
