#pragma once
// Schedules (business hours and holidays, issue 7, decision 0022): whether a tenant's schedule
// is open at a given instant, evaluated in the schedule's time zone. Pure: the instant and the
// zone are inputs, so tests pin both (DST edges included).
//
// Open = not a holiday (local date) and inside at least one weekly range (local weekday and
// minute of day; start inclusive, end exclusive). The local wall clock decides, as people
// read it: a range 09:00-17:00 opens at 09:00 local time on both sides of a DST change, and on
// the night clocks go forward the skipped hour simply never occurs.
//
// Immutable values; safe to share between threads.

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "pbx/time_zone.hpp"
#include "store/ivr_store.hpp"
#include "store/schedule_rules.hpp"

namespace parley::pbx {

struct LocalTime {
  store::CalendarDate date;
  unsigned weekday = 0;  // 0 = Monday ... 6 = Sunday
  unsigned minute = 0;   // of the day, 0..1439
};

// The wall-clock time of `unix_seconds` at `offset_seconds` east of UTC.
LocalTime local_time(std::int64_t unix_seconds, std::int32_t offset_seconds);

class CompiledSchedule {
 public:
  // Parses the stored text (store::parse_weekly_hours, parse_holidays); `zone` is the schedule's
  // time zone as app/ loaded it (UTC when it has none). Error 400 for text that does not parse.
  static Result<CompiledSchedule> compile(const store::Schedule& schedule, TimeZone zone);

  bool is_open(std::int64_t unix_seconds) const;
  // open_destination while open, else closed_destination.
  const std::string& destination_at(std::int64_t unix_seconds) const;

  const store::Schedule& settings() const { return settings_; }

 private:
  store::Schedule settings_;
  std::vector<store::WeeklyHours> hours_;
  std::vector<store::CalendarDate> holidays_;
  TimeZone zone_;
};

}  // namespace parley::pbx
