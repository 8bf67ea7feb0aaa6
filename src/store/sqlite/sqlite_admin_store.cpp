// The AdminStore half of SqliteStore: admin accounts, web sessions, API tokens, in-place updates
// and reports. Same locking and transaction rules as sqlite_store.cpp.

#include <algorithm>
#include <limits>
#include <string>
#include <utility>

#include "store/sqlite/rows.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/validation.hpp"

namespace parley::store::sqlite {

namespace {

Result<AdminAccount> read_admin(const Statement& row) {
  const auto role = parse_admin_role(row.column_text(3));
  if (!role) {
    return make_store_error(StoreError::kBackend, "admin account " + row.column_text(1) +
                                                      " has an unknown role " + row.column_text(3));
  }
  return AdminAccount{row.column_int(0),    row.column_text(1), row.column_text(2), *role,
                      optional_int(row, 4), row.column_int(5),  row.column_int(6)};
}

Result<WebSession> read_session(const Statement& row) {
  WebSession session;
  session.id_digest = row.column_text(0);
  session.admin_id = optional_int(row, 1);
  session.tenant_id = optional_int(row, 2);
  session.extension = row.column_is_null(3) ? std::string() : row.column_text(3);
  session.csrf_token = row.column_text(4);
  session.created_at = row.column_int(5);
  session.expires_at = row.column_int(6);
  return session;
}

Result<ApiToken> read_token(const Statement& row) {
  return ApiToken{row.column_int(0),  row.column_text(1), row.column_int(2),
                  row.column_text(3), row.column_int(4),  optional_int(row, 5)};
}

Result<void> run_update(Result<Statement> statement, const std::string& what) {
  if (!statement) return in_context(what, statement.error());
  auto ran = statement->run();
  if (!ran) return in_context(what, ran.error());
  return {};
}

Result<std::size_t> count_of(Result<Statement> query) {
  if (!query) return query.error();
  auto row = query->step();
  if (!row) return row.error();
  return *row ? static_cast<std::size_t>(query->column_int(0)) : 0;
}

}  // namespace

// --- admin accounts ----------------------------------------------------------------------------

Result<AdminAccount> SqliteStore::find_admin_by_name(std::string_view name) {
  auto query = connection_.prepare(
      "SELECT id, name, password_hash, role, tenant_id, created_at, updated_at "
      "FROM admin_accounts WHERE name = ?");
  if (!query) return query.error();
  query->bind(1, name);
  return single_row(*query, read_admin, "no admin named " + std::string(name));
}

Result<AdminAccount> SqliteStore::add_admin(const NewAdminAccount& admin) {
  if (auto valid = check_admin_name(admin.name); !valid) return valid.error();
  if (auto valid = check_password_hash(admin.password_hash); !valid) return valid.error();
  if ((admin.role == AdminRole::kTenantAdmin) != admin.tenant_id.has_value()) {
    return invalid("a tenant_admin needs a tenant and a system_admin must not have one");
  }
  const std::string what = "adding admin " + admin.name;
  std::lock_guard lock(mutex_);
  auto transaction = WriteTransaction::begin(connection_, Durability::kPowerLoss);
  if (!transaction) return in_context(what, transaction.error());
  if (admin.tenant_id) {
    auto tenant = find_tenant(*admin.tenant_id);
    if (!tenant) return tenant.error();
  }
  auto existing = find_admin_by_name(admin.name);
  if (existing) return conflict("admin " + admin.name + " already exists");
  if (!is_error(existing.error(), StoreError::kNotFound)) return in_context(what, existing.error());
  const UnixSeconds stamp = now();
  AdminAccount stored{0,     admin.name, admin.password_hash, admin.role, admin.tenant_id,
                      stamp, stamp};
  {
    auto insert = connection_.prepare(
        "INSERT INTO admin_accounts (name, password_hash, role, tenant_id, created_at, "
        "updated_at) VALUES (?, ?, ?, ?, ?, ?)");
    if (!insert) return in_context(what, insert.error());
    insert->bind(1, stored.name).bind(2, stored.password_hash).bind(3, to_text(stored.role));
    if (stored.tenant_id) {
      insert->bind(4, *stored.tenant_id);
    } else {
      insert->bind_null(4);
    }
    insert->bind(5, stamp).bind(6, stamp);
    auto inserted = insert->run();
    if (!inserted) return in_context(what, inserted.error());
    stored.id = connection_.last_insert_rowid();
  }
  auto committed = transaction->commit();
  if (!committed) return in_context(what, committed.error());
  return stored;
}

Result<std::vector<AdminAccount>> SqliteStore::list_admins() {
  std::lock_guard lock(mutex_);
  auto query = connection_.prepare(
      "SELECT id, name, password_hash, role, tenant_id, created_at, updated_at "
      "FROM admin_accounts ORDER BY name");
  if (!query) return query.error();
  auto rows = collect_rows(*query, read_admin);
  if (!rows) return in_context("listing admins", rows.error());
  return rows;
}

Result<AdminAccount> SqliteStore::get_admin(AdminId id) {
  std::lock_guard lock(mutex_);
  auto query = connection_.prepare(
      "SELECT id, name, password_hash, role, tenant_id, created_at, updated_at "
      "FROM admin_accounts WHERE id = ?");
  if (!query) return query.error();
  query->bind(1, id);
  return single_row(*query, read_admin, "no admin with id " + std::to_string(id));
}

Result<AdminAccount> SqliteStore::get_admin_by_name(std::string_view name) {
  if (auto valid = check_admin_name(name); !valid) return valid.error();
  std::lock_guard lock(mutex_);
  return find_admin_by_name(name);
}

Result<void> SqliteStore::set_admin_password_hash(std::string_view name,
                                                  std::string_view password_hash) {
  if (auto valid = check_admin_name(name); !valid) return valid.error();
  if (auto valid = check_password_hash(password_hash); !valid) return valid.error();
  const std::string what = "changing the password of admin " + std::string(name);
  std::lock_guard lock(mutex_);
  auto transaction = WriteTransaction::begin(connection_, Durability::kPowerLoss);
  if (!transaction) return in_context(what, transaction.error());
  auto admin = find_admin_by_name(name);
  if (!admin) return admin.error();
  {
    auto update = connection_.prepare(
        "UPDATE admin_accounts SET password_hash = ?, updated_at = ? WHERE id = ?");
    if (!update) return in_context(what, update.error());
    update->bind(1, password_hash).bind(2, now()).bind(3, admin->id);
    if (auto done = run_update(std::move(update), what); !done) return done.error();
  }
  {
    // A new password ends every session signed in with the old one.
    auto sessions = connection_.prepare("DELETE FROM web_sessions WHERE admin_id = ?");
    if (!sessions) return in_context(what, sessions.error());
    sessions->bind(1, admin->id);
    if (auto done = run_update(std::move(sessions), what); !done) return done.error();
  }
  auto committed = transaction->commit();
  if (!committed) return in_context(what, committed.error());
  return {};
}

Result<void> SqliteStore::remove_admin(std::string_view name) {
  if (auto valid = check_admin_name(name); !valid) return valid.error();
  const std::string what = "removing admin " + std::string(name);
  std::lock_guard lock(mutex_);
  auto transaction = WriteTransaction::begin(connection_, Durability::kPowerLoss);
  if (!transaction) return in_context(what, transaction.error());
  {
    auto remove = connection_.prepare("DELETE FROM admin_accounts WHERE name = ?");
    if (!remove) return in_context(what, remove.error());
    remove->bind(1, name);
    auto removed = remove->run();
    if (!removed) return in_context(what, removed.error());
    if (connection_.changes() == 0) return not_found("no admin named " + std::string(name));
  }
  auto committed = transaction->commit();
  if (!committed) return in_context(what, committed.error());
  return {};
}

// --- web sessions ------------------------------------------------------------------------------

Result<void> SqliteStore::add_web_session(const WebSession& input) {
  auto digest = normalize_secret_digest("session id", input.id_digest);
  if (!digest) return digest.error();
  if (input.admin_id.has_value() == !input.extension.empty() ||
      input.tenant_id.has_value() == input.extension.empty()) {
    return invalid("a web session belongs to an admin or to an extension of a tenant");
  }
  if (input.csrf_token.empty() || input.csrf_token.size() > kMaxCsrfTokenLength) {
    return invalid("a web session needs a CSRF token of 1 to 128 characters");
  }
  if (!input.extension.empty()) {
    if (auto valid = check_extension_number(input.extension); !valid) return valid.error();
  }
  const std::string what = "starting a web session";
  std::lock_guard lock(mutex_);
  // A lost session costs one sign-in: no fsync.
  auto transaction = WriteTransaction::begin(connection_, Durability::kProcessCrash);
  if (!transaction) return in_context(what, transaction.error());
  {
    auto insert = connection_.prepare(
        "INSERT INTO web_sessions (id_digest, admin_id, tenant_id, extension, csrf_token, "
        "created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)");
    if (!insert) return in_context(what, insert.error());
    insert->bind(1, *digest);
    if (input.admin_id) {
      insert->bind(2, *input.admin_id).bind_null(3).bind_null(4);
    } else {
      insert->bind_null(2).bind(3, *input.tenant_id).bind(4, input.extension);
    }
    insert->bind(5, input.csrf_token).bind(6, input.created_at).bind(7, input.expires_at);
    auto inserted = insert->run();
    if (!inserted) return in_context(what, inserted.error());
  }
  auto committed = transaction->commit();
  if (!committed) return in_context(what, committed.error());
  return {};
}

Result<WebSession> SqliteStore::get_web_session(std::string_view id_digest, UnixSeconds at) {
  auto digest = normalize_secret_digest("session id", id_digest);
  if (!digest) return digest.error();
  std::lock_guard lock(mutex_);
  auto query = connection_.prepare(
      "SELECT id_digest, admin_id, tenant_id, extension, csrf_token, created_at, expires_at "
      "FROM web_sessions WHERE id_digest = ? AND expires_at > ?");
  if (!query) return query.error();
  query->bind(1, *digest).bind(2, at);
  return single_row(*query, read_session, "no such web session");
}

Result<bool> SqliteStore::remove_web_session(std::string_view id_digest) {
  auto digest = normalize_secret_digest("session id", id_digest);
  if (!digest) return digest.error();
  const std::string what = "ending a web session";
  std::lock_guard lock(mutex_);
  auto transaction = WriteTransaction::begin(connection_, Durability::kPowerLoss);
  if (!transaction) return in_context(what, transaction.error());
  std::int64_t removed_rows = 0;
  {
    auto remove = connection_.prepare("DELETE FROM web_sessions WHERE id_digest = ?");
    if (!remove) return in_context(what, remove.error());
    remove->bind(1, *digest);
    auto removed = remove->run();
    if (!removed) return in_context(what, removed.error());
    removed_rows = connection_.changes();
  }
  auto committed = transaction->commit();
  if (!committed) return in_context(what, committed.error());
  return removed_rows > 0;
}

Result<std::size_t> SqliteStore::purge_expired_web_sessions(UnixSeconds at) {
  const std::string what = "purging expired web sessions";
  std::lock_guard lock(mutex_);
  auto transaction = WriteTransaction::begin(connection_, Durability::kProcessCrash);
  if (!transaction) return in_context(what, transaction.error());
  std::int64_t removed_rows = 0;
  {
    auto purge = connection_.prepare("DELETE FROM web_sessions WHERE expires_at <= ?");
    if (!purge) return in_context(what, purge.error());
    purge->bind(1, at);
    auto purged = purge->run();
    if (!purged) return in_context(what, purged.error());
    removed_rows = connection_.changes();
  }
  auto committed = transaction->commit();
  if (!committed) return in_context(what, committed.error());
  return static_cast<std::size_t>(removed_rows);
}

// --- API tokens --------------------------------------------------------------------------------

Result<ApiToken> SqliteStore::add_api_token(const NewApiToken& input) {
  auto digest = normalize_secret_digest("token", input.token_digest);
  if (!digest) return digest.error();
  if (auto valid = check_token_name(input.name); !valid) return valid.error();
  const std::string what = "adding API token " + input.name;
  std::lock_guard lock(mutex_);
  auto transaction = WriteTransaction::begin(connection_, Durability::kPowerLoss);
  if (!transaction) return in_context(what, transaction.error());
  auto tenant = find_tenant(input.tenant_id);
  if (!tenant) return tenant.error();
  {
    auto existing =
        connection_.prepare("SELECT 1 FROM api_tokens WHERE tenant_id = ? AND name = ?");
    if (!existing) return in_context(what, existing.error());
    existing->bind(1, input.tenant_id).bind(2, input.name);
    auto row = existing->step();
    if (!row) return in_context(what, row.error());
    if (*row) {
      return conflict("tenant " + tenant->domain + " already has a token named " + input.name);
    }
  }
  ApiToken stored{0, *digest, input.tenant_id, input.name, now(), std::nullopt};
  {
    auto insert = connection_.prepare(
        "INSERT INTO api_tokens (token_digest, tenant_id, name, created_at) VALUES (?, ?, ?, ?)");
    if (!insert) return in_context(what, insert.error());
    insert->bind(1, stored.token_digest).bind(2, stored.tenant_id).bind(3, stored.name);
    insert->bind(4, stored.created_at);
    auto inserted = insert->run();
    if (!inserted) return in_context(what, inserted.error());
    stored.id = connection_.last_insert_rowid();
  }
  auto committed = transaction->commit();
  if (!committed) return in_context(what, committed.error());
  return stored;
}

Result<ApiToken> SqliteStore::find_api_token(std::string_view token_digest) {
  auto digest = normalize_secret_digest("token", token_digest);
  if (!digest) return digest.error();
  std::lock_guard lock(mutex_);
  auto query = connection_.prepare(
      "SELECT id, token_digest, tenant_id, name, created_at, last_used_at FROM api_tokens "
      "WHERE token_digest = ?");
  if (!query) return query.error();
  query->bind(1, *digest);
  return single_row(*query, read_token, "no such API token");
}

Result<void> SqliteStore::touch_api_token(ApiTokenId id, UnixSeconds at) {
  const std::string what = "recording the use of API token " + std::to_string(id);
  std::lock_guard lock(mutex_);
  auto transaction = WriteTransaction::begin(connection_, Durability::kProcessCrash);
  if (!transaction) return in_context(what, transaction.error());
  {
    auto update = connection_.prepare(
        "UPDATE api_tokens SET last_used_at = ?1 WHERE id = ?2 AND "
        "(last_used_at IS NULL OR last_used_at <= ?1 - 60)");
    if (!update) return in_context(what, update.error());
    update->bind(1, at).bind(2, id);
    if (auto done = run_update(std::move(update), what); !done) return done.error();
  }
  auto committed = transaction->commit();
  if (!committed) return in_context(what, committed.error());
  return {};
}

Result<std::vector<ApiToken>> SqliteStore::list_api_tokens(TenantId tenant) {
  std::lock_guard lock(mutex_);
  auto owner = find_tenant(tenant);
  if (!owner) return owner.error();
  auto query = connection_.prepare(
      "SELECT id, token_digest, tenant_id, name, created_at, last_used_at FROM api_tokens "
      "WHERE tenant_id = ? ORDER BY name");
  if (!query) return query.error();
  query->bind(1, tenant);
  auto rows = collect_rows(*query, read_token);
  if (!rows) return in_context("listing API tokens", rows.error());
  return rows;
}

// --- tenants and extensions in place -----------------------------------------------------------

Result<Tenant> SqliteStore::update_tenant(TenantId id, const TenantUpdate& update) {
  if (update.display_name) {
    if (auto valid = check_display_name(*update.display_name); !valid) return valid.error();
  }
  const std::string what = "changing tenant " + std::to_string(id);
  std::lock_guard lock(mutex_);
  auto transaction = WriteTransaction::begin(connection_, Durability::kPowerLoss);
  if (!transaction) return in_context(what, transaction.error());
  auto tenant = find_tenant(id);
  if (!tenant) return tenant.error();
  if (update.display_name && *update.display_name != tenant->display_name) {
    auto set = connection_.prepare("UPDATE tenants SET display_name = ? WHERE id = ?");
    if (!set) return in_context(what, set.error());
    set->bind(1, *update.display_name).bind(2, id);
    if (auto done = run_update(std::move(set), what); !done) return done.error();
  }
  if (update.is_default && *update.is_default != tenant->is_default) {
    if (*update.is_default) {
      // Clear first: the partial unique index allows one row with is_default = 1.
      auto clear = connection_.prepare("UPDATE tenants SET is_default = 0 WHERE is_default = 1");
      if (auto done = run_update(std::move(clear), what); !done) return done.error();
    }
    auto set = connection_.prepare("UPDATE tenants SET is_default = ? WHERE id = ?");
    if (!set) return in_context(what, set.error());
    set->bind(1, *update.is_default ? 1 : 0).bind(2, id);
    if (auto done = run_update(std::move(set), what); !done) return done.error();
  }
  auto changed = find_tenant(id);
  if (!changed) return in_context(what, changed.error());
  auto committed = transaction->commit();
  if (!committed) return in_context(what, committed.error());
  return changed;
}

Result<Extension> SqliteStore::update_extension(TenantId tenant, std::string_view number,
                                                const ExtensionUpdate& update) {
  if (auto valid = check_extension_number(number); !valid) return valid.error();
  if (update.display_name) {
    if (auto valid = check_display_name(*update.display_name); !valid) return valid.error();
  }
  std::optional<Credentials> credentials;
  if (update.credentials) {
    auto normalized = normalize_credentials(*update.credentials);
    if (!normalized) return normalized.error();
    credentials = std::move(normalized).value();
  }
  const std::string what = "changing extension " + std::string(number);
  std::lock_guard lock(mutex_);
  auto transaction = WriteTransaction::begin(connection_, Durability::kPowerLoss);
  if (!transaction) return in_context(what, transaction.error());
  auto existing = find_extension(tenant, number);
  if (!existing) return existing.error();
  const UnixSeconds stamp = now();
  if (update.display_name) {
    auto set =
        connection_.prepare("UPDATE extensions SET display_name = ?, updated_at = ? WHERE id = ?");
    if (!set) return in_context(what, set.error());
    set->bind(1, *update.display_name).bind(2, stamp).bind(3, existing->id);
    if (auto done = run_update(std::move(set), what); !done) return done.error();
  }
  if (credentials) {
    auto set = connection_.prepare(
        "UPDATE extensions SET ha1_md5 = ?, ha1_sha256 = ?, updated_at = ? WHERE id = ?");
    if (!set) return in_context(what, set.error());
    set->bind(1, credentials->ha1_md5).bind(2, credentials->ha1_sha256).bind(3, stamp);
    set->bind(4, existing->id);
    if (auto done = run_update(std::move(set), what); !done) return done.error();
    // Web sessions signed in with the old password end with it.
    auto sessions =
        connection_.prepare("DELETE FROM web_sessions WHERE tenant_id = ? AND extension = ?");
    if (!sessions) return in_context(what, sessions.error());
    sessions->bind(1, tenant).bind(2, number);
    if (auto done = run_update(std::move(sessions), what); !done) {
      return done.error();
    }
  }
  auto changed = find_extension(tenant, number);
  if (!changed) return in_context(what, changed.error());
  auto committed = transaction->commit();
  if (!committed) return in_context(what, committed.error());
  return changed;
}

// --- reports -----------------------------------------------------------------------------------

Result<std::vector<CallRecord>> SqliteStore::search_call_records(const CallRecordQuery& query) {
  if (query.limit == 0 || query.limit > kMaxCallRecordPage) {
    return invalid("call record page size must be 1 to " + std::to_string(kMaxCallRecordPage) +
                   ", got " + std::to_string(query.limit));
  }
  if (!query.extension.empty()) {
    if (auto valid = check_extension_number(query.extension); !valid) return valid.error();
  }
  std::lock_guard lock(mutex_);
  auto owner = find_tenant(query.tenant);
  if (!owner) return owner.error();
  // The time window and the cursor are both bounds on (start_ms, id), so they are bound as one
  // range an index seeks to (absent ones widen it to the whole tenant): a page deep in a million
  // rows costs what the first page does. Written as `?N IS NULL OR ...` instead, SQLite cannot
  // use them for the index and walks every newer row first (450 ms at depth 700,000 against
  // 0.2 ms; bench/api). start_ms < to is (start_ms, id) < (to, INT64_MIN) because ids are
  // positive. The disposition stays a filter on the rows the range yields.
  //
  // Without an extension the range is one seek of call_records_recent. With one, `caller = ?
  // OR callee = ?` on that index would read every call of the tenant in the range until a page
  // of the extension's turned up (~6,000 rows per page of 50); instead each side seeks its own
  // index (call_records_by_caller / _by_callee, migration 10) for at most a page, and the UNION
  // merges the two pages (and keeps a call from an extension to itself once).
  constexpr std::int64_t kLowest = std::numeric_limits<std::int64_t>::min();
  constexpr std::int64_t kHighest = std::numeric_limits<std::int64_t>::max();
  std::pair<std::int64_t, std::int64_t> before{kHighest, kHighest};
  if (query.to_ms) before = std::min(before, {*query.to_ms, kLowest});
  if (query.after) before = std::min(before, {query.after->start_ms, query.after->id});
  auto select =
      query.extension.empty()
          ? connection_.prepare(
                "SELECT id, tenant_id, call_id, caller, callee, start_ms, answer_ms, end_ms, "
                "disposition, hangup_side, end_reason FROM call_records WHERE tenant_id = ?1 "
                "AND start_ms >= ?2 AND (start_ms, id) < (?3, ?4) "
                "AND (?6 IS NULL OR disposition = ?6) "
                "ORDER BY start_ms DESC, id DESC LIMIT ?7")
          : connection_.prepare(
                "SELECT * FROM (SELECT id, tenant_id, call_id, caller, callee, start_ms, "
                "answer_ms, end_ms, disposition, hangup_side, end_reason FROM call_records "
                "WHERE tenant_id = ?1 AND caller = ?5 AND start_ms >= ?2 "
                "AND (start_ms, id) < (?3, ?4) AND (?6 IS NULL OR disposition = ?6) "
                "ORDER BY start_ms DESC, id DESC LIMIT ?7) "
                "UNION "
                "SELECT * FROM (SELECT id, tenant_id, call_id, caller, callee, start_ms, "
                "answer_ms, end_ms, disposition, hangup_side, end_reason FROM call_records "
                "WHERE tenant_id = ?1 AND callee = ?5 AND start_ms >= ?2 "
                "AND (start_ms, id) < (?3, ?4) AND (?6 IS NULL OR disposition = ?6) "
                "ORDER BY start_ms DESC, id DESC LIMIT ?7) "
                "ORDER BY start_ms DESC, id DESC LIMIT ?7");
  if (!select) return select.error();
  select->bind(1, query.tenant);
  select->bind(2, query.from_ms.value_or(kLowest));
  select->bind(3, before.first).bind(4, before.second);
  if (!query.extension.empty()) select->bind(5, query.extension);
  if (query.disposition) {
    select->bind(6, to_text(*query.disposition));
  } else {
    select->bind_null(6);
  }
  select->bind(7, static_cast<std::int64_t>(query.limit));
  auto rows = collect_rows(*select, read_call_record);
  if (!rows) return in_context("searching call records", rows.error());
  return rows;
}

Result<InstallationCounts> SqliteStore::count_objects(std::optional<TenantId> tenant,
                                                      UnixSeconds at) {
  std::lock_guard lock(mutex_);
  InstallationCounts counts;
  const std::int64_t id = tenant.value_or(0);
  const std::int64_t all = tenant ? 0 : 1;
  auto tenants = connection_.prepare("SELECT count(*) FROM tenants WHERE ?1 = 1 OR id = ?2");
  if (tenants) tenants->bind(1, all).bind(2, id);
  auto tenant_count = count_of(std::move(tenants));
  if (!tenant_count) return in_context("counting tenants", tenant_count.error());
  counts.tenants = *tenant_count;
  auto extensions =
      connection_.prepare("SELECT count(*) FROM extensions WHERE ?1 = 1 OR tenant_id = ?2");
  if (extensions) extensions->bind(1, all).bind(2, id);
  auto extension_count = count_of(std::move(extensions));
  if (!extension_count) return in_context("counting extensions", extension_count.error());
  counts.extensions = *extension_count;
  auto bindings = connection_.prepare(
      "SELECT count(*) FROM bindings WHERE (?1 = 1 OR tenant_id = ?2) AND expires_at > ?3");
  if (bindings) bindings->bind(1, all).bind(2, id).bind(3, at);
  auto binding_count = count_of(std::move(bindings));
  if (!binding_count) return in_context("counting bindings", binding_count.error());
  counts.live_bindings = *binding_count;
  auto records =
      connection_.prepare("SELECT count(*) FROM call_records WHERE ?1 = 1 OR tenant_id = ?2");
  if (records) records->bind(1, all).bind(2, id);
  auto record_count = count_of(std::move(records));
  if (!record_count) return in_context("counting call records", record_count.error());
  counts.call_records = *record_count;
  return counts;
}

Result<std::vector<std::pair<TenantId, std::size_t>>> SqliteStore::count_live_bindings(
    UnixSeconds at) {
  std::lock_guard lock(mutex_);
  auto select = connection_.prepare(
      "SELECT tenant_id, count(*) FROM bindings WHERE expires_at > ?1 GROUP BY tenant_id");
  if (!select) return select.error();
  select->bind(1, at);
  auto rows =
      collect_rows(*select, [](const Statement& row) -> Result<std::pair<TenantId, std::size_t>> {
        return std::pair<TenantId, std::size_t>{row.column_int(0),
                                                static_cast<std::size_t>(row.column_int(1))};
      });
  if (!rows) return in_context("counting live bindings", rows.error());
  return rows;
}

}  // namespace parley::store::sqlite
