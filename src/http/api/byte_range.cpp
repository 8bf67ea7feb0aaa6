#include "http/api/byte_range.hpp"

#include <algorithm>
#include <charconv>

namespace parley::http::api {

namespace {

std::optional<std::uint64_t> whole_number(std::string_view text) {
  std::uint64_t value = 0;
  if (text.empty() || text.size() > 19) return std::nullopt;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

RangeVerdict read_byte_range(std::optional<std::string_view> header, std::uint64_t size,
                             std::uint64_t max_part, ByteRange& range) {
  if (!header) return RangeVerdict::kWhole;
  std::string_view spec = *header;
  constexpr std::string_view kUnit = "bytes=";
  if (!spec.starts_with(kUnit) || spec.find(',') != std::string_view::npos) {
    return RangeVerdict::kWhole;
  }
  spec.remove_prefix(kUnit.size());
  const std::size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return RangeVerdict::kWhole;
  const std::string_view first_text = spec.substr(0, dash);
  const std::string_view last_text = spec.substr(dash + 1);
  ByteRange found;
  if (first_text.empty()) {  // "-N": the last N bytes
    const auto suffix = whole_number(last_text);
    if (!suffix) return RangeVerdict::kWhole;
    if (*suffix == 0 || size == 0) return RangeVerdict::kUnsatisfiable;
    found.first = size - std::min(*suffix, size);
    found.last = size - 1;
  } else {
    const auto first = whole_number(first_text);
    const auto last =
        last_text.empty() ? std::optional<std::uint64_t>(UINT64_MAX) : whole_number(last_text);
    if (!first || !last || *last < *first) return RangeVerdict::kWhole;
    if (*first >= size) return RangeVerdict::kUnsatisfiable;
    found.first = *first;
    found.last = std::min(*last, size - 1);
  }
  const std::uint64_t most = std::max<std::uint64_t>(max_part, 1);
  if (found.last - found.first >= most) found.last = found.first + most - 1;
  range = found;
  return RangeVerdict::kPart;
}

}  // namespace parley::http::api
