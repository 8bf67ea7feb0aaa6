#pragma once
// Private to protocol/rtp: network-order reads and writes at an offset the caller has checked,
// and the RTCP packet types both the validator and the report parser know.

#include <cstddef>
#include <cstdint>
#include <span>

namespace parley::protocol::rtp::detail {

inline constexpr std::uint8_t kSenderReport = 200;
inline constexpr std::uint8_t kReceiverReport = 201;
inline constexpr std::size_t kRtcpHeaderBytes = 4;

inline std::uint16_t read16(std::span<const std::uint8_t> bytes, std::size_t at) {
  return static_cast<std::uint16_t>((bytes[at] << 8U) | bytes[at + 1]);
}

inline std::uint32_t read32(std::span<const std::uint8_t> bytes, std::size_t at) {
  return (std::uint32_t{bytes[at]} << 24U) | (std::uint32_t{bytes[at + 1]} << 16U) |
         (std::uint32_t{bytes[at + 2]} << 8U) | std::uint32_t{bytes[at + 3]};
}

inline void write16(std::span<std::uint8_t> bytes, std::size_t at, std::uint16_t value) {
  bytes[at] = static_cast<std::uint8_t>(value >> 8U);
  bytes[at + 1] = static_cast<std::uint8_t>(value);
}

inline void write32(std::span<std::uint8_t> bytes, std::size_t at, std::uint32_t value) {
  bytes[at] = static_cast<std::uint8_t>(value >> 24U);
  bytes[at + 1] = static_cast<std::uint8_t>(value >> 16U);
  bytes[at + 2] = static_cast<std::uint8_t>(value >> 8U);
  bytes[at + 3] = static_cast<std::uint8_t>(value);
}

}  // namespace parley::protocol::rtp::detail
