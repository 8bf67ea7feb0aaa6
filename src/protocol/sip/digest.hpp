#pragma once
// HTTP Digest computation as SIP uses it (RFC 3261 §22.4, RFC 7616, RFC 8760): the hash
// algorithms, HA1, the expected `response`, and a constant-time comparison. Pure functions: no
// clock, no randomness, no state. Nonce issuing and checking live in sip/digest_auth.hpp.
//
// Every hex string produced here is lowercase, as RFC 7616 §3.4.1 requires of the response.
// Thread-safety: all functions are reentrant.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace parley::protocol::sip {

// The `algorithm` parameter values Parley knows. The -sess variants hash the nonce and cnonce
// into HA1 (RFC 7616 §3.4.2); their base HA1 is the same as the plain algorithm's.
enum class DigestAlgorithm : std::uint8_t { kMd5, kMd5Sess, kSha256, kSha256Sess };

// Case-insensitive: "MD5", "md5-sess", "SHA-256", "SHA-256-sess". SHA-512-256 and anything else
// give nullopt.
std::optional<DigestAlgorithm> parse_digest_algorithm(std::string_view token);
std::string_view to_text(DigestAlgorithm algorithm);  // canonical spelling, e.g. "SHA-256"

// The algorithm without -sess: the one a stored HA1 is computed with.
DigestAlgorithm base_algorithm(DigestAlgorithm algorithm);
bool is_session_algorithm(DigestAlgorithm algorithm);
// Length in hex characters of every hash of this algorithm: 32 for MD5, 64 for SHA-256.
std::size_t hex_length(DigestAlgorithm algorithm);

// H(text) in lowercase hex. Empty only if OpenSSL cannot provide the hash (for instance MD5 under
// a FIPS-only provider); callers treat an empty hash as "cannot authenticate".
std::string digest_hex(DigestAlgorithm algorithm, std::string_view text);

// HA1 = H(username ":" realm ":" password), the value a credential store keeps instead of the
// password. For a -sess algorithm this is still the base HA1; see session_ha1().
std::string ha1(DigestAlgorithm algorithm, std::string_view username, std::string_view realm,
                std::string_view password);

// For -sess algorithms: H(ha1_hex ":" nonce ":" cnonce) (RFC 7616 §3.4.2).
std::string session_ha1(DigestAlgorithm algorithm, std::string_view ha1_hex, std::string_view nonce,
                        std::string_view cnonce);

// The inputs of a response besides HA1. `qop` empty means the RFC 2069 form without qop, nc
// and cnonce; otherwise only "auth" is supported (auth-int would need the body hash).
struct DigestChallengeResponse {
  std::string_view method;      // the request's method, e.g. "REGISTER"
  std::string_view digest_uri;  // the `uri` parameter as the client sent it
  std::string_view nonce;
  std::string_view nc;  // 8 hex digits as sent, e.g. "00000001"
  std::string_view cnonce;
  std::string_view qop;  // "auth" or empty
};

// The `response` a client holding `ha1_hex` must send:
//   qop=auth:  H(HA1 ":" nonce ":" nc ":" cnonce ":" qop ":" H(method ":" uri))
//   no qop:    H(HA1 ":" nonce ":" H(method ":" uri))                         (RFC 2069)
// For a -sess algorithm `ha1_hex` is the base HA1; the session HA1 is derived here.
// Empty when the hash is unavailable (see digest_hex) or qop is neither "" nor "auth".
std::string expected_response(DigestAlgorithm algorithm, std::string_view ha1_hex,
                              const DigestChallengeResponse& input);

// Convenience overload with the fields in the order of RFC 7616's formula.
std::string expected_response(DigestAlgorithm algorithm, std::string_view ha1_hex,
                              std::string_view method, std::string_view digest_uri,
                              std::string_view nonce, std::string_view nc, std::string_view cnonce,
                              std::string_view qop);

// Compares two strings in time that depends only on their lengths, never on where they differ,
// so that comparing a received response with the expected one leaks nothing through timing.
// Lengths are not secret here (they follow from the algorithm).
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace parley::protocol::sip
