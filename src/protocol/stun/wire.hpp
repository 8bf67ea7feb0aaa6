#pragma once
// Big-endian reads and writes shared by the STUN parser, writer and integrity code. Internal to
// protocol/stun: callers outside this folder have no use for it.

#include <cstddef>
#include <cstdint>
#include <span>

namespace parley::protocol::stun::wire {

inline std::uint16_t read16(std::span<const std::uint8_t> bytes, std::size_t at) {
  return static_cast<std::uint16_t>((bytes[at] << 8U) | bytes[at + 1]);
}

inline std::uint32_t read32(std::span<const std::uint8_t> bytes, std::size_t at) {
  return (std::uint32_t{bytes[at]} << 24U) | (std::uint32_t{bytes[at + 1]} << 16U) |
         (std::uint32_t{bytes[at + 2]} << 8U) | std::uint32_t{bytes[at + 3]};
}

inline std::uint64_t read64(std::span<const std::uint8_t> bytes, std::size_t at) {
  return (std::uint64_t{read32(bytes, at)} << 32U) | read32(bytes, at + 4);
}

inline void write16(std::span<std::uint8_t> bytes, std::size_t at, std::uint16_t value) {
  bytes[at] = static_cast<std::uint8_t>(value >> 8U);
  bytes[at + 1] = static_cast<std::uint8_t>(value);
}

inline void write32(std::span<std::uint8_t> bytes, std::size_t at, std::uint32_t value) {
  write16(bytes, at, static_cast<std::uint16_t>(value >> 16U));
  write16(bytes, at + 2, static_cast<std::uint16_t>(value));
}

inline void write64(std::span<std::uint8_t> bytes, std::size_t at, std::uint64_t value) {
  write32(bytes, at, static_cast<std::uint32_t>(value >> 32U));
  write32(bytes, at + 4, static_cast<std::uint32_t>(value));
}

constexpr std::size_t padded(std::size_t length) {
  return (length + 3U) & ~std::size_t{3};
}

}  // namespace parley::protocol::stun::wire
