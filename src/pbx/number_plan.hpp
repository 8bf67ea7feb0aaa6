#pragma once
// What a dialled number is (emergency, national, mobile, international, premium, or a short
// internal code) and its E.164 form, by the simple prefix rules of a tenant's number plan.
//
// This is a heuristic, not a numbering database: docs/decisions/0016-trunks-and-toll-fraud.md
// lists the rules and the built-in prefixes, and how a tenant overrides them
// (`parley tenant limits DOMAIN --country 44 --mobile 7 --premium 9,87 --emergency 101`).
// Pure values and functions: no I/O, safe from any thread.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "store/call_limits_store.hpp"

namespace parley::pbx {

// Always emergency numbers, whatever the tenant says (exact match of the dialled digits).
inline constexpr std::string_view kBuiltInEmergencyNumbers[] = {"112", "911", "999",
                                                                "000", "110", "119"};
// Numbers of at most this many digits that are not emergency numbers are short codes
// (extensions, feature and service codes), classified kInternal.
inline constexpr std::size_t kMaxShortCodeDigits = 6;
inline constexpr std::size_t kMaxE164Digits = 15;

// A tenant's number plan with the defaults filled in.
struct NumberPlan {
  std::string country_code;                    // "44"; "" = unknown, no national numbers
  std::string international_prefix;            // "00" ("011" in country 1); "" = none
  std::string national_prefix;                 // "0" ("1" in country 1); "" = none
  std::vector<std::string> emergency_numbers;  // built-in ones plus the tenant's
  std::vector<std::string> mobile_prefixes;    // of the national significant number
  std::vector<std::string> premium_prefixes;   // of the national significant number

  // The plan of a tenant: its own settings, else the built-in ones for its country.
  static NumberPlan for_tenant(const store::TenantCallLimits& limits);
};

enum class NumberKind : std::uint8_t {
  kInternal,       // a short code: extensions, feature codes, '*'/'#' service codes
  kEmergency,      // always allowed, routed first
  kNational,       // in the tenant's country, not mobile or premium
  kMobile,         // in the tenant's country, by mobile prefix
  kInternational,  // another country
  kPremium,        // premium rate at home, or international premium/satellite (+881, +882 ...)
};
std::string_view to_text(NumberKind kind);  // "internal", "emergency", "national", ...

// The permission class an extension needs to call a number of this kind; nullopt for
// emergency numbers (always allowed).
std::optional<store::CallClass> required_call_class(NumberKind kind);

struct ClassifiedNumber {
  std::string dialled;  // visual separators (space - . ( )) removed; otherwise as dialled
  NumberKind kind = NumberKind::kInternal;
  std::string e164;  // "+442071234567"; empty for short codes, emergency numbers and numbers
                     // that need a country the plan does not have
};

// Removes visual separators and checks what is left: an optional leading '+', then digits,
// '*' and '#', 1-store::kMaxDialledDigits of them. Error code 484 (Address Incomplete) with
// the reason otherwise.
Result<std::string> clean_dialled(std::string_view dialled);

// Classifies a dialled number under `plan`. Error code 484 for text that is not a number or an
// international number longer than E.164 allows.
Result<ClassifiedNumber> classify_number(std::string_view dialled, const NumberPlan& plan);

}  // namespace parley::pbx
