#include "pbx/feature_code.hpp"

#include <algorithm>
#include <array>

#include "pbx/dial_plan.hpp"

namespace parley::pbx {

namespace {

struct CodeEntry {
  std::string_view code;
  FeatureAction action;
  store::ForwardCondition condition;
};

using store::ForwardCondition;

// Every code is "*" and two digits, so no code is a prefix of another.
constexpr std::array kCodes = {
    CodeEntry{"*76", FeatureAction::kDndToggle, ForwardCondition::kAlways},
    CodeEntry{"*78", FeatureAction::kDndOn, ForwardCondition::kAlways},
    CodeEntry{"*79", FeatureAction::kDndOff, ForwardCondition::kAlways},
    CodeEntry{"*72", FeatureAction::kForwardSet, ForwardCondition::kAlways},
    CodeEntry{"*73", FeatureAction::kForwardClear, ForwardCondition::kAlways},
    CodeEntry{"*90", FeatureAction::kForwardSet, ForwardCondition::kBusy},
    CodeEntry{"*91", FeatureAction::kForwardClear, ForwardCondition::kBusy},
    CodeEntry{"*52", FeatureAction::kForwardSet, ForwardCondition::kNoAnswer},
    CodeEntry{"*53", FeatureAction::kForwardClear, ForwardCondition::kNoAnswer},
};

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool is_forward_number(std::string_view number) {
  const std::string_view digits = number.starts_with('+') ? number.substr(1) : number;
  return digits.size() >= 2 && digits.size() <= store::kMaxExternalNumberDigits &&
         std::all_of(digits.begin(), digits.end(), is_digit);
}

// Extension numbers are digits; the longest the store accepts is far below this.
constexpr std::size_t kMaxPickupExtensionLength = 32;

bool is_extension_number(std::string_view number) {
  return !number.empty() && number.size() <= kMaxPickupExtensionLength &&
         std::all_of(number.begin(), number.end(), is_digit);
}

}  // namespace

std::optional<FeatureCode> parse_feature_code(std::string_view dialled) {
  if (!dialled.starts_with('*')) return std::nullopt;
  if (dialled.size() > 1 && dialled.ends_with('#')) dialled.remove_suffix(1);
  // Pickup codes differ in shape from the "*" and two digits ones: "*8" alone, "**" and digits.
  if (dialled == "*8")
    return FeatureCode{FeatureAction::kPickupGroup, ForwardCondition::kAlways, {}};
  if (dialled.starts_with("**")) {
    const std::string_view extension = dialled.substr(2);
    if (!is_extension_number(extension)) {
      return FeatureCode{FeatureAction::kInvalid, ForwardCondition::kAlways, {}};
    }
    return FeatureCode{FeatureAction::kPickupDirected, ForwardCondition::kAlways,
                       std::string(extension)};
  }
  for (const auto& entry : kCodes) {
    if (!dialled.starts_with(entry.code)) continue;
    const std::string_view rest = dialled.substr(entry.code.size());
    FeatureCode code{entry.action, entry.condition, {}};
    if (entry.action == FeatureAction::kForwardSet) {
      if (!is_forward_number(rest))
        return FeatureCode{FeatureAction::kInvalid, entry.condition, {}};
      code.number = std::string(rest);
    } else if (!rest.empty()) {
      return FeatureCode{FeatureAction::kUnknown, ForwardCondition::kAlways, {}};
    }
    return code;
  }
  return FeatureCode{FeatureAction::kUnknown, ForwardCondition::kAlways, {}};
}

store::Destination forward_destination(const DialPlanSnapshot& plan, store::TenantId tenant,
                                       std::string_view number) {
  if (plan.find_extension(tenant, number) != nullptr) {
    return {store::DestinationKind::kExtension, std::string(number)};
  }
  if (plan.find_ring_group(tenant, number) != nullptr) {
    return {store::DestinationKind::kRingGroup, std::string(number)};
  }
  return {store::DestinationKind::kExternal, std::string(number)};
}

}  // namespace parley::pbx
