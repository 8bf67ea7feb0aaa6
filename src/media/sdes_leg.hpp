#pragma once
// SdesLeg: the relay's SecureLeg for a call leg keyed with SDES (RFC 4568 a=crypto lines):
// SRTP and SRTCP with the peer's master key on the way in and Parley's own on the way out,
// through media/srtp_session.hpp (libsrtp2). No ICE and no DTLS: where media goes and which
// source is taken follow the relay's plain-RTP rules (SDP address, latching, RTCP port or
// rtcp-mux), see uses_ice().
//
// Receiving: a datagram that looks like RTCP (RFC 5761 §4) is unprotected as SRTCP, anything
// else as SRTP; on failure (authentication, replay, malformed) it is dropped and counted in
// stats() and counters(), never handed on.
//
// Keys: the caller's key material is copied into the libsrtp sessions and not kept here.
//
// Thread-safety: none; one per leg on the relay's worker loop.

#include <memory>
#include <span>

#include "base/result.hpp"
#include "media/secure_leg.hpp"
#include "media/srtp_session.hpp"

namespace parley::media {

struct SdesLegKeys {
  SrtpProfile profile = SrtpProfile::kAes128CmHmacSha1_80;
  std::span<const std::uint8_t> inbound_key;  // the peer's master key and salt
  std::span<const std::uint8_t> inbound_salt;
  std::span<const std::uint8_t> outbound_key;  // ours
  std::span<const std::uint8_t> outbound_salt;
};

class SdesLeg final : public SecureLeg {
 public:
  static Result<std::unique_ptr<SdesLeg>> create(const SdesLegKeys& keys);
  // From two sessions already keyed (create() makes them): `inbound` unprotects, `outbound`
  // protects.
  SdesLeg(SrtpSession inbound, SrtpSession outbound)
      : inbound_(std::move(inbound)), outbound_(std::move(outbound)) {}

  const SecureLocal& local() const override { return local_; }
  void set_remote(const SecureRemote&) override {}
  Received receive(std::span<std::uint8_t>& bytes, const net::SocketAddress& from, TimePoint now,
                   Sender& sender) override;
  std::optional<std::size_t> protect(std::span<std::uint8_t> slot, std::size_t size,
                                     bool rtcp) override;
  std::optional<net::SocketAddress> media_address() const override { return std::nullopt; }
  void on_timer(TimePoint, Sender&) override {}
  bool wants_timer() const override { return false; }
  bool uses_ice() const override { return false; }
  const SecureLegStats& stats() const override { return stats_; }

  // What the libsrtp sessions counted, by kind of failure.
  const SrtpCounters& inbound_counters() const { return inbound_.counters(); }
  const SrtpCounters& outbound_counters() const { return outbound_.counters(); }
  SrtpProfile profile() const { return inbound_.profile(); }

 private:
  SrtpSession inbound_;
  SrtpSession outbound_;
  SecureLocal local_;  // empty: SDES announces keys in a=crypto, not ICE or fingerprints
  SecureLegStats stats_;
};

}  // namespace parley::media
