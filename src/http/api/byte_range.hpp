#pragma once
// The Range header of a GET (RFC 9110 §14.1.2) as the API's file downloads serve it: one
// "bytes=" range, first-last, first- or -suffix. A part is clipped to the file and to
// `max_part` bytes (UINT64_MAX for no cap: the file downloads stream their answers).
// Anything this server does not serve as a part (several ranges, other units, bad syntax, a
// last before the first) is ignored and the whole file sent, as §14.2 allows; a range that
// starts at or beyond the end is unsatisfiable (416). Pure; fuzzed by
// tests/fuzz/byte_range_fuzz.cpp.

#include <cstdint>
#include <optional>
#include <string_view>

namespace parley::http::api {

// Bytes first..last of a file, both included.
struct ByteRange {
  std::uint64_t first = 0;
  std::uint64_t last = 0;
};

enum class RangeVerdict : std::uint8_t { kWhole, kPart, kUnsatisfiable };

// Reads `header` (the Range value, or nullopt) for a file of `size` bytes; `range` is set only
// for kPart, and then first <= last < size and last - first < max_part (max_part >= 1).
RangeVerdict read_byte_range(std::optional<std::string_view> header, std::uint64_t size,
                             std::uint64_t max_part, ByteRange& range);

}  // namespace parley::http::api
