#include "store/schedule_rules.hpp"

#include <array>
#include <string>

#include "store/store.hpp"

namespace parley::store {
namespace {

constexpr std::array<std::string_view, 7> kDays = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

Error bad(std::string_view what, std::string_view part) {
  return make_store_error(StoreError::kInvalidInput,
                          std::string(what) + " \"" + std::string(part) + "\"");
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// Calls `each` with every trimmed comma-separated part; stops at the first error.
template <typename Each>
Result<void> for_each_part(std::string_view text, Each each) {
  std::size_t count = 0;
  while (!trim(text).empty()) {
    const std::size_t comma = text.find(',');
    const std::string_view part = trim(text.substr(0, comma));
    if (++count > kMaxScheduleRules) {
      return make_store_error(StoreError::kInvalidInput,
                              "at most " + std::to_string(kMaxScheduleRules) + " entries");
    }
    if (auto done = each(part); !done) return done;
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return {};
}

int day_index(std::string_view day) {
  for (std::size_t i = 0; i < kDays.size(); ++i) {
    if (kDays[i] == day) return static_cast<int>(i);
  }
  return -1;
}

// "HH:MM" → minutes since midnight, 0..1440 (24:00 allowed); -1 when malformed.
int minutes_of(std::string_view text) {
  if (text.size() != 5 || text[2] != ':') return -1;
  for (std::size_t i : {0U, 1U, 3U, 4U}) {
    if (text[i] < '0' || text[i] > '9') return -1;
  }
  const int hours = (text[0] - '0') * 10 + (text[1] - '0');
  const int minutes = (text[3] - '0') * 10 + (text[4] - '0');
  if (minutes > 59 || hours > 24 || (hours == 24 && minutes != 0)) return -1;
  return hours * 60 + minutes;
}

bool leap(int year) {
  return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

unsigned days_in_month(int year, unsigned month) {
  constexpr std::array<unsigned, 12> kDaysIn = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && leap(year) ? 29 : kDaysIn[month - 1];
}

}  // namespace

Result<std::vector<WeeklyHours>> parse_weekly_hours(std::string_view text) {
  std::vector<WeeklyHours> rules;
  auto parsed = for_each_part(text, [&](std::string_view part) -> Result<void> {
    const std::size_t space = part.find(' ');
    if (space == std::string_view::npos) return bad("expected \"DAYS HH:MM-HH:MM\", got", part);
    const std::string_view days = part.substr(0, space);
    const std::string_view times = trim(part.substr(space + 1));
    WeeklyHours rule;
    const std::size_t dash = days.find('-');
    const int first = day_index(days.substr(0, dash));
    const int last = dash == std::string_view::npos ? first : day_index(days.substr(dash + 1));
    if (first < 0 || last < 0) return bad("unknown day in", days);
    for (int day = first;; day = (day + 1) % 7) {
      rule.weekdays = static_cast<std::uint8_t>(rule.weekdays | (1U << day));
      if (day == last) break;
    }
    const std::size_t time_dash = times.find('-');
    if (time_dash == std::string_view::npos) return bad("expected HH:MM-HH:MM, got", times);
    const int start = minutes_of(times.substr(0, time_dash));
    const int end = minutes_of(times.substr(time_dash + 1));
    if (start < 0 || end < 0 || start >= 1440) return bad("bad time in", times);
    if (end <= start) return bad("the end must be after the start in", times);
    rule.start_minute = static_cast<std::uint16_t>(start);
    rule.end_minute = static_cast<std::uint16_t>(end);
    rules.push_back(rule);
    return {};
  });
  if (!parsed) return parsed.error();
  return rules;
}

Result<std::vector<CalendarDate>> parse_holidays(std::string_view text) {
  std::vector<CalendarDate> dates;
  auto parsed = for_each_part(text, [&](std::string_view part) -> Result<void> {
    if (part.size() != 10 || part[4] != '-' || part[7] != '-') {
      return bad("expected a date YYYY-MM-DD, got", part);
    }
    int numbers[3] = {0, 0, 0};
    const std::size_t starts[3] = {0, 5, 8};
    const std::size_t lengths[3] = {4, 2, 2};
    for (int i = 0; i < 3; ++i) {
      for (std::size_t j = 0; j < lengths[i]; ++j) {
        const char c = part[starts[i] + j];
        if (c < '0' || c > '9') return bad("expected a date YYYY-MM-DD, got", part);
        numbers[i] = numbers[i] * 10 + (c - '0');
      }
    }
    CalendarDate date{numbers[0], static_cast<unsigned>(numbers[1]),
                      static_cast<unsigned>(numbers[2])};
    if (date.year < 2000 || date.year > 2199 || date.month < 1 || date.month > 12 || date.day < 1 ||
        date.day > days_in_month(date.year, date.month)) {
      return bad("no such date", part);
    }
    dates.push_back(date);
    return {};
  });
  if (!parsed) return parsed.error();
  return dates;
}

}  // namespace parley::store
