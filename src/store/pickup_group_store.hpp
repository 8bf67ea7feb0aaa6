#pragma once
// PickupGroupStore: the call pickup groups of each tenant (issue 6, decision 0031). A member
// extension that dials *8 answers the call that has rung longest at any other member of any
// group it belongs to.
//
// Rules every backend keeps:
// - A group's name is 1-32 characters of a-z, 0-9, '-' and '_', unique within its tenant; it
//   is a name, not a number, so it takes nothing from the tenant's number space.
// - Members are existing extensions of the tenant, each once (at most 200); an extension may
//   be in several groups. Removing an extension removes it from its groups.
// - Every change moves Store::change_counter(): a running server reloads the groups within a
//   second.
//
// A separate interface from Store so that SIP code and its test fakes do not grow; SqliteStore
// implements it (sqlite/sqlite_pickup_group_store.cpp, the pickup-groups schema migration).
// Thread-safety and blocking: as Store (every call may block on disk).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "store/store.hpp"

namespace parley::store {

inline constexpr std::size_t kMaxPickupGroupMembers = 200;

struct PickupGroup {
  TenantId tenant_id = 0;
  std::string name;
  std::vector<std::string> members;  // extension numbers, ascending
};

// kInvalidInput unless `name` follows the rule above.
Result<void> check_pickup_group_name(std::string_view name);

class PickupGroupStore {
 public:
  virtual ~PickupGroupStore() = default;
  // kConflict when the tenant has a group of that name, kNotFound for an unknown tenant.
  virtual Result<void> add_pickup_group(TenantId tenant, std::string_view name) = 0;
  // Replaces the members; kNotFound for an unknown group or an extension the tenant lacks.
  virtual Result<void> set_pickup_group_members(TenantId tenant, std::string_view name,
                                                const std::vector<std::string>& members) = 0;
  // Every group (of one tenant, or of all), by tenant and name.
  virtual Result<std::vector<PickupGroup>> list_pickup_groups(std::optional<TenantId> tenant) = 0;
  virtual Result<void> remove_pickup_group(TenantId tenant, std::string_view name) = 0;
};

}  // namespace parley::store
