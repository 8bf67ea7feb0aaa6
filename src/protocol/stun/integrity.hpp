#pragma once
// MESSAGE-INTEGRITY (HMAC-SHA1, RFC 8489 §14.5) and FINGERPRINT (CRC-32 xor 0x5354554E, §14.7)
// computed and checked over the raw message bytes, with the header's length field adjusted as
// the RFC requires: for MESSAGE-INTEGRITY it covers the message up to and including that
// attribute; for FINGERPRINT, up to and including FINGERPRINT. HMAC and MD5 come from OpenSSL.
//
// Thread-safety: pure functions.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "protocol/stun/message.hpp"

namespace parley::protocol::stun {

// The short-term credential key (RFC 8489 §9.1.1) is the password's bytes. OpaqueString (PRECIS)
// preparation is left out: ICE passwords are ice-chars, which it leaves unchanged.
inline std::span<const std::uint8_t> short_term_key(std::string_view password) {
  return {reinterpret_cast<const std::uint8_t*>(password.data()),  // NOLINT chars as bytes
          password.size()};
}

// The long-term credential key of RFC 5389 §15.4: MD5(username ":" realm ":" password). The
// password must already be SASLprep-ed. nullopt when OpenSSL offers no MD5 (FIPS-only builds).
std::optional<std::array<std::uint8_t, 16>> long_term_key(std::string_view username,
                                                          std::string_view realm,
                                                          std::string_view password);

// CRC-32 of ISO/IEC 3309 / ITU-T V.42 (the zlib/Ethernet polynomial), as FINGERPRINT uses it.
std::uint32_t crc32(std::span<const std::uint8_t> bytes);

// HMAC-SHA1 over `prefix` (a message up to, not including, its MESSAGE-INTEGRITY attribute) as if
// its length field read `length_field`. False only if OpenSSL fails.
bool compute_message_integrity(std::span<const std::uint8_t> prefix, std::uint16_t length_field,
                               std::span<const std::uint8_t> key,
                               std::span<std::uint8_t, kMessageIntegrityBytes> out);

// FINGERPRINT value for `prefix` (a message up to, not including, FINGERPRINT) as if its length
// field read `length_field`.
std::uint32_t compute_fingerprint(std::span<const std::uint8_t> prefix, std::uint16_t length_field);

// True when the message carries MESSAGE-INTEGRITY and it matches `key` (compared in constant
// time). False when it is absent, wrong, or cannot be computed.
bool verify_message_integrity(const MessageView& message, std::span<const std::uint8_t> key);

// True when the message carries FINGERPRINT and it matches.
bool verify_fingerprint(const MessageView& message);

}  // namespace parley::protocol::stun
