#include "pbx/number_plan.hpp"

#include <algorithm>
#include <array>

#include "store/routing_store.hpp"

namespace parley::pbx {

namespace {

constexpr int kAddressIncomplete = 484;

// International premium and satellite ranges: the classic toll-fraud destinations (ITU-T E.164
// shared codes: 881 GMSS, 882/883 international networks, 870 Inmarsat, 979 international
// premium rate). E.164 digits without '+'.
constexpr std::array<std::string_view, 5> kInternationalPremium = {"881", "882", "883", "870",
                                                                   "979"};

struct CountryDefaults {
  std::string_view country;
  std::string_view mobile;   // comma-separated national significant number prefixes
  std::string_view premium;  // idem
};

// A few countries' well-known ranges; every other country has none until the tenant sets them.
constexpr std::array<CountryDefaults, 5> kCountryDefaults{{
    {"44", "7", "9,70,871,872,873"},  // UK: 07 mobile; 09, 070 personal, 087x premium
    {"1", "", "900,976"},             // NANP: mobiles are not told apart by prefix
    {"49", "15,16,17", "900,137,118"},
    {"33", "6,7", "89"},
    {"61", "4", "19"},
}};

std::vector<std::string> split(std::string_view text) {
  std::vector<std::string> items;
  while (!text.empty()) {
    const auto comma = text.find(',');
    items.emplace_back(text.substr(0, comma));
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return items;
}

bool starts_with_any(std::string_view digits, const std::vector<std::string>& prefixes) {
  return std::any_of(prefixes.begin(), prefixes.end(),
                     [&](const std::string& prefix) { return digits.starts_with(prefix); });
}

bool is_visual_separator(char c) {
  return c == ' ' || c == '-' || c == '.' || c == '(' || c == ')';
}

Error incomplete(std::string message) {
  return make_error(kAddressIncomplete, std::move(message));
}

// `digits`: an E.164 number without '+'.
Result<ClassifiedNumber> classify_e164(std::string dialled, std::string_view digits,
                                       const NumberPlan& plan) {
  if (digits.empty() || digits.size() > kMaxE164Digits ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return incomplete("'" + dialled + "' is not an international number (1-15 digits)");
  }
  ClassifiedNumber number{std::move(dialled), NumberKind::kInternational,
                          "+" + std::string(digits)};
  const bool premium_range =
      std::any_of(kInternationalPremium.begin(), kInternationalPremium.end(),
                  [&](std::string_view prefix) { return digits.starts_with(prefix); });
  if (premium_range) {
    number.kind = NumberKind::kPremium;
  } else if (!plan.country_code.empty() && digits.starts_with(plan.country_code)) {
    const std::string_view national = digits.substr(plan.country_code.size());
    if (starts_with_any(national, plan.premium_prefixes)) {
      number.kind = NumberKind::kPremium;
    } else if (starts_with_any(national, plan.mobile_prefixes)) {
      number.kind = NumberKind::kMobile;
    } else {
      number.kind = NumberKind::kNational;
    }
  }
  return number;
}

}  // namespace

NumberPlan NumberPlan::for_tenant(const store::TenantCallLimits& limits) {
  NumberPlan plan;
  plan.country_code = limits.country_code;
  const bool nanp = plan.country_code == "1";
  plan.international_prefix = limits.international_prefix.value_or(nanp ? "011" : "00");
  plan.national_prefix = limits.national_prefix.value_or(nanp ? "1" : "0");
  if (plan.country_code.empty() && !limits.national_prefix) plan.national_prefix.clear();
  for (std::string_view number : kBuiltInEmergencyNumbers) {
    plan.emergency_numbers.emplace_back(number);
  }
  for (const auto& number : limits.emergency_numbers) plan.emergency_numbers.push_back(number);
  plan.mobile_prefixes = limits.mobile_prefixes;
  plan.premium_prefixes = limits.premium_prefixes;
  for (const auto& defaults : kCountryDefaults) {
    if (defaults.country != plan.country_code) continue;
    if (plan.mobile_prefixes.empty()) plan.mobile_prefixes = split(defaults.mobile);
    if (plan.premium_prefixes.empty()) plan.premium_prefixes = split(defaults.premium);
  }
  return plan;
}

std::string_view to_text(NumberKind kind) {
  switch (kind) {
    case NumberKind::kInternal:
      return "internal";
    case NumberKind::kEmergency:
      return "emergency";
    case NumberKind::kNational:
      return "national";
    case NumberKind::kMobile:
      return "mobile";
    case NumberKind::kInternational:
      return "international";
    case NumberKind::kPremium:
      return "premium";
  }
  return "unknown";
}

std::optional<store::CallClass> required_call_class(NumberKind kind) {
  switch (kind) {
    case NumberKind::kInternal:
      return store::CallClass::kInternal;
    case NumberKind::kEmergency:
      return std::nullopt;
    case NumberKind::kNational:
      return store::CallClass::kNational;
    case NumberKind::kMobile:
      return store::CallClass::kMobile;
    case NumberKind::kInternational:
      return store::CallClass::kInternational;
    case NumberKind::kPremium:
      return store::CallClass::kPremium;
  }
  return store::CallClass::kPremium;
}

Result<std::string> clean_dialled(std::string_view dialled) {
  std::string clean;
  for (char c : dialled) {
    if (is_visual_separator(c)) continue;
    const bool plus = c == '+' && clean.empty();
    if (!plus && !(c >= '0' && c <= '9') && c != '*' && c != '#') {
      return incomplete("'" + std::string(dialled.substr(0, 40)) +
                        "' is not a phone number (digits, '*', '#', a leading '+')");
    }
    clean += c;
    if (clean.size() > store::kMaxDialledDigits + 1) break;
  }
  const std::size_t digits = clean.starts_with('+') ? clean.size() - 1 : clean.size();
  if (digits == 0) return incomplete("the dialled number is empty");
  if (digits > store::kMaxDialledDigits) {
    return incomplete("the dialled number is longer than " +
                      std::to_string(store::kMaxDialledDigits) + " digits");
  }
  return clean;
}

Result<ClassifiedNumber> classify_number(std::string_view dialled, const NumberPlan& plan) {
  auto cleaned = clean_dialled(dialled);
  if (!cleaned) return cleaned.error();
  std::string clean = std::move(cleaned).value();
  const auto is_emergency = std::find(plan.emergency_numbers.begin(), plan.emergency_numbers.end(),
                                      clean) != plan.emergency_numbers.end();
  if (is_emergency) return ClassifiedNumber{std::move(clean), NumberKind::kEmergency, {}};
  if (clean.find_first_of("*#") != std::string::npos) {
    return ClassifiedNumber{std::move(clean), NumberKind::kInternal, {}};
  }
  if (clean.starts_with('+')) {
    const std::string digits = clean.substr(1);
    return classify_e164(std::move(clean), digits, plan);
  }
  const std::string_view intl = plan.international_prefix;
  if (!intl.empty() && clean.size() > intl.size() && clean.starts_with(intl)) {
    const std::string digits = clean.substr(intl.size());
    return classify_e164(std::move(clean), digits, plan);
  }
  if (clean.size() <= kMaxShortCodeDigits) {
    return ClassifiedNumber{std::move(clean), NumberKind::kInternal, {}};
  }
  if (plan.country_code.empty()) {
    // No country: the number is national by elimination, but has no E.164 form.
    return ClassifiedNumber{std::move(clean), NumberKind::kNational, {}};
  }
  std::string national = clean;
  const std::string_view trunk_prefix = plan.national_prefix;
  if (!trunk_prefix.empty() && clean.starts_with(trunk_prefix)) {
    national = clean.substr(trunk_prefix.size());
  }
  return classify_e164(std::move(clean), plan.country_code + national, plan);
}

}  // namespace parley::pbx
