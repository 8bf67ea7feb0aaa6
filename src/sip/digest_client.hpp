#pragma once
// The client side of SIP digest authentication (RFC 3261 §22.2-22.3, RFC 7616, RFC 8760): reads
// the challenges of a 401 (WWW-Authenticate) or 407 (Proxy-Authenticate), picks the strongest
// one Parley can answer, and writes the Authorization / Proxy-Authorization value for a request.
// Used when Parley registers to, or calls through, a provider (trunks, issue 11); the server side
// is digest_auth.hpp.
//
// Pure functions and values: no clock, no randomness (the caller passes the cnonce), no state.
// Thread-safety: all functions are reentrant.

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "protocol/sip/digest.hpp"
#include "protocol/sip/message.hpp"

namespace parley::sip {

// One challenge we chose to answer, with its quoted values unescaped (owned copies: the response
// it came from is gone by the time the credentials are reused for a refresh).
struct DigestChallenge {
  bool proxy = false;  // from Proxy-Authenticate (answer with Proxy-Authorization)
  protocol::sip::DigestAlgorithm algorithm = protocol::sip::DigestAlgorithm::kMd5;
  bool algorithm_named = false;  // the challenge carried algorithm= (echoed back only then)
  std::string realm;
  std::string nonce;
  std::string opaque;
  bool has_opaque = false;
  bool qop_auth = false;  // the server offered qop "auth" (we then always use it)
  bool stale = false;     // stale=TRUE: our password was right, only the nonce expired
};

// Picks the challenge to answer among every WWW-Authenticate (401) or Proxy-Authenticate (407)
// field of `response`: Digest scheme, an algorithm we know (a missing algorithm means MD5), qop
// absent or offering "auth" (auth-int alone cannot be answered without hashing bodies), a
// non-empty nonce and, when `required_realm` is not empty, exactly that realm. Among those the
// strongest algorithm wins (SHA-256, SHA-256-sess, MD5, MD5-sess); ties go to the first field.
// Fails with code 401/407 and a reason when none qualifies, or 400 for a response that is not
// a 401 or 407.
Result<DigestChallenge> pick_challenge(const protocol::sip::Message& response,
                                       std::string_view required_realm);

struct DigestAnswer {
  std::string_view username;
  std::string_view password;
  std::string_view method;      // of the request being authorised, e.g. "REGISTER"
  std::string_view digest_uri;  // its Request-URI, as sent
  std::uint32_t nc = 1;         // nonce count: 1 for a fresh nonce, then one more per request
  std::string_view cnonce;      // client nonce: fresh random text per nonce (unused without qop)
};

// The header name to send: "Authorization" or "Proxy-Authorization".
std::string_view authorization_header(const DigestChallenge& challenge);

// The whole header value, e.g.
//   Digest username="bob", realm="r", nonce="n", uri="sip:x", response="...", algorithm=SHA-256,
//   cnonce="c", qop=auth, nc=00000001, opaque="o"
// Empty when the hash is unavailable (an MD5-less OpenSSL provider).
std::string authorization_value(const DigestChallenge& challenge, const DigestAnswer& answer);

// The nonce count in the form the nc parameter takes: 8 lowercase hex digits.
std::string nc_text(std::uint32_t nc);

}  // namespace parley::sip
