// The PickupGroupStore half of SqliteStore: call pickup groups (decision 0031). Same locking and
// transaction rules as sqlite_store.cpp; the schema's CHECK and foreign keys repeat the rules
// for writers that skip this code.

#include <algorithm>
#include <set>
#include <string>

#include "store/pickup_group_store.hpp"
#include "store/sqlite/rows.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/validation.hpp"

namespace parley::store {

Result<void> check_pickup_group_name(std::string_view name) {
  const bool fits =
      !name.empty() && name.size() <= 32 && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
      });
  if (fits) return {};
  return make_store_error(StoreError::kInvalidInput,
                          "a pickup group name is 1-32 characters of a-z, 0-9, '-' and '_'");
}

}  // namespace parley::store

namespace parley::store::sqlite {
namespace {

std::string group_missing(TenantId tenant, std::string_view name) {
  return "no pickup group '" + std::string(name) + "' in tenant " + std::to_string(tenant);
}

Result<std::int64_t> find_group(Connection& connection, TenantId tenant, std::string_view name) {
  auto query = connection.prepare("SELECT id FROM pickup_groups WHERE tenant_id = ? AND name = ?");
  if (!query) return query.error();
  query->bind(1, tenant).bind(2, name);
  auto row = query->step();
  if (!row) return row.error();
  if (!*row) return not_found(group_missing(tenant, name));
  return query->column_int(0);
}

}  // namespace

Result<void> SqliteStore::add_pickup_group(TenantId tenant, std::string_view name) {
  if (auto valid = check_pickup_group_name(name); !valid) return valid.error();
  const std::string what = "adding pickup group " + std::string(name);
  std::lock_guard lock(mutex_);
  auto transaction = WriteTransaction::begin(connection_, Durability::kPowerLoss);
  if (!transaction) return in_context(what, transaction.error());
  if (auto found = find_tenant(tenant); !found) return found.error();
  if (find_group(connection_, tenant, name)) {
    return conflict("tenant " + std::to_string(tenant) + " already has a pickup group '" +
                    std::string(name) + "'");
  }
  auto insert = connection_.prepare("INSERT INTO pickup_groups (tenant_id, name) VALUES (?, ?)");
  if (!insert) return in_context(what, insert.error());
  insert->bind(1, tenant).bind(2, name);
  if (auto ran = insert->run(); !ran) return in_context(what, ran.error());
  auto committed = transaction->commit();
  if (!committed) return in_context(what, committed.error());
  return {};
}

Result<void> SqliteStore::set_pickup_group_members(TenantId tenant, std::string_view name,
                                                   const std::vector<std::string>& members) {
  if (auto valid = check_pickup_group_name(name); !valid) return valid.error();
  if (members.size() > kMaxPickupGroupMembers) {
    return invalid("a pickup group has at most " + std::to_string(kMaxPickupGroupMembers) +
                   " members");
  }
  std::set<std::string_view> seen;
  for (const auto& member : members) {
    if (auto valid = check_extension_number(member); !valid) return valid.error();
    if (!seen.insert(member).second) return invalid("member " + member + " is listed twice");
  }
  const std::string what = "setting the members of pickup group " + std::string(name);
  std::lock_guard lock(mutex_);
  auto transaction = WriteTransaction::begin(connection_, Durability::kPowerLoss);
  if (!transaction) return in_context(what, transaction.error());
  auto group = find_group(connection_, tenant, name);
  if (!group) return group.error();
  for (const auto& member : members) {
    auto query = connection_.prepare("SELECT 1 FROM extensions WHERE tenant_id = ? AND number = ?");
    if (!query) return in_context(what, query.error());
    query->bind(1, tenant).bind(2, member);
    auto row = query->step();
    if (!row) return in_context(what, row.error());
    if (!*row) return not_found("member " + member + " is not an extension of this tenant");
  }
  {
    auto remove = connection_.prepare("DELETE FROM pickup_group_members WHERE group_id = ?");
    if (!remove) return in_context(what, remove.error());
    remove->bind(1, *group);
    if (auto ran = remove->run(); !ran) return in_context(what, ran.error());
  }
  for (const auto& member : members) {
    auto insert = connection_.prepare(
        "INSERT INTO pickup_group_members (group_id, tenant_id, extension) VALUES (?, ?, ?)");
    if (!insert) return in_context(what, insert.error());
    insert->bind(1, *group).bind(2, tenant).bind(3, member);
    if (auto ran = insert->run(); !ran) return in_context(what, ran.error());
  }
  auto committed = transaction->commit();
  if (!committed) return in_context(what, committed.error());
  return {};
}

Result<std::vector<PickupGroup>> SqliteStore::list_pickup_groups(std::optional<TenantId> tenant) {
  const std::string what = "listing pickup groups";
  std::lock_guard lock(mutex_);
  auto query = connection_.prepare(
      "SELECT g.tenant_id, g.name, m.extension FROM pickup_groups g "
      "LEFT JOIN pickup_group_members m ON m.group_id = g.id "
      "WHERE ?1 IS NULL OR g.tenant_id = ?1 ORDER BY g.tenant_id, g.name, m.extension");
  if (!query) return in_context(what, query.error());
  if (tenant) {
    query->bind(1, *tenant);
  } else {
    query->bind_null(1);
  }
  std::vector<PickupGroup> groups;
  while (true) {
    auto row = query->step();
    if (!row) return in_context(what, row.error());
    if (!*row) break;
    const TenantId owner = query->column_int(0);
    std::string name = query->column_text(1);
    if (groups.empty() || groups.back().tenant_id != owner || groups.back().name != name) {
      groups.push_back(PickupGroup{owner, std::move(name), {}});
    }
    if (!query->column_is_null(2)) groups.back().members.push_back(query->column_text(2));
  }
  return groups;
}

Result<void> SqliteStore::remove_pickup_group(TenantId tenant, std::string_view name) {
  if (auto valid = check_pickup_group_name(name); !valid) return valid.error();
  const std::string what = "removing pickup group " + std::string(name);
  std::lock_guard lock(mutex_);
  auto transaction = WriteTransaction::begin(connection_, Durability::kPowerLoss);
  if (!transaction) return in_context(what, transaction.error());
  {
    auto remove = connection_.prepare("DELETE FROM pickup_groups WHERE tenant_id = ? AND name = ?");
    if (!remove) return in_context(what, remove.error());
    remove->bind(1, tenant).bind(2, name);
    if (auto ran = remove->run(); !ran) return in_context(what, ran.error());
    if (connection_.changes() == 0) return not_found(group_missing(tenant, name));
  }
  auto committed = transaction->commit();
  if (!committed) return in_context(what, committed.error());
  return {};
}

}  // namespace parley::store::sqlite
