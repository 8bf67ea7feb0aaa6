#pragma once
// The outbound decision for one tenant, values in, decision out: given the dialled number and
// the calling extension's classes, which route and trunks carry the call and with which digits,
// or why not (an Error whose code is the SIP status to answer with and whose message is the
// reason for the log).
//
//   classify the number (484 when it is not one)
//   -> blocked prefixes and the caller's classes (403; never for emergency numbers)
//   -> the first matching route (404 when none; emergency routes first for emergency numbers)
//
// The limits that count calls over time are not here: once a plan is made, ask the tenant's
// ExternalCallMeter (external_call_meter.hpp) for a lease before sending the INVITE.
//
// Built from the store's values (TenantCallLimits, the tenant's OutboundRoutes); immutable, so
// plan() is safe from any thread at once. Rebuild when the change counter moves.

#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "pbx/number_plan.hpp"
#include "pbx/outbound_route_table.hpp"
#include "store/call_limits_store.hpp"
#include "store/routing_store.hpp"

namespace parley::pbx {

struct OutboundCall {
  ClassifiedNumber number;
  RouteChoice route;
  bool emergency() const { return number.kind == NumberKind::kEmergency; }
};

class OutboundCallPlanner {
 public:
  OutboundCallPlanner() = default;  // no routes, no limits: every plan() fails with 404

  // Error code 500 when a route's pattern does not compile (see OutboundRouteTable::build).
  static Result<OutboundCallPlanner> build(const store::TenantCallLimits& limits,
                                           std::vector<store::OutboundRoute> routes);

  Result<OutboundCall> plan(std::string_view dialled, store::CallClassSet caller_classes) const;

  const NumberPlan& number_plan() const { return number_plan_; }
  const OutboundRouteTable& routes() const { return routes_; }

 private:
  NumberPlan number_plan_;
  std::vector<std::string> blocked_prefixes_;
  OutboundRouteTable routes_;
};

}  // namespace parley::pbx
