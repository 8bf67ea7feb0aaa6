#pragma once
// One DTLS 1.2 association of a WebRTC media leg (RFC 5763/5764): the handshake that proves the
// peer holds the certificate its SDP fingerprint names and yields the SRTP keys. No sockets:
// the caller feeds each received DTLS datagram in and sends each datagram that comes out.
//
// Driving it:
//   1. create() with the shared identity, our role (a=setup:active -> kClient, passive ->
//      kServer) and the fingerprint from the remote SDP; start() (a client sends its
//      ClientHello, a server waits).
//   2. Every datagram whose first byte is 20..63 (RFC 7983, is_dtls()) goes to receive().
//   3. After every call, send the datagrams appended to `out` in order, then re-arm a timer
//      from retransmit_timeout(); when it fires, call on_timer(). Retransmission uses OpenSSL's
//      own clock, so on_timer() before the deadline does nothing.
//   4. When state() becomes kConnected, srtp_sessions() gives the inbound and outbound
//      SrtpSession. Keep feeding DTLS datagrams afterwards: if our last flight was lost, the
//      peer retransmits its own and we must answer it.
//   5. kFailed is final: failure() says why (wrong fingerprint, no common SRTP profile, the peer
//      stopped answering, too many datagrams, a TLS alert).
//
// Bad input never crashes: datagrams that are not DTLS records, or arrive when nothing can use
// them, are dropped and counted; OpenSSL discards records that fail its own checks.
//
// Thread-safety: none; one endpoint belongs to one leg on one worker loop.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "media/srtp_session.hpp"
#include "webrtc/dtls_identity.hpp"

namespace parley::webrtc {

// The SRTP wrapper lives in media/ (SDES legs use it too); DTLS-SRTP hands out its sessions.
using media::kMaxSrtpTrailerBytes;
using media::master_key_bytes;
using media::master_salt_bytes;
using media::SrtpDirection;
using media::SrtpProfile;
using media::SrtpResult;
using media::SrtpSession;
using media::SrtpSessionOptions;
using media::SrtpStatus;
using media::to_string;

enum class DtlsRole : std::uint8_t { kClient, kServer };

enum class DtlsState : std::uint8_t { kNew, kConnecting, kConnected, kFailed, kClosed };

std::string_view to_string(DtlsState state);

// Error::code of failure(): why a handshake or association ended.
enum class DtlsFailure : int {
  kFingerprintMismatch = 1,  // the peer's certificate is not the one its SDP announced
  kNoSrtpProfile,            // the handshake finished without use_srtp or a common profile
  kTimeout,                  // the peer stopped answering our retransmissions
  kTooManyDatagrams,         // the handshake did not finish within max_handshake_datagrams
  kProtocol,                 // a TLS error or alert; the message has OpenSSL's reason
  kKeyExport,                // exporting the SRTP keying material failed
};

struct DtlsEndpointOptions {
  DtlsRole role = DtlsRole::kServer;
  // a=fingerprint of the remote SDP, "sha-256 AB:CD:...".
  std::string remote_fingerprint;
  // SRTP protection profiles in our order of preference: a client offers them in this order,
  // a server picks the first of these the client offered.
  std::vector<SrtpProfile> srtp_profiles = {SrtpProfile::kAeadAes128Gcm,
                                            SrtpProfile::kAes128CmHmacSha1_80};
  // Largest datagram we send; 1200 leaves room for IPv6, UDP and a TURN channel header.
  std::size_t mtu = 1200;
  // RFC 6347 §4.2.4.1: start at 1 s, double each time, here capped at max_retransmit_interval.
  std::chrono::milliseconds initial_retransmit{1000};
  std::chrono::milliseconds max_retransmit_interval{8000};
  // Retransmissions of one handshake before it fails with kTimeout (1+2+4+8+8+8 s by default).
  unsigned max_retransmits = 6;
  // Received datagrams a handshake may take before it fails with kTooManyDatagrams. A clean
  // handshake needs 2 (client) or 3 (server); the rest is room for retransmissions.
  std::size_t max_handshake_datagrams = 32;
};

using Datagram = std::vector<std::uint8_t>;

// Counters of one endpoint, for stats and tests.
struct DtlsCounters {
  std::uint64_t datagrams_received = 0;
  std::uint64_t datagrams_dropped = 0;  // not DTLS records, or when nothing can use them
  std::uint64_t datagrams_sent = 0;
  std::uint64_t retransmissions = 0;           // timer expiries that resent a flight
  std::uint64_t application_data_dropped = 0;  // DTLS application data (no data channels yet)
};

// The SRTP sessions a finished handshake keys (RFC 5764 §4.2): `outbound` protects what we
// send with our write key, `inbound` unprotects what the peer sends with its write key.
struct DtlsSrtpSessions {
  SrtpProfile profile;
  SrtpSession inbound;
  SrtpSession outbound;
};

class DtlsEndpoint {
 public:
  // Fails for a malformed remote fingerprint, an empty or unknown profile list, an MTU below
  // 256 or an OpenSSL set-up error.
  static Result<DtlsEndpoint> create(std::shared_ptr<const DtlsIdentity> identity,
                                     const DtlsEndpointOptions& options);

  DtlsEndpoint(DtlsEndpoint&&) noexcept;
  DtlsEndpoint& operator=(DtlsEndpoint&&) noexcept;
  ~DtlsEndpoint();

  // RFC 7983 §7: a datagram whose first byte is 20..63 belongs to DTLS.
  static bool is_dtls(std::span<const std::uint8_t> datagram);

  // kNew -> kConnecting. A client appends its ClientHello to `out`. A server that receives a
  // datagram before start() starts by itself.
  void start(std::vector<Datagram>& out);

  // One received datagram. Appends what must be sent in answer to `out`.
  void receive(std::span<const std::uint8_t> datagram, std::vector<Datagram>& out);

  // Time until on_timer() should be called, or nullopt when no retransmission is pending.
  // Zero means "now".
  std::optional<std::chrono::milliseconds> retransmit_timeout() const;
  // Retransmits the last flight if its timer has expired, or fails the handshake with
  // kTimeout when max_retransmits have been spent.
  void on_timer(std::vector<Datagram>& out);

  // Sends close_notify when connected; kClosed either way. Idempotent.
  void close(std::vector<Datagram>& out);

  DtlsState state() const;
  DtlsRole role() const;
  // Why the endpoint is kFailed (Error::code is a DtlsFailure), nullopt otherwise.
  const std::optional<Error>& failure() const;
  // The negotiated profile once connected.
  std::optional<SrtpProfile> srtp_profile() const;
  const DtlsCounters& counters() const;

  // New SRTP sessions keyed from this association; only when connected. Each call makes a
  // fresh pair, so call it once per association.
  Result<DtlsSrtpSessions> srtp_sessions(const SrtpSessionOptions& options = {}) const;

  // RFC 5705 keying material with no context; only when connected. srtp_sessions() uses the
  // label "EXTRACTOR-dtls_srtp"; exposed so that tests can check the RFC 5764 §4.2 split.
  Result<std::vector<std::uint8_t>> export_keying_material(std::string_view label,
                                                           std::size_t length) const;

  struct Impl;

 private:
  explicit DtlsEndpoint(std::unique_ptr<Impl> impl);

  std::unique_ptr<Impl> impl_;
};

}  // namespace parley::webrtc
