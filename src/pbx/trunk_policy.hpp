#pragma once
// Everything the call path needs about trunks for every tenant, in one immutable snapshot:
// outbound planning per tenant and extension, DID lookup per tenant and trunk, the meter limits
// of each tenant, and the trunks themselves. Build it off the event loops from one read of the
// store (TrunkStore::list_trunks, RoutingStore::list_dids and list_outbound_routes,
// CallLimitsStore::list_tenant_call_limits and list_call_classes, all with nullopt = every
// tenant), share it as std::shared_ptr<const TrunkPolicy>, and rebuild it when
// Store::change_counter() moves.
//
// build() never fails: a tenant whose routes cannot be compiled (a hand-edited database) gets no
// routes, and the reason is listed in problems() for the log.
//
// Immutable once built: every method is const and safe from any thread at once.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/result.hpp"
#include "pbx/did_table.hpp"
#include "pbx/external_call_meter.hpp"
#include "pbx/outbound_call_planner.hpp"
#include "store/call_limits_store.hpp"
#include "store/routing_store.hpp"
#include "store/trunk_store.hpp"

namespace parley::pbx {

struct TrunkPolicyInputs {
  std::vector<store::Trunk> trunks;
  std::vector<store::Did> dids;
  std::vector<store::OutboundRoute> routes;
  std::vector<store::TenantCallLimits> limits;  // tenants without an entry get the defaults
  std::vector<store::ExtensionCallClasses> call_classes;  // missing extensions: the defaults
};

class TrunkPolicy {
 public:
  static TrunkPolicy build(TrunkPolicyInputs inputs);

  // The outbound decision for `extension` of `tenant` dialling `dialled` (see
  // OutboundCallPlanner::plan: 484, 403 or 404 on refusal).
  Result<OutboundCall> plan_outbound(store::TenantId tenant, std::string_view extension,
                                     std::string_view dialled) const;

  // The trunks of a plan that may carry a call now, in failover order: known, enabled and, when
  // `is_up` is given, reported up by it (the registration/keep-alive state lives in sip/).
  std::vector<const store::Trunk*> usable_trunks(
      store::TenantId tenant, const RouteChoice& route,
      const std::function<bool(const store::Trunk&)>& is_up = {}) const;

  // The destination of an inbound call to `called` that arrived on `trunk` of `tenant` (404
  // when unknown; see DidTable).
  Result<DidMatch> lookup_did(store::TenantId tenant, std::string_view trunk,
                              std::string_view called) const;

  // Trunks whose host is exactly this IP literal (IP-authenticated peering: a request from any
  // other address that claims to come from a trunk is refused). Host names need resolving first,
  // which is I/O and not done here.
  std::vector<const store::Trunk*> trunks_at(std::string_view ip) const;

  const store::Trunk* find_trunk(store::TenantId tenant, std::string_view name) const;
  ExternalCallLimits meter_limits(store::TenantId tenant) const;
  store::CallClassSet call_classes(store::TenantId tenant, std::string_view extension) const;
  const std::vector<store::Trunk>& trunks() const { return trunks_; }
  const std::vector<std::string>& problems() const { return problems_; }

 private:
  struct TenantPolicy {
    store::TenantCallLimits limits;
    OutboundCallPlanner planner;
    DidTable dids;
  };
  const TenantPolicy* tenant_policy(store::TenantId tenant) const;

  std::vector<store::Trunk> trunks_;
  std::unordered_map<store::TenantId, TenantPolicy> tenants_;
  std::unordered_map<std::string, store::CallClassSet> classes_;  // "tenant:number"
  TenantPolicy defaults_;  // for tenants without trunks, routes or limits
  std::vector<std::string> problems_;
};

}  // namespace parley::pbx
