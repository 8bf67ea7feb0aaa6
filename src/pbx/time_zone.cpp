#include "pbx/time_zone.hpp"

#include <algorithm>
#include <string>

namespace parley::pbx {
namespace {

constexpr std::size_t kHeaderSize = 44;
constexpr std::uint32_t kMaxCount = 1U << 20;  // far above any real zone; bounds allocations

class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}
  bool has(std::size_t n) const { return bytes_.size() - at_ >= n; }
  std::uint64_t big_endian(std::size_t width) {
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < width; ++i) value = (value << 8) | bytes_[at_ + i];
    at_ += width;
    return value;
  }
  void skip(std::size_t n) { at_ += n; }
  std::size_t position() const { return at_; }

 private:
  std::span<const std::uint8_t> bytes_;
  std::size_t at_ = 0;
};

struct Counts {
  std::uint32_t isut = 0, isstd = 0, leap = 0, time = 0, type = 0, chars = 0;
};

Result<Counts> read_header(Reader& in) {
  if (!in.has(kHeaderSize)) return Error{400, "TZif: truncated header"};
  if (in.big_endian(4) != 0x545a6966U) return Error{400, "TZif: bad magic"};
  in.skip(16);  // version and reserved bytes
  Counts c;
  c.isut = static_cast<std::uint32_t>(in.big_endian(4));
  c.isstd = static_cast<std::uint32_t>(in.big_endian(4));
  c.leap = static_cast<std::uint32_t>(in.big_endian(4));
  c.time = static_cast<std::uint32_t>(in.big_endian(4));
  c.type = static_cast<std::uint32_t>(in.big_endian(4));
  c.chars = static_cast<std::uint32_t>(in.big_endian(4));
  if (c.type == 0 || c.type > 256 || c.time > kMaxCount || c.leap > kMaxCount ||
      c.chars > kMaxCount || c.isut > c.type || c.isstd > c.type) {
    return Error{400, "TZif: counts out of range"};
  }
  return c;
}

std::size_t block_size(const Counts& c, std::size_t time_width) {
  return c.time * time_width + c.time + c.type * 6U + c.chars + c.leap * (time_width + 4U) +
         c.isstd + c.isut;
}

}  // namespace

Result<TimeZone> TimeZone::from_tzif(std::span<const std::uint8_t> bytes) {
  Reader in(bytes);
  auto first = read_header(in);
  if (!first) return first.error();
  const std::uint8_t version = bytes[4];
  std::size_t width = 4;
  Counts counts = *first;
  if (version >= '2') {
    // Skip the 32-bit block: the 64-bit one after the second header is authoritative.
    if (!in.has(block_size(counts, 4))) return Error{400, "TZif: truncated data"};
    in.skip(block_size(counts, 4));
    auto second = read_header(in);
    if (!second) return second.error();
    counts = *second;
    width = 8;
  }
  if (!in.has(block_size(counts, width))) return Error{400, "TZif: truncated data"};
  TimeZone zone;
  zone.transitions_.reserve(counts.time);
  for (std::uint32_t i = 0; i < counts.time; ++i) {
    const std::uint64_t raw = in.big_endian(width);
    const std::int64_t when =
        width == 8 ? static_cast<std::int64_t>(raw)
                   : static_cast<std::int64_t>(static_cast<std::int32_t>(raw & 0xffffffffU));
    if (!zone.transitions_.empty() && when <= zone.transitions_.back()) {
      return Error{400, "TZif: transitions out of order"};
    }
    zone.transitions_.push_back(when);
  }
  std::vector<std::uint8_t> types(counts.time);
  for (auto& type : types) {
    type = static_cast<std::uint8_t>(in.big_endian(1));
    if (type >= counts.type) return Error{400, "TZif: transition names no type"};
  }
  std::vector<std::int32_t> type_offsets(counts.type);
  for (auto& offset : type_offsets) {
    offset = static_cast<std::int32_t>(static_cast<std::uint32_t>(in.big_endian(4)));
    in.skip(2);  // isdst, designation index
    if (offset < -25 * 3600 || offset > 26 * 3600) return Error{400, "TZif: offset out of range"};
  }
  zone.initial_offset_ = type_offsets[0];
  zone.offsets_.reserve(types.size());
  for (const auto type : types) zone.offsets_.push_back(type_offsets[type]);
  return zone;
}

std::int32_t TimeZone::offset_at(std::int64_t unix_seconds) const {
  const auto after = std::upper_bound(transitions_.begin(), transitions_.end(), unix_seconds);
  if (after == transitions_.begin()) return initial_offset_;
  return offsets_[static_cast<std::size_t>(after - transitions_.begin()) - 1];
}

}  // namespace parley::pbx
