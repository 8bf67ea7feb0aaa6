#include "pbx/dial_plan.hpp"

#include <algorithm>
#include <optional>
#include <utility>

namespace parley::pbx {

DialPlanSnapshot::DialPlanSnapshot(store::CallFeatureSnapshot rows) {
  for (auto& extension : rows.extensions) {
    auto& tenant = tenants_[extension.tenant_id];
    std::string number = extension.number;
    tenant.extensions.insert_or_assign(std::move(number), std::move(extension));
  }
  for (auto& group : rows.ring_groups) {
    auto& tenant = tenants_[group.tenant_id];
    std::string number = group.number;
    tenant.ring_groups.insert_or_assign(std::move(number), std::move(group));
  }
}

Result<DialPlanSnapshot> DialPlanSnapshot::load(store::CallFeatureStore& store) {
  auto rows = store.call_feature_snapshot();
  if (!rows) return rows.error();
  return DialPlanSnapshot(std::move(rows).value());
}

const store::ExtensionCallFeatures* DialPlanSnapshot::find_extension(
    store::TenantId tenant, std::string_view number) const {
  const auto owner = tenants_.find(tenant);
  if (owner == tenants_.end()) return nullptr;
  const auto found = owner->second.extensions.find(number);
  return found == owner->second.extensions.end() ? nullptr : &found->second;
}

const store::RingGroup* DialPlanSnapshot::find_ring_group(store::TenantId tenant,
                                                          std::string_view number) const {
  const auto owner = tenants_.find(tenant);
  if (owner == tenants_.end()) return nullptr;
  const auto found = owner->second.ring_groups.find(number);
  return found == owner->second.ring_groups.end() ? nullptr : &found->second;
}

namespace {

using store::DestinationKind;
using store::ForwardCondition;

// Builds one CallPlan by walking the chain of numbers a call reaches. The chain is linear: each
// step either ends the plan (sets the final action) or adds ring stages and moves on to exactly
// one next destination, so plain recursion bounded by kMaxForwardHops suffices.
class Planner {
 public:
  Planner(const DialPlanSnapshot& plan, store::TenantId tenant, std::string_view caller,
          const LiveState& live)
      : plan_(plan), tenant_(tenant), caller_(caller), live_(live) {}

  // The extension `stage` rings for itself when it has a usable busy forward, else null.
  const store::ExtensionCallFeatures* busy_forwarding(const RingStage& stage) const {
    if (stage.extensions.size() != 1 || stage.extensions.front() != stage.reached) return nullptr;
    const auto* extension = plan_.find_extension(tenant_, stage.reached);
    if (extension == nullptr || !usable_forward(*extension, ForwardCondition::kBusy)) {
      return nullptr;
    }
    return extension;
  }

  // Walks on from `stage`'s extension as if it had been reached along the stage's chain: the
  // numbers the chain passed are visited, and its length counts toward the hop limit.
  std::optional<CallPlan> run_when_busy(const RingStage& stage) {
    const auto* extension = busy_forwarding(stage);
    if (extension == nullptr) return std::nullopt;
    for (const auto& hop : stage.diversions) visited_.push_back(hop.from);
    reach_extension(*extension, static_cast<int>(stage.diversions.size()), stage.diversions);
    return std::move(result_);
  }

  CallPlan run(std::string_view dialled) {
    if (const auto* extension = plan_.find_extension(tenant_, dialled)) {
      reach_extension(*extension, 0, {});
    } else if (const auto* group = plan_.find_ring_group(tenant_, dialled)) {
      reach_group(*group, 0, {});
    } else {
      result_.final.kind = FinalKind::kNotLocal;
      result_.final.target = std::string(dialled);
      result_.final.reason = std::string(dialled) + " is not a number of this tenant";
    }
    return std::move(result_);
  }

 private:
  // The rule for `condition` if it can be followed now: it exists, its target still exists, and
  // it does not lead back to the caller.
  std::optional<store::CallForward> usable_forward(const store::ExtensionCallFeatures& extension,
                                                   ForwardCondition condition) const {
    for (const auto& forward : extension.forwards) {
      if (forward.condition == condition && usable(forward.destination)) return forward;
    }
    return std::nullopt;
  }

  bool usable(const store::Destination& destination) const {
    switch (destination.kind) {
      case DestinationKind::kExtension:
        return destination.target != caller_ &&
               plan_.find_extension(tenant_, destination.target) != nullptr;
      case DestinationKind::kRingGroup:
        return plan_.find_ring_group(tenant_, destination.target) != nullptr;
      case DestinationKind::kVoicemail:
        return plan_.find_extension(tenant_, destination.target) != nullptr;
      case DestinationKind::kExternal:
        return !destination.target.empty();
      case DestinationKind::kHangUp:
        return true;
    }
    return false;
  }

  bool can_ring(const store::ExtensionCallFeatures& member) const {
    return member.number != caller_ && !member.dnd && live_.is_registered(tenant_, member.number) &&
           !live_.is_busy(tenant_, member.number);
  }

  void reject(int status, std::string reason, std::vector<Diversion> chain) {
    result_.final.kind = FinalKind::kReject;
    result_.final.status = status;
    result_.final.reason = std::move(reason);
    result_.final.diversions = std::move(chain);
  }

  // Returns false (after setting a 482 final action) when `number` was reached before.
  bool enter(const std::string& number, const std::vector<Diversion>& chain) {
    if (std::find(visited_.begin(), visited_.end(), number) != visited_.end()) {
      reject(482, "forwarding loop: " + number + " was reached twice", chain);
      return false;
    }
    visited_.push_back(number);
    return true;
  }

  void reach_extension(const store::ExtensionCallFeatures& extension, int hops,
                       std::vector<Diversion> chain) {
    if (!enter(extension.number, chain)) return;
    if (auto always = usable_forward(extension, ForwardCondition::kAlways)) {
      return follow(always->destination, extension.number, "unconditional", hops, std::move(chain));
    }
    const auto busy_forward = usable_forward(extension, ForwardCondition::kBusy);
    if (extension.dnd) {
      if (busy_forward) {
        return follow(busy_forward->destination, extension.number, "do-not-disturb", hops,
                      std::move(chain));
      }
      return reject(486, extension.number + " is on do-not-disturb", std::move(chain));
    }
    const auto no_answer = usable_forward(extension, ForwardCondition::kNoAnswer);
    if (!live_.is_registered(tenant_, extension.number)) {
      auto unregistered = usable_forward(extension, ForwardCondition::kUnregistered);
      if (!unregistered) unregistered = no_answer;
      if (unregistered) {
        return follow(unregistered->destination, extension.number, "unavailable", hops,
                      std::move(chain));
      }
      return reject(480, extension.number + " is not registered", std::move(chain));
    }
    if (busy_forward && live_.is_busy(tenant_, extension.number)) {
      return follow(busy_forward->destination, extension.number, "user-busy", hops,
                    std::move(chain));
    }
    RingStage stage;
    stage.extensions.push_back(extension.number);
    stage.timeout_seconds = no_answer ? no_answer->no_answer_seconds : 0;
    stage.reached = extension.number;
    stage.diversions = chain;
    result_.stages.push_back(std::move(stage));
    if (no_answer) {
      return follow(no_answer->destination, extension.number, "no-answer", hops, std::move(chain));
    }
    result_.final.kind = FinalKind::kEnd;
    result_.final.diversions = std::move(chain);
  }

  void reach_group(const store::RingGroup& group, int hops, std::vector<Diversion> chain) {
    if (!enter(group.number, chain)) return;
    std::vector<std::string> available;
    for (const auto& number : group.members) {
      const auto* member = plan_.find_extension(tenant_, number);
      if (member != nullptr && can_ring(*member)) available.push_back(number);
    }
    if (group.strategy == store::RingStrategy::kRingAll) {
      if (!available.empty()) {
        result_.stages.push_back(
            {std::move(available), group.member_timeout_seconds, group.number, chain});
      }
    } else {
      for (auto& member : available) {
        result_.stages.push_back(
            {{std::move(member)}, group.member_timeout_seconds, group.number, chain});
      }
    }
    const auto& final_destination = group.final_destination;
    if (final_destination.kind == DestinationKind::kHangUp || !usable(final_destination)) {
      return reject(480, "nobody in ring group " + group.number + " answered", std::move(chain));
    }
    follow(final_destination, group.number, "no-answer", hops, std::move(chain));
  }

  void follow(const store::Destination& destination, const std::string& from,
              std::string_view reason, int hops, std::vector<Diversion> chain) {
    chain.push_back({from, std::string(reason)});
    if (hops + 1 > kMaxForwardHops) {
      return reject(
          482,
          "more than " + std::to_string(kMaxForwardHops) + " forwards from " + chain.front().from,
          std::move(chain));
    }
    switch (destination.kind) {
      case DestinationKind::kExtension:
        if (const auto* extension = plan_.find_extension(tenant_, destination.target)) {
          return reach_extension(*extension, hops + 1, std::move(chain));
        }
        break;
      case DestinationKind::kRingGroup:
        if (const auto* group = plan_.find_ring_group(tenant_, destination.target)) {
          return reach_group(*group, hops + 1, std::move(chain));
        }
        break;
      case DestinationKind::kVoicemail:
        result_.final = {FinalKind::kVoicemail, 0, destination.target,
                         "to the voicemail of " + destination.target, std::move(chain)};
        return;
      case DestinationKind::kExternal:
        result_.final = {FinalKind::kExternal, 0, destination.target,
                         "forwarded to " + destination.target, std::move(chain)};
        return;
      case DestinationKind::kHangUp:
        break;
    }
    // Only usable() destinations get here, so this is a hang-up.
    reject(480, "the call was ended by " + from + "'s settings", std::move(chain));
  }

  const DialPlanSnapshot& plan_;
  const store::TenantId tenant_;
  const std::string_view caller_;
  const LiveState& live_;
  std::vector<std::string> visited_;  // numbers entered on the chain, at most kMaxForwardHops+1
  CallPlan result_;
};

// The live state with one more extension registered and busy: its phones just answered busy.
class AnsweredBusy final : public LiveState {
 public:
  AnsweredBusy(const LiveState& live, std::string_view extension)
      : live_(live), extension_(extension) {}
  bool is_registered(store::TenantId tenant, std::string_view extension) const override {
    return extension == extension_ || live_.is_registered(tenant, extension);
  }
  bool is_busy(store::TenantId tenant, std::string_view extension) const override {
    return extension == extension_ || live_.is_busy(tenant, extension);
  }

 private:
  const LiveState& live_;
  std::string_view extension_;
};

}  // namespace

std::optional<CallPlan> plan_when_busy(const DialPlanSnapshot& plan, store::TenantId tenant,
                                       std::string_view caller, const RingStage& stage,
                                       const LiveState& live) {
  const AnsweredBusy busy(live, stage.reached);
  return Planner(plan, tenant, caller, busy).run_when_busy(stage);
}

bool forwards_when_busy(const DialPlanSnapshot& plan, store::TenantId tenant,
                        std::string_view caller, const RingStage& stage) {
  const FixedLiveState nobody;
  return Planner(plan, tenant, caller, nobody).busy_forwarding(stage) != nullptr;
}

CallPlan plan_call(const DialPlanSnapshot& plan, store::TenantId tenant, std::string_view caller,
                   std::string_view dialled, const LiveState& live) {
  return Planner(plan, tenant, caller, live).run(dialled);
}

}  // namespace parley::pbx
