#include "protocol/stun/demux.hpp"

#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "protocol/stun/rfc5769_vectors.hpp"

namespace parley::protocol::stun {
namespace {

PacketKind classify_first_byte(int first) {
  const std::array<std::uint8_t, 4> datagram{static_cast<std::uint8_t>(first), 0, 0, 0};
  return classify_packet(datagram);
}

TEST(Demux, Rfc7983RangesAndTheirEdges) {
  for (int b = 0; b <= 255; ++b) {
    PacketKind expected = PacketKind::kDrop;
    if (b <= 3) expected = PacketKind::kStun;
    if (b >= 20 && b <= 63) expected = PacketKind::kDtls;
    if (b >= 128 && b <= 191) expected = PacketKind::kRtp;
    EXPECT_EQ(classify_first_byte(b), expected) << b;
  }
  EXPECT_EQ(classify_first_byte(3), PacketKind::kStun);
  EXPECT_EQ(classify_first_byte(4), PacketKind::kDrop);
  EXPECT_EQ(classify_first_byte(19), PacketKind::kDrop);  // ZRTP
  EXPECT_EQ(classify_first_byte(64), PacketKind::kDrop);  // TURN channel
  EXPECT_EQ(classify_first_byte(127), PacketKind::kDrop);
  EXPECT_EQ(classify_first_byte(192), PacketKind::kDrop);
}

TEST(Demux, RealPackets) {
  EXPECT_EQ(classify_packet({}), PacketKind::kDrop);
  EXPECT_EQ(classify_packet(testing::from_hex(testing::kSampleRequest)), PacketKind::kStun);
  EXPECT_EQ(classify_packet(testing::from_hex(testing::kSampleIpv6Response)), PacketKind::kStun);
  // A DTLS 1.2 handshake record header and an RTP header (V=2, PT 111) and an RTCP RR.
  EXPECT_EQ(classify_packet(testing::from_hex("16 fe fd 00 00 00 00 00 00 00 00 00 30")),
            PacketKind::kDtls);
  EXPECT_EQ(classify_packet(testing::from_hex("80 6f 00 01 00 00 00 a0 12 34 56 78")),
            PacketKind::kRtp);
  EXPECT_EQ(classify_packet(testing::from_hex("81 c9 00 07 12 34 56 78")), PacketKind::kRtp);
  static_assert(classify_packet(std::span<const std::uint8_t>{}) == PacketKind::kDrop);
}

}  // namespace
}  // namespace parley::protocol::stun
