// libFuzzer target: the Range header of the API's file downloads (http/api/byte_range.hpp).
// The first 8 bytes choose the file size and the rest is the header. Nothing may crash, and a
// part must lie inside the file and within the part limit (when there is one).

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "http/api/byte_range.hpp"

namespace api = parley::http::api;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 8) return 0;
  std::uint64_t file_size = 0;
  std::memcpy(&file_size, data, sizeof(file_size));
  file_size %= std::uint64_t{1} << 40;
  const std::string_view header(reinterpret_cast<const char*>(data + 8), size - 8);
  constexpr std::uint64_t kMaxPart = 4096;
  api::ByteRange range;
  const auto verdict = api::read_byte_range(header, file_size, kMaxPart, range);
  if (verdict == api::RangeVerdict::kPart) {
    if (range.first > range.last || range.last >= file_size) std::abort();
    if (range.last - range.first >= kMaxPart) std::abort();
  }
  // Uncapped, as the streamed downloads ask: the part still lies inside the file (no overflow of
  // first + max_part).
  if (api::read_byte_range(header, file_size, UINT64_MAX, range) == api::RangeVerdict::kPart) {
    if (range.first > range.last || range.last >= file_size) std::abort();
  }
  return 0;
}
