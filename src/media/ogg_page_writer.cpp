#include "media/ogg_page_writer.hpp"

#include <array>
#include <cstring>

namespace parley::media {
namespace {

constexpr std::uint32_t kCrcPolynomial = 0x04C11DB7U;
constexpr std::uint8_t kBeginningOfStream = 0x02;
constexpr std::uint8_t kEndOfStream = 0x04;
constexpr std::size_t kSegmentBytes = 255;
constexpr std::size_t kCrcOffset = 22;

constexpr std::array<std::uint32_t, 256> make_crc_table() {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t i = 0; i < table.size(); ++i) {
    std::uint32_t value = i << 24U;
    for (int bit = 0; bit < 8; ++bit) {
      value = (value & 0x80000000U) != 0 ? (value << 1U) ^ kCrcPolynomial : value << 1U;
    }
    table[i] = value;
  }
  return table;
}

constexpr std::array<std::uint32_t, 256> kCrcTable = make_crc_table();

void put32(std::uint8_t* at, std::uint32_t value) {
  for (int i = 0; i < 4; ++i) at[i] = static_cast<std::uint8_t>(value >> (8U * i));
}

}  // namespace

std::uint32_t ogg_crc(std::span<const std::uint8_t> bytes) {
  std::uint32_t crc = 0;
  for (const std::uint8_t byte : bytes) {
    crc = (crc << 8U) ^ kCrcTable[((crc >> 24U) ^ byte) & 0xFFU];
  }
  return crc;
}

bool OggPageWriter::fits(std::size_t packet_bytes) const {
  return segments_.size() + packet_bytes / kSegmentBytes + 1 <= kMaxSegments;
}

void OggPageWriter::add(std::span<const std::uint8_t> packet) {
  // Lacing: 255 for each full segment, then the remainder (0 when the size is a multiple).
  std::size_t left = packet.size();
  while (left >= kSegmentBytes) {
    segments_.push_back(kSegmentBytes);
    left -= kSegmentBytes;
  }
  segments_.push_back(static_cast<std::uint8_t>(left));
  body_.insert(body_.end(), packet.begin(), packet.end());
}

std::span<const std::uint8_t> OggPageWriter::finish_page(std::uint64_t granule_position,
                                                         bool last) {
  page_.assign(kHeaderBytes + segments_.size() + body_.size(), 0);
  std::uint8_t* header = page_.data();
  std::memcpy(header, "OggS", 4);
  header[4] = 0;  // stream structure version
  header[5] = static_cast<std::uint8_t>((sequence_ == 0 ? kBeginningOfStream : 0) |
                                        (last ? kEndOfStream : 0));
  put32(header + 6, static_cast<std::uint32_t>(granule_position));
  put32(header + 10, static_cast<std::uint32_t>(granule_position >> 32U));
  put32(header + 14, serial_);
  put32(header + 18, sequence_);
  header[26] = static_cast<std::uint8_t>(segments_.size());
  std::memcpy(header + kHeaderBytes, segments_.data(), segments_.size());
  if (!body_.empty()) {
    std::memcpy(header + kHeaderBytes + segments_.size(), body_.data(), body_.size());
  }
  put32(header + kCrcOffset, ogg_crc(page_));  // computed with the field zero
  ++sequence_;
  segments_.clear();
  body_.clear();
  return page_;
}

}  // namespace parley::media
