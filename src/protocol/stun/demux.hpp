#pragma once
// RFC 7983 §7: which protocol a datagram on a shared WebRTC port belongs to, by its first byte.
//   0..3     STUN (the top two bits of every STUN message are zero)
//   20..63   DTLS (content types 20..63)
//   128..191 RTP or RTCP (version 2); protocol/rtp's is_rtcp() tells them apart
// Everything else (ZRTP 16..19, TURN channels 64..79, empty datagrams) Parley does not speak on
// these ports and drops.
//
// Thread-safety: pure function.

#include <cstdint>
#include <span>

namespace parley::protocol::stun {

enum class PacketKind : std::uint8_t { kStun, kDtls, kRtp, kDrop };

constexpr PacketKind classify_packet(std::span<const std::uint8_t> datagram) {
  if (datagram.empty()) return PacketKind::kDrop;
  const std::uint8_t first = datagram[0];
  if (first <= 3) return PacketKind::kStun;
  if (first >= 20 && first <= 63) return PacketKind::kDtls;
  if (first >= 128 && first <= 191) return PacketKind::kRtp;
  return PacketKind::kDrop;
}

}  // namespace parley::protocol::stun
