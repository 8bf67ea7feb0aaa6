// The IvrStore half of SqliteStore: IVR menus, their options and schedules (schema migration
// 11). Same locking and transaction rules as sqlite_store.cpp.

#include <algorithm>
#include <string>

#include "store/ivr_store.hpp"
#include "store/schedule_rules.hpp"
#include "store/sqlite/rows.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/validation.hpp"

namespace parley::store {
namespace {

Error invalid_input(std::string message) {
  return make_store_error(StoreError::kInvalidInput, std::move(message));
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

}  // namespace

Result<void> check_ivr_name(std::string_view name) {
  const bool ok =
      !name.empty() && name.size() <= 32 && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || is_digit(c) || c == '_' || c == '-';
      });
  if (!ok) return invalid_input("a menu or schedule name is 1-32 of a-z, 0-9, '_', '-'");
  return {};
}

Result<void> check_ivr_destination(std::string_view destination) {
  if (destination == "hangup") return {};
  const std::size_t colon = destination.find(':');
  if (colon == std::string_view::npos) {
    if (check_extension_number(destination)) return {};
  } else {
    const std::string_view kind = destination.substr(0, colon);
    const std::string_view target = destination.substr(colon + 1);
    if ((kind == "menu" || kind == "schedule") && check_ivr_name(target)) return {};
    if (kind == "voicemail" && check_extension_number(target)) return {};
  }
  return invalid_input("destination \"" + std::string(destination) +
                       "\": expected a number, menu:NAME, schedule:NAME, voicemail:BOX or hangup");
}

Result<void> check_time_zone_name(std::string_view zone) {
  const bool ok = zone.size() <= 64 && (zone.empty() || zone.front() != '/') &&
                  zone.find("..") == std::string_view::npos &&
                  std::all_of(zone.begin(), zone.end(), [](char c) {
                    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) ||
                           c == '/' || c == '_' || c == '-' || c == '+';
                  });
  if (!ok) return invalid_input("time zone \"" + std::string(zone) + "\" is not a zone name");
  return {};
}

}  // namespace parley::store

namespace parley::store::sqlite {
namespace {

Result<void> check_menu(const IvrMenu& menu) {
  if (auto valid = check_ivr_name(menu.name); !valid) return valid;
  if (!menu.number.empty()) {
    if (auto valid = check_extension_number(menu.number); !valid) return valid;
  }
  if (menu.greeting_text.size() > kMaxIvrGreetingText) {
    return invalid("the greeting text is longer than " + std::to_string(kMaxIvrGreetingText));
  }
  if (!menu.greeting_wav.empty() && menu.greeting_wav.front() != '/') {
    return invalid("the greeting WAV must be an absolute path");
  }
  if (menu.timeout_seconds < 1 || menu.timeout_seconds > kMaxIvrTimeoutSeconds) {
    return invalid("the timeout must be 1 to " + std::to_string(kMaxIvrTimeoutSeconds) + " s");
  }
  if (menu.max_attempts < 1 || menu.max_attempts > kMaxIvrAttempts) {
    return invalid("attempts must be 1 to " + std::to_string(kMaxIvrAttempts));
  }
  return check_ivr_destination(menu.fallback);
}

Result<void> check_schedule(const Schedule& schedule) {
  if (auto valid = check_ivr_name(schedule.name); !valid) return valid;
  if (!schedule.number.empty()) {
    if (auto valid = check_extension_number(schedule.number); !valid) return valid;
  }
  if (auto valid = check_time_zone_name(schedule.time_zone); !valid) return valid;
  if (auto hours = parse_weekly_hours(schedule.hours); !hours) return hours.error();
  if (auto days = parse_holidays(schedule.holidays); !days) return days.error();
  if (auto valid = check_ivr_destination(schedule.open_destination); !valid) return valid;
  return check_ivr_destination(schedule.closed_destination);
}

bool valid_digit(char digit) {
  return (digit >= '0' && digit <= '9') || digit == '*' || digit == '#';
}

}  // namespace

// Whether `name` or `number` of tenant is held by something other than the object `self_name`
// of `self_table`; returns what holds it. The caller holds mutex_.
static Result<std::string> taken_by(Connection& connection, TenantId tenant, std::string_view name,
                                    std::string_view number, std::string_view self_table) {
  auto owner = prepare_bound(
      connection,
      "SELECT 'the schedule ' || name FROM schedules WHERE tenant_id = ?1 AND name = ?2 "
      "  AND ?4 <> 'schedules' "
      "UNION ALL SELECT 'the menu ' || name FROM ivr_menus WHERE tenant_id = ?1 AND name = ?2 "
      "  AND ?4 <> 'ivr_menus' "
      "UNION ALL SELECT 'an extension' FROM extensions WHERE tenant_id = ?1 AND number = ?3 "
      "UNION ALL SELECT 'a ring group' FROM ring_groups WHERE tenant_id = ?1 AND number = ?3 "
      "UNION ALL SELECT 'a conference room' FROM conference_rooms "
      "  WHERE tenant_id = ?1 AND number = ?3 "
      "UNION ALL SELECT 'the menu ' || name FROM ivr_menus "
      "  WHERE tenant_id = ?1 AND number = ?3 AND ?3 <> '' AND NOT (?4 = 'ivr_menus' AND name = "
      "?2) "
      "UNION ALL SELECT 'the schedule ' || name FROM schedules "
      "  WHERE tenant_id = ?1 AND number = ?3 AND ?3 <> '' AND NOT (?4 = 'schedules' AND name = "
      "?2)",
      tenant, name, number, self_table);
  if (!owner) return owner.error();
  auto holder = optional_row(*owner, read_text);
  if (!holder) return holder.error();
  return holder->value_or(std::string());
}

Result<void> SqliteStore::save_ivr_menu(const IvrMenu& menu) {
  if (auto valid = check_menu(menu); !valid) return valid;
  const std::string what = "saving menu " + menu.name;
  std::lock_guard lock(mutex_);
  auto transaction = WriteTransaction::begin(connection_, Durability::kPowerLoss);
  if (!transaction) return in_context(what, transaction.error());
  if (auto tenant = find_tenant(menu.tenant_id); !tenant) return tenant.error();
  auto owner = taken_by(connection_, menu.tenant_id, menu.name, menu.number, "ivr_menus");
  if (!owner) return in_context(what, owner.error());
  if (!owner->empty()) return conflict(menu.name + "/" + menu.number + " is taken by " + *owner);
  auto upserted = run_bound(
      connection_,
      "INSERT INTO ivr_menus (tenant_id, name, number, greeting_text, greeting_wav, "
      "timeout_seconds, max_attempts, fallback, direct_dial) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
      "ON CONFLICT (tenant_id, name) DO UPDATE SET number = excluded.number, "
      "greeting_text = excluded.greeting_text, greeting_wav = excluded.greeting_wav, "
      "timeout_seconds = excluded.timeout_seconds, max_attempts = excluded.max_attempts, "
      "fallback = excluded.fallback, direct_dial = excluded.direct_dial",
      menu.tenant_id, menu.name, menu.number, menu.greeting_text, menu.greeting_wav,
      static_cast<std::int64_t>(menu.timeout_seconds), static_cast<std::int64_t>(menu.max_attempts),
      menu.fallback, static_cast<std::int64_t>(menu.direct_dial ? 1 : 0));
  if (!upserted) return in_context(what, upserted.error());
  auto committed = transaction->commit();
  if (!committed) return in_context(what, committed.error());
  return {};
}

Result<void> SqliteStore::set_ivr_option(TenantId tenant, std::string_view menu, char digit,
                                         std::string_view destination) {
  if (!valid_digit(digit)) return invalid("an option digit is 0-9, * or #");
  if (auto valid = check_ivr_destination(destination); !valid) return valid;
  const std::string what =
      "setting option " + std::string(1, digit) + " of menu " + std::string(menu);
  std::lock_guard lock(mutex_);
  auto transaction = WriteTransaction::begin(connection_, Durability::kPowerLoss);
  if (!transaction) return in_context(what, transaction.error());
  auto exists = row_exists(connection_, "SELECT 1 FROM ivr_menus WHERE tenant_id = ? AND name = ?",
                           tenant, menu);
  if (!exists) return in_context(what, exists.error());
  if (!*exists) {
    return not_found("no menu " + std::string(menu) + " in tenant " + std::to_string(tenant));
  }
  auto upserted = run_bound(
      connection_,
      "INSERT INTO ivr_options (tenant_id, menu, digit, destination) VALUES (?, ?, ?, ?) "
      "ON CONFLICT (tenant_id, menu, digit) DO UPDATE SET destination = excluded.destination",
      tenant, menu, std::string_view(&digit, 1), destination);
  if (!upserted) return in_context(what, upserted.error());
  auto committed = transaction->commit();
  if (!committed) return in_context(what, committed.error());
  return {};
}

Result<void> SqliteStore::remove_ivr_option(TenantId tenant, std::string_view menu, char digit) {
  const std::string what = "removing an option of menu " + std::string(menu);
  std::lock_guard lock(mutex_);
  auto removed = run_bound(connection_,
                           "DELETE FROM ivr_options WHERE tenant_id = ? AND menu = ? AND digit = ?",
                           tenant, menu, std::string_view(&digit, 1));
  if (!removed) return in_context(what, removed.error());
  if (connection_.changes() == 0) {
    return not_found("menu " + std::string(menu) + " has no option " + std::string(1, digit));
  }
  return {};
}

Result<std::vector<IvrMenu>> SqliteStore::list_ivr_menus(std::optional<TenantId> tenant) {
  std::lock_guard lock(mutex_);
  auto query = prepare_bound(
      connection_,
      "SELECT tenant_id, name, number, greeting_text, greeting_wav, timeout_seconds, "
      "max_attempts, fallback, direct_dial FROM ivr_menus WHERE ?1 IS NULL OR tenant_id = ?1 "
      "ORDER BY tenant_id, name",
      tenant);
  if (!query) return in_context("listing menus", query.error());
  auto menus = collect_rows(*query, [](const Statement& row) -> Result<IvrMenu> {
    IvrMenu menu;
    menu.tenant_id = row.column_int(0);
    menu.name = row.column_text(1);
    menu.number = row.column_text(2);
    menu.greeting_text = row.column_text(3);
    menu.greeting_wav = row.column_text(4);
    menu.timeout_seconds = static_cast<std::uint32_t>(row.column_int(5));
    menu.max_attempts = static_cast<std::uint32_t>(row.column_int(6));
    menu.fallback = row.column_text(7);
    menu.direct_dial = row.column_int(8) != 0;
    return menu;
  });
  if (!menus) return in_context("listing menus", menus.error());
  auto options = prepare_bound(connection_,
                               "SELECT tenant_id, menu, digit, destination FROM ivr_options "
                               "WHERE ?1 IS NULL OR tenant_id = ?1 ORDER BY tenant_id, menu, digit",
                               tenant);
  if (!options) return in_context("listing menu options", options.error());
  while (true) {
    auto row = options->step();
    if (!row) return in_context("listing menu options", row.error());
    if (!*row) break;
    const TenantId owner = options->column_int(0);
    const std::string name = options->column_text(1);
    const std::string digit = options->column_text(2);
    auto menu = std::find_if(menus->begin(), menus->end(), [&](const IvrMenu& m) {
      return m.tenant_id == owner && m.name == name;
    });
    if (menu == menus->end() || digit.size() != 1) continue;
    menu->options.push_back(IvrOption{digit[0], options->column_text(3)});
  }
  return menus;
}

Result<void> SqliteStore::remove_ivr_menu(TenantId tenant, std::string_view name) {
  const std::string what = "removing menu " + std::string(name);
  std::lock_guard lock(mutex_);
  auto removed = run_bound(connection_, "DELETE FROM ivr_menus WHERE tenant_id = ? AND name = ?",
                           tenant, name);
  if (!removed) return in_context(what, removed.error());
  if (connection_.changes() == 0) {
    return not_found("no menu " + std::string(name) + " in tenant " + std::to_string(tenant));
  }
  return {};
}

Result<void> SqliteStore::save_schedule(const Schedule& schedule) {
  if (auto valid = check_schedule(schedule); !valid) return valid;
  const std::string what = "saving schedule " + schedule.name;
  std::lock_guard lock(mutex_);
  auto transaction = WriteTransaction::begin(connection_, Durability::kPowerLoss);
  if (!transaction) return in_context(what, transaction.error());
  if (auto tenant = find_tenant(schedule.tenant_id); !tenant) return tenant.error();
  auto owner =
      taken_by(connection_, schedule.tenant_id, schedule.name, schedule.number, "schedules");
  if (!owner) return in_context(what, owner.error());
  if (!owner->empty()) {
    return conflict(schedule.name + "/" + schedule.number + " is taken by " + *owner);
  }
  auto upserted = run_bound(
      connection_,
      "INSERT INTO schedules (tenant_id, name, number, time_zone, hours, holidays, "
      "open_destination, closed_destination) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
      "ON CONFLICT (tenant_id, name) DO UPDATE SET number = excluded.number, "
      "time_zone = excluded.time_zone, hours = excluded.hours, holidays = excluded.holidays, "
      "open_destination = excluded.open_destination, "
      "closed_destination = excluded.closed_destination",
      schedule.tenant_id, schedule.name, schedule.number, schedule.time_zone, schedule.hours,
      schedule.holidays, schedule.open_destination, schedule.closed_destination);
  if (!upserted) return in_context(what, upserted.error());
  auto committed = transaction->commit();
  if (!committed) return in_context(what, committed.error());
  return {};
}

Result<std::vector<Schedule>> SqliteStore::list_schedules(std::optional<TenantId> tenant) {
  std::lock_guard lock(mutex_);
  auto query =
      prepare_bound(connection_,
                    "SELECT tenant_id, name, number, time_zone, hours, holidays, open_destination, "
                    "closed_destination FROM schedules WHERE ?1 IS NULL OR tenant_id = ?1 "
                    "ORDER BY tenant_id, name",
                    tenant);
  if (!query) return in_context("listing schedules", query.error());
  auto schedules = collect_rows(*query, [](const Statement& row) -> Result<Schedule> {
    Schedule schedule;
    schedule.tenant_id = row.column_int(0);
    schedule.name = row.column_text(1);
    schedule.number = row.column_text(2);
    schedule.time_zone = row.column_text(3);
    schedule.hours = row.column_text(4);
    schedule.holidays = row.column_text(5);
    schedule.open_destination = row.column_text(6);
    schedule.closed_destination = row.column_text(7);
    return schedule;
  });
  if (!schedules) return in_context("listing schedules", schedules.error());
  return schedules;
}

Result<void> SqliteStore::remove_schedule(TenantId tenant, std::string_view name) {
  const std::string what = "removing schedule " + std::string(name);
  std::lock_guard lock(mutex_);
  auto removed = run_bound(connection_, "DELETE FROM schedules WHERE tenant_id = ? AND name = ?",
                           tenant, name);
  if (!removed) return in_context(what, removed.error());
  if (connection_.changes() == 0) {
    return not_found("no schedule " + std::string(name) + " in tenant " + std::to_string(tenant));
  }
  return {};
}

}  // namespace parley::store::sqlite
