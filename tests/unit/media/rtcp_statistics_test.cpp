#include "media/rtcp_statistics.hpp"

#include <gtest/gtest.h>

#include <chrono>

#include "media/rtcp_reporter.hpp"
#include "protocol/rtp/rtcp_report.hpp"
#include "protocol/rtp/rtp_packet.hpp"

namespace parley::media {
namespace {

using namespace std::chrono_literals;
namespace rtp = protocol::rtp;

const TimePoint kStart{std::chrono::seconds(1000)};

TEST(ReceptionStatistics, CountsEveryTenthPacketLostAsTenPercent) {
  ReceptionStatistics stats;
  for (int i = 0; i < 100; ++i) {
    if (i % 10 == 9) continue;
    const auto sequence = static_cast<std::uint16_t>(65500 + i);  // wraps at 36
    stats.on_packet(42, sequence, static_cast<std::uint32_t>(i) * 160, kStart + i * 20ms, 8000);
  }
  EXPECT_EQ(stats.received(), 90U);
  // The last packet (i = 99) was dropped: the highest seen is i = 98.
  EXPECT_EQ(stats.expected(), 99U);
  EXPECT_EQ(stats.cumulative_lost(), 9);
  EXPECT_EQ(stats.extended_highest_sequence(), 65536U + static_cast<std::uint16_t>(65500 + 98));
  const rtp::ReportBlock block = stats.report(kStart + 2s);
  EXPECT_EQ(block.ssrc, 42U);
  EXPECT_EQ(block.fraction_lost, 9 * 256 / 99);  // 23/256 ≈ 9 %
  EXPECT_EQ(block.cumulative_lost, 9);
  EXPECT_EQ(block.jitter, 0U);  // perfectly paced
  EXPECT_EQ(block.last_sr, 0U);
  EXPECT_FALSE(stats.heard_since_report());

  // The next interval loses nothing: the fraction starts over, the cumulative count stays.
  for (int i = 99; i < 120; ++i) {
    stats.on_packet(42, static_cast<std::uint16_t>(65500 + i), static_cast<std::uint32_t>(i) * 160,
                    kStart + i * 20ms, 8000);
  }
  const rtp::ReportBlock next = stats.report(kStart + 3s);
  EXPECT_EQ(next.fraction_lost, 0);
  EXPECT_EQ(next.cumulative_lost, 9);
}

TEST(ReceptionStatistics, JitterFollowsRfc3550A8) {
  // Packets every 20 ms by timestamp, arriving alternately 0 and 10 ms late: |D| = 80 units
  // each time after the first, so J converges to 80 as J += (80 - J) / 16.
  ReceptionStatistics stats;
  double expected = 0;
  for (int i = 0; i < 200; ++i) {
    const auto late = (i % 2 == 1) ? 10ms : 0ms;
    stats.on_packet(1, static_cast<std::uint16_t>(i), static_cast<std::uint32_t>(i) * 160,
                    kStart + i * 20ms + late, 8000);
    if (i > 0) expected += (80.0 - expected) / 16.0;
  }
  EXPECT_NEAR(static_cast<double>(stats.jitter()), expected, 1.0);
  EXPECT_NEAR(static_cast<double>(stats.jitter()), 80.0, 1.0);
}

TEST(ReceptionStatistics, DuplicatesAndLateLossNoJump) {
  ReceptionStatistics stats;
  stats.on_packet(1, 100, 0, kStart, 8000);
  stats.on_packet(1, 102, 320, kStart + 40ms, 8000);
  stats.on_packet(1, 101, 160, kStart + 41ms, 8000);  // late, not lost after all
  stats.on_packet(1, 102, 320, kStart + 42ms, 8000);  // duplicate
  EXPECT_EQ(stats.expected(), 3U);
  EXPECT_EQ(stats.received(), 4U);
  EXPECT_EQ(stats.cumulative_lost(), -1);
  EXPECT_EQ(stats.report(kStart + 1s).cumulative_lost, -1);
}

TEST(ReceptionStatistics, AJumpNeedsTwoPacketsAndANewSsrcStartsOver) {
  ReceptionStatistics stats;
  for (std::uint16_t i = 0; i < 5; ++i) stats.on_packet(1, i, i * 160U, kStart, 8000);
  stats.on_packet(1, 30000, 0, kStart, 8000);  // a stray: ignored
  EXPECT_EQ(stats.received(), 5U);
  EXPECT_EQ(stats.extended_highest_sequence(), 4U);
  stats.on_packet(1, 30001, 160, kStart, 8000);  // the sender really restarted
  EXPECT_EQ(stats.received(), 1U);
  EXPECT_EQ(stats.extended_highest_sequence(), 30001U);
  stats.on_packet(9, 7, 0, kStart, 8000);
  EXPECT_EQ(stats.ssrc(), 9U);
  EXPECT_EQ(stats.received(), 1U);
  EXPECT_EQ(stats.cumulative_lost(), 0);
}

TEST(ReceptionStatistics, EchoesTheLastSenderReportWithItsDelay) {
  ReceptionStatistics stats;
  stats.on_packet(1, 1, 0, kStart, 8000);
  stats.on_sender_report(0x0000'1234'5678'0000ULL, kStart + 1s);
  const rtp::ReportBlock block = stats.report(kStart + 1500ms);
  EXPECT_EQ(block.last_sr, 0x12345678U);
  EXPECT_EQ(block.delay_since_last_sr, 65536U / 2);
}

TEST(NtpTime, UnixEpochIsSeventyYearsIntoEraZero) {
  const auto epoch = std::chrono::system_clock::time_point{};
  EXPECT_EQ(ntp_time(epoch), 2'208'988'800ULL << 32U);
  EXPECT_EQ(ntp_time(epoch + 500ms) & 0xFFFFFFFFULL, 1ULL << 31U);
}

TEST(RtcpReporter, SendsAnSrWhileSendingAndAnRrWhenQuiet) {
  RtcpReporter reporter(1);
  reporter.start(kStart, 5s);
  ASSERT_TRUE(reporter.next_report().has_value());
  // The first report comes after half the interval, randomised and compensated.
  EXPECT_GE(*reporter.next_report(), kStart + 1000ms);
  EXPECT_LE(*reporter.next_report(), kStart + 3100ms);
  for (int i = 0; i < 10; ++i) {
    reporter.on_sent(160);
    reporter.on_sent_audio(static_cast<std::uint32_t>(i) * 160, kStart + i * 20ms);
    reporter.reception().on_packet(5, static_cast<std::uint16_t>(i),
                                   static_cast<std::uint32_t>(i) * 160, kStart + i * 20ms, 8000);
  }
  std::array<std::uint8_t, 128> out{};
  const std::size_t size =
      reporter.write_report(out, kStart + 200ms, 0xAAAA'0000'0000'0000ULL, 77, 8000, "cname");
  const auto parsed = rtp::parse_rtcp_reports(std::span<const std::uint8_t>(out.data(), size));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->sender_ssrc, 77U);
  ASSERT_TRUE(parsed->sender.has_value());
  EXPECT_EQ(parsed->sender->packet_count, 10U);
  EXPECT_EQ(parsed->sender->octet_count, 1600U);
  // The last audio (timestamp 1440) went out at 180 ms; 20 ms later the clock is at 1600.
  EXPECT_EQ(parsed->sender->rtp_timestamp, 1600U);
  ASSERT_EQ(parsed->block_count, 1U);
  EXPECT_EQ(parsed->blocks[0].ssrc, 5U);
  EXPECT_TRUE(parsed->has_cname);

  // Nothing sent or received since: an RR without blocks.
  const std::size_t quiet = reporter.write_report(out, kStart + 5s, 0, 77, 8000, "cname");
  const auto rr = rtp::parse_rtcp_reports(std::span<const std::uint8_t>(out.data(), quiet));
  ASSERT_TRUE(rr.has_value());
  EXPECT_FALSE(rr->sender.has_value());
  EXPECT_EQ(rr->block_count, 0U);
  EXPECT_EQ(reporter.reports_sent(), 2U);

  reporter.reschedule(kStart + 5s);
  EXPECT_GE(*reporter.next_report(), kStart + 5s + 2000ms);
  EXPECT_LE(*reporter.next_report(), kStart + 5s + 6200ms);
  reporter.stop();
  EXPECT_FALSE(reporter.next_report().has_value());
}

TEST(RtcpReporter, KeepsThePeersBlockAboutOurStreamAndItsRoundTrip) {
  RtcpReporter reporter(2);
  reporter.start(kStart, 5s);
  reporter.on_sent(160);
  std::array<std::uint8_t, 128> out{};
  const std::uint64_t sr_ntp = 0x0000'0010'0000'0000ULL;  // 16 s
  ASSERT_GT(reporter.write_report(out, kStart, sr_ntp, 77, 8000, "c"), 0U);

  rtp::RtcpReports reports;
  reports.sender_ssrc = 5;
  reports.block_count = 2;
  reports.blocks[0].ssrc = 1234;  // about someone else
  reports.blocks[1].ssrc = 77;
  reports.blocks[1].fraction_lost = 26;
  reports.blocks[1].cumulative_lost = 10;
  reports.blocks[1].jitter = 12;
  reports.blocks[1].last_sr = rtp::ntp_middle(sr_ntp);
  reports.blocks[1].delay_since_last_sr = 65536 / 10;  // the peer held it 100 ms
  // Arrives 150 ms after our SR: 50 ms round trip.
  const std::uint64_t arrival = sr_ntp + (std::uint64_t{0x1'0000'0000} * 15 / 100);
  reporter.on_reports(reports, 77, kStart + 150ms, arrival);
  ASSERT_TRUE(reporter.peer().has_value());
  EXPECT_EQ(reporter.peer()->fraction_lost, 26);
  EXPECT_EQ(reporter.peer()->cumulative_lost, 10);
  EXPECT_EQ(reporter.peer()->jitter, 12U);
  ASSERT_TRUE(reporter.peer()->round_trip.has_value());
  using Milliseconds = std::chrono::duration<double, std::milli>;
  EXPECT_NEAR(Milliseconds(*reporter.peer()->round_trip).count(), 50, 1);
}

}  // namespace
}  // namespace parley::media
