#pragma once
// The seam between the RTP relay and secured media: WebRTC (ICE-lite, DTLS-SRTP), which webrtc/
// above implements, and SDES-keyed SRTP (sdes_leg.hpp, here). A leg whose SDP uses
// UDP/TLS/RTP/SAVPF gets a SecureLeg: the relay hands it every datagram that arrives on the leg's
// port before looking at it, and every packet it is about to send that leg after rewriting it, so
// the relay itself never sees keys or STUN.
//
// Receiving (RFC 7983 demultiplexing is the implementation's business): STUN and DTLS are
// consumed, answering through the Sender when needed; SRTP and SRTCP are authenticated and
// decrypted in place and handed back as plain RTP/RTCP; anything else, or anything that fails
// authentication, is dropped and counted by the implementation.
//
// Where to send: an ICE-lite agent sends to the address that proved the ICE password in a
// binding request (the nominated one when the browser nominated), never to an address taken from
// the SDP alone. media_address() is that address, or nullopt before any valid check.
//
// Thread-safety: one per leg, used on the relay's worker only.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "base/clock.hpp"
#include "base/result.hpp"
#include "net/address.hpp"

namespace parley::media {

// What we put into the SDP we send a WebRTC leg.
struct SecureLocal {
  std::string ice_ufrag;
  std::string ice_pwd;
  std::string fingerprint;  // "sha-256 AB:CD:..." as in a=fingerprint
};

// DTLS role from a=setup (RFC 4145/5763): the side that is "active" is the DTLS client.
enum class DtlsSetup : std::uint8_t { kActpass, kActive, kPassive };

// What the leg's SDP said.
struct SecureRemote {
  std::string ice_ufrag;
  std::string ice_pwd;
  std::string fingerprint;   // "sha-256 AB:CD:..." (algorithm, space, hex pairs)
  bool dtls_client = false;  // we are the DTLS client (the peer said setup:passive)
};

struct SecureLegStats {
  std::uint64_t stun_requests = 0;     // valid binding requests answered
  std::uint64_t stun_dropped = 0;      // malformed, wrong credentials, not for us
  std::uint64_t dtls_dropped = 0;      // garbage or out-of-state DTLS records
  std::uint64_t srtp_auth_failed = 0;  // SRTP/SRTCP that failed authentication or replay
  std::uint64_t srtp_before_keys = 0;  // SRTP that arrived before the handshake finished
  std::uint64_t other_dropped = 0;     // none of STUN, DTLS, RTP (RFC 7983)
  bool dtls_connected = false;
  std::string dtls_failure;  // why the handshake failed, empty while fine
};

class SecureLeg {
 public:
  // Sends one datagram to the leg's peer (STUN answers, DTLS flights).
  class Sender {
   public:
    virtual ~Sender() = default;
    virtual void send(const net::SocketAddress& to, std::span<const std::uint8_t> bytes) = 0;
  };

  enum class Received : std::uint8_t {
    kRtp,       // `bytes` now holds plain RTP (shortened in place)
    kRtcp,      // `bytes` now holds plain RTCP
    kConsumed,  // STUN or DTLS, handled
    kDropped,   // counted in stats()
  };

  virtual ~SecureLeg() = default;

  virtual const SecureLocal& local() const = 0;
  // From each SDP of the leg; a change of fingerprint or ICE credentials restarts the session.
  virtual void set_remote(const SecureRemote& remote) = 0;

  virtual Received receive(std::span<std::uint8_t>& bytes, const net::SocketAddress& from,
                           TimePoint now, Sender& sender) = 0;
  // Protects the `size` bytes of plain RTP or RTCP at the start of `slot` in place; returns the
  // protected size, or nullopt (nothing to send) while there are no keys yet.
  virtual std::optional<std::size_t> protect(std::span<std::uint8_t> slot, std::size_t size,
                                             bool rtcp) = 0;
  // The ICE-verified address media goes to, nullopt before the first valid check.
  virtual std::optional<net::SocketAddress> media_address() const = 0;
  // DTLS retransmissions: the relay calls this now and then (at least every 500 ms while the
  // handshake is in progress, see wants_timer()).
  virtual void on_timer(TimePoint now, Sender& sender) = 0;
  virtual bool wants_timer() const = 0;
  // Whether ICE (media_address()) decides where this leg's media goes and which source it
  // takes, with everything multiplexed on the RTP port. False for an SDES leg (sdes_leg.hpp):
  // the relay's SDP address, latching and RTCP port rules apply as for plain RTP.
  virtual bool uses_ice() const { return true; }

  virtual const SecureLegStats& stats() const = 0;
};

// Makes one SecureLeg per WebRTC leg; shared by every worker, so thread-safe.
class SecureLegFactory {
 public:
  virtual ~SecureLegFactory() = default;
  virtual Result<std::unique_ptr<SecureLeg>> create() = 0;
};

}  // namespace parley::media
