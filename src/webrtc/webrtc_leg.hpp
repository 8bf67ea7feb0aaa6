#pragma once
// WebRTC media for one call leg, behind the relay's media::SecureLeg seam: an ICE-lite agent
// (protocol/stun) that answers the browser's checks and takes the checked address as the
// media address, a DTLS endpoint that proves the browser's certificate against its SDP
// fingerprint and keys SRTP, and the two SRTP sessions that turn the browser's SRTP into plain
// RTP for the relay and the relay's RTP back into SRTP.
//
// Addresses: media goes to the most recent source of an authenticated binding request that
// nominated its pair (USE-CANDIDATE), or, before any nomination, to the first authenticated
// source; DTLS is accepted only from that address.
//
// Thread-safety: the factory is shared by every worker (it only hands out the shared DTLS
// identity); each leg lives on its relay's worker.

#include <memory>

#include "base/result.hpp"
#include "media/secure_leg.hpp"
#include "webrtc/dtls_identity.hpp"

namespace parley::webrtc {

class WebRtcLegFactory final : public media::SecureLegFactory {
 public:
  explicit WebRtcLegFactory(std::shared_ptr<const DtlsIdentity> identity)
      : identity_(std::move(identity)) {}
  Result<std::unique_ptr<media::SecureLeg>> create() override;

 private:
  std::shared_ptr<const DtlsIdentity> identity_;
};

}  // namespace parley::webrtc
