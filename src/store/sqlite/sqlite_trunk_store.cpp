// The TrunkStore half of SqliteStore: provider accounts. Same locking and transaction rules as
// sqlite_store.cpp.

#include <string>
#include <utility>

#include "store/sqlite/rows.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/trunk_validation.hpp"

namespace parley::store::sqlite {

namespace {

// Column order of the SELECT lists below.
#define PARLEY_TRUNK_COLUMNS                                                                 \
  "id, tenant_id, name, host, port, transport, registers, username, password, auth_realm, "  \
  "register_expires, codecs, caller_id, max_calls, options_keepalive, enabled, created_at, " \
  "updated_at, caller_id_passthrough"

Result<Trunk> read_trunk(const Statement& row) {
  Trunk trunk;
  trunk.id = row.column_int(0);
  trunk.tenant_id = row.column_int(1);
  trunk.name = row.column_text(2);
  trunk.host = row.column_text(3);
  trunk.port = static_cast<std::uint16_t>(row.column_int(4));
  trunk.transport = row.column_text(5);
  trunk.registers = row.column_int(6) != 0;
  trunk.username = row.column_text(7);
  trunk.password = row.column_text(8);
  trunk.auth_realm = row.column_text(9);
  trunk.register_expires = static_cast<std::uint32_t>(row.column_int(10));
  trunk.codecs = row.column_text(11);
  trunk.caller_id = row.column_text(12);
  trunk.max_calls = static_cast<std::uint32_t>(row.column_int(13));
  trunk.options_keepalive = row.column_int(14) != 0;
  trunk.enabled = row.column_int(15) != 0;
  trunk.created_at = row.column_int(16);
  trunk.updated_at = row.column_int(17);
  trunk.caller_id_passthrough = row.column_int(18) != 0;
  return trunk;
}

std::int64_t flag(bool value) {
  return value ? 1 : 0;
}

// Binds the writable columns 1-15 in the order of the INSERT and UPDATE statements below.
void bind_trunk(Statement& statement, const Trunk& trunk) {
  statement.bind(1, trunk.name)
      .bind(2, trunk.host)
      .bind(3, std::int64_t{trunk.port})
      .bind(4, trunk.transport)
      .bind(5, flag(trunk.registers))
      .bind(6, trunk.username)
      .bind(7, trunk.password)
      .bind(8, trunk.auth_realm)
      .bind(9, std::int64_t{trunk.register_expires})
      .bind(10, trunk.codecs)
      .bind(11, trunk.caller_id)
      .bind(12, std::int64_t{trunk.max_calls})
      .bind(13, flag(trunk.options_keepalive))
      .bind(14, flag(trunk.enabled))
      .bind(15, flag(trunk.caller_id_passthrough));
}

}  // namespace

Result<TrunkId> SqliteStore::add_trunk(const Trunk& input) {
  auto trunk = normalize_trunk(input);
  if (!trunk) return trunk.error();
  const std::string what = "adding trunk " + trunk->name;
  std::lock_guard lock(mutex_);
  auto transaction = WriteTransaction::begin(connection_, Durability::kPowerLoss);
  if (!transaction) return in_context(what, transaction.error());
  auto tenant = find_tenant(trunk->tenant_id);
  if (!tenant) return tenant.error();
  {
    auto found = row_exists(connection_, "SELECT 1 FROM trunks WHERE tenant_id = ? AND name = ?",
                            trunk->tenant_id, trunk->name);
    if (!found) return in_context(what, found.error());
    if (*found) {
      return conflict("trunk " + trunk->name + " already exists in tenant " + tenant->domain);
    }
  }
  const UnixSeconds stamp = now();
  TrunkId id = 0;
  {
    auto insert = connection_.prepare(
        "INSERT INTO trunks (name, host, port, transport, registers, username, password, "
        "auth_realm, register_expires, codecs, caller_id, max_calls, options_keepalive, enabled, "
        "caller_id_passthrough, tenant_id, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!insert) return in_context(what, insert.error());
    bind_trunk(*insert, *trunk);
    insert->bind(16, trunk->tenant_id).bind(17, stamp).bind(18, stamp);
    if (auto ran = insert->run(); !ran) return in_context(what, ran.error());
    id = connection_.last_insert_rowid();
  }
  auto committed = transaction->commit();
  if (!committed) return in_context(what, committed.error());
  return id;
}

Result<void> SqliteStore::update_trunk(const Trunk& input) {
  auto trunk = normalize_trunk(input);
  if (!trunk) return trunk.error();
  const std::string what = "updating trunk " + trunk->name;
  std::lock_guard lock(mutex_);
  auto transaction = WriteTransaction::begin(connection_, Durability::kPowerLoss);
  if (!transaction) return in_context(what, transaction.error());
  {
    // A rename onto another trunk's name would hit the UNIQUE constraint; say so plainly.
    auto found = row_exists(
        connection_,
        "SELECT 1 FROM trunks WHERE tenant_id = (SELECT tenant_id FROM trunks WHERE id = ?) "
        "AND name = ? AND id <> ?",
        trunk->id, trunk->name, trunk->id);
    if (!found) return in_context(what, found.error());
    if (*found) return conflict("another trunk of the tenant is called " + trunk->name);
  }
  {
    auto update = connection_.prepare(
        "UPDATE trunks SET name = ?, host = ?, port = ?, transport = ?, registers = ?, "
        "username = ?, password = ?, auth_realm = ?, register_expires = ?, codecs = ?, "
        "caller_id = ?, max_calls = ?, options_keepalive = ?, enabled = ?, "
        "caller_id_passthrough = ?, updated_at = ? WHERE id = ?");
    if (!update) return in_context(what, update.error());
    bind_trunk(*update, *trunk);
    update->bind(16, now()).bind(17, trunk->id);
    if (auto ran = update->run(); !ran) return in_context(what, ran.error());
    if (connection_.changes() == 0) {
      return not_found("no trunk with id " + std::to_string(trunk->id));
    }
  }
  auto committed = transaction->commit();
  if (!committed) return in_context(what, committed.error());
  return {};
}

Result<void> SqliteStore::remove_trunk(TenantId tenant, std::string_view name) {
  const std::string what = "removing trunk " + std::string(name);
  std::lock_guard lock(mutex_);
  auto transaction = WriteTransaction::begin(connection_, Durability::kPowerLoss);
  if (!transaction) return in_context(what, transaction.error());
  {
    // The foreign keys would refuse too, but without saying who still uses the trunk.
    auto users = prepare_bound(
        connection_,
        "SELECT 'route ' || r.name FROM outbound_route_trunks t "
        "JOIN outbound_routes r ON r.id = t.route_id WHERE t.tenant_id = ?1 AND t.trunk_name = ?2 "
        "UNION ALL SELECT 'DID ' || number FROM dids WHERE tenant_id = ?1 AND trunk_name = ?2 "
        "LIMIT 1",
        tenant, name);
    if (!users) return in_context(what, users.error());
    auto used = users->step();
    if (!used) return in_context(what, used.error());
    if (*used) {
      return conflict("trunk " + std::string(name) + " is still used by " + users->column_text(0) +
                      "; remove it from there first");
    }
  }
  {
    auto removed =
        run_bound(connection_, "DELETE FROM trunks WHERE tenant_id = ? AND name = ?", tenant, name);
    if (!removed) return in_context(what, removed.error());
    if (connection_.changes() == 0) {
      auto known = find_tenant(tenant);
      if (!known) return known.error();
      return not_found("no trunk " + std::string(name) + " in tenant " + known->domain);
    }
  }
  auto committed = transaction->commit();
  if (!committed) return in_context(what, committed.error());
  return {};
}

Result<std::optional<Trunk>> SqliteStore::find_trunk(TenantId tenant, std::string_view name) {
  std::lock_guard lock(mutex_);
  auto query = prepare_bound(
      connection_, "SELECT " PARLEY_TRUNK_COLUMNS " FROM trunks WHERE tenant_id = ? AND name = ?",
      tenant, name);
  if (!query) return query.error();
  auto trunk = optional_row(*query, read_trunk);
  if (!trunk) return in_context("reading trunk " + std::string(name), trunk.error());
  return trunk;
}

Result<std::vector<Trunk>> SqliteStore::list_trunks(std::optional<TenantId> tenant) {
  std::lock_guard lock(mutex_);
  auto query = prepare_bound(connection_,
                             "SELECT " PARLEY_TRUNK_COLUMNS
                             " FROM trunks WHERE ?1 IS NULL OR tenant_id = ?1 "
                             "ORDER BY tenant_id, name",
                             tenant);
  if (!query) return query.error();
  auto rows = collect_rows(*query, read_trunk);
  if (!rows) return in_context("listing trunks", rows.error());
  return rows;
}

#undef PARLEY_TRUNK_COLUMNS

}  // namespace parley::store::sqlite
