#include "pbx/outbound_call_planner.hpp"

#include "pbx/call_permission.hpp"

namespace parley::pbx {

Result<OutboundCallPlanner> OutboundCallPlanner::build(const store::TenantCallLimits& limits,
                                                       std::vector<store::OutboundRoute> routes) {
  auto table = OutboundRouteTable::build(std::move(routes));
  if (!table) return table.error();
  OutboundCallPlanner planner;
  planner.number_plan_ = NumberPlan::for_tenant(limits);
  planner.blocked_prefixes_ = limits.blocked_prefixes;
  planner.routes_ = std::move(table).value();
  return planner;
}

Result<OutboundCall> OutboundCallPlanner::plan(std::string_view dialled,
                                               store::CallClassSet caller_classes) const {
  auto number = classify_number(dialled, number_plan_);
  if (!number) return number.error();
  if (auto allowed = check_blocked_prefixes(*number, blocked_prefixes_); !allowed) {
    return allowed.error();
  }
  if (auto allowed = check_call_class(*number, caller_classes, true); !allowed) {
    return allowed.error();
  }
  auto route = routes_.select(number->dialled, number->kind == NumberKind::kEmergency);
  if (!route) return route.error();
  return OutboundCall{std::move(number).value(), std::move(route).value()};
}

}  // namespace parley::pbx
