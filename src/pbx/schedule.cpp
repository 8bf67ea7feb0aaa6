#include "pbx/schedule.hpp"

#include <algorithm>
#include <chrono>

namespace parley::pbx {

LocalTime local_time(std::int64_t unix_seconds, std::int32_t offset_seconds) {
  using namespace std::chrono;
  const std::int64_t local = unix_seconds + offset_seconds;
  // Floor division: instants before 1970 still land on the right day.
  std::int64_t day_count = local / 86400;
  std::int64_t second_of_day = local % 86400;
  if (second_of_day < 0) {
    second_of_day += 86400;
    --day_count;
  }
  const sys_days day{days{day_count}};
  const year_month_day date{day};
  LocalTime out;
  out.date = store::CalendarDate{static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                                 static_cast<unsigned>(date.day())};
  out.weekday = weekday{day}.iso_encoding() - 1;
  out.minute = static_cast<unsigned>(second_of_day / 60);
  return out;
}

Result<CompiledSchedule> CompiledSchedule::compile(const store::Schedule& schedule, TimeZone zone) {
  auto hours = store::parse_weekly_hours(schedule.hours);
  if (!hours) return Error{400, hours.error().message};
  auto holidays = store::parse_holidays(schedule.holidays);
  if (!holidays) return Error{400, holidays.error().message};
  CompiledSchedule compiled;
  compiled.settings_ = schedule;
  compiled.hours_ = std::move(hours).value();
  compiled.holidays_ = std::move(holidays).value();
  compiled.zone_ = std::move(zone);
  return compiled;
}

bool CompiledSchedule::is_open(std::int64_t unix_seconds) const {
  const LocalTime now = local_time(unix_seconds, zone_.offset_at(unix_seconds));
  if (std::find(holidays_.begin(), holidays_.end(), now.date) != holidays_.end()) return false;
  return std::any_of(hours_.begin(), hours_.end(), [&](const store::WeeklyHours& range) {
    return (range.weekdays & (1U << now.weekday)) != 0 && now.minute >= range.start_minute &&
           now.minute < range.end_minute;
  });
}

const std::string& CompiledSchedule::destination_at(std::int64_t unix_seconds) const {
  return is_open(unix_seconds) ? settings_.open_destination : settings_.closed_destination;
}

}  // namespace parley::pbx
