#include "protocol/rtp/rtcp_report.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <vector>

#include "protocol/rtp/rtp_packet.hpp"

namespace parley::protocol::rtp {
namespace {

using Bytes = std::vector<std::uint8_t>;

ReportBlock sample_block() {
  ReportBlock block;
  block.ssrc = 0x11223344;
  block.fraction_lost = 25;
  block.cumulative_lost = -3;  // duplicates
  block.highest_sequence = 0x0001FFFE;
  block.jitter = 17;
  block.last_sr = 0xAABBCCDD;
  block.delay_since_last_sr = 65536 / 2;
  return block;
}

TEST(RtcpReport, SenderReportWithBlockAndCnameRoundTrips) {
  std::array<ReportBlock, 1> blocks{sample_block()};
  OutgoingReport report;
  report.ssrc = 0xCAFEBABE;
  report.sender = SenderInfo{0xE1234567'89ABCDEFULL, 160000, 250, 40000};
  report.blocks = blocks;
  report.cname = "a1b2c3d4e5f60718";
  std::array<std::uint8_t, 128> out{};
  const std::size_t size = write_rtcp_report(out, report);
  // SR 28 + block 24, SDES 4 + chunk (4 + 2 + 16 + 1 → 24).
  ASSERT_EQ(size, 52U + 28U);
  const std::span<const std::uint8_t> bytes(out.data(), size);
  EXPECT_TRUE(valid_rtcp(bytes));
  EXPECT_TRUE(is_rtcp(bytes));
  EXPECT_EQ(out[1], 200);
  EXPECT_EQ(out[0] & 0x1FU, 1U);

  const auto parsed = parse_rtcp_reports(bytes);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->sender_ssrc, 0xCAFEBABEU);
  ASSERT_TRUE(parsed->sender.has_value());
  EXPECT_EQ(parsed->sender->ntp_timestamp, 0xE1234567'89ABCDEFULL);
  EXPECT_EQ(parsed->sender->rtp_timestamp, 160000U);
  EXPECT_EQ(parsed->sender->packet_count, 250U);
  EXPECT_EQ(parsed->sender->octet_count, 40000U);
  ASSERT_EQ(parsed->block_count, 1U);
  const ReportBlock& block = parsed->blocks[0];
  EXPECT_EQ(block.ssrc, 0x11223344U);
  EXPECT_EQ(block.fraction_lost, 25);
  EXPECT_EQ(block.cumulative_lost, -3);
  EXPECT_EQ(block.highest_sequence, 0x0001FFFEU);
  EXPECT_EQ(block.jitter, 17U);
  EXPECT_EQ(block.last_sr, 0xAABBCCDDU);
  EXPECT_EQ(block.delay_since_last_sr, 32768U);
  EXPECT_TRUE(parsed->has_cname);
  EXPECT_FALSE(parsed->has_bye);
}

TEST(RtcpReport, ReceiverReportWithoutBlocks) {
  OutgoingReport report;
  report.ssrc = 7;
  report.cname = "x";
  std::array<std::uint8_t, 64> out{};
  const std::size_t size = write_rtcp_report(out, report);
  ASSERT_EQ(size, 8U + 12U);
  EXPECT_EQ(out[1], 201);
  const auto parsed = parse_rtcp_reports(std::span<const std::uint8_t>(out.data(), size));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_FALSE(parsed->sender.has_value());
  EXPECT_EQ(parsed->block_count, 0U);
  EXPECT_EQ(parsed->sender_ssrc, 7U);
}

TEST(RtcpReport, RefusesWhatCannotBeWritten) {
  std::array<std::uint8_t, 40> small{};
  std::array<ReportBlock, 1> blocks{sample_block()};
  OutgoingReport report;
  report.ssrc = 1;
  report.cname = "cname";
  report.blocks = blocks;
  report.sender = SenderInfo{};
  EXPECT_EQ(write_rtcp_report(small, report), 0U);  // 52 + 16 bytes needed
  std::array<std::uint8_t, 512> big{};
  report.cname = "";
  EXPECT_EQ(write_rtcp_report(big, report), 0U);
  const std::string long_name(256, 'n');
  report.cname = long_name;
  EXPECT_EQ(write_rtcp_report(big, report), 0U);
  std::array<ReportBlock, kMaxReportBlocks + 1> too_many{};
  report.cname = "c";
  report.blocks = too_many;
  EXPECT_EQ(write_rtcp_report(big, report), 0U);
}

TEST(RtcpReport, ParsesAForeignCompoundWithBlocksOfEveryReportAndBye) {
  // RR (1 block) + RR (1 more block, as a sender with many sources would) + BYE.
  Bytes bytes = {0x81, 201, 0, 7, 0, 0, 0, 9};
  Bytes block(24, 0);
  block[3] = 1;     // ssrc 1
  block[4] = 0x40;  // 25 %
  block[7] = 5;     // 5 lost
  bytes.insert(bytes.end(), block.begin(), block.end());
  Bytes second = {0x81, 201, 0, 7, 0, 0, 0, 9};
  block[3] = 2;
  block[5] = 0xFF;  // cumulative lost -1 (0xFFFFFF)
  block[6] = 0xFF;
  block[7] = 0xFF;
  second.insert(second.end(), block.begin(), block.end());
  bytes.insert(bytes.end(), second.begin(), second.end());
  const Bytes bye = {0x81, 203, 0, 1, 0, 0, 0, 9};
  bytes.insert(bytes.end(), bye.begin(), bye.end());
  const auto parsed = parse_rtcp_reports(bytes);
  ASSERT_TRUE(parsed.has_value());
  ASSERT_EQ(parsed->block_count, 2U);
  EXPECT_EQ(parsed->blocks[0].ssrc, 1U);
  EXPECT_EQ(parsed->blocks[0].fraction_lost, 0x40);
  EXPECT_EQ(parsed->blocks[0].cumulative_lost, 5);
  EXPECT_EQ(parsed->blocks[1].ssrc, 2U);
  EXPECT_EQ(parsed->blocks[1].cumulative_lost, -1);
  EXPECT_TRUE(parsed->has_bye);
  EXPECT_FALSE(parsed->has_cname);
}

TEST(RtcpReport, RefusesReportCountsBeyondTheLengthAndReducedSize) {
  // RR claiming 2 blocks in room for one.
  Bytes bytes(32, 0);
  bytes[0] = 0x82;
  bytes[1] = 201;
  bytes[3] = 7;
  EXPECT_TRUE(valid_rtcp(bytes));                       // the structure is fine...
  EXPECT_FALSE(parse_rtcp_reports(bytes).has_value());  // ...the report is not
  // SR too short for its sender information.
  const Bytes short_sr = {0x80, 200, 0, 1, 0, 0, 0, 1};
  EXPECT_FALSE(parse_rtcp_reports(short_sr).has_value());
  // A reduced-size packet (RFC 5506) starting with SDES has no report.
  const Bytes sdes = {0x81, 202, 0, 2, 0, 0, 0, 1, 1, 1, 'a', 0};
  EXPECT_TRUE(valid_rtcp(sdes));
  EXPECT_FALSE(parse_rtcp_reports(sdes).has_value());
  EXPECT_FALSE(parse_rtcp_reports(Bytes{1, 2, 3, 4}).has_value());
  EXPECT_FALSE(parse_rtcp_reports(Bytes{}).has_value());
}

TEST(RtcpReport, PaddingIsNotReadAsBlocks) {
  // RR with one block claimed, whose 24 block bytes are all padding: refused.
  Bytes bytes(32, 0);
  bytes[0] = 0xA1;  // padding, RC 1
  bytes[1] = 201;
  bytes[3] = 7;
  bytes[31] = 24;
  EXPECT_TRUE(valid_rtcp(bytes));
  EXPECT_FALSE(parse_rtcp_reports(bytes).has_value());
}

TEST(RtcpReport, NtpMiddleBits) {
  EXPECT_EQ(ntp_middle(0x1122334455667788ULL), 0x33445566U);
}

}  // namespace
}  // namespace parley::protocol::rtp
