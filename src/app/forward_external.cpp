#include "app/forward_external.hpp"

#include <spdlog/spdlog.h>

#include <string>
#include <utility>

namespace parley::app {

sip::CallPlan forward_to_external(sip::CallPlan base, const pbx::CallPlan& local,
                                  TrunkCalls& trunks, const sip::CallTenant& tenant,
                                  std::string_view caller) {
  const std::string& number = local.final.target;
  const std::string forwarder =
      local.final.diversions.empty() ? std::string(caller) : local.final.diversions.back().from;
  sip::CallPlan outbound = trunks.plan_outbound(tenant, forwarder, number);
  const bool conditional = !base.stages.empty();
  if (outbound.reject_status != 0 || outbound.stages.empty()) {
    const int status = outbound.reject_status != 0 ? outbound.reject_status : 480;
    spdlog::warn(
        "forwarding refused ({}): tenant {} extension {} forwards {}'s call to {}: not allowed "
        "for {} (its call classes and the tenant's routes decide)",
        status, tenant.domain, forwarder, caller, number, forwarder);
    if (conditional) {
      base.exhausted_status = status;
      base.exhausted_application.clear();
    } else {
      base.reject_status = status;
      base.reject_reason =
          outbound.reject_reason.empty() ? "Forwarding Not Allowed" : outbound.reject_reason;
    }
    return base;
  }
  spdlog::info("forwarding: tenant {} extension {} forwards {}'s call to {} through a trunk",
               tenant.domain, forwarder, caller, number);
  for (sip::RingStage& stage : outbound.stages) {
    for (sip::ExternalTarget& target : stage.externals) target.from_display = std::string(caller);
    base.stages.push_back(std::move(stage));
  }
  base.reject_status = 0;
  base.reject_reason.clear();
  base.exhausted_status = outbound.exhausted_status;
  base.exhausted_application.clear();
  base.keep_alive = std::move(outbound.keep_alive);
  return base;
}

}  // namespace parley::app
