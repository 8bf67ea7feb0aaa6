#include "media/rtcp_reporter.hpp"

#include <array>

namespace parley::media {
namespace {

namespace rtp = protocol::rtp;

// RFC 3550 §6.3.1: e - 3/2, the compensation for skipping timer reconsideration.
constexpr double kCompensation = 1.21828;

}  // namespace

void RtcpReporter::on_sent(std::size_t payload_bytes) {
  ++packets_sent_;
  octets_sent_ += payload_bytes;
}

void RtcpReporter::on_sent_audio(std::uint32_t timestamp, TimePoint now) {
  have_audio_ = true;
  last_audio_timestamp_ = timestamp;
  last_audio_time_ = now;
}

void RtcpReporter::on_reports(const rtp::RtcpReports& reports, std::uint32_t our_ssrc,
                              TimePoint now, std::uint64_t ntp_now) {
  if (reports.sender && reception_.has_source() && reports.sender_ssrc == reception_.ssrc()) {
    reception_.on_sender_report(reports.sender->ntp_timestamp, now);
  }
  for (const rtp::ReportBlock& block : reports.report_blocks()) {
    if (block.ssrc != our_ssrc) continue;
    PeerReception peer;
    peer.fraction_lost = block.fraction_lost;
    peer.cumulative_lost = block.cumulative_lost;
    peer.jitter = block.jitter;
    // §6.4.1: round trip = arrival - LSR - DLSR, all in 1/65536 s.
    if (block.last_sr != 0 && last_sr_sent_ && block.last_sr == *last_sr_sent_) {
      const std::uint32_t arrival = rtp::ntp_middle(ntp_now);
      const std::uint32_t units = arrival - block.last_sr - block.delay_since_last_sr;
      if (units < (1U << 31U)) {
        peer.round_trip = std::chrono::duration_cast<Duration>(
            std::chrono::nanoseconds(std::uint64_t{units} * 1'000'000'000ULL >> 16U));
      }
    }
    peer_ = peer;
    break;
  }
}

Duration RtcpReporter::random_interval(Duration deterministic) {
  std::uniform_real_distribution<double> spread(0.5, 1.5);
  return std::chrono::duration_cast<Duration>(deterministic * (spread(random_) / kCompensation));
}

void RtcpReporter::start(TimePoint now, Duration minimum_interval) {
  minimum_interval_ = minimum_interval;
  if (!next_report_) next_report_ = now + random_interval(minimum_interval / 2);
}

std::size_t RtcpReporter::write_report(std::span<std::uint8_t> out, TimePoint now,
                                       std::uint64_t ntp_now, std::uint32_t ssrc,
                                       std::uint32_t clock_rate, std::string_view cname) {
  rtp::OutgoingReport report;
  report.ssrc = ssrc;
  report.cname = cname;
  if (packets_sent_ != packets_at_last_report_) {
    rtp::SenderInfo sender;
    sender.ntp_timestamp = ntp_now;
    if (have_audio_) {
      // The RTP time of this instant: the last audio's timestamp advanced by the time since.
      const auto since =
          std::chrono::duration_cast<std::chrono::microseconds>(now - last_audio_time_).count();
      sender.rtp_timestamp =
          last_audio_timestamp_ + static_cast<std::uint32_t>(since * clock_rate / 1'000'000);
    }
    sender.packet_count = static_cast<std::uint32_t>(packets_sent_);
    sender.octet_count = static_cast<std::uint32_t>(octets_sent_);
    report.sender = sender;
    last_sr_sent_ = rtp::ntp_middle(ntp_now);
  }
  packets_at_last_report_ = packets_sent_;
  std::array<rtp::ReportBlock, 1> block{};
  if (reception_.has_source() && reception_.heard_since_report()) {
    block[0] = reception_.report(now);
    report.blocks = block;
  }
  const std::size_t size = rtp::write_rtcp_report(out, report);
  if (size > 0) ++reports_sent_;
  return size;
}

}  // namespace parley::media
