#include "pbx/call_permission.hpp"

namespace parley::pbx {

Result<void> check_blocked_prefixes(const ClassifiedNumber& number,
                                    const std::vector<std::string>& blocked_prefixes) {
  if (number.kind == NumberKind::kEmergency) return {};
  std::string_view digits = number.e164.empty() ? number.dialled : number.e164;
  if (digits.starts_with('+')) digits.remove_prefix(1);
  for (const auto& prefix : blocked_prefixes) {
    if (!prefix.empty() && digits.starts_with(prefix)) {
      return make_error(kForbidden, "number " +
                                        (number.e164.empty() ? number.dialled : number.e164) +
                                        " matches blocked prefix " + prefix);
    }
  }
  return {};
}

Result<void> check_call_class(const ClassifiedNumber& number, store::CallClassSet caller_classes,
                              bool leaves_by_trunk) {
  auto required = required_call_class(number.kind);
  if (!required) return {};
  if (leaves_by_trunk && *required == store::CallClass::kInternal) {
    required = store::CallClass::kNational;
  }
  if (caller_classes.contains(*required)) return {};
  return make_error(kForbidden, "caller may not call " + std::string(store::to_text(*required)) +
                                    " numbers (" + number.dialled + " is " +
                                    std::string(to_text(number.kind)) + "); its classes are " +
                                    caller_classes.to_text());
}

}  // namespace parley::pbx
