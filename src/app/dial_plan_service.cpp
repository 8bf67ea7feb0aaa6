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

Result<void> DialPlanService::reload(store::CallFeatureStore& store,
                                     store::VoicemailStore* voicemail) {
  auto loaded = pbx::DialPlanSnapshot::load(store);
  if (!loaded) return loaded.error();
  auto snapshot = std::make_shared<const pbx::DialPlanSnapshot>(std::move(loaded).value());
  std::shared_ptr<const std::set<std::pair<store::TenantId, std::string>, std::less<>>> off;
  if (voicemail != nullptr) {
    auto boxes = voicemail->list_disabled_voicemail_boxes();
    if (!boxes) return boxes.error();
    auto set = std::make_shared<std::set<std::pair<store::TenantId, std::string>, std::less<>>>();
    for (auto& box : *boxes) set->emplace(box.tenant_id, std::move(box.box));
    off = std::move(set);
  }
  std::lock_guard lock(mutex_);
  snapshot_ = std::move(snapshot);
  voicemail_off_ = std::move(off);
  return {};
}

std::shared_ptr<const pbx::DialPlanSnapshot> DialPlanService::current() const {
  std::lock_guard lock(mutex_);
  return snapshot_;
}

sip::CallPlan DialPlanService::plan(const sip::CallTenant& tenant, std::string_view caller,
                                    std::string_view dialled, const pbx::LiveState& live) const {
  return to_sip(pbx::plan_call(*current(), tenant.id, caller, dialled, live), tenant.id);
}

sip::CallPlan DialPlanService::to_sip(const pbx::CallPlan& plan, store::TenantId tenant) const {
  std::shared_ptr<const std::set<std::pair<store::TenantId, std::string>, std::less<>>> off;
  {
    std::lock_guard lock(mutex_);
    off = voicemail_off_;
  }
  VoicemailEnabled enabled;
  if (off) {
    enabled = [&off, tenant](std::string_view box) {
      return !off->contains(std::pair<store::TenantId, std::string>(tenant, box));
    };
  }
  return to_sip_plan(plan, enabled);
}

sip::CallPlan to_sip_plan(const pbx::CallPlan& plan, const VoicemailEnabled& voicemail_enabled) {
  sip::CallPlan out;
  out.stages.reserve(plan.stages.size());
  for (const auto& stage : plan.stages) {
    out.stages.push_back(
        sip::RingStage{stage.extensions, std::chrono::seconds(stage.timeout_seconds), {}});
  }
  int final_status = 0;
  std::string application;
  switch (plan.final.kind) {
    case pbx::FinalKind::kEnd:
      break;
    case pbx::FinalKind::kReject:
      final_status = plan.final.status;
      break;
    case pbx::FinalKind::kVoicemail:
      final_status = 480;  // also when the voicemail application cannot answer
      if (voicemail_enabled && !plan.final.target.empty() && voicemail_enabled(plan.final.target)) {
        application = "voicemail:" + plan.final.target;
      }
      break;
    case pbx::FinalKind::kExternal:
      final_status = 480;  // not reachable yet (voicemail and trunks arrive with issues 7, 11)
      break;
    case pbx::FinalKind::kNotLocal:
      final_status = 404;
      break;
  }
  if (out.stages.empty() && !application.empty()) {
    out.application = std::move(application);
  } else if (out.stages.empty()) {
    out.reject_status = final_status != 0 ? final_status : 480;
    if (plan.final.kind == pbx::FinalKind::kReject && final_status == 486) {
      out.reject_reason = "Busy Here";
    }
  } else {
    out.exhausted_status = final_status;
    out.exhausted_application = std::move(application);
  }
  return out;
}

}  // namespace parley::app
