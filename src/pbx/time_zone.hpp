#pragma once
// TimeZone: the UTC offset of a place at any instant, read from a compiled tz database file
// (RFC 8536 TZif, /usr/share/zoneinfo/<Area/City>). Pure: from_tzif() parses bytes the caller
// read (app/ reads the file), so it can be fuzzed (tests/fuzz/tzif_fuzz.cpp). libstdc++ 12 has
// no std::chrono::tzdb, hence this small reader.
//
// Instants before the first transition use local time type 0 (RFC 8536 §3.2); instants after
// the last one keep the last offset. Debian's tzdata is built "fat" (transitions listed to
// 2037), so the footer's POSIX TZ rule is not evaluated; schedules beyond 2037 would keep the
// last 2037 offset.
//
// Immutable value; safe to share between threads.

#include <cstdint>
#include <span>
#include <vector>

#include "base/result.hpp"

namespace parley::pbx {

class TimeZone {
 public:
  TimeZone() = default;  // UTC

  // Error 400 with the reason for bytes that are not a well-formed TZif file.
  static Result<TimeZone> from_tzif(std::span<const std::uint8_t> bytes);

  // Seconds east of UTC at `unix_seconds`.
  std::int32_t offset_at(std::int64_t unix_seconds) const;

 private:
  std::vector<std::int64_t> transitions_;  // ascending
  std::vector<std::int32_t> offsets_;      // in force from the transition of the same index
  std::int32_t initial_offset_ = 0;
};

}  // namespace parley::pbx
