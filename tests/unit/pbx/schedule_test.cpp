// Schedules against fixed instants: the text rules, local time from a real tz database file
// (Debian's tzdata), business hours across both DST changes of Europe/Berlin in 2026, holidays,
// and TZif files that are not well formed.

#include "pbx/schedule.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <vector>

namespace parley::pbx {
namespace {

// 2026-03-29 01:00:00 UTC: Berlin goes from 02:00 CET to 03:00 CEST.
constexpr std::int64_t kSpringForward = 1774746000;
// 2026-10-25 01:00:00 UTC: Berlin goes from 03:00 CEST back to 02:00 CET.
constexpr std::int64_t kFallBack = 1792890000;

std::vector<std::uint8_t> read_file(const char* path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TimeZone berlin() {
  const auto bytes = read_file("/usr/share/zoneinfo/Europe/Berlin");
  auto zone = TimeZone::from_tzif(bytes);
  EXPECT_TRUE(zone.ok()) << (zone.ok() ? "" : zone.error().message);
  return zone.ok() ? *zone : TimeZone{};
}

CompiledSchedule make(std::string hours, std::string holidays, TimeZone zone) {
  store::Schedule settings;
  settings.name = "office";
  settings.hours = std::move(hours);
  settings.holidays = std::move(holidays);
  settings.open_destination = "menu:day";
  settings.closed_destination = "menu:night";
  auto compiled = CompiledSchedule::compile(settings, std::move(zone));
  EXPECT_TRUE(compiled.ok());
  return std::move(compiled).value();
}

TEST(ScheduleRules, ParsesDaysSpansAndTimes) {
  auto rules =
      store::parse_weekly_hours("mon-fri 09:00-17:00, sat 10:00-12:30,fri-mon 22:00-24:00");
  ASSERT_TRUE(rules.ok());
  ASSERT_EQ(rules->size(), 3U);
  EXPECT_EQ((*rules)[0].weekdays, 0b0011111);
  EXPECT_EQ((*rules)[0].start_minute, 540);
  EXPECT_EQ((*rules)[0].end_minute, 1020);
  EXPECT_EQ((*rules)[1].weekdays, 0b0100000);
  EXPECT_EQ((*rules)[2].weekdays, 0b1110001);  // wraps over the weekend
  EXPECT_EQ((*rules)[2].end_minute, 1440);
  EXPECT_TRUE(store::parse_weekly_hours("").ok());
}

TEST(ScheduleRules, RefusesMalformedHours) {
  for (const char* bad : {"monday 09:00-17:00", "mon 9:00-17:00", "mon 17:00-09:00",
                          "mon 09:00-09:00", "mon 24:00-24:00", "mon 09:60-10:00", "mon",
                          "mon-xyz 09:00-10:00", "mon 09:00", "mon 25:00-26:00"}) {
    EXPECT_FALSE(store::parse_weekly_hours(bad).ok()) << bad;
  }
}

TEST(ScheduleRules, HolidaysMustBeRealDates) {
  auto days = store::parse_holidays("2026-12-25, 2028-02-29");
  ASSERT_TRUE(days.ok());
  EXPECT_EQ((*days)[1], (store::CalendarDate{2028, 2, 29}));
  for (const char* bad : {"2026-02-29", "2026-13-01", "2026-04-31", "26-12-25", "2026/12/25",
                          "1999-01-01", "2026-12-2x"}) {
    EXPECT_FALSE(store::parse_holidays(bad).ok()) << bad;
  }
}

TEST(LocalTime, ConvertsWithOffsetAndWeekday) {
  // 2026-12-06 22:30:00 UTC is a Sunday; at +01:00 it is 23:30, at +02:00 Monday 00:30.
  constexpr std::int64_t kInstant = 1796596200;
  const LocalTime utc = local_time(kInstant, 0);
  EXPECT_EQ(utc.date, (store::CalendarDate{2026, 12, 6}));
  EXPECT_EQ(utc.weekday, 6U);
  EXPECT_EQ(utc.minute, 22U * 60 + 30);
  const LocalTime east = local_time(kInstant, 7200);
  EXPECT_EQ(east.date, (store::CalendarDate{2026, 12, 7}));
  EXPECT_EQ(east.weekday, 0U);
  EXPECT_EQ(east.minute, 30U);
  EXPECT_EQ(local_time(-1, 0).date, (store::CalendarDate{1969, 12, 31}));
}

TEST(TimeZoneTest, BerlinOffsetsAcrossBothChanges) {
  const TimeZone zone = berlin();
  EXPECT_EQ(zone.offset_at(kSpringForward - 1), 3600);
  EXPECT_EQ(zone.offset_at(kSpringForward), 7200);
  EXPECT_EQ(zone.offset_at(kFallBack - 1), 7200);
  EXPECT_EQ(zone.offset_at(kFallBack), 3600);
  EXPECT_EQ(TimeZone{}.offset_at(kFallBack), 0);
}

TEST(TimeZoneTest, RefusesMalformedFiles) {
  auto bytes = read_file("/usr/share/zoneinfo/Europe/Berlin");
  ASSERT_GT(bytes.size(), 100U);
  EXPECT_FALSE(TimeZone::from_tzif({}).ok());
  EXPECT_FALSE(TimeZone::from_tzif(std::span(bytes).first(60)).ok());
  auto bad_magic = bytes;
  bad_magic[0] = 'X';
  EXPECT_FALSE(TimeZone::from_tzif(bad_magic).ok());
  auto huge_count = bytes;
  huge_count[32] = 0x7f;  // timecnt of the first header
  EXPECT_FALSE(TimeZone::from_tzif(huge_count).ok());
}

TEST(ScheduleTest, OfficeHoursFollowLocalTimeOnBothSidesOfDst) {
  const CompiledSchedule office = make("mon-fri 09:00-17:00", "", berlin());
  // Friday 2026-03-27, CET (+1): 07:59 UTC is 08:59 local, 08:00 UTC is 09:00.
  EXPECT_FALSE(office.is_open(1774598340));
  EXPECT_TRUE(office.is_open(1774598400));
  // Monday 2026-03-30, CEST (+2): 07:00 UTC is already 09:00 local.
  EXPECT_TRUE(office.is_open(1774854000));
  EXPECT_FALSE(office.is_open(1774853999));
  // 15:00 UTC = 17:00 CEST: closed (the end is exclusive).
  EXPECT_FALSE(office.is_open(1774882800));
  EXPECT_EQ(office.destination_at(1774854000), "menu:day");
  EXPECT_EQ(office.destination_at(1774882800), "menu:night");
}

TEST(ScheduleTest, TheSkippedAndTheRepeatedHour) {
  // Open from midnight to 03:00 on Sundays: on 2026-03-29 local time jumps from 01:59:59 CET
  // to 03:00 CEST, so the range closes at the jump.
  const CompiledSchedule night = make("sun 00:00-03:00", "", berlin());
  EXPECT_TRUE(night.is_open(kSpringForward - 1));
  EXPECT_FALSE(night.is_open(kSpringForward));
  // On 2026-10-25 02:00-03:00 local happens twice; a range 02:00-03:00 is open both times.
  const CompiledSchedule twice = make("sun 02:00-03:00", "", berlin());
  EXPECT_TRUE(twice.is_open(kFallBack - 1800));   // 02:30 CEST
  EXPECT_TRUE(twice.is_open(kFallBack + 1800));   // 02:30 CET
  EXPECT_FALSE(twice.is_open(kFallBack + 3600));  // 03:00 CET
}

TEST(ScheduleTest, HolidaysCloseAWorkingDay) {
  // Friday 2026-12-25 10:00 UTC = 11:00 CET.
  constexpr std::int64_t kChristmasMorning = 1798192800;
  EXPECT_TRUE(make("mon-fri 09:00-17:00", "", berlin()).is_open(kChristmasMorning));
  EXPECT_FALSE(
      make("mon-fri 09:00-17:00", "2026-12-24, 2026-12-25", berlin()).is_open(kChristmasMorning));
}

TimeZone new_york() {
  const auto bytes = read_file("/usr/share/zoneinfo/America/New_York");
  auto zone = TimeZone::from_tzif(bytes);
  EXPECT_TRUE(zone.ok()) << (zone.ok() ? "" : zone.error().message);
  return zone.ok() ? *zone : TimeZone{};
}

// Another zone, another rule (decision 0040): New York springs forward on 2026-03-08 at
// 07:00 UTC (02:00 EST -> 03:00 EDT), three weeks before Berlin.
TEST(ScheduleTest, NewYorkOfficeHoursAcrossItsSpringForward) {
  const CompiledSchedule office = make("mon-fri 09:00-17:00", "", new_york());
  constexpr std::int64_t kUsSpringForward = 1772953200;
  const TimeZone zone = new_york();
  EXPECT_EQ(zone.offset_at(kUsSpringForward - 1), -5 * 3600);
  EXPECT_EQ(zone.offset_at(kUsSpringForward), -4 * 3600);
  // Friday 2026-03-06, EST (-5): 13:59:59 UTC is 08:59:59 local, 14:00 UTC is 09:00.
  EXPECT_FALSE(office.is_open(1772805599));
  EXPECT_TRUE(office.is_open(1772805600));
  // Monday 2026-03-09, EDT (-4): 13:00 UTC is already 09:00 local.
  EXPECT_FALSE(office.is_open(1773061199));
  EXPECT_TRUE(office.is_open(1773061200));
}

// A holiday is a local date: 2026-07-04 03:30 UTC is still July 3 in New York (open), 04:30 UTC
// is July 4 there (closed).
TEST(ScheduleTest, HolidaysFollowTheLocalDateNotUtc) {
  const CompiledSchedule always = make("mon-sun 00:00-24:00", "2026-07-04", new_york());
  EXPECT_TRUE(always.is_open(1783135800));
  EXPECT_FALSE(always.is_open(1783139400));
  EXPECT_EQ(always.destination_at(1783139400), "menu:night");
}

}  // namespace
}  // namespace parley::pbx
