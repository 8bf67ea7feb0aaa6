#pragma once
// The SDP Security Descriptions attribute for SRTP (SDES, RFC 4568):
//
//   a=crypto:<tag> <crypto-suite> inline:<base64 key||salt>[|<lifetime>][|<MKI>:<length>]
//            [;inline:... more keys] [<session-param> ...]
//
// parse_crypto() reads the value after "crypto:" (RFC 4568 §9.1 grammar) and checks it against
// what the suite needs: the decoded key||salt must have exactly the suite's length, a lifetime
// may not exceed the suite's maximum (2^48 packets for SRTP, §6.1, §6.2), an MKI length is 1..128
// bytes and the MKI must fit in it. Unknown suites, key methods other than "inline", bad base64
// and everything else malformed are refused with a message saying which part was wrong; the
// message never repeats key material. serialise_crypto() writes the canonical form back
// (padded base64, "2^n" lifetimes where the value is a power of two).
//
// Suites: AES_CM_128_HMAC_SHA1_80 and AES_CM_128_HMAC_SHA1_32 (RFC 4568 §6.2: 16-byte key,
// 14-byte salt) and AEAD_AES_128_GCM (RFC 7714 §12: 16-byte key, 12-byte salt).
//
// Key material sits in fixed arrays inside the value (no heap copies the caller cannot wipe);
// wipe() clears it. Pure functions over bytes; thread-safe as value types are.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace parley::protocol::sdp {

enum class CryptoSuite : std::uint8_t {
  kAesCm128HmacSha1_80,
  kAesCm128HmacSha1_32,
  kAeadAes128Gcm,
};

std::string_view to_string(CryptoSuite suite);  // "AES_CM_128_HMAC_SHA1_80", ...
// The suite with this name (exact, case-sensitive as RFC 4568 §9.1 registers them), or nullopt.
std::optional<CryptoSuite> crypto_suite_named(std::string_view name);
std::size_t crypto_key_bytes(CryptoSuite suite);   // 16 for every suite above
std::size_t crypto_salt_bytes(CryptoSuite suite);  // 14 (AES-CM) or 12 (GCM)

inline constexpr std::size_t kMaxCryptoKeySaltBytes = 30;
inline constexpr std::size_t kMaxCryptoKeys = 16;           // key-params on one line
inline constexpr std::size_t kMaxCryptoSessionParams = 16;  // session-params on one line
inline constexpr std::size_t kMaxCryptoAttributeBytes = 2048;

// One inline key-param: the concatenated master key and salt, and what else it said.
struct CryptoKey {
  std::array<std::uint8_t, kMaxCryptoKeySaltBytes> key_salt{};
  std::size_t size = 0;                   // bytes used in key_salt
  std::optional<std::uint64_t> lifetime;  // packets
  std::optional<std::uint32_t> mki;       // MKI value, with mki_length bytes on the wire
  std::uint8_t mki_length = 0;

  std::span<const std::uint8_t> bytes() const { return {key_salt.data(), size}; }
  std::span<const std::uint8_t> master_key(CryptoSuite suite) const;
  std::span<const std::uint8_t> master_salt(CryptoSuite suite) const;
};

struct CryptoAttribute {
  std::uint32_t tag = 1;  // 1..999999999
  CryptoSuite suite = CryptoSuite::kAesCm128HmacSha1_80;
  std::vector<CryptoKey> keys;              // at least one
  std::vector<std::string> session_params;  // as written, e.g. "UNENCRYPTED_SRTCP"

  // Clears every key's bytes (in a way the optimiser keeps).
  void wipe();
};

// Parses the attribute value (everything after "a=crypto:"). Error code 400 on refusal.
Result<CryptoAttribute> parse_crypto(std::string_view value);

// The attribute value for `attribute`, without the "crypto:" name.
std::string serialise_crypto(const CryptoAttribute& attribute);

// Standard base64 (RFC 4648 §4). Decoding accepts input with or without its padding; anything
// else (other characters, a stray '=', a length that cannot be base64) is an error. `out` gets
// the decoded bytes and must be large enough (3 bytes per 4 characters).
std::string encode_base64(std::span<const std::uint8_t> bytes);
Result<std::size_t> decode_base64(std::string_view text, std::span<std::uint8_t> out);

}  // namespace parley::protocol::sdp
