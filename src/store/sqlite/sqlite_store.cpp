#include "store/sqlite/sqlite_store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>
#include <utility>

#include "store/sqlite/migrations.hpp"
#include "store/sqlite/rows.hpp"
#include "store/validation.hpp"

namespace parley::store::sqlite {

namespace {

namespace fs = std::filesystem;

std::string tenant_label(TenantId id) {
  return "tenant " + std::to_string(id);
}

// --- row readers: column order matches the SELECT lists below -----------------------------------

Result<Tenant> read_tenant(const Statement& row) {
  return Tenant{row.column_int(0), row.column_text(1), row.column_text(2), row.column_int(3) != 0,
                row.column_int(4)};
}

Result<Extension> read_extension(const Statement& row) {
  return Extension{row.column_int(0),
                   row.column_int(1),
                   row.column_text(2),
                   row.column_text(3),
                   Credentials{row.column_text(4), row.column_text(5)},
                   row.column_int(6),
                   row.column_int(7)};
}

Result<Binding> read_binding(const Statement& row) {
  Binding binding;
  binding.tenant_id = row.column_int(0);
  binding.extension = row.column_text(1);
  binding.contact_uri = row.column_text(2);
  binding.instance = row.column_text(3);
  binding.reg_id = static_cast<std::uint32_t>(row.column_int(4));
  binding.path = row.column_text(5);
  binding.q_per_mille = static_cast<std::uint16_t>(row.column_int(6));
  binding.call_id = row.column_text(7);
  binding.cseq = static_cast<std::uint32_t>(row.column_int(8));
  binding.expires_at = row.column_int(9);
  binding.received = Endpoint{row.column_text(10), row.column_text(11),
                              static_cast<std::uint16_t>(row.column_int(12))};
  binding.local_socket = Endpoint{row.column_text(13), row.column_text(14),
                                  static_cast<std::uint16_t>(row.column_int(15))};
  binding.user_agent = row.column_text(16);
  return binding;
}

Result<void> ensure_data_dir(const SqliteStoreOptions& options) {
  const fs::path& dir = options.data_dir;
  if (dir.empty()) return make_store_error(StoreError::kInvalidInput, "data folder is not set");
  std::error_code error;
  if (fs::is_directory(dir, error)) return {};
  const auto not_a_folder = [&] {
    return make_store_error(StoreError::kBackend,
                            "data folder " + dir.string() + " exists but is not a folder");
  };
  if (!options.create_if_missing) {
    if (fs::exists(dir, error)) return not_a_folder();
    return not_found("data folder " + dir.string() + " does not exist");
  }
  // Another process may create it at the same moment; only the outcome matters.
  const bool created = fs::create_directories(dir, error);
  std::error_code status;
  if (!fs::is_directory(dir, status)) {
    if (fs::exists(dir, status)) return not_a_folder();
    return make_store_error(StoreError::kBackend,
                            "cannot create data folder " + dir.string() + ": " + error.message());
  }
  // The folder will hold digest credentials: keep other local users out.
  if (created) fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, error);
  return {};
}

// Creates the database file with mode 0600 before SQLite does (it would use 0644 & ~umask);
// SQLite gives the -wal and -shm files the mode of the database file.
Result<void> create_private_file(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    ::close(fd);
    return {};
  }
  if (errno == EEXIST) return {};
  return make_store_error(StoreError::kBackend,
                          "cannot create " + path.string() + ": " + std::strerror(errno));
}

Result<std::string> pragma_text(Result<Statement> query) {
  if (!query) return query.error();
  auto row = query->step();
  if (!row) return row.error();
  return *row ? query->column_text(0) : std::string();
}

Result<void> configure(Connection& connection, const std::string& path,
                       std::chrono::milliseconds busy_timeout) {
  // Switching a new file to WAL upgrades a shared lock to an exclusive one. When two processes
  // do that at once SQLite answers SQLITE_BUSY immediately, without the busy handler (waiting
  // could deadlock), so we retry by hand until the busy timeout.
  const auto deadline = std::chrono::steady_clock::now() + busy_timeout;
  auto mode = pragma_text(connection.prepare("PRAGMA journal_mode = WAL"));
  while (!mode && is_error(mode.error(), StoreError::kBusy) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    mode = pragma_text(connection.prepare("PRAGMA journal_mode = WAL"));
  }
  if (!mode) return in_context("switching " + path + " to WAL", mode.error());
  if (*mode != "wal") {
    return make_store_error(StoreError::kBackend,
                            "cannot use WAL journaling for " + path + " (journal mode stays '" +
                                *mode + "'); is the data folder on a network file system?");
  }
  // Foreign keys are per connection and off by default in SQLite.
  auto settings = connection.exec("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON");
  if (!settings) return in_context("configuring " + path, settings.error());
  auto keys = pragma_text(connection.prepare("PRAGMA foreign_keys"));
  if (!keys) return in_context("configuring " + path, keys.error());
  if (*keys != "1") {
    return make_store_error(StoreError::kBackend, "this SQLite cannot enforce foreign keys");
  }
  return {};
}

}  // namespace

// --- opening -----------------------------------------------------------------------------------

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(SqliteStoreOptions options) {
  std::function<UnixSeconds()> clock = std::move(options.wall_clock);
  if (!clock) {
    clock = [] {
      return std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch())
          .count();
    };
  }
  auto dir = ensure_data_dir(options);
  if (!dir) return dir.error();
  fs::path path = options.data_dir / kFileName;
  auto file = create_private_file(path);
  if (!file) return file.error();

  auto connection = Connection::open(path.string(), options.busy_timeout);
  if (!connection) return connection.error();
  auto configured = configure(*connection, path.string(), options.busy_timeout);
  if (!configured) return configured.error();
  auto version = migrate(*connection, path.string(), clock());
  if (!version) return version.error();
  return std::make_unique<SqliteStore>(Key{}, std::move(path), std::move(connection).value(),
                                       std::move(clock), *version);
}

SqliteStore::SqliteStore(Key /*key*/, std::filesystem::path path, Connection connection,
                         std::function<UnixSeconds()> wall_clock, int schema_version)
    : path_(std::move(path)),
      wall_clock_(std::move(wall_clock)),
      schema_version_(schema_version),
      connection_(std::move(connection)) {}

SqliteStore::~SqliteStore() = default;

UnixSeconds SqliteStore::now() const {
  return wall_clock_();
}

// --- tenants -----------------------------------------------------------------------------------

Result<Tenant> SqliteStore::find_tenant(TenantId id) {
  auto query = connection_.prepare(
      "SELECT id, domain, display_name, is_default, created_at FROM tenants WHERE id = ?");
  if (!query) return query.error();
  query->bind(1, id);
  return single_row(*query, read_tenant, "no tenant with id " + std::to_string(id));
}

Result<Tenant> SqliteStore::find_tenant_by_domain(const std::string& domain) {
  auto query = connection_.prepare(
      "SELECT id, domain, display_name, is_default, created_at FROM tenants WHERE domain = ?");
  if (!query) return query.error();
  query->bind(1, domain);
  return single_row(*query, read_tenant, "no tenant for domain " + domain);
}

Result<Tenant> SqliteStore::add_tenant(const NewTenant& input) {
  auto tenant = normalize_tenant(input);
  if (!tenant) return tenant.error();
  const std::string what = "adding tenant " + tenant->domain;
  std::lock_guard lock(mutex_);
  auto transaction = WriteTransaction::begin(connection_, Durability::kPowerLoss);
  if (!transaction) return in_context(what, transaction.error());

  auto existing = find_tenant_by_domain(tenant->domain);
  if (existing) return conflict("tenant " + tenant->domain + " already exists");
  if (!is_error(existing.error(), StoreError::kNotFound)) return in_context(what, existing.error());
  if (tenant->is_default) {
    auto current = get_default_locked();
    if (current) {
      return conflict("tenant " + current->domain +
                      " is already the default; add this one as non-default and make it the "
                      "default afterwards");
    }
    if (!is_error(current.error(), StoreError::kNotFound)) return in_context(what, current.error());
  }
  Tenant stored{0, tenant->domain, tenant->display_name, tenant->is_default, now()};
  {
    auto insert = connection_.prepare(
        "INSERT INTO tenants (domain, display_name, is_default, created_at) VALUES (?, ?, ?, ?)");
    if (!insert) return in_context(what, insert.error());
    insert->bind(1, stored.domain).bind(2, stored.display_name);
    insert->bind(3, stored.is_default ? 1 : 0).bind(4, stored.created_at);
    auto inserted = insert->run();
    if (!inserted) return in_context(what, inserted.error());
    stored.id = connection_.last_insert_rowid();
  }
  auto committed = transaction->commit();
  if (!committed) return in_context(what, committed.error());
  return stored;
}

Result<std::vector<Tenant>> SqliteStore::list_tenants() {
  std::lock_guard lock(mutex_);
  auto query = connection_.prepare(
      "SELECT id, domain, display_name, is_default, created_at FROM tenants ORDER BY domain");
  if (!query) return query.error();
  auto rows = collect_rows(*query, read_tenant);
  if (!rows) return in_context("listing tenants", rows.error());
  return rows;
}

Result<Tenant> SqliteStore::get_tenant(TenantId id) {
  std::lock_guard lock(mutex_);
  return find_tenant(id);
}

Result<Tenant> SqliteStore::get_tenant_by_domain(std::string_view domain) {
  auto normalized = normalize_domain(domain);
  if (!normalized) return normalized.error();
  std::lock_guard lock(mutex_);
  return find_tenant_by_domain(*normalized);
}

Result<Tenant> SqliteStore::get_default_locked() {
  auto query = connection_.prepare(
      "SELECT id, domain, display_name, is_default, created_at FROM tenants WHERE is_default = 1");
  if (!query) return query.error();
  return single_row(*query, read_tenant, "no default tenant is set");
}

Result<Tenant> SqliteStore::get_default_tenant() {
  std::lock_guard lock(mutex_);
  return get_default_locked();
}

Result<void> SqliteStore::set_default_tenant(TenantId id) {
  const std::string what = "making " + tenant_label(id) + " the default";
  std::lock_guard lock(mutex_);
  auto transaction = WriteTransaction::begin(connection_, Durability::kPowerLoss);
  if (!transaction) return in_context(what, transaction.error());
  auto tenant = find_tenant(id);
  if (!tenant) return tenant.error();
  if (tenant->is_default) return {};  // nothing to change; the counter stays put
  {
    // Clear first: the partial unique index allows only one row with is_default = 1.
    auto clear = connection_.prepare("UPDATE tenants SET is_default = 0 WHERE is_default = 1");
    if (!clear) return in_context(what, clear.error());
    auto cleared = clear->run();
    if (!cleared) return in_context(what, cleared.error());
    auto set = connection_.prepare("UPDATE tenants SET is_default = 1 WHERE id = ?");
    if (!set) return in_context(what, set.error());
    set->bind(1, id);
    auto updated = set->run();
    if (!updated) return in_context(what, updated.error());
  }
  auto committed = transaction->commit();
  if (!committed) return in_context(what, committed.error());
  return {};
}

Result<void> SqliteStore::remove_tenant(TenantId id) {
  const std::string what = "removing " + tenant_label(id);
  std::lock_guard lock(mutex_);
  auto transaction = WriteTransaction::begin(connection_, Durability::kPowerLoss);
  if (!transaction) return in_context(what, transaction.error());
  {
    // Foreign keys cascade to extensions, their bindings and the tenant's call records.
    auto remove = connection_.prepare("DELETE FROM tenants WHERE id = ?");
    if (!remove) return in_context(what, remove.error());
    remove->bind(1, id);
    auto removed = remove->run();
    if (!removed) return in_context(what, removed.error());
    if (connection_.changes() == 0) return not_found("no tenant with id " + std::to_string(id));
  }
  auto committed = transaction->commit();
  if (!committed) return in_context(what, committed.error());
  return {};
}

// --- extensions --------------------------------------------------------------------------------

Result<Extension> SqliteStore::find_extension(TenantId tenant, std::string_view number) {
  auto query = connection_.prepare(
      "SELECT id, tenant_id, number, display_name, ha1_md5, ha1_sha256, created_at, updated_at "
      "FROM extensions WHERE tenant_id = ? AND number = ?");
  if (!query) return query.error();
  query->bind(1, tenant).bind(2, number);
  return single_row(*query, read_extension,
                    "no extension " + std::string(number) + " in " + tenant_label(tenant));
}

Result<Extension> SqliteStore::add_extension(const NewExtension& input) {
  auto extension = normalize_extension(input);
  if (!extension) return extension.error();
  const std::string what = "adding extension " + extension->number;
  std::lock_guard lock(mutex_);
  auto transaction = WriteTransaction::begin(connection_, Durability::kPowerLoss);
  if (!transaction) return in_context(what, transaction.error());
  auto tenant = find_tenant(extension->tenant_id);
  if (!tenant) return in_context(what, tenant.error());
  auto existing = find_extension(extension->tenant_id, extension->number);
  if (existing) {
    return conflict("extension " + extension->number + " already exists in tenant " +
                    tenant->domain);
  }
  if (!is_error(existing.error(), StoreError::kNotFound)) return in_context(what, existing.error());

  const UnixSeconds stamp = now();
  Extension stored{0,
                   extension->tenant_id,
                   extension->number,
                   extension->display_name,
                   extension->credentials,
                   stamp,
                   stamp};
  {
    auto insert = connection_.prepare(
        "INSERT INTO extensions (tenant_id, number, display_name, ha1_md5, ha1_sha256, "
        "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)");
    if (!insert) return in_context(what, insert.error());
    insert->bind(1, stored.tenant_id).bind(2, stored.number).bind(3, stored.display_name);
    insert->bind(4, stored.credentials.ha1_md5).bind(5, stored.credentials.ha1_sha256);
    insert->bind(6, stored.created_at).bind(7, stored.updated_at);
    auto inserted = insert->run();
    if (!inserted) return in_context(what, inserted.error());
    stored.id = connection_.last_insert_rowid();
  }
  auto committed = transaction->commit();
  if (!committed) return in_context(what, committed.error());
  return stored;
}

Result<std::vector<Extension>> SqliteStore::list_extensions(TenantId tenant) {
  std::lock_guard lock(mutex_);
  auto owner = find_tenant(tenant);
  if (!owner) return owner.error();
  auto query = connection_.prepare(
      "SELECT id, tenant_id, number, display_name, ha1_md5, ha1_sha256, created_at, updated_at "
      "FROM extensions WHERE tenant_id = ? ORDER BY number");
  if (!query) return query.error();
  query->bind(1, tenant);
  auto rows = collect_rows(*query, read_extension);
  if (!rows) return in_context("listing extensions of " + tenant_label(tenant), rows.error());
  return rows;
}

Result<Extension> SqliteStore::get_extension(TenantId tenant, std::string_view number) {
  auto valid = check_extension_number(number);
  if (!valid) return valid.error();
  std::lock_guard lock(mutex_);
  return find_extension(tenant, number);
}

Result<void> SqliteStore::set_credentials(TenantId tenant, std::string_view number,
                                          const Credentials& input) {
  auto valid = check_extension_number(number);
  if (!valid) return valid.error();
  auto credentials = normalize_credentials(input);
  if (!credentials) return credentials.error();
  const std::string what = "setting credentials of extension " + std::string(number);
  std::lock_guard lock(mutex_);
  auto transaction = WriteTransaction::begin(connection_, Durability::kPowerLoss);
  if (!transaction) return in_context(what, transaction.error());
  {
    auto update = connection_.prepare(
        "UPDATE extensions SET ha1_md5 = ?, ha1_sha256 = ?, updated_at = ? "
        "WHERE tenant_id = ? AND number = ?");
    if (!update) return in_context(what, update.error());
    update->bind(1, credentials->ha1_md5).bind(2, credentials->ha1_sha256).bind(3, now());
    update->bind(4, tenant).bind(5, number);
    auto updated = update->run();
    if (!updated) return in_context(what, updated.error());
    if (connection_.changes() == 0) {
      return not_found("no extension " + std::string(number) + " in " + tenant_label(tenant));
    }
  }
  auto committed = transaction->commit();
  if (!committed) return in_context(what, committed.error());
  return {};
}

Result<void> SqliteStore::remove_extension(TenantId tenant, std::string_view number) {
  auto valid = check_extension_number(number);
  if (!valid) return valid.error();
  const std::string what = "removing extension " + std::string(number);
  std::lock_guard lock(mutex_);
  auto transaction = WriteTransaction::begin(connection_, Durability::kPowerLoss);
  if (!transaction) return in_context(what, transaction.error());
  {
    auto remove = connection_.prepare("DELETE FROM extensions WHERE tenant_id = ? AND number = ?");
    if (!remove) return in_context(what, remove.error());
    remove->bind(1, tenant).bind(2, number);
    auto removed = remove->run();
    if (!removed) return in_context(what, removed.error());
    if (connection_.changes() == 0) {
      return not_found("no extension " + std::string(number) + " in " + tenant_label(tenant));
    }
  }
  auto committed = transaction->commit();
  if (!committed) return in_context(what, committed.error());
  return {};
}

// --- registration bindings ---------------------------------------------------------------------

Result<void> SqliteStore::upsert_binding(const Binding& input) {
  auto binding = normalize_binding(input);
  if (!binding) return binding.error();
  const std::string what =
      "registering " + binding->contact_uri + " for extension " + binding->extension;
  std::lock_guard lock(mutex_);
  // Bindings are refreshed every few minutes by the devices themselves, so losing the last
  // ones to a power cut costs little; they commit without an fsync.
  auto transaction = WriteTransaction::begin(connection_, Durability::kProcessCrash);
  if (!transaction) return in_context(what, transaction.error());
  auto extension = find_extension(binding->tenant_id, binding->extension);
  if (!extension) return in_context(what, extension.error());
  {
    // Replace by identity (see Binding). With an instance, an instance-less binding of the same
    // contact URI goes too: the same device now registering with RFC 5626 parameters.
    // `instance IS ?3`, not `= ?3`: SQLite compares an `instance = ?` term with the partial
    // indexes' `instance = ''` using the bound value, and then re-prepares the statement on every
    // new binding (~50 us a time, most of the writer's cost per REGISTER; decision 0036).
    auto remove = connection_.prepare(
        "DELETE FROM bindings WHERE tenant_id = ?1 AND extension = ?2 AND "
        "((?3 <> '' AND instance IS ?3 AND reg_id = ?4) OR (instance = '' AND contact_uri = ?5))");
    if (!remove) return in_context(what, remove.error());
    remove->bind(1, binding->tenant_id).bind(2, binding->extension).bind(3, binding->instance);
    remove->bind(4, binding->reg_id).bind(5, binding->contact_uri);
    auto removed = remove->run();
    if (!removed) return in_context(what, removed.error());

    auto insert = connection_.prepare(
        "INSERT INTO bindings (tenant_id, extension, contact_uri, instance, reg_id, path, "
        "q_per_mille, call_id, cseq, expires_at, received_transport, received_ip, received_port, "
        "local_transport, local_ip, local_port, user_agent) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!insert) return in_context(what, insert.error());
    const Binding& b = *binding;
    insert->bind(1, b.tenant_id).bind(2, b.extension).bind(3, b.contact_uri).bind(4, b.instance);
    insert->bind(5, b.reg_id).bind(6, b.path).bind(7, b.q_per_mille).bind(8, b.call_id);
    insert->bind(9, b.cseq).bind(10, b.expires_at);
    insert->bind(11, b.received.transport).bind(12, b.received.ip).bind(13, b.received.port);
    insert->bind(14, b.local_socket.transport).bind(15, b.local_socket.ip);
    insert->bind(16, b.local_socket.port).bind(17, b.user_agent);
    auto inserted = insert->run();
    if (!inserted) return in_context(what, inserted.error());
  }
  auto committed = transaction->commit();
  if (!committed) return in_context(what, committed.error());
  return {};
}

Result<void> SqliteStore::refresh_binding(const Binding& input) {
  auto normalized = normalize_binding(input);
  if (!normalized) return normalized.error();
  const Binding& binding = *normalized;
  std::int64_t updated_rows = 0;
  {
    std::lock_guard lock(mutex_);
    // No savepoint of its own: one statement is atomic, and inside write_batch (the binding
    // writer's one commit per second of refreshes) the batch's transaction holds it. The lookup
    // is by the same identity as upsert_binding's DELETE (`IS` for the same reason).
    auto update = connection_.prepare(
        "UPDATE bindings SET call_id = ?6, cseq = ?7, expires_at = ?8 "
        "WHERE tenant_id = ?1 AND extension = ?2 AND "
        "((?3 <> '' AND instance IS ?3 AND reg_id = ?4) OR "
        "(?3 = '' AND instance = '' AND contact_uri = ?5))");
    if (!update) return in_context("refreshing a binding", update.error());
    update->bind(1, binding.tenant_id).bind(2, binding.extension).bind(3, binding.instance);
    update->bind(4, binding.reg_id).bind(5, binding.contact_uri).bind(6, binding.call_id);
    update->bind(7, binding.cseq).bind(8, binding.expires_at);
    auto updated = update->run();
    if (!updated) {
      return in_context("refreshing a binding of extension " + binding.extension, updated.error());
    }
    updated_rows = connection_.changes();
  }
  if (updated_rows > 0) return {};
  // Gone from the store meanwhile (purged as expired while the refresh waited, or removed by
  // another process): write it whole, which also checks the extension still exists.
  return upsert_binding(binding);
}

Result<std::vector<Binding>> SqliteStore::list_bindings(TenantId tenant, std::string_view extension,
                                                        UnixSeconds now) {
  auto valid = check_extension_number(extension);
  if (!valid) return valid.error();
  std::lock_guard lock(mutex_);
  auto query = connection_.prepare(
      "SELECT tenant_id, extension, contact_uri, instance, reg_id, path, q_per_mille, call_id, "
      "cseq, expires_at, received_transport, received_ip, received_port, local_transport, "
      "local_ip, local_port, user_agent FROM bindings "
      "WHERE tenant_id = ? AND extension = ? AND expires_at > ? "
      "ORDER BY q_per_mille DESC, expires_at DESC, id");
  if (!query) return query.error();
  query->bind(1, tenant).bind(2, extension).bind(3, now);
  auto rows = collect_rows(*query, read_binding);
  if (!rows)
    return in_context("listing bindings of extension " + std::string(extension), rows.error());
  return rows;
}

Result<bool> SqliteStore::remove_binding(const BindingKey& input) {
  auto key = normalize_binding_key(input);
  if (!key) return key.error();
  const std::string what = "removing a binding of extension " + key->extension;
  std::lock_guard lock(mutex_);
  auto transaction = WriteTransaction::begin(connection_, Durability::kProcessCrash);
  if (!transaction) return in_context(what, transaction.error());
  std::int64_t removed_rows = 0;
  {
    // `IS`, not `=`: see upsert_binding.
    auto remove = connection_.prepare(
        "DELETE FROM bindings WHERE tenant_id = ?1 AND extension = ?2 AND "
        "((?3 <> '' AND instance IS ?3 AND reg_id = ?4) OR "
        "(?3 = '' AND instance = '' AND contact_uri = ?5))");
    if (!remove) return in_context(what, remove.error());
    remove->bind(1, key->tenant_id).bind(2, key->extension).bind(3, key->instance);
    remove->bind(4, key->reg_id).bind(5, key->contact_uri);
    auto removed = remove->run();
    if (!removed) return in_context(what, removed.error());
    removed_rows = connection_.changes();
  }
  auto committed = transaction->commit();
  if (!committed) return in_context(what, committed.error());
  return removed_rows > 0;
}

Result<std::size_t> SqliteStore::remove_bindings(TenantId tenant, std::string_view extension) {
  auto valid = check_extension_number(extension);
  if (!valid) return valid.error();
  const std::string what = "removing the bindings of extension " + std::string(extension);
  std::lock_guard lock(mutex_);
  auto transaction = WriteTransaction::begin(connection_, Durability::kProcessCrash);
  if (!transaction) return in_context(what, transaction.error());
  std::int64_t removed_rows = 0;
  {
    auto remove = connection_.prepare("DELETE FROM bindings WHERE tenant_id = ? AND extension = ?");
    if (!remove) return in_context(what, remove.error());
    remove->bind(1, tenant).bind(2, extension);
    auto removed = remove->run();
    if (!removed) return in_context(what, removed.error());
    removed_rows = connection_.changes();
  }
  auto committed = transaction->commit();
  if (!committed) return in_context(what, committed.error());
  return static_cast<std::size_t>(removed_rows);
}

Result<std::size_t> SqliteStore::purge_expired_bindings(UnixSeconds now) {
  const std::string what = "purging expired bindings";
  std::lock_guard lock(mutex_);
  auto transaction = WriteTransaction::begin(connection_, Durability::kProcessCrash);
  if (!transaction) return in_context(what, transaction.error());
  std::int64_t removed_rows = 0;
  {
    auto purge = connection_.prepare("DELETE FROM bindings WHERE expires_at <= ?");
    if (!purge) return in_context(what, purge.error());
    purge->bind(1, now);
    auto purged = purge->run();
    if (!purged) return in_context(what, purged.error());
    removed_rows = connection_.changes();
  }
  auto committed = transaction->commit();
  if (!committed) return in_context(what, committed.error());
  return static_cast<std::size_t>(removed_rows);
}

Result<std::vector<Binding>> SqliteStore::list_live_bindings(UnixSeconds now) {
  std::lock_guard lock(mutex_);
  auto query = connection_.prepare(
      "SELECT tenant_id, extension, contact_uri, instance, reg_id, path, q_per_mille, call_id, "
      "cseq, expires_at, received_transport, received_ip, received_port, local_transport, "
      "local_ip, local_port, user_agent FROM bindings WHERE expires_at > ? "
      "ORDER BY tenant_id, extension, q_per_mille DESC, expires_at DESC, id");
  if (!query) return query.error();
  query->bind(1, now);
  auto rows = collect_rows(*query, read_binding);
  if (!rows) return in_context("listing live bindings", rows.error());
  return rows;
}

// --- call detail records -----------------------------------------------------------------------

Result<CallRecordId> SqliteStore::insert_call_record(const CallRecord& record) {
  auto valid = check_call_record(record);
  if (!valid) return valid.error();
  const std::string what = "recording call " + record.call_id;
  std::lock_guard lock(mutex_);
  // Call records are billing data: fsync them (see docs/decisions/0002-store.md).
  auto transaction = WriteTransaction::begin(connection_, Durability::kPowerLoss);
  if (!transaction) return in_context(what, transaction.error());
  // Existence only: reading the tenant's row into a Tenant and building the not-found message
  // up front cost ~3,500 instructions a record more (decision 0053).
  auto tenant_exists =
      row_exists(connection_, "SELECT 1 FROM tenants WHERE id = ?", record.tenant_id);
  if (!tenant_exists) return in_context(what, tenant_exists.error());
  if (!*tenant_exists) {
    return in_context(what, not_found("no tenant with id " + std::to_string(record.tenant_id)));
  }
  CallRecordId id = 0;
  {
    auto insert = connection_.prepare(
        "INSERT INTO call_records (tenant_id, call_id, caller, callee, start_ms, answer_ms, "
        "end_ms, disposition, hangup_side, end_reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!insert) return in_context(what, insert.error());
    insert->bind(1, record.tenant_id).bind(2, record.call_id).bind(3, record.caller);
    insert->bind(4, record.callee).bind(5, record.start_ms);
    if (record.answer_ms) {
      insert->bind(6, *record.answer_ms);
    } else {
      insert->bind_null(6);
    }
    insert->bind(7, record.end_ms).bind(8, to_text(record.disposition));
    insert->bind(9, to_text(record.hangup_side)).bind(10, to_text(record.end_reason));
    auto inserted = insert->run();
    if (!inserted) return in_context(what, inserted.error());
    id = connection_.last_insert_rowid();
  }
  auto committed = transaction->commit();
  if (!committed) return in_context(what, committed.error());
  return id;
}

std::vector<Result<CallRecordId>> SqliteStore::insert_call_records(
    const std::vector<CallRecord>& records) {
  std::vector<Result<CallRecordId>> results;
  results.reserve(records.size());
  std::lock_guard lock(mutex_);
  const auto one_by_one = [&] {
    for (const CallRecord& record : records) results.push_back(insert_call_record(record));
  };
  if (records.size() < 2) {
    one_by_one();
    return results;
  }
  // One fsync for the lot (call records are billing data, decision 0002): each insert below is
  // a savepoint inside this transaction, so one bad record does not take the others with it.
  auto transaction = WriteTransaction::begin(connection_, Durability::kPowerLoss);
  one_by_one();  // without the transaction (busy past the timeout), each commits on its own
  if (!transaction) return results;
  if (auto committed = transaction->commit(); !committed) {
    const Error failure = in_context("committing call records", committed.error());
    for (auto& result : results) {
      if (result) result = failure;
    }
  }
  return results;
}

Result<std::vector<CallRecord>> SqliteStore::list_recent_call_records(TenantId tenant,
                                                                      std::size_t limit) {
  if (limit == 0 || limit > kMaxCallRecordPage) {
    return make_store_error(StoreError::kInvalidInput, "call record page size must be 1 to " +
                                                           std::to_string(kMaxCallRecordPage) +
                                                           ", got " + std::to_string(limit));
  }
  std::lock_guard lock(mutex_);
  auto owner = find_tenant(tenant);
  if (!owner) return owner.error();
  auto query = connection_.prepare(
      "SELECT id, tenant_id, call_id, caller, callee, start_ms, answer_ms, end_ms, disposition, "
      "hangup_side, end_reason FROM call_records WHERE tenant_id = ? ORDER BY start_ms DESC, id "
      "DESC "
      "LIMIT ?");
  if (!query) return query.error();
  query->bind(1, tenant).bind(2, static_cast<std::int64_t>(limit));
  auto rows = collect_rows(*query, read_call_record);
  if (!rows) return in_context("listing call records of " + tenant_label(tenant), rows.error());
  return rows;
}

// --- change notification -----------------------------------------------------------------------

Result<std::uint64_t> SqliteStore::change_counter() {
  std::lock_guard lock(mutex_);
  auto query = connection_.prepare("SELECT value FROM change_counter WHERE id = 1");
  if (!query) return query.error();
  auto row = query->step();
  if (!row) return in_context("reading the change counter", row.error());
  if (!*row) {
    return make_store_error(StoreError::kBackend,
                            "the change counter row is missing from " + path_.string());
  }
  return static_cast<std::uint64_t>(query->column_int(0));
}

Result<void> SqliteStore::write_batch(const std::function<void()>& body) {
  std::lock_guard lock(mutex_);
  auto transaction = WriteTransaction::begin(connection_, Durability::kProcessCrash);
  if (!transaction) return in_context("starting a batch of writes", transaction.error());
  body();
  return transaction->commit();
}

}  // namespace parley::store::sqlite
