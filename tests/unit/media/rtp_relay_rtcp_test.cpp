// RTCP where the relay transcodes (decision 0039): real UDP sockets, a real PCMU ↔ PCMA
// Transcoder, the steady clock and a short report interval. The peers must get Parley's own
// reports (SR counts that match what they received, a report block whose loss matches what the
// test dropped) and never each other's.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <thread>
#include <vector>

#include "media/rtp_relay.hpp"
#include "media/transcoder.hpp"
#include "net/worker_pool.hpp"
#include "protocol/rtp/rtcp_report.hpp"
#include "protocol/rtp/rtp_packet.hpp"
#include "support/udp_test_peer.hpp"

namespace parley::media {
namespace {

namespace rtp = protocol::rtp;
using namespace std::chrono_literals;
using Bytes = std::vector<std::uint8_t>;
using Peer = parley::test::UdpTestPeer;
using parley::test::run_on;

constexpr std::uint32_t kSsrcA = 0xA0A0A0A0;
constexpr std::uint32_t kSsrcB = 0xB0B0B0B0;
constexpr std::size_t kFrameBytes = 160;  // 20 ms of G.711

Bytes g711_packet(std::uint8_t pt, std::uint16_t seq, std::uint32_t ts, std::uint32_t ssrc) {
  Bytes bytes(rtp::kRtpHeaderBytes + kFrameBytes, pt == 0 ? 0xFF : 0xD5);  // silence
  rtp::write_header(bytes, pt, false, seq, ts, ssrc);
  return bytes;
}

Forwarding transcoding(const char* from, std::uint8_t from_pt, const char* to, std::uint8_t to_pt) {
  Forwarding plan;
  auto transcoder = Transcoder::create(CodecSpec{from, 8000, 1, ""}, CodecSpec{to, 8000, 1, ""});
  EXPECT_TRUE(transcoder.ok());
  if (transcoder.ok()) plan.transcoder = std::move(transcoder).value();
  plan.transcode_input_pt = from_pt;
  plan.transcode_output_pt = to_pt;
  return plan;
}

// What one peer saw: RTP counted and the reports Parley sent it, in arrival order.
struct Seen {
  std::uint64_t rtp = 0;
  std::optional<std::uint32_t> rtp_ssrc;
  std::uint32_t last_timestamp = 0;
  struct Report {
    rtp::RtcpReports reports;
    std::uint64_t rtp_before = 0;  // RTP packets this peer had received when it arrived
    std::uint32_t timestamp_before = 0;
  };
  std::vector<Report> reports;
  std::uint64_t foreign_rtcp = 0;  // reports not from Parley's SSRC on this leg
};

void take(Seen& seen, const Bytes& bytes) {
  if (rtp::is_rtcp(bytes)) {
    const auto reports = rtp::parse_rtcp_reports(bytes);
    ASSERT_TRUE(reports.has_value()) << "Parley sent malformed RTCP";
    seen.reports.push_back({*reports, seen.rtp, seen.last_timestamp});
    return;
  }
  const auto view = rtp::parse_rtp(bytes);
  ASSERT_TRUE(view.has_value());
  ++seen.rtp;
  seen.rtp_ssrc = view->ssrc;
  seen.last_timestamp = view->timestamp;
}

void drain_into(Peer& peer, Seen& seen, std::chrono::milliseconds wait) {
  while (const auto got = peer.receive(wait)) take(seen, *got);
}

class RtpRelayRtcpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pool_.start();
    RelayOptions options;
    options.bind_address = *net::SocketAddress::parse("127.0.0.1:0");
    options.rtcp_interval = 250ms;
    run_on(pool_, [&] {
      auto relay = RtpRelay::create(pool_, 0, ports_, clock_, options);
      ASSERT_TRUE(relay.ok()) << relay.error().message;
      relay_ = std::move(*relay);
    });
    ASSERT_NE(relay_, nullptr);
    port_a_ = relay_->local_port(Leg::kA);
    port_b_ = relay_->local_port(Leg::kB);
  }
  void TearDown() override {
    run_on(pool_, [&] { relay_.reset(); });
    pool_.shutdown(2s);
  }

  LegStats stats(Leg leg) {
    LegStats copy;
    run_on(pool_, [&] { copy = relay_->stats(leg); });
    return copy;
  }

  net::WorkerPool pool_{1};
  // The media helper's test port range (58000-58999), this file's slice.
  PortPool ports_{58400, 58599};
  SteadyClock clock_;
  std::unique_ptr<RtpRelay> relay_;
  std::uint16_t port_a_ = 0;
  std::uint16_t port_b_ = 0;
};

TEST_F(RtpRelayRtcpTest, TranscodedCallGetsParleysOwnReportsWithRealCounts) {
  Peer a;
  Peer a_rtcp;
  Peer b;  // rtcp-mux
  run_on(pool_, [&] {
    LegRemote remote_a;
    remote_a.rtp = a.address();
    remote_a.rtcp = a_rtcp.address();
    relay_->set_remote(Leg::kA, remote_a);
    LegRemote remote_b;
    remote_b.rtp = b.address();
    remote_b.rtcp_mux = true;
    relay_->set_remote(Leg::kB, remote_b);
    relay_->set_forwarding(Leg::kA, transcoding("PCMU", 0, "PCMA", 8));
    relay_->set_forwarding(Leg::kB, transcoding("PCMA", 8, "PCMU", 0));
  });

  // A sends 1.2 s of PCMU and the test drops every 10th packet; B sends PCMA without loss. A
  // sends a sender report of its own early on, which Parley must echo (LSR) and not relay.
  constexpr int kPackets = 120;
  std::uint64_t skipped_a = 0;
  std::uint64_t sent_b = 0;
  const std::uint64_t a_sr_ntp = 0x1234'5678'9ABC'DEF0ULL;
  Seen at_a;
  Seen at_b;
  for (int i = 0; i < kPackets; ++i) {
    const auto sequence = static_cast<std::uint16_t>(65500 + i);  // wraps on the way
    const auto timestamp = static_cast<std::uint32_t>(i) * 160;
    if (i % 10 == 9) {
      ++skipped_a;
    } else {
      a.send(port_a_, g711_packet(0, sequence, timestamp, kSsrcA));
    }
    b.send(port_b_, g711_packet(8, static_cast<std::uint16_t>(i), timestamp, kSsrcB));
    ++sent_b;
    if (i == 5) {
      std::array<std::uint8_t, 64> sr{};
      rtp::OutgoingReport report;
      report.ssrc = kSsrcA;
      report.sender = rtp::SenderInfo{a_sr_ntp, timestamp, 5, 800};
      report.cname = "peer-a";
      const std::size_t size = rtp::write_rtcp_report(sr, report);
      a_rtcp.send(static_cast<std::uint16_t>(port_a_ + 1),
                  std::span<const std::uint8_t>(sr.data(), size));
      // Garbage on the RTCP port is dropped and counted.
      a_rtcp.send(static_cast<std::uint16_t>(port_a_ + 1), Bytes{0x81, 201, 0, 9, 1, 2, 3, 4});
    }
    drain_into(b, at_b, 1ms);
    drain_into(a, at_a, 1ms);
    drain_into(a_rtcp, at_a, 1ms);
    std::this_thread::sleep_for(10ms);
  }
  // Let the last frames and at least one more report per leg arrive.
  const auto until = std::chrono::steady_clock::now() + 1000ms;
  while (std::chrono::steady_clock::now() < until) {
    drain_into(b, at_b, 20ms);
    drain_into(a, at_a, 1ms);
    drain_into(a_rtcp, at_a, 1ms);
  }

  // B: RTP transcoded from A, and SRs from Parley's SSRC whose counts are what B received.
  ASSERT_TRUE(at_b.rtp_ssrc.has_value());
  EXPECT_GE(at_b.rtp, kPackets - skipped_a - 5);  // the jitter buffer may conceal the gaps
  ASSERT_GE(at_b.reports.size(), 3U) << "reports every ~250 ms expected";
  const Seen::Report* last_sr_at_b = nullptr;
  for (const auto& seen : at_b.reports) {
    EXPECT_EQ(seen.reports.sender_ssrc, *at_b.rtp_ssrc) << "a report not from Parley reached B";
    EXPECT_NE(seen.reports.sender_ssrc, kSsrcA);
    EXPECT_TRUE(seen.reports.has_cname);
    if (seen.reports.sender) last_sr_at_b = &seen;
  }
  ASSERT_NE(last_sr_at_b, nullptr);
  const rtp::SenderInfo& sr_b = *last_sr_at_b->reports.sender;
  // The SR counts every packet sent before it; B has them all (loopback) when it arrives.
  EXPECT_EQ(sr_b.packet_count, last_sr_at_b->rtp_before);
  EXPECT_EQ(sr_b.octet_count, sr_b.packet_count * kFrameBytes);
  // Its RTP time is at or a little after the last packet's.
  EXPECT_LT(sr_b.rtp_timestamp - last_sr_at_b->timestamp_before, 8000U * 2);
  // Its block is about B's stream, which lost nothing.
  bool saw_block_b = false;
  for (const auto& seen : at_b.reports) {
    for (const auto& block : seen.reports.report_blocks()) {
      EXPECT_EQ(block.ssrc, kSsrcB);
      EXPECT_EQ(block.cumulative_lost, 0);
      EXPECT_EQ(block.fraction_lost, 0);
      saw_block_b = true;
    }
  }
  EXPECT_TRUE(saw_block_b);

  // A: Parley's reports on A's RTCP port about A's stream: ~10 % lost, A's SR echoed.
  ASSERT_GE(at_a.reports.size(), 3U);
  const rtp::ReportBlock* last_block = nullptr;
  std::uint64_t weighted_lost = 0;
  std::uint64_t weighted_expected = 0;
  std::uint32_t previous_highest = 65500 - 1;
  bool echoed = false;
  for (const auto& seen : at_a.reports) {
    EXPECT_NE(seen.reports.sender_ssrc, kSsrcB) << "B's report reached A";
    for (const auto& block : seen.reports.report_blocks()) {
      ASSERT_EQ(block.ssrc, kSsrcA);
      const std::uint32_t interval = block.highest_sequence - previous_highest;
      weighted_lost += std::uint64_t{block.fraction_lost} * interval;
      weighted_expected += 256ULL * interval;
      previous_highest = block.highest_sequence;
      if (block.last_sr == rtp::ntp_middle(a_sr_ntp)) {
        echoed = true;
        EXPECT_GT(block.delay_since_last_sr, 0U);
        EXPECT_LT(block.delay_since_last_sr, 65536U * 20);  // under 20 s, even on a busy machine
      }
      last_block = &block;
    }
    if (seen.reports.sender) {
      // A's RTP and RTCP arrive on two sockets read one after the other: a packet or two of
      // RTP may be read before or after the report that counted it.
      EXPECT_LE(seen.reports.sender->packet_count, seen.rtp_before + 3);
      EXPECT_GE(seen.reports.sender->packet_count + 3, seen.rtp_before);
    }
  }
  ASSERT_NE(last_block, nullptr);
  EXPECT_TRUE(echoed);
  // A's last packet was i = 118: expected 119 from 65500 on, 11 of them skipped.
  EXPECT_EQ(last_block->highest_sequence, 65536U + static_cast<std::uint16_t>(65500 + 118));
  EXPECT_EQ(last_block->cumulative_lost, 11);
  const double fraction =
      static_cast<double>(weighted_lost) / static_cast<double>(weighted_expected);
  EXPECT_NEAR(fraction, 0.10, 0.03) << "fraction lost over the intervals";

  const LegStats stats_a = stats(Leg::kA);
  EXPECT_EQ(stats_a.rtcp_terminated, 1U);
  EXPECT_EQ(stats_a.dropped_malformed, 1U);
  EXPECT_GE(stats_a.rtcp_reports_sent, 3U);
  EXPECT_GE(stats(Leg::kB).rtcp_reports_sent, 3U);
}

TEST_F(RtpRelayRtcpTest, PassthroughAgainStopsReportsAndRelaysRtcp) {
  Peer a;
  Peer b;
  run_on(pool_, [&] {
    LegRemote remote_a;
    remote_a.rtp = a.address();
    remote_a.rtcp_mux = true;
    relay_->set_remote(Leg::kA, remote_a);
    LegRemote remote_b = remote_a;
    remote_b.rtp = b.address();
    relay_->set_remote(Leg::kB, remote_b);
    relay_->set_forwarding(Leg::kA, transcoding("PCMU", 0, "PCMA", 8));
  });
  // Reports come while transcoding...
  std::optional<Bytes> report;
  for (int i = 0; i < 50 && !report; ++i) {
    if (auto got = b.receive(100ms); got && rtp::is_rtcp(*got)) report = got;
  }
  ASSERT_TRUE(report.has_value());
  // ...and stop when the call relays again (a re-INVITE to a shared codec); RTCP is relayed.
  run_on(pool_, [&] {
    Forwarding plan;
    plan.payload_map[0] = 0;
    relay_->set_forwarding(Leg::kA, std::move(plan));
    Forwarding back;
    back.payload_map[0] = 0;
    relay_->set_forwarding(Leg::kB, std::move(back));
  });
  b.drain();
  EXPECT_TRUE(b.silent(700ms)) << "reports after transcoding ended";
  const std::uint64_t own_reports = stats(Leg::kB).rtcp_reports_sent;
  Bytes rr(32, 0);
  rr[0] = 0x81;
  rr[1] = 201;
  rr[3] = 7;
  a.send(port_a_, rr);
  const auto relayed = b.receive(1s);
  ASSERT_TRUE(relayed.has_value());
  EXPECT_TRUE(rtp::valid_rtcp(*relayed));
  EXPECT_EQ(relayed->size(), 32U);
  EXPECT_EQ(stats(Leg::kB).rtcp_reports_sent, own_reports);
}

}  // namespace
}  // namespace parley::media
