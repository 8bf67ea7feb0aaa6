#pragma once
// Digest authentication of SIP requests (RFC 3261 §22, RFC 7616, RFC 8760): issuing challenges
// with stateless nonces and verifying Authorization / Proxy-Authorization credentials.
//
// Nonces are stateless: each one carries its issue time and an HMAC keyed by the server secret,
// so any instance holding the same secret validates it without storage (the exact format is in
// docs/decisions/0003-digest-auth.md). The only state is a bounded nonce-count (nc) cache that
// rejects replays; it belongs to one DigestAuthenticator instance, so share one instance across
// workers when process-wide replay protection is wanted.
//
// The registrar uses it like this:
//   result = auth.verify(request, realm, /*proxy=*/false);
//   kOk             -> proceed as result.username
//   kNoCredentials  -> 401 with challenge(realm, false)
//   kStale          -> 401 with challenge(realm, true) (the client retries without asking the user)
//   kBadCredentials -> throttle.record_failure(...), then 401 with a fresh challenge (or 403)
//   kReplay         -> 401 with a fresh challenge; not a password failure
// (407 and Proxy-Authenticate instead when proxy is true.)

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/clock.hpp"
#include "protocol/sip/digest.hpp"
#include "protocol/sip/headers.hpp"
#include "protocol/sip/message.hpp"

namespace parley::sip {

using protocol::sip::DigestAlgorithm;

// Returns the stored HA1 (lowercase hex, H(username ":" realm ":" password)) of `username` in
// `realm` for `algorithm`, which is always a base algorithm (MD5 or SHA-256; the -sess variants
// share the base HA1), or nullopt when the user is unknown or has no credential for it.
// Called on the verifying thread for every verification: it must answer from memory, never block,
// and be thread-safe if the authenticator is shared between threads.
using CredentialLookup = std::function<std::optional<std::string>(
    std::string_view realm, std::string_view username, DigestAlgorithm algorithm)>;

struct DigestAuthOptions {
  // Key material for nonces and opaque values; at least 16 bytes (the app persists 32 random
  // bytes in the data folder). Instances with the same secret accept each other's nonces.
  std::string secret;
  // Names the zero of the Clock's time base; set it to something that changes whenever that zero
  // moves (for SteadyClock, the kernel's boot_id), so a nonce from before a reboot or from a host
  // with another clock reads as stale instead of looking fresh again.
  std::string clock_epoch;
  // A nonce older than this is stale: the client is re-challenged with stale=TRUE.
  Duration nonce_lifetime = std::chrono::seconds(300);
  // Offered in this order, one challenge each (RFC 8760 §2.4: strongest first). Credentials
  // using an algorithm not listed here are refused.
  std::vector<DigestAlgorithm> algorithms = {DigestAlgorithm::kSha256, DigestAlgorithm::kMd5};
  // Bound on nonces whose nc history is remembered. When it is full the oldest nonce is forgotten
  // and every nonce issued no later than it reads as stale from then on, so a replay can never
  // slip through a forgotten entry (the client just fetches a fresh nonce).
  std::size_t max_tracked_nonces = 65536;
};

enum class AuthOutcome : std::uint8_t {
  kOk,              // credentials valid; username is authenticated
  kNoCredentials,   // no Digest credentials at all: challenge
  kStale,           // correct credentials on an expired nonce: challenge with stale=TRUE
  kBadCredentials,  // wrong password, unknown user, wrong realm, bad nonce, malformed header ...
  kReplay,          // a nonce-count this instance has already accepted
};
std::string_view to_text(AuthOutcome outcome);

struct AuthResult {
  AuthOutcome outcome = AuthOutcome::kNoCredentials;
  // kOk: the authenticated username. Otherwise the username the client claimed, when one could be
  // read (so the caller can throttle per user), else empty. Unknown and known users look the same.
  std::string username;
  std::optional<DigestAlgorithm> algorithm;  // the algorithm the client used, when read
  // Why, in a few words, for server logs only. It tells "unknown user" from "wrong password", so
  // never send it to the client.
  std::string_view detail;

  bool ok() const { return outcome == AuthOutcome::kOk; }
};

// Issues challenges and verifies credentials. Does not own the clock or the lookup's backing
// store; the clock must outlive the authenticator.
// Thread-safety: every method may be called from several threads at once; the nc cache is
// guarded by an internal mutex held only for a map update. The clock and the lookup must be
// thread-safe in that case (SteadyClock is).
class DigestAuthenticator {
 public:
  // Aborts (PARLEY_CHECK) when the secret is shorter than 16 bytes, no algorithm is offered or
  // the lookup is empty: all are programming errors in the composition root.
  DigestAuthenticator(const Clock& clock, CredentialLookup lookup, DigestAuthOptions options);

  DigestAuthenticator(const DigestAuthenticator&) = delete;
  DigestAuthenticator& operator=(const DigestAuthenticator&) = delete;

  // Header values for WWW-Authenticate (or Proxy-Authenticate), one per offered algorithm, all
  // sharing one fresh nonce:
  //   Digest realm="..", qop="auth", algorithm=SHA-256, nonce="..", opaque="..", stale=FALSE
  std::vector<std::string> challenge(std::string_view realm, bool stale) const;

  // Verifies the request's Authorization values (Proxy-Authorization when `proxy`) against
  // `realm`. Requires qop=auth, nc and cnonce, an offered algorithm, a nonce this secret issued
  // for this realm, an opaque equal to ours when present, and a `uri` naming the Request-URI
  // (identical text, or the same scheme, user, host and port). Never throws; any malformed
  // input yields kBadCredentials.
  AuthResult verify(const protocol::sip::Message& request, std::string_view realm, bool proxy);

  // The request's Digest credentials for one realm, parsed once for the throttle (which must key
  // them before verification) and for verify(). Views into the request's text.
  struct Credentials {
    std::optional<protocol::sip::AuthParams> chosen;  // the Digest credentials for the realm
    bool present = false;  // some Digest (or unreadable) credentials were sent
  };
  static Credentials find_credentials(const protocol::sip::Message& request, std::string_view realm,
                                      bool proxy);
  // The username the credentials claim, as written (before verification); empty when none.
  static std::string claimed_username(const Credentials& credentials);
  // verify() with credentials find_credentials() found in `request`.
  AuthResult verify(const protocol::sip::Message& request, std::string_view realm,
                    const Credentials& credentials);

  // Nonces whose nc history is currently remembered (for tests and metrics).
  std::size_t tracked_nonces() const;

 private:
  struct DecodedNonce {
    std::uint64_t issued_seconds = 0;
    std::uint64_t tag = 0;  // the first 8 bytes of the MAC: identifies the nonce in the cache
    bool same_epoch = false;
  };
  struct NonceKey {
    std::uint64_t issued_seconds = 0;
    std::uint64_t tag = 0;
    bool operator<(const NonceKey& other) const {
      return issued_seconds != other.issued_seconds ? issued_seconds < other.issued_seconds
                                                    : tag < other.tag;
    }
  };
  // The highest nc accepted and which of the 64 counts below it were seen, like an IPsec
  // anti-replay window, so UDP reordering does not turn a fresh count into a "replay".
  struct NcWindow {
    std::uint32_t highest = 0;
    std::uint64_t seen = 0;  // bit i: count highest - i was accepted
  };
  enum class NcVerdict : std::uint8_t { kFresh, kReplay, kForgotten };

  std::uint64_t now_seconds() const;
  std::string make_nonce(std::string_view realm, std::uint64_t issued_seconds) const;
  std::optional<DecodedNonce> decode_nonce(std::string_view nonce, std::string_view realm) const;
  std::string opaque_for(std::string_view realm) const;
  NcVerdict check_nc(const DecodedNonce& nonce, std::uint32_t nc, std::uint64_t now);

  const Clock& clock_;
  CredentialLookup lookup_;
  DigestAuthOptions options_;
  std::string nonce_key_;  // HMAC keys derived from the secret, one per purpose
  std::string opaque_key_;
  std::string epoch_tag_;         // 4 bytes naming options_.clock_epoch inside each nonce
  std::string dummy_ha1_md5_;     // HA1 verified against when the user is unknown, so the
  std::string dummy_ha1_sha256_;  // computation (and its timing) matches a known user

  // The nonces' unique bytes: the ChaCha20 keystream (key drawn at start) of a counter, so two
  // challenges never share them and outsiders cannot count challenges from them (decision
  // 0062). A draw from OpenSSL's DRBG per challenge cost more than the rest of the nonce.
  std::array<unsigned char, 32> uniqueness_key_{};
  mutable std::atomic<std::uint64_t> nonce_counter_{0};

  // opaque_for() per realm, computed once: it is an HMAC, asked for by every challenge and every
  // verification. Bounded; realms past the bound are computed each time.
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  mutable std::mutex opaque_mutex_;
  mutable std::unordered_map<std::string, std::string, StringHash, std::equal_to<>>
      opaques_;  // guarded by opaque_mutex_

  mutable std::mutex mutex_;
  std::map<NonceKey, NcWindow> nc_cache_;         // guarded by mutex_; ordered by issue time
  std::optional<std::uint64_t> forgotten_up_to_;  // guarded by mutex_; see max_tracked_nonces
};

}  // namespace parley::sip
