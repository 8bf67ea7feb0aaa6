#pragma once
// The static half of the toll-fraud guard: may this extension call this number at all?
// (The counting half, limits on concurrent calls and hourly budgets, is
// external_call_meter.hpp.)
//
// Refusals are Errors with code 403 and a one-line reason for the log and the alert
// ("number +8821234567 matches blocked prefix 882"). Emergency numbers are never refused.
// Pure functions: no I/O, safe from any thread.

#include <string>
#include <vector>

#include "base/result.hpp"
#include "pbx/number_plan.hpp"
#include "store/call_limits_store.hpp"

namespace parley::pbx {

inline constexpr int kForbidden = 403;

// Refuses a number that starts with one of `blocked_prefixes` (E.164 digits without '+',
// compared with the number's E.164 form, or with the dialled digits when it has none).
Result<void> check_blocked_prefixes(const ClassifiedNumber& number,
                                    const std::vector<std::string>& blocked_prefixes);

// Refuses a number whose class is not among `caller_classes`. `leaves_by_trunk`: the call goes
// to a provider, so a short code needs the national class rather than internal (a short code
// that leaves the building costs money).
Result<void> check_call_class(const ClassifiedNumber& number, store::CallClassSet caller_classes,
                              bool leaves_by_trunk);

}  // namespace parley::pbx
