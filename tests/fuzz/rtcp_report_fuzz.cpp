// libFuzzer target: RTCP sender/receiver report parsing (what a transcoding relay terminates)
// and the report writer. A parsed compound must be valid RTCP with at most kMaxReportBlocks
// blocks; the parsed first report, written again with its blocks and a CNAME, must parse back to
// the same fields. The relay's per-leg statistics take the input as a packet stream too.

#include <array>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "fuzz_require.hpp"
#include "media/rtcp_reporter.hpp"
#include "protocol/rtp/rtcp_report.hpp"
#include "protocol/rtp/rtp_packet.hpp"

namespace rtp = parley::protocol::rtp;

namespace {

bool same(const rtp::ReportBlock& a, const rtp::ReportBlock& b) {
  return a.ssrc == b.ssrc && a.fraction_lost == b.fraction_lost &&
         a.cumulative_lost == b.cumulative_lost && a.highest_sequence == b.highest_sequence &&
         a.jitter == b.jitter && a.last_sr == b.last_sr &&
         a.delay_since_last_sr == b.delay_since_last_sr;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> input(data, size);
  if (const auto reports = rtp::parse_rtcp_reports(input)) {
    fuzz::require(rtp::valid_rtcp(input));
    fuzz::require(reports->block_count <= rtp::kMaxReportBlocks);
    rtp::OutgoingReport again;
    again.ssrc = reports->sender_ssrc;
    again.sender = reports->sender;
    again.blocks = reports->report_blocks();
    again.cname = "fuzz";
    std::array<std::uint8_t, 1024> out{};
    const std::size_t written = rtp::write_rtcp_report(out, again);
    fuzz::require(written > 0);
    const auto back = rtp::parse_rtcp_reports(std::span<const std::uint8_t>(out.data(), written));
    fuzz::require(back.has_value() && back->has_cname);
    fuzz::require(back->sender_ssrc == reports->sender_ssrc);
    fuzz::require(back->sender.has_value() == reports->sender.has_value());
    fuzz::require(back->block_count == reports->block_count);
    for (std::size_t i = 0; i < back->block_count; ++i) {
      fuzz::require(same(back->blocks[i], reports->blocks[i]));
    }
  }

  // The input as 8-byte (SSRC, sequence, timestamp) records: statistics never misbehave.
  parley::media::RtcpReporter reporter(1);
  const parley::TimePoint start{std::chrono::seconds(1)};
  for (std::size_t at = 0; at + 8 <= size; at += 8) {
    const auto ssrc = static_cast<std::uint32_t>(data[at] & 3U);
    const auto sequence = static_cast<std::uint16_t>((data[at + 1] << 8U) | data[at + 2]);
    const std::uint32_t timestamp = (std::uint32_t{data[at + 3]} << 24U) |
                                    (std::uint32_t{data[at + 4]} << 16U) |
                                    (std::uint32_t{data[at + 5]} << 8U) | data[at + 6];
    reporter.reception().on_packet(ssrc, sequence, timestamp, start + std::chrono::milliseconds(at),
                                   8000);
    reporter.on_sent(data[at + 7]);
  }
  std::array<std::uint8_t, 128> report{};
  const std::size_t written =
      reporter.write_report(report, start + std::chrono::seconds(5), 0, 9, 8000, "c");
  fuzz::require(written > 0 &&
                rtp::parse_rtcp_reports(std::span<const std::uint8_t>(report.data(), written)));
  return 0;
}
