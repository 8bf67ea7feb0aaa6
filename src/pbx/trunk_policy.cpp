#include "pbx/trunk_policy.hpp"

#include <map>
#include <set>
#include <utility>

namespace parley::pbx {

namespace {

std::string class_key(store::TenantId tenant, std::string_view extension) {
  return std::to_string(tenant) + ":" + std::string(extension);
}

}  // namespace

TrunkPolicy TrunkPolicy::build(TrunkPolicyInputs inputs) {
  TrunkPolicy policy;
  std::set<store::TenantId> tenants;
  std::map<store::TenantId, store::TenantCallLimits> limits;
  std::map<store::TenantId, std::vector<store::OutboundRoute>> routes;
  std::map<store::TenantId, std::vector<store::Did>> dids;
  for (auto& entry : inputs.limits) {
    tenants.insert(entry.tenant_id);
    limits[entry.tenant_id] = std::move(entry);
  }
  for (auto& route : inputs.routes) {
    tenants.insert(route.tenant_id);
    routes[route.tenant_id].push_back(std::move(route));
  }
  for (auto& did : inputs.dids) {
    tenants.insert(did.tenant_id);
    dids[did.tenant_id].push_back(std::move(did));
  }
  for (const store::TenantId tenant : tenants) {
    TenantPolicy entry;
    entry.limits = limits.count(tenant) != 0 ? limits[tenant] : store::TenantCallLimits{};
    entry.limits.tenant_id = tenant;
    auto planner = OutboundCallPlanner::build(entry.limits, std::move(routes[tenant]));
    if (planner) {
      entry.planner = std::move(planner).value();
    } else {
      policy.problems_.push_back("tenant " + std::to_string(tenant) +
                                 ": outbound routes ignored: " + planner.error().message);
      auto without_routes = OutboundCallPlanner::build(entry.limits, {});
      if (without_routes) entry.planner = std::move(without_routes).value();
    }
    entry.dids = DidTable::build(std::move(dids[tenant]), entry.planner.number_plan());
    policy.tenants_.emplace(tenant, std::move(entry));
  }
  for (const auto& entry : inputs.call_classes) {
    policy.classes_[class_key(entry.tenant_id, entry.number)] = entry.classes;
  }
  policy.trunks_ = std::move(inputs.trunks);
  return policy;
}

const TrunkPolicy::TenantPolicy* TrunkPolicy::tenant_policy(store::TenantId tenant) const {
  auto found = tenants_.find(tenant);
  return found == tenants_.end() ? &defaults_ : &found->second;
}

Result<OutboundCall> TrunkPolicy::plan_outbound(store::TenantId tenant, std::string_view extension,
                                                std::string_view dialled) const {
  return tenant_policy(tenant)->planner.plan(dialled, call_classes(tenant, extension));
}

std::vector<const store::Trunk*> TrunkPolicy::usable_trunks(
    store::TenantId tenant, const RouteChoice& route,
    const std::function<bool(const store::Trunk&)>& is_up) const {
  std::vector<const store::Trunk*> usable;
  for (const auto& name : route.trunks) {
    const store::Trunk* trunk = find_trunk(tenant, name);
    if (trunk == nullptr || !trunk->enabled) continue;
    if (is_up && !is_up(*trunk)) continue;
    usable.push_back(trunk);
  }
  return usable;
}

Result<DidMatch> TrunkPolicy::lookup_did(store::TenantId tenant, std::string_view trunk,
                                         std::string_view called) const {
  return tenant_policy(tenant)->dids.lookup(trunk, called);
}

std::vector<const store::Trunk*> TrunkPolicy::trunks_at(std::string_view ip) const {
  std::vector<const store::Trunk*> found;
  for (const auto& trunk : trunks_) {
    if (trunk.enabled && trunk.host == ip) found.push_back(&trunk);
  }
  return found;
}

const store::Trunk* TrunkPolicy::find_trunk(store::TenantId tenant, std::string_view name) const {
  for (const auto& trunk : trunks_) {
    if (trunk.tenant_id == tenant && trunk.name == name) return &trunk;
  }
  return nullptr;
}

ExternalCallLimits TrunkPolicy::meter_limits(store::TenantId tenant) const {
  return ExternalCallLimits::from(tenant_policy(tenant)->limits);
}

store::CallClassSet TrunkPolicy::call_classes(store::TenantId tenant,
                                              std::string_view extension) const {
  auto found = classes_.find(class_key(tenant, extension));
  return found == classes_.end() ? store::CallClassSet::defaults() : found->second;
}

}  // namespace parley::pbx
