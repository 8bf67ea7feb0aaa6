// libFuzzer target: what an admin or a file may feed the IVR and schedules — the hours and
// holiday text parsers, IVR destinations, and TZif time zone files — must never crash, and a
// parsed zone must answer for any instant.

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "pbx/ivr_menu.hpp"
#include "pbx/time_zone.hpp"
#include "store/schedule_rules.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace pbx = parley::pbx;
  namespace store = parley::store;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto hours = store::parse_weekly_hours(text); hours.ok()) {
    for (const auto& rule : *hours) {
      if (rule.end_minute <= rule.start_minute || rule.end_minute > 1440 || rule.weekdays == 0) {
        std::abort();
      }
    }
  }
  (void)store::parse_holidays(text);
  if (auto destination = pbx::parse_destination(text)) {
    if (destination->kind != pbx::DestinationKind::kHangup && destination->target.empty()) {
      std::abort();
    }
  }
  if (auto zone = pbx::TimeZone::from_tzif({data, size}); zone.ok()) {
    for (std::int64_t instant : {INT64_MIN, std::int64_t{-1}, std::int64_t{0}, INT64_MAX}) {
      const std::int32_t offset = zone->offset_at(instant);
      if (offset < -25 * 3600 || offset > 26 * 3600) std::abort();
    }
  }
  return 0;
}
