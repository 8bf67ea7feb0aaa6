// RTCP on the media thread allocates nothing (decision 0039): counting statistics per packet,
// parsing a peer's compound report and writing Parley's own. This binary replaces the global
// operator new/delete to count calls (support/allocation_counter.hpp).

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <vector>

#include "media/rtcp_reporter.hpp"
#include "protocol/rtp/rtcp_report.hpp"
#include "support/allocation_counter.hpp"

namespace parley::media {
namespace {

namespace rtp = protocol::rtp;
using namespace std::chrono_literals;

TEST(RtcpAllocation, StatisticsReportsAndParsingAllocateNothing) {
  RtcpReporter reporter(3);
  const TimePoint start{std::chrono::seconds(10)};
  reporter.start(start, 5s);
  std::array<std::uint8_t, 128> out{};
  std::array<rtp::ReportBlock, 1> blocks{};
  blocks[0].ssrc = 77;
  rtp::OutgoingReport peer_report;
  peer_report.ssrc = 5;
  peer_report.sender = rtp::SenderInfo{1ULL << 40U, 0, 1, 160};
  peer_report.blocks = blocks;
  peer_report.cname = "peer";
  std::array<std::uint8_t, 128> peer_bytes{};
  const std::size_t peer_size = rtp::write_rtcp_report(peer_bytes, peer_report);
  ASSERT_GT(peer_size, 0U);

  const long before = parley::test::allocation_count();
  for (int i = 0; i < 1000; ++i) {
    if (i % 10 != 9) {
      reporter.reception().on_packet(5, static_cast<std::uint16_t>(i),
                                     static_cast<std::uint32_t>(i) * 160, start + i * 20ms, 8000);
    }
    reporter.on_sent(160);
    reporter.on_sent_audio(static_cast<std::uint32_t>(i) * 160, start + i * 20ms);
    if (i % 250 == 0) {
      const auto parsed =
          rtp::parse_rtcp_reports(std::span<const std::uint8_t>(peer_bytes.data(), peer_size));
      ASSERT_TRUE(parsed.has_value());
      reporter.on_reports(*parsed, 77, start + i * 20ms, 1ULL << 40U);
      EXPECT_GT(reporter.write_report(out, start + i * 20ms, 1ULL << 40U, 77, 8000, "cname"), 0U);
      reporter.reschedule(start + i * 20ms);
    }
  }
  EXPECT_EQ(parley::test::allocation_count(), before);
  EXPECT_EQ(reporter.reception().cumulative_lost(), 99);
}

// The counter itself works (otherwise the test above could not fail).
TEST(RtcpAllocation, CounterSeesAllocations) {
  const long before = parley::test::allocation_count();
  auto v = std::make_unique<std::vector<int>>(100);
  EXPECT_GT(parley::test::allocation_count(), before);
}

}  // namespace
}  // namespace parley::media
