#pragma once
// SDES offer/answer for SRTP (RFC 4568 §7; decision docs/decisions/0033-sdes-srtp.md): which
// a=crypto line of an offer Parley takes and the key it answers with, the lines it offers a
// phone itself, and which of them an answer took.
//
// Parley's keys are fresh random bytes from OpenSSL's RAND_bytes for every new key: a new one
// for each offer Parley makes and for each answer that starts a new SRTP session, never reused
// for a second session (a new session restarts the packet index, and the same key with the same
// index would repeat the AES-CM keystream). Keys are never logged; error messages name the
// suite or the part that was wrong, not key bytes.
//
// Usable lines: a supported suite (AES_CM_128_HMAC_SHA1_80, AES_CM_128_HMAC_SHA1_32,
// AEAD_AES_128_GCM) with exactly one inline key, no MKI and no session parameters (Parley
// implements none of UNENCRYPTED_SRTP, KDR and the others, and RFC 4568 §6.3 asks an answerer
// to refuse lines whose parameters it does not understand). Offers list the lines in the
// offerer's preference order; the first usable one wins.
//
// Thread-safety: value types and pure functions, apart from the random generator (thread-safe).

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "media/secure_leg.hpp"
#include "media/srtp_session.hpp"
#include "protocol/sdp/crypto_attribute.hpp"
#include "protocol/sdp/session_description.hpp"

namespace parley::media {

// RTP/SAVP or RTP/SAVPF (RFC 3711, RFC 5124): SRTP keyed by SDES, not DTLS.
bool is_sdes_protocol(std::string_view protocol);

SrtpProfile srtp_profile_of(protocol::sdp::CryptoSuite suite);

// The keying of one SDES leg: the a=crypto tag and suite both sides agreed on, the peer's key
// (what it sends with) and ours (what we send with). Wipes its key bytes when destroyed.
struct SdesKeys {
  std::uint32_t tag = 1;
  protocol::sdp::CryptoSuite suite = protocol::sdp::CryptoSuite::kAesCm128HmacSha1_80;
  protocol::sdp::CryptoKey remote;
  protocol::sdp::CryptoKey local;

  SdesKeys() = default;
  SdesKeys(const SdesKeys&) = default;
  SdesKeys& operator=(const SdesKeys&) = default;
  ~SdesKeys();

  // Our a=crypto line for the answer: the agreed tag and suite with our key.
  protocol::sdp::Attribute local_attribute() const;
  // Both SRTP sessions of the leg.
  Result<std::unique_ptr<SecureLeg>> make_leg() const;
};

// The lines Parley offers a phone: each suite it supports for SDES, with its own fresh key.
// Wipes its key bytes when destroyed.
struct SdesOffer {
  std::vector<protocol::sdp::CryptoAttribute> lines;

  SdesOffer() = default;
  SdesOffer(const SdesOffer&) = default;
  SdesOffer& operator=(const SdesOffer&) = default;
  ~SdesOffer();

  static Result<SdesOffer> fresh();
  // The a=crypto attributes to add to the audio stream.
  std::vector<protocol::sdp::Attribute> attributes() const;
};

// Whether two keyings are the same (tag, suite and both keys), i.e. the leg's sessions can stay.
bool same_keys(const SdesKeys& a, const SdesKeys& b);

// The keys for answering an offered SRTP stream: its first usable a=crypto line and a fresh key
// of ours. When the line is the one `current` was made from (same tag, suite and the peer's
// same key: a re-INVITE that keeps its keys), `current` is returned unchanged, so the leg keeps
// its SRTP sessions. Error 488 when no line is usable.
Result<SdesKeys> answer_sdes(const protocol::sdp::Media& offered, const SdesKeys* current);

// The keys an answer to `offer` chose: exactly one a=crypto line whose tag and suite are one of
// ours (RFC 4568 §7.1.3, §7.4.2). Error 488 otherwise.
Result<SdesKeys> accept_sdes_answer(const SdesOffer& offer, const protocol::sdp::Media& answered);

}  // namespace parley::media
