#include "media/sdes_leg.hpp"

#include "protocol/rtp/rtp_packet.hpp"

namespace parley::media {

Result<std::unique_ptr<SdesLeg>> SdesLeg::create(const SdesLegKeys& keys) {
  auto inbound = SrtpSession::create(SrtpDirection::kInbound, keys.profile, keys.inbound_key,
                                     keys.inbound_salt);
  if (!inbound.ok()) return inbound.error();
  auto outbound = SrtpSession::create(SrtpDirection::kOutbound, keys.profile, keys.outbound_key,
                                      keys.outbound_salt);
  if (!outbound.ok()) return outbound.error();
  return std::make_unique<SdesLeg>(std::move(inbound).value(), std::move(outbound).value());
}

SecureLeg::Received SdesLeg::receive(std::span<std::uint8_t>& bytes, const net::SocketAddress&,
                                     TimePoint, Sender&) {
  const bool rtcp = protocol::rtp::is_rtcp(bytes);
  const SrtpResult result = rtcp ? inbound_.unprotect_rtcp(bytes) : inbound_.unprotect_rtp(bytes);
  switch (result.status) {
    case SrtpStatus::kOk:
      bytes = bytes.first(result.size);
      return rtcp ? Received::kRtcp : Received::kRtp;
    case SrtpStatus::kAuthFailed:
    case SrtpStatus::kReplayed:
      ++stats_.srtp_auth_failed;
      return Received::kDropped;
    default:
      ++stats_.other_dropped;
      return Received::kDropped;
  }
}

std::optional<std::size_t> SdesLeg::protect(std::span<std::uint8_t> slot, std::size_t size,
                                            bool rtcp) {
  const SrtpResult result =
      rtcp ? outbound_.protect_rtcp(slot, size) : outbound_.protect_rtp(slot, size);
  if (!result.ok()) return std::nullopt;
  return result.size;
}

}  // namespace parley::media
