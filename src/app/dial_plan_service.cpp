#include "app/dial_plan_service.hpp"

#include <algorithm>
#include <chrono>
#include <utility>

namespace parley::app {

bool LiveCallState::is_registered(store::TenantId tenant, std::string_view extension) const {
  return !location_.lookup(tenant, extension).empty();
}

bool LiveCallState::is_busy(store::TenantId tenant, std::string_view extension) const {
  const sip::ExtensionSnapshot state = presence_.snapshot(sip::PresenceHub::key(tenant, extension));
  return std::any_of(state.dialogs.begin(), state.dialogs.end(),
                     [](const auto& dialog) { return dialog.phase == sip::CallPhase::kConfirmed; });
}

Result<void> DialPlanService::reload(store::CallFeatureStore& store) {
  auto loaded = pbx::DialPlanSnapshot::load(store);
  if (!loaded) return loaded.error();
  auto snapshot = std::make_shared<const pbx::DialPlanSnapshot>(std::move(loaded).value());
  std::lock_guard lock(mutex_);
  snapshot_ = std::move(snapshot);
  return {};
}

std::shared_ptr<const pbx::DialPlanSnapshot> DialPlanService::current() const {
  std::lock_guard lock(mutex_);
  return snapshot_;
}

sip::CallPlan DialPlanService::plan(const sip::CallTenant& tenant, std::string_view caller,
                                    std::string_view dialled, const pbx::LiveState& live) const {
  const auto snapshot = current();
  return to_sip_plan(pbx::plan_call(*snapshot, tenant.id, caller, dialled, live));
}

sip::CallPlan to_sip_plan(const pbx::CallPlan& plan) {
  sip::CallPlan out;
  out.stages.reserve(plan.stages.size());
  for (const auto& stage : plan.stages) {
    out.stages.push_back(
        sip::RingStage{stage.extensions, std::chrono::seconds(stage.timeout_seconds)});
  }
  int final_status = 0;
  switch (plan.final.kind) {
    case pbx::FinalKind::kEnd:
      break;
    case pbx::FinalKind::kReject:
      final_status = plan.final.status;
      break;
    case pbx::FinalKind::kVoicemail:
    case pbx::FinalKind::kExternal:
      final_status = 480;  // not reachable yet (voicemail and trunks arrive with issues 7, 11)
      break;
    case pbx::FinalKind::kNotLocal:
      final_status = 404;
      break;
  }
  if (out.stages.empty()) {
    out.reject_status = final_status != 0 ? final_status : 480;
    if (plan.final.kind == pbx::FinalKind::kReject && final_status == 486) {
      out.reject_reason = "Busy Here";
    }
  } else {
    out.exhausted_status = final_status;
  }
  return out;
}

}  // namespace parley::app
