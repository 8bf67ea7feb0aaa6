#pragma once
// RtcpReporter: one relay leg's own RTCP where Parley terminates it (a transcoded leg pair,
// decision 0039). The relay tells it what it sends to the leg (packets, payload octets, the RTP
// time of the latest audio) and what it receives from it (ReceptionStatistics), hands it the
// reports the leg's user agent sends, and asks it when a report is due and for the report's
// bytes: an SR while Parley sends on the leg, else an RR, with a report block about the leg's
// stream and an SDES CNAME (RFC 3550 §6.1).
//
// Report times follow RFC 3550 §6.3 for a two-party session: the deterministic interval is the
// minimum (5 s by default; the session bandwidth share never asks for more with two members),
// the first report comes after half of it, and each interval is randomised over [0.5, 1.5] and
// divided by e - 3/2 to compensate for the timer reconsideration this small session skips.
//
// Value type, no allocation after construction. Thread-safety: none; owned by one relay leg.

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <span>
#include <string_view>

#include "base/clock.hpp"
#include "media/rtcp_statistics.hpp"
#include "protocol/rtp/rtcp_report.hpp"

namespace parley::media {

// What the leg's user agent said about the stream Parley sends it, from its latest report.
struct PeerReception {
  std::uint8_t fraction_lost = 0;
  std::int32_t cumulative_lost = 0;
  std::uint32_t jitter = 0;
  std::optional<Duration> round_trip;  // when its block echoed one of our SRs
};

class RtcpReporter {
 public:
  explicit RtcpReporter(std::uint32_t seed) : random_(seed) {}

  ReceptionStatistics& reception() { return reception_; }
  const ReceptionStatistics& reception() const { return reception_; }

  // An RTP packet with `payload_bytes` of payload went to the leg.
  void on_sent(std::size_t payload_bytes);
  // Audio with RTP timestamp `timestamp` went to the leg at `now`: the anchor that maps the
  // report's NTP time onto the stream's RTP clock.
  void on_sent_audio(std::uint32_t timestamp, TimePoint now);

  // The leg's user agent sent `reports` (arrived at `now`, wall clock `ntp_now`); `our_ssrc` is
  // the SSRC Parley sends it with, whose block is kept.
  void on_reports(const protocol::rtp::RtcpReports& reports, std::uint32_t our_ssrc, TimePoint now,
                  std::uint64_t ntp_now);
  const std::optional<PeerReception>& peer() const { return peer_; }

  // Reports start (the first after half an interval) or stop being due.
  void start(TimePoint now, Duration minimum_interval);
  void stop() { next_report_.reset(); }
  const std::optional<TimePoint>& next_report() const { return next_report_; }

  // The next report after one made at `now`.
  void reschedule(TimePoint now) {
    if (next_report_) next_report_ = now + random_interval(minimum_interval_);
  }
  // Writes the report due at `now` into `out`. `ssrc` is Parley's SSRC
  // on this leg, `clock_rate` that of the stream Parley sends. Returns its size (0 = did not
  // fit). An SR when something was sent since the report before.
  std::size_t write_report(std::span<std::uint8_t> out, TimePoint now, std::uint64_t ntp_now,
                           std::uint32_t ssrc, std::uint32_t clock_rate, std::string_view cname);

  std::uint64_t packets_sent() const { return packets_sent_; }
  std::uint64_t octets_sent() const { return octets_sent_; }
  std::uint64_t reports_sent() const { return reports_sent_; }

 private:
  Duration random_interval(Duration deterministic);

  ReceptionStatistics reception_;
  std::minstd_rand random_;
  Duration minimum_interval_ = std::chrono::seconds(5);
  std::optional<TimePoint> next_report_;

  std::uint64_t packets_sent_ = 0;
  std::uint64_t octets_sent_ = 0;
  std::uint64_t packets_at_last_report_ = 0;
  bool have_audio_ = false;
  std::uint32_t last_audio_timestamp_ = 0;
  TimePoint last_audio_time_{};
  std::uint64_t reports_sent_ = 0;
  // Our last SR's NTP middle bits, for the round trip from the block that echoes it.
  std::optional<std::uint32_t> last_sr_sent_;

  std::optional<PeerReception> peer_;
};

}  // namespace parley::media
