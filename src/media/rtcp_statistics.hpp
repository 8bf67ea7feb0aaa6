#pragma once
// ReceptionStatistics: what RFC 3550 Appendix A says a receiver keeps about one source so that
// its reception report block means what the sender expects: the extended highest sequence
// number with wrap-around and restarts (A.1), expected and lost packets, cumulative and over the
// last interval (A.3), the interarrival jitter in the source's timestamp units (A.8), and the
// time of the source's last sender report (LSR/DLSR, §6.4.1).
//
// The relay has already latched and validated every packet it hands in, so a source needs no
// probation: its first packet starts it. A packet from another SSRC starts a new source (a
// transfer, a re-INVITE); its counts start over, as §8.2 has them.
//
// Value type, no allocation. Thread-safety: none; owned by one relay leg on its worker.

#include <cstdint>

#include "base/clock.hpp"
#include "protocol/rtp/rtcp_report.hpp"

namespace parley::media {

class ReceptionStatistics {
 public:
  // One accepted RTP packet; `clock_rate` is its payload format's RTP clock (for jitter).
  void on_packet(std::uint32_t ssrc, std::uint16_t sequence, std::uint32_t timestamp,
                 TimePoint arrival, std::uint32_t clock_rate);
  // The source's sender report carried `ntp_timestamp` and arrived at `arrival`.
  void on_sender_report(std::uint64_t ntp_timestamp, TimePoint arrival);

  bool has_source() const { return started_; }
  std::uint32_t ssrc() const { return ssrc_; }
  std::uint64_t received() const { return received_; }
  std::uint64_t expected() const;
  std::int64_t cumulative_lost() const;
  std::uint32_t extended_highest_sequence() const { return cycles_ + max_sequence_; }
  std::uint32_t jitter() const { return jitter_scaled_ >> 4U; }
  // Whether a packet arrived since the last report() (§6.4: report only on sources heard from).
  bool heard_since_report() const { return received_ != received_prior_; }

  // The block for a report made at `now`; starts the next interval for the fraction lost.
  protocol::rtp::ReportBlock report(TimePoint now);

 private:
  void start(std::uint32_t ssrc, std::uint16_t sequence);
  // A.1: false when the packet is a jump we do not follow yet (counted on its repeat).
  bool update_sequence(std::uint16_t sequence);
  void update_jitter(std::uint32_t timestamp, TimePoint arrival, std::uint32_t clock_rate);

  bool started_ = false;
  std::uint32_t ssrc_ = 0;
  std::uint16_t max_sequence_ = 0;
  std::uint32_t cycles_ = 0;  // count of sequence wraps << 16
  std::uint32_t base_sequence_ = 0;
  std::uint32_t bad_sequence_ = 0;  // a jump's follower; kSequenceModulo + 1 = none
  std::uint64_t received_ = 0;
  std::uint64_t expected_prior_ = 0;
  std::uint64_t received_prior_ = 0;

  bool have_transit_ = false;
  std::uint32_t transit_ = 0;
  std::uint32_t jitter_clock_rate_ = 0;
  std::uint32_t jitter_scaled_ = 0;  // jitter × 16 (A.8's integer form)

  bool have_sender_report_ = false;
  std::uint32_t last_sr_ = 0;
  TimePoint last_sr_arrival_{};
};

// The 64-bit NTP time (RFC 5905: seconds since 1900 . 32-bit fraction) of a wall-clock instant.
std::uint64_t ntp_time(std::chrono::system_clock::time_point instant);

}  // namespace parley::media
