#pragma once
// SRTP and SRTCP (RFC 3711) for one direction of one media leg, in place in caller buffers.
//
// An SrtpSession is keyed with one master key and salt (from DTLS-SRTP, RFC 5764 §4.2, or from
// SDES a=crypto lines, RFC 4568) and either only protects (outbound) or only unprotects
// (inbound), for any SSRC the leg carries. Protection profiles: SRTP_AES128_CM_HMAC_SHA1_80 and
// _32 (RFC 5764 §4.1.2; with _32 SRTCP still carries the 80-bit tag, RFC 4568 §6.2.2) and
// SRTP_AEAD_AES_128_GCM (RFC 7714 §14.2). It lives in media/ so that both WebRTC legs (webrtc/
// above) and SDES legs (media/sdes_leg.hpp) use the one libsrtp wrapper.
//
// Packets are processed in place: protect_*() needs `size` plain bytes at the start of a buffer
// with room for the trailer (rtp_trailer_bytes()/rtcp_trailer_bytes() more); unprotect_*()
// shortens the packet. Nothing is allocated per packet; libsrtp allocates once per new SSRC,
// and on the inbound side only after that SSRC's first packet authenticated.
//
// libsrtp is initialised once per process (std::call_once, which also runs its cipher self
// tests); nothing else in the process may call srtp_init() or srtp_shutdown().
//
// Thread-safety: none. One session belongs to one leg on one worker loop.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "base/result.hpp"

namespace parley::media {

// The SRTPProtectionProfile code points of RFC 5764 §4.1.2 and RFC 7714 §14.2.
enum class SrtpProfile : std::uint16_t {
  kAes128CmHmacSha1_80 = 0x0001,
  kAes128CmHmacSha1_32 = 0x0002,
  kAeadAes128Gcm = 0x0007,
};

std::string_view to_string(SrtpProfile profile);      // "SRTP_AES128_CM_SHA1_80", ...
std::size_t master_key_bytes(SrtpProfile profile);    // 16 for both
std::size_t master_salt_bytes(SrtpProfile profile);   // 14 (AES-CM) or 12 (GCM)
std::size_t rtp_trailer_bytes(SrtpProfile profile);   // the tag: 10, 4 (SHA1_32) or 16
std::size_t rtcp_trailer_bytes(SrtpProfile profile);  // E flag + SRTCP index + tag: 14 or 20

// The largest trailer any supported profile adds; a slot this much larger than the plain
// packet can be protected under every profile.
inline constexpr std::size_t kMaxSrtpTrailerBytes = 20;

enum class SrtpDirection : std::uint8_t { kInbound, kOutbound };

enum class SrtpStatus : std::uint8_t {
  kOk,
  kAuthFailed,      // the tag did not verify (tampered, wrong key, or not SRTP at all)
  kReplayed,        // an index already seen, or too old for the replay window
  kMalformed,       // too short, not version 2, header longer than the packet
  kNoRoom,          // protect: the buffer cannot hold the trailer
  kWrongDirection,  // protect on an inbound session or unprotect on an outbound one
  kFailed,          // anything else libsrtp refused (key usage limit, internal error)
};

std::string_view to_string(SrtpStatus status);

// The outcome of one packet: on kOk, `size` is the packet's new length in the buffer.
struct SrtpResult {
  SrtpStatus status = SrtpStatus::kFailed;
  std::size_t size = 0;
  bool ok() const { return status == SrtpStatus::kOk; }
};

struct SrtpCounters {
  std::uint64_t packets = 0;  // protected or unprotected successfully
  std::uint64_t auth_failures = 0;
  std::uint64_t replays = 0;
  std::uint64_t malformed = 0;
  std::uint64_t other_failures = 0;  // kNoRoom, kWrongDirection, kFailed
};

struct SrtpSessionOptions {
  // Inbound replay window in packets (RFC 3711 §3.3.2; libsrtp accepts 64..32767). Video
  // reorders more than audio, so this is wider than libsrtp's default of 128.
  std::size_t replay_window = 1024;
  // Outbound: allow protecting an index again (retransmitting an identical packet). Off means
  // libsrtp refuses, which guards against keystream reuse after a sequence-number bug.
  bool allow_repeat_tx = false;
};

class SrtpSession {
 public:
  // `master_key` and `master_salt` must have the profile's lengths. Both are copied; the caller
  // may wipe its copies afterwards.
  static Result<SrtpSession> create(SrtpDirection direction, SrtpProfile profile,
                                    std::span<const std::uint8_t> master_key,
                                    std::span<const std::uint8_t> master_salt,
                                    const SrtpSessionOptions& options = {});

  // A moved-from session refuses every packet with kWrongDirection.
  SrtpSession(SrtpSession&&) noexcept;
  SrtpSession& operator=(SrtpSession&&) noexcept;
  ~SrtpSession();

  // Outbound only. `buffer` holds `size` bytes of plain RTP (or RTCP) at its start and must be
  // at least size + rtp_trailer_bytes() (rtcp_trailer_bytes()) long.
  SrtpResult protect_rtp(std::span<std::uint8_t> buffer, std::size_t size);
  SrtpResult protect_rtcp(std::span<std::uint8_t> buffer, std::size_t size);

  // Inbound only. On kOk the first `size` bytes of `packet` are the plain packet; on failure
  // the bytes are unspecified (libsrtp may have decrypted part of them) and must be dropped.
  SrtpResult unprotect_rtp(std::span<std::uint8_t> packet);
  SrtpResult unprotect_rtcp(std::span<std::uint8_t> packet);

  SrtpProfile profile() const { return profile_; }
  SrtpDirection direction() const { return direction_; }
  const SrtpCounters& counters() const { return counters_; }

 private:
  struct Impl;
  SrtpSession(std::unique_ptr<Impl> impl, SrtpDirection direction, SrtpProfile profile);
  SrtpResult count(SrtpResult result);

  std::unique_ptr<Impl> impl_;
  SrtpDirection direction_;
  SrtpProfile profile_;
  SrtpCounters counters_;
};

}  // namespace parley::media
