#pragma once
// CallLimitsStore: the toll-fraud guards' settings (issue 11).
//
// - Call classes per extension: which kinds of number it may call (internal, national, mobile,
//   international, premium). A new extension gets internal, national and mobile. Emergency
//   numbers are not a class: they are always allowed.
// - Limits per tenant: concurrent external calls, calls and minutes per hour, blocked number
//   prefixes, and the number plan used to classify numbers and to write them in E.164 (country
//   code, access prefixes, extra emergency numbers, mobile and premium prefixes). A tenant that
//   never set them has the defaults below (no limits, no country).
//
// Changes move Store::change_counter(). SqliteStore implements it
// (sqlite/sqlite_call_limits_store.cpp, schema migration 6).
// Thread-safety and blocking: as Store (every call may block on disk).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "store/store.hpp"

namespace parley::store {

enum class CallClass : std::uint8_t { kInternal, kNational, kMobile, kInternational, kPremium };
std::string_view to_text(CallClass call_class);  // "internal", "national", ...
std::optional<CallClass> parse_call_class(std::string_view text);

// A small set of CallClass values (a bit mask; value type).
class CallClassSet {
 public:
  constexpr CallClassSet() = default;
  static constexpr CallClassSet from_bits(std::uint8_t bits) {
    CallClassSet set;
    set.bits_ = static_cast<std::uint8_t>(bits & kAllBits);
    return set;
  }
  // internal, national, mobile: what a new extension may call.
  static constexpr CallClassSet defaults() { return from_bits(0b00111); }

  constexpr bool contains(CallClass call_class) const { return (bits_ & bit(call_class)) != 0; }
  constexpr void insert(CallClass call_class) {
    bits_ = static_cast<std::uint8_t>(bits_ | bit(call_class));
  }
  constexpr std::uint8_t bits() const { return bits_; }
  constexpr bool operator==(const CallClassSet&) const = default;

  // "internal,national,mobile" in the enum's order; "none" when empty.
  std::string to_text() const;
  // Comma-separated class names (spaces around them ignored) or "none"; kInvalidInput names
  // the unknown word.
  static Result<CallClassSet> parse(std::string_view text);

 private:
  static constexpr std::uint8_t kAllBits = 0b11111;
  static constexpr std::uint8_t bit(CallClass call_class) {
    return static_cast<std::uint8_t>(1U << static_cast<unsigned>(call_class));
  }
  std::uint8_t bits_ = 0;
};

inline constexpr std::size_t kMaxPrefixListSize = 64;
inline constexpr std::size_t kMaxPrefixDigits = 15;

struct TenantCallLimits {
  TenantId tenant_id = 0;
  std::uint32_t max_external_calls = 0;  // at once; 0 = unlimited
  std::uint32_t calls_per_hour = 0;      // external calls started in any 60 minutes; 0 = unlimited
  std::uint32_t minutes_per_hour = 0;    // external talk minutes in any 60 minutes; 0 = unlimited
  std::string country_code;              // 1-3 digits, "" = none (no national numbers)
  // Access prefixes; nullopt = derived from the country ("011"/"1" for country 1, "00"/"0"
  // otherwise), "" = the country has none.
  std::optional<std::string> international_prefix;
  std::optional<std::string> national_prefix;
  std::vector<std::string> blocked_prefixes;   // E.164 digits without '+' ("881", "4490")
  std::vector<std::string> emergency_numbers;  // beyond the built-in 112, 911, 999
  // National significant number prefixes; empty = the built-in ones for the country, if any.
  std::vector<std::string> mobile_prefixes;
  std::vector<std::string> premium_prefixes;
  UnixSeconds updated_at = 0;
};

// One extension's classes, for an in-memory snapshot.
struct ExtensionCallClasses {
  TenantId tenant_id = 0;
  std::string number;
  CallClassSet classes;
};

class CallLimitsStore {
 public:
  virtual ~CallLimitsStore() = default;
  CallLimitsStore() = default;
  CallLimitsStore(const CallLimitsStore&) = delete;
  CallLimitsStore& operator=(const CallLimitsStore&) = delete;

  // kNotFound for an unknown extension.
  virtual Result<void> set_call_classes(TenantId tenant, std::string_view number,
                                        CallClassSet classes) = 0;
  virtual Result<CallClassSet> get_call_classes(TenantId tenant, std::string_view number) = 0;
  // Every extension of every tenant, ordered by tenant and number.
  virtual Result<std::vector<ExtensionCallClasses>> list_call_classes() = 0;

  // Replaces the tenant's limits. kInvalidInput names a bad field; kNotFound for an unknown
  // tenant.
  virtual Result<void> set_tenant_call_limits(const TenantCallLimits& limits) = 0;
  // The tenant's limits, or the defaults (with tenant_id set) when it never set any.
  // kNotFound for an unknown tenant.
  virtual Result<TenantCallLimits> get_tenant_call_limits(TenantId tenant) = 0;
  // Only tenants that set limits, ordered by tenant.
  virtual Result<std::vector<TenantCallLimits>> list_tenant_call_limits() = 0;
};

}  // namespace parley::store
