// The RoutingStore half of SqliteStore: DIDs and outbound routes. Same locking and transaction
// rules as sqlite_store.cpp.

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "store/sqlite/rows.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/trunk_validation.hpp"

namespace parley::store::sqlite {

namespace {

constexpr std::int64_t kPriorityStep = 10;

Result<Did> read_did(const Statement& row) {
  Did did;
  did.id = row.column_int(0);
  did.tenant_id = row.column_int(1);
  did.number = row.column_text(2);
  did.trunk = row.column_is_null(3) ? std::string() : row.column_text(3);
  const auto kind = parse_did_destination_kind(row.column_text(4));
  if (!kind) return make_store_error(StoreError::kBackend, "a DID has an unknown destination");
  did.kind = *kind;
  did.target = row.column_text(5);
  did.created_at = row.column_int(6);
  return did;
}

// Trunks are read separately; this fills everything else.
Result<OutboundRoute> read_route(const Statement& row) {
  OutboundRoute route;
  route.id = row.column_int(0);
  route.tenant_id = row.column_int(1);
  route.name = row.column_text(2);
  route.priority = row.column_int(3);
  const auto kind = parse_route_pattern_kind(row.column_text(4));
  if (!kind) return make_store_error(StoreError::kBackend, "a route has an unknown pattern kind");
  route.pattern_kind = *kind;
  route.pattern = row.column_text(5);
  route.strip_digits = static_cast<std::uint32_t>(row.column_int(6));
  route.prepend = row.column_text(7);
  route.caller_id = row.column_text(8);
  route.emergency = row.column_int(9) != 0;
  route.created_at = row.column_int(10);
  route.updated_at = row.column_int(11);
  return route;
}

}  // namespace

Result<DidId> SqliteStore::add_did(const Did& input) {
  auto did = normalize_did(input);
  if (!did) return did.error();
  const std::string what = "adding DID " + did->number;
  std::lock_guard lock(mutex_);
  auto transaction = WriteTransaction::begin(connection_, Durability::kPowerLoss);
  if (!transaction) return in_context(what, transaction.error());
  auto tenant = find_tenant(did->tenant_id);
  if (!tenant) return tenant.error();
  if (!did->trunk.empty()) {
    auto found = row_exists(connection_, "SELECT 1 FROM trunks WHERE tenant_id = ? AND name = ?",
                            did->tenant_id, did->trunk);
    if (!found) return in_context(what, found.error());
    if (!*found) return not_found("no trunk " + did->trunk + " in tenant " + tenant->domain);
  }
  if (did->kind == DidDestinationKind::kExtension || did->kind == DidDestinationKind::kVoicemail) {
    auto extension = find_extension(did->tenant_id, did->target);
    if (!extension) {
      if (!is_error(extension.error(), StoreError::kNotFound)) {
        return in_context(what, extension.error());
      }
      return not_found("no extension " + did->target + " in tenant " + tenant->domain);
    }
  }
  if (did->kind == DidDestinationKind::kRingGroup) {
    auto found =
        row_exists(connection_, "SELECT 1 FROM ring_groups WHERE tenant_id = ? AND number = ?",
                   did->tenant_id, did->target);
    if (!found) return in_context(what, found.error());
    if (!*found) return not_found("no ring group " + did->target + " in tenant " + tenant->domain);
  }
  {
    auto found = row_exists(
        connection_,
        "SELECT 1 FROM dids WHERE tenant_id = ? AND number = ? AND coalesce(trunk_name, '') = ?",
        did->tenant_id, did->number, did->trunk);
    if (!found) return in_context(what, found.error());
    if (*found) {
      return conflict("DID " + did->number + " already exists in tenant " + tenant->domain +
                      (did->trunk.empty() ? std::string() : " for trunk " + did->trunk));
    }
  }
  const auto trunk_name =
      did->trunk.empty() ? std::nullopt : std::optional<std::string_view>(did->trunk);
  auto inserted =
      run_bound(connection_,
                "INSERT INTO dids (tenant_id, number, trunk_name, destination_kind, "
                "destination, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                did->tenant_id, did->number, trunk_name, to_text(did->kind), did->target, now());
  if (!inserted) return in_context(what, inserted.error());
  const DidId id = connection_.last_insert_rowid();
  auto committed = transaction->commit();
  if (!committed) return in_context(what, committed.error());
  return id;
}

Result<void> SqliteStore::remove_did(TenantId tenant, std::string_view number,
                                     std::string_view trunk) {
  const std::string what = "removing DID " + std::string(number);
  std::lock_guard lock(mutex_);
  auto transaction = WriteTransaction::begin(connection_, Durability::kPowerLoss);
  if (!transaction) return in_context(what, transaction.error());
  {
    auto removed = run_bound(
        connection_,
        "DELETE FROM dids WHERE tenant_id = ? AND number = ? AND coalesce(trunk_name, '') = ?",
        tenant, number, trunk);
    if (!removed) return in_context(what, removed.error());
    if (connection_.changes() == 0) {
      auto known = find_tenant(tenant);
      if (!known) return known.error();
      return not_found("no DID " + std::string(number) + " in tenant " + known->domain +
                       (trunk.empty() ? std::string() : " for trunk " + std::string(trunk)));
    }
  }
  auto committed = transaction->commit();
  if (!committed) return in_context(what, committed.error());
  return {};
}

Result<std::vector<Did>> SqliteStore::list_dids(std::optional<TenantId> tenant) {
  std::lock_guard lock(mutex_);
  auto query = prepare_bound(
      connection_,
      "SELECT id, tenant_id, number, trunk_name, destination_kind, destination, created_at "
      "FROM dids WHERE ?1 IS NULL OR tenant_id = ?1 "
      "ORDER BY tenant_id, number, coalesce(trunk_name, '')",
      tenant);
  if (!query) return query.error();
  auto rows = collect_rows(*query, read_did);
  if (!rows) return in_context("listing DIDs", rows.error());
  return rows;
}

Result<OutboundRouteId> SqliteStore::add_outbound_route(const OutboundRoute& input) {
  auto route = normalize_outbound_route(input);
  if (!route) return route.error();
  const std::string what = "adding route " + route->name;
  std::lock_guard lock(mutex_);
  auto transaction = WriteTransaction::begin(connection_, Durability::kPowerLoss);
  if (!transaction) return in_context(what, transaction.error());
  auto tenant = find_tenant(route->tenant_id);
  if (!tenant) return tenant.error();
  {
    auto found =
        row_exists(connection_, "SELECT 1 FROM outbound_routes WHERE tenant_id = ? AND name = ?",
                   route->tenant_id, route->name);
    if (!found) return in_context(what, found.error());
    if (*found) {
      return conflict("route " + route->name + " already exists in tenant " + tenant->domain);
    }
  }
  for (const auto& trunk : route->trunks) {
    auto found = row_exists(connection_, "SELECT 1 FROM trunks WHERE tenant_id = ? AND name = ?",
                            route->tenant_id, trunk);
    if (!found) return in_context(what, found.error());
    if (!*found) return not_found("no trunk " + trunk + " in tenant " + tenant->domain);
  }
  if (route->priority == 0) {
    auto last = prepare_bound(
        connection_, "SELECT coalesce(max(priority), 0) FROM outbound_routes WHERE tenant_id = ?",
        route->tenant_id);
    if (!last) return in_context(what, last.error());
    auto row = last->step();
    if (!row) return in_context(what, row.error());
    route->priority = (*row ? last->column_int(0) : 0) + kPriorityStep;
  }
  const UnixSeconds stamp = now();
  auto inserted =
      run_bound(connection_,
                "INSERT INTO outbound_routes (tenant_id, name, priority, pattern_kind, "
                "pattern, strip_digits, prepend, caller_id, emergency, created_at, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                route->tenant_id, route->name, route->priority, to_text(route->pattern_kind),
                route->pattern, std::int64_t{route->strip_digits}, route->prepend, route->caller_id,
                std::int64_t{route->emergency ? 1 : 0}, stamp, stamp);
  if (!inserted) return in_context(what, inserted.error());
  const OutboundRouteId id = connection_.last_insert_rowid();
  for (std::size_t position = 0; position < route->trunks.size(); ++position) {
    auto linked = run_bound(connection_,
                            "INSERT INTO outbound_route_trunks (route_id, position, tenant_id, "
                            "trunk_name) VALUES (?, ?, ?, ?)",
                            id, static_cast<std::int64_t>(position), route->tenant_id,
                            route->trunks[position]);
    if (!linked) return in_context(what, linked.error());
  }
  auto committed = transaction->commit();
  if (!committed) return in_context(what, committed.error());
  return id;
}

Result<void> SqliteStore::remove_outbound_route(TenantId tenant, std::string_view name) {
  const std::string what = "removing route " + std::string(name);
  std::lock_guard lock(mutex_);
  auto transaction = WriteTransaction::begin(connection_, Durability::kPowerLoss);
  if (!transaction) return in_context(what, transaction.error());
  {
    auto removed = run_bound(
        connection_, "DELETE FROM outbound_routes WHERE tenant_id = ? AND name = ?", tenant, name);
    if (!removed) return in_context(what, removed.error());
    if (connection_.changes() == 0) {
      auto known = find_tenant(tenant);
      if (!known) return known.error();
      return not_found("no route " + std::string(name) + " in tenant " + known->domain);
    }
  }
  auto committed = transaction->commit();
  if (!committed) return in_context(what, committed.error());
  return {};
}

Result<std::vector<OutboundRoute>> SqliteStore::list_outbound_routes(
    std::optional<TenantId> tenant) {
  std::lock_guard lock(mutex_);
  std::vector<OutboundRoute> routes;
  {
    auto query = prepare_bound(
        connection_,
        "SELECT id, tenant_id, name, priority, pattern_kind, pattern, strip_digits, prepend, "
        "caller_id, emergency, created_at, updated_at FROM outbound_routes "
        "WHERE ?1 IS NULL OR tenant_id = ?1 ORDER BY tenant_id, priority, name",
        tenant);
    if (!query) return query.error();
    auto rows = collect_rows(*query, read_route);
    if (!rows) return in_context("listing routes", rows.error());
    routes = std::move(rows).value();
  }
  for (auto& route : routes) {
    auto query = prepare_bound(
        connection_,
        "SELECT trunk_name FROM outbound_route_trunks WHERE route_id = ? ORDER BY position",
        route.id);
    if (!query) return query.error();
    auto trunks = collect_rows(*query, read_text);
    if (!trunks) return in_context("listing routes", trunks.error());
    route.trunks = std::move(trunks).value();
  }
  return routes;
}

}  // namespace parley::store::sqlite
