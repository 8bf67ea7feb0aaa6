#pragma once
// IvrStore: auto-attendant menus and time schedules of each tenant (issue 7, decision 0022).
//
// A menu has a name (its identity, what "ivr:<tenant>:<name>" and DIDs of kind "ivr" name), an
// optional number callers dial, a greeting (text spoken by espeak-ng, or a WAV file path), how
// long to wait for a digit, how many timeouts or invalid digits to allow before the fallback
// destination, whether callers may dial an extension number directly, and one destination per
// digit (0-9, *, #).
//
// A schedule has a name, an optional number, a time zone (IANA name; empty = UTC), weekly open
// hours and holiday dates (text, rules in schedule_rules.hpp), and two destinations: one while
// open, one while closed (outside the hours or on a holiday).
//
// A destination (check_ivr_destination) is one of: a number of the tenant ("1001": extension,
// ring group, room or another menu's number, as the dial plan says), "menu:<name>",
// "schedule:<name>", "voicemail:<box>", or "hangup".
//
// Rules every backend keeps: names are 1-32 of [a-z0-9_-]; menus and schedules share one name
// space per tenant (a DID of kind "ivr" may name either) and their numbers are free in the
// tenant's number space (not an extension, ring group, room, menu or schedule number; checked
// on save). Every change moves Store::change_counter(): a running server reloads within a
// second. SqliteStore implements it (sqlite/sqlite_ivr_store.cpp, schema migration 11).
// Thread-safety and blocking: as Store (every call may block on disk).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "store/store.hpp"

namespace parley::store {

inline constexpr std::uint32_t kDefaultIvrTimeoutSeconds = 5;
inline constexpr std::uint32_t kMaxIvrTimeoutSeconds = 60;
inline constexpr std::uint32_t kDefaultIvrAttempts = 3;
inline constexpr std::uint32_t kMaxIvrAttempts = 10;
inline constexpr std::size_t kMaxIvrGreetingText = 1000;

struct IvrOption {
  char digit = '0';  // 0-9, '*', '#'
  std::string destination;
};

struct IvrMenu {
  TenantId tenant_id = 0;
  std::string name;
  std::string number;         // empty = reached only by name (DID, another menu, a schedule)
  std::string greeting_text;  // spoken when greeting_wav is empty
  std::string greeting_wav;   // absolute path of a WAV file (PCM 16-bit mono), or empty
  std::uint32_t timeout_seconds = kDefaultIvrTimeoutSeconds;  // 1..kMaxIvrTimeoutSeconds
  std::uint32_t max_attempts = kDefaultIvrAttempts;           // 1..kMaxIvrAttempts
  std::string fallback = "hangup";  // where the caller goes after max_attempts
  bool direct_dial = false;         // callers may key an extension number
  std::vector<IvrOption> options;   // by digit; ignored by save_ivr_menu
};

struct Schedule {
  TenantId tenant_id = 0;
  std::string name;
  std::string number;
  std::string time_zone;  // IANA name ("Europe/Berlin"); empty = UTC
  std::string hours;      // "mon-fri 09:00-17:00, sat 10:00-12:00" (schedule_rules.hpp)
  std::string holidays;   // "2026-12-25, 2027-01-01"
  std::string open_destination;
  std::string closed_destination;
};

// kInvalidInput with the reason unless `name` is 1-32 of [a-z0-9_-].
Result<void> check_ivr_name(std::string_view name);
// kInvalidInput with the reason unless `destination` has one of the forms above.
Result<void> check_ivr_destination(std::string_view destination);
// kInvalidInput unless an IANA-looking zone name ("Area/City", letters, digits, '/', '_', '-',
// '+'; no "..", no leading '/'), or empty. Whether the zone exists is the server's to check.
Result<void> check_time_zone_name(std::string_view zone);

class IvrStore {
 public:
  virtual ~IvrStore() = default;
  IvrStore() = default;
  IvrStore(const IvrStore&) = delete;
  IvrStore& operator=(const IvrStore&) = delete;

  // Adds the menu or replaces its settings (its options stay). kNotFound for an unknown tenant;
  // kConflict when the name is a schedule's or the number is taken; kInvalidInput otherwise.
  virtual Result<void> save_ivr_menu(const IvrMenu& menu) = 0;
  // Sets (or replaces) the destination of one digit. kNotFound for an unknown menu.
  virtual Result<void> set_ivr_option(TenantId tenant, std::string_view menu, char digit,
                                      std::string_view destination) = 0;
  // kNotFound when the menu has no such option.
  virtual Result<void> remove_ivr_option(TenantId tenant, std::string_view menu, char digit) = 0;
  // Menus with their options, of one tenant or all; by tenant, then name.
  virtual Result<std::vector<IvrMenu>> list_ivr_menus(std::optional<TenantId> tenant) = 0;
  virtual Result<void> remove_ivr_menu(TenantId tenant, std::string_view name) = 0;

  // Adds or replaces a schedule. Errors as save_ivr_menu, plus kInvalidInput for hours or
  // holidays that do not parse.
  virtual Result<void> save_schedule(const Schedule& schedule) = 0;
  virtual Result<std::vector<Schedule>> list_schedules(std::optional<TenantId> tenant) = 0;
  virtual Result<void> remove_schedule(TenantId tenant, std::string_view name) = 0;
};

}  // namespace parley::store
