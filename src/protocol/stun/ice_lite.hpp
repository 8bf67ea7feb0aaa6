#pragma once
// The answering half of an ICE-lite agent (RFC 8445 §2.5, §7.3 and §7.3.2; credentials per
// RFC 8839 §5.4): it never sends checks, it answers the Binding requests of the full agent
// (a browser) with a success response that tells the peer its reflexive address, and reports
// whether the peer nominated the pair. One call per received STUN datagram; the answer is written
// into the caller's buffer and sent back to the datagram's source by the caller.
//
// Decisions, all in the order RFC 8489 §6.3 and §9.1.3 apply them:
//   malformed, or FINGERPRINT present and wrong -> kDrop (§7.3: silently discarded; an error
//     response would go to whatever non-STUN sender produced the bytes)
//   indication or response                      -> kIgnore (a lite agent sends no requests, and
//     Binding indications are keepalives)
//   request for a method other than Binding     -> 400 (nothing else is served)
//   no USERNAME or no MESSAGE-INTEGRITY         -> 400 (§9.1.3)
//   USERNAME not "<local ufrag>:<remote ufrag>" -> 401 (§9.1.3: not a username valid here)
//   MESSAGE-INTEGRITY wrong for the local pwd   -> 401 (§9.1.3)
//     These error responses carry no MESSAGE-INTEGRITY: there is no credential to sign with
//     that the sender is known to hold. A 401 costs the sender nothing it did not spend (the
//     answer is no larger than the request), and tells a browser with stale credentials after
//     an ICE restart what went wrong instead of leaving it to time out.
//   unknown comprehension-required attributes   -> 420 with UNKNOWN-ATTRIBUTES, signed
//   otherwise                                   -> success: XOR-MAPPED-ADDRESS of the source,
//     MESSAGE-INTEGRITY with the local pwd, FINGERPRINT.
// Every response carries FINGERPRINT, which ICE requires on all its STUN messages.
//
// Role: a lite agent is always controlled when its peer is full (RFC 8445 §6.1.1). The role
// conflict repair of §7.3.1.1 (487 Role Conflict, tiebreaker comparison) sits under §7.3.1,
// "Additional Procedures for Full Implementations", and needs a tiebreaker a lite agent does not
// keep, so this responder never answers 487: a request carrying ICE-CONTROLLED (a peer that also
// thinks it is controlled, which only happens when both sides are lite or misconfigured) is still
// answered with success, and `peer_claims_controlled` lets the caller log it.
//
// Thread-safety: pure function; no state between calls.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "protocol/stun/message.hpp"

namespace parley::protocol::stun {

// Large enough for every answer answer_binding_request() writes (the largest, a 420 listing
// kMaxUnknownAttributes types, is 116 bytes).
inline constexpr std::size_t kIceResponseBufferBytes = 256;

// The credentials of one ICE session as exchanged in SDP (a=ice-ufrag, a=ice-pwd).
// `remote_ufrag` may be empty when the peer's description has not arrived yet; then only the
// local half of USERNAME is checked, which RFC 8445 §7.3 allows.
struct IceLiteCredentials {
  std::string_view local_ufrag;
  std::string_view local_pwd;
  std::string_view remote_ufrag;
};

enum class IceAction : std::uint8_t {
  kSendSuccess,  // an authenticated Binding request: send `response` back to the source
  kSendError,    // send the error response in `response` back to the source
  kIgnore,       // well-formed STUN that needs no answer (indication, response)
  kDrop,         // not STUN, malformed, or failed FINGERPRINT: discard silently
};

struct IceBindingResult {
  IceAction action = IceAction::kDrop;
  std::size_t response_size = 0;  // bytes written at the start of the caller's buffer
  int error_code = 0;             // 400, 401 or 420 with kSendError
  bool nominated = false;         // USE-CANDIDATE in a successful request (RFC 8445 §7.3.2)
  std::optional<std::uint32_t> priority;  // PRIORITY of the request: the peer-reflexive priority
  bool peer_claims_controlled = false;    // the request carried ICE-CONTROLLED
  const char* detail = "";                // a static phrase for logs: why it was dropped or refused
};

// Answers one datagram received on a lite agent's socket from `source`. `response` should hold
// kIceResponseBufferBytes; if it is too small nothing is sent (kDrop, detail says so).
IceBindingResult answer_binding_request(std::span<const std::uint8_t> datagram,
                                        const TransportAddress& source,
                                        const IceLiteCredentials& credentials,
                                        std::span<std::uint8_t> response);

// ---- credentials -------------------------------------------------------------------------------

// What Parley puts in a=ice-ufrag / a=ice-pwd. RFC 8445 §5.3 asks for at least 24 random bits in
// the ufrag and 128 in the pwd; each ice-char carries 6 bits, so 8 chars give 48 and 24 give 144.
inline constexpr std::size_t kGeneratedUfragChars = 8;
inline constexpr std::size_t kGeneratedPwdChars = 24;

struct IceCredentials {
  std::string ufrag;
  std::string pwd;
};

// Fresh random credentials from OpenSSL's RAND_bytes; an error if the generator fails.
Result<IceCredentials> generate_ice_credentials();

// The deterministic half of generate_ice_credentials(): maps each random byte to one of the 64
// ice-chars (unbiased, since 256 is a multiple of 64).
IceCredentials ice_credentials_from_random(
    std::span<const std::uint8_t, kGeneratedUfragChars + kGeneratedPwdChars> random);

// RFC 8839 §5.4 grammar: ice-ufrag is 4..256 ice-chars, ice-pwd 22..256 ice-chars, where
// ice-char = ALPHA / DIGIT / "+" / "/".
bool valid_ice_ufrag(std::string_view ufrag);
bool valid_ice_pwd(std::string_view pwd);

}  // namespace parley::protocol::stun
