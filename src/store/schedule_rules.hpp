#pragma once
// The text forms of a schedule's open hours and holidays (store::Schedule), parsed into values.
// Pure; the parsers have a libFuzzer target (tests/fuzz/schedule_rules_fuzz.cpp).
//
// Hours: comma-separated ranges "DAYS HH:MM-HH:MM". DAYS is a day ("mon") or a span of days
// ("mon-fri", wrapping allowed: "fri-mon"); days are mon tue wed thu fri sat sun. The time span
// is in local time, start inclusive, end exclusive; "24:00" ends at midnight; the end must be
// after the start (a night shift is two ranges). Empty text = never open by the hours.
// Holidays: comma-separated dates "YYYY-MM-DD" (a real calendar date, years 2000-2199).

#include <cstdint>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace parley::store {

inline constexpr std::size_t kMaxScheduleRules = 64;

struct WeeklyHours {
  std::uint8_t weekdays = 0;  // bit 0 = Monday ... bit 6 = Sunday
  std::uint16_t start_minute = 0;
  std::uint16_t end_minute = 0;  // > start_minute, <= 1440
};

struct CalendarDate {
  int year = 2000;
  unsigned month = 1;
  unsigned day = 1;
  friend bool operator==(const CalendarDate&, const CalendarDate&) = default;
};

// kInvalidInput with the offending part on error.
Result<std::vector<WeeklyHours>> parse_weekly_hours(std::string_view text);
Result<std::vector<CalendarDate>> parse_holidays(std::string_view text);

}  // namespace parley::store
