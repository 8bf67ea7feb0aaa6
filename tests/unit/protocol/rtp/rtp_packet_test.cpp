#include "protocol/rtp/rtp_packet.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace parley::protocol::rtp {
namespace {

using Bytes = std::vector<std::uint8_t>;

// A PCMU packet: V=2, PT 0, seq 0x1234, ts 0x01020304, SSRC 0xDEADBEEF, 4 payload bytes.
Bytes simple_packet() {
  return {0x80, 0x00, 0x12, 0x34, 0x01, 0x02, 0x03, 0x04,
          0xDE, 0xAD, 0xBE, 0xEF, 0xAA, 0xBB, 0xCC, 0xDD};
}

TEST(RtpPacket, ParsesTheFixedHeader) {
  const Bytes packet = simple_packet();
  const auto view = parse_rtp(packet);
  ASSERT_TRUE(view.has_value());
  EXPECT_EQ(view->payload_type, 0);
  EXPECT_FALSE(view->marker);
  EXPECT_EQ(view->sequence, 0x1234);
  EXPECT_EQ(view->timestamp, 0x01020304U);
  EXPECT_EQ(view->ssrc, 0xDEADBEEFU);
  EXPECT_EQ(view->header_bytes, kRtpHeaderBytes);
  ASSERT_EQ(view->payload.size(), 4U);
  EXPECT_EQ(view->payload.data(), packet.data() + 12);
  EXPECT_EQ(view->payload[0], 0xAA);
}

TEST(RtpPacket, SkipsCsrcsAndExtensionAndStripsPadding) {
  // CC=2, X=1, P=1, marker, PT 96.
  Bytes packet = {0xB2, 0xE0, 0x00, 0x01, 0, 0, 0, 160, 0, 0, 0, 7};
  packet.insert(packet.end(), {1, 1, 1, 1, 2, 2, 2, 2});              // two CSRCs
  packet.insert(packet.end(), {0xBE, 0xDE, 0x00, 0x01, 9, 9, 9, 9});  // one-word extension
  packet.insert(packet.end(), {0x11, 0x22, 0x33});                    // payload
  packet.insert(packet.end(), {0, 0, 3});                             // three octets of padding
  const auto view = parse_rtp(packet);
  ASSERT_TRUE(view.has_value());
  EXPECT_TRUE(view->marker);
  EXPECT_EQ(view->payload_type, 96);
  EXPECT_EQ(view->header_bytes, 12U + 8U + 8U);
  ASSERT_EQ(view->payload.size(), 3U);
  EXPECT_EQ(view->payload[0], 0x11);
  EXPECT_EQ(view->payload[2], 0x33);
}

TEST(RtpPacket, RefusesMalformedPackets) {
  EXPECT_FALSE(parse_rtp(Bytes{}).has_value());
  EXPECT_FALSE(parse_rtp(Bytes(11, 0x80)).has_value());  // shorter than the fixed header
  Bytes wrong_version = simple_packet();
  wrong_version[0] = 0x40;
  EXPECT_FALSE(parse_rtp(wrong_version).has_value());
  Bytes too_many_csrcs = simple_packet();
  too_many_csrcs[0] = 0x82;  // two CSRCs need 8 bytes, 4 are there
  EXPECT_FALSE(parse_rtp(too_many_csrcs).has_value());
  Bytes extension_too_long = simple_packet();
  extension_too_long[0] = 0x90;
  extension_too_long[12] = 0xBE;
  extension_too_long[13] = 0xDE;
  extension_too_long[14] = 0x00;
  extension_too_long[15] = 0x01;  // says one more word, none follows
  EXPECT_FALSE(parse_rtp(extension_too_long).has_value());
  Bytes zero_padding = simple_packet();
  zero_padding[0] = 0xA0;
  zero_padding.back() = 0;
  EXPECT_FALSE(parse_rtp(zero_padding).has_value());
  Bytes padding_too_long = simple_packet();
  padding_too_long[0] = 0xA0;
  padding_too_long.back() = 5;  // more than the four payload bytes
  EXPECT_FALSE(parse_rtp(padding_too_long).has_value());
  Bytes all_padding = simple_packet();
  all_padding[0] = 0xA0;
  all_padding.back() = 4;  // the whole payload is padding: valid, empty payload
  ASSERT_TRUE(parse_rtp(all_padding).has_value());
  EXPECT_TRUE(parse_rtp(all_padding)->payload.empty());
}

TEST(RtpPacket, RtcpIsNotRtp) {
  // An RR with no report blocks: V=2, PT 201, length 1.
  const Bytes rr = {0x80, 201, 0x00, 0x01, 0x11, 0x22, 0x33, 0x44};
  EXPECT_TRUE(is_rtcp(rr));
  EXPECT_TRUE(valid_rtcp(rr));
  Bytes padded_rr = rr;
  padded_rr.resize(12);
  EXPECT_FALSE(parse_rtp(padded_rr).has_value());
  for (int second = 192; second <= 223; ++second) {
    Bytes packet = simple_packet();
    packet[1] = static_cast<std::uint8_t>(second);
    EXPECT_TRUE(is_rtcp(packet)) << second;
    EXPECT_FALSE(parse_rtp(packet).has_value()) << second;
  }
  Bytes marker_pt_0 = simple_packet();
  marker_pt_0[1] = 0x80;  // marker with PT 0 is ordinary RTP
  EXPECT_FALSE(is_rtcp(marker_pt_0));
  EXPECT_TRUE(parse_rtp(marker_pt_0).has_value());
  marker_pt_0[1] = 0x80 | 127;  // second byte 255
  EXPECT_FALSE(is_rtcp(marker_pt_0));
}

TEST(RtpPacket, ValidatesRtcpCompounds) {
  // SR (28 bytes, no blocks) + SDES (12 bytes: one chunk with an empty item list).
  Bytes compound = {0x80, 200, 0x00, 0x06, 1, 2, 3, 4, 0, 0, 0, 0, 0, 0,
                    0,    0,   0,    0,    0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  compound.insert(compound.end(), {0x81, 202, 0x00, 0x02, 1, 2, 3, 4, 0, 0, 0, 0});
  EXPECT_TRUE(valid_rtcp(compound));

  Bytes truncated = compound;
  truncated.resize(36);
  EXPECT_FALSE(valid_rtcp(truncated));
  Bytes length_past_end = compound;
  length_past_end[31] = 0x03;
  EXPECT_FALSE(valid_rtcp(length_past_end));
  Bytes bad_version = compound;
  bad_version[28] = 0x41;
  EXPECT_FALSE(valid_rtcp(bad_version));
  Bytes not_rtcp_type = compound;
  not_rtcp_type[29] = 100;
  EXPECT_FALSE(valid_rtcp(not_rtcp_type));
  // A compound must open with SR or RR; a reduced-size packet may be a lone feedback packet.
  const Bytes app_first = {0x80, 194, 0x00, 0x01, 0, 0, 0, 0};  // SMPTE time code: not allowed
  EXPECT_FALSE(valid_rtcp(app_first));
  const Bytes pli = {0x81, 206, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 2};
  EXPECT_TRUE(valid_rtcp(pli));
  // Padding only on the last packet, and within it.
  Bytes padded_first = compound;
  padded_first[0] |= 0x20;
  EXPECT_FALSE(valid_rtcp(padded_first));
  Bytes padded_last = compound;
  padded_last[28] |= 0x20;
  padded_last.back() = 4;
  EXPECT_TRUE(valid_rtcp(padded_last));
  padded_last.back() = 12;  // more than the packet's body
  EXPECT_FALSE(valid_rtcp(padded_last));
  // Found by rtp_fuzz: the padding count of an 8-byte RR would sit inside its sender SSRC.
  EXPECT_FALSE(valid_rtcp(Bytes{0xA0, 201, 0x00, 0x01, 0, 0, 0, 1}));
  EXPECT_FALSE(valid_rtcp(Bytes{}));
  EXPECT_FALSE(valid_rtcp(Bytes{0x80, 201}));
}

TEST(RtpPacket, RewritesRtcpSenderSsrc) {
  Bytes compound = {0x80, 201, 0x00, 0x01, 1, 2, 3, 4};
  compound.insert(compound.end(), {0x81, 202, 0x00, 0x02, 1, 2, 3, 4, 0, 0, 0, 0});
  EXPECT_EQ(set_rtcp_sender_ssrc(compound, 0xA1B2C3D4U), 1U);
  EXPECT_EQ(compound[4], 0xA1);
  EXPECT_EQ(compound[7], 0xD4);
  EXPECT_EQ(compound[12], 1);  // the SDES chunk keeps its SSRC
  EXPECT_TRUE(valid_rtcp(compound));
}

TEST(RtpPacket, RewritesHeaderFieldsInPlace) {
  Bytes packet = simple_packet();
  packet[1] = 0x80 | 8;  // marker, PCMA
  set_payload_type(packet, 101);
  set_sequence(packet, 0xFFFE);
  set_timestamp(packet, 0xCAFEBABEU);
  set_ssrc(packet, 0x01020304U);
  const auto view = parse_rtp(packet);
  ASSERT_TRUE(view.has_value());
  EXPECT_EQ(view->payload_type, 101);
  EXPECT_TRUE(view->marker);  // kept
  EXPECT_EQ(view->sequence, 0xFFFE);
  EXPECT_EQ(view->timestamp, 0xCAFEBABEU);
  EXPECT_EQ(view->ssrc, 0x01020304U);
  EXPECT_EQ(view->payload[0], 0xAA);  // untouched
}

TEST(RtpPacket, WritesAHeaderThatParsesBack) {
  Bytes out(kRtpHeaderBytes + 2, 0xFF);
  EXPECT_EQ(write_header(out, 9, true, 65535, 4000000000U, 42), kRtpHeaderBytes);
  const auto view = parse_rtp(out);
  ASSERT_TRUE(view.has_value());
  EXPECT_EQ(view->payload_type, 9);
  EXPECT_TRUE(view->marker);
  EXPECT_EQ(view->sequence, 65535);
  EXPECT_EQ(view->timestamp, 4000000000U);
  EXPECT_EQ(view->ssrc, 42U);
  EXPECT_EQ(view->payload.size(), 2U);
}

TEST(RtpPacket, TelephoneEventRoundTrip) {
  // RFC 4733 §2.3: event 5 ('5'), end bit, volume 10, duration 800.
  const Bytes payload = {0x05, 0x8A, 0x03, 0x20};
  const auto event = parse_telephone_event(payload);
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(event->event, 5);
  EXPECT_TRUE(event->end);
  EXPECT_EQ(event->volume, 10);
  EXPECT_EQ(event->duration, 800);
  Bytes out(4);
  write_telephone_event(out, *event);
  EXPECT_EQ(out, payload);
  EXPECT_FALSE(parse_telephone_event(Bytes{1, 2, 3}).has_value());
  // The reserved bit is ignored on input and written as zero.
  const auto reserved = parse_telephone_event(Bytes{11, 0x40 | 63, 0, 160});
  ASSERT_TRUE(reserved.has_value());
  EXPECT_FALSE(reserved->end);
  EXPECT_EQ(reserved->volume, 63);
  write_telephone_event(out, *reserved);
  EXPECT_EQ(out[1], 63);
}

}  // namespace
}  // namespace parley::protocol::rtp
