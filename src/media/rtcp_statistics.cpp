#include "media/rtcp_statistics.hpp"

#include <algorithm>
#include <limits>

namespace parley::media {
namespace {

constexpr std::uint32_t kSequenceModulo = 1U << 16U;
// A.1: a forward step below this is a gap (loss); a backward step below kMaxMisorder is a late
// or duplicate packet; anything else is a jump that needs a second packet to be believed.
constexpr std::uint16_t kMaxDropout = 3000;
constexpr std::uint16_t kMaxMisorder = 100;
// Seconds from 1900 (NTP era 0) to 1970 (Unix epoch).
constexpr std::uint64_t kNtpUnixOffset = 2'208'988'800ULL;
constexpr std::int64_t kNanosPerSecond = 1'000'000'000;

// `instant` on an RTP clock of `clock_rate`, modulo 2^32 (only differences matter).
std::uint32_t rtp_units(TimePoint instant, std::uint32_t clock_rate) {
  const std::int64_t nanos =
      std::chrono::duration_cast<std::chrono::nanoseconds>(instant.time_since_epoch()).count();
  const std::int64_t seconds = nanos / kNanosPerSecond;
  const std::int64_t rest = nanos % kNanosPerSecond;
  return static_cast<std::uint32_t>(
      static_cast<std::uint64_t>(seconds) * clock_rate +
      static_cast<std::uint64_t>(rest * clock_rate / kNanosPerSecond));
}

}  // namespace

void ReceptionStatistics::start(std::uint32_t ssrc, std::uint16_t sequence) {
  started_ = true;
  ssrc_ = ssrc;
  base_sequence_ = sequence;
  max_sequence_ = sequence;
  bad_sequence_ = kSequenceModulo + 1;
  cycles_ = 0;
  received_ = 0;
  expected_prior_ = 0;
  received_prior_ = 0;
  have_transit_ = false;
  jitter_scaled_ = 0;
}

bool ReceptionStatistics::update_sequence(std::uint16_t sequence) {
  const auto step = static_cast<std::uint16_t>(sequence - max_sequence_);
  if (step < kMaxDropout) {
    if (sequence < max_sequence_) cycles_ += kSequenceModulo;  // wrapped
    max_sequence_ = sequence;
  } else if (step <= kSequenceModulo - kMaxMisorder) {
    // A large jump: the sender restarted, or a stray packet. Two in a row restart the count.
    if (sequence != bad_sequence_) {
      bad_sequence_ = (std::uint32_t{sequence} + 1) & (kSequenceModulo - 1);
      return false;
    }
    start(ssrc_, sequence);
  }
  // Otherwise a duplicate or a late packet: counted, which is what makes cumulative loss
  // negative with duplicates (§6.4.1).
  return true;
}

void ReceptionStatistics::update_jitter(std::uint32_t timestamp, TimePoint arrival,
                                        std::uint32_t clock_rate) {
  if (clock_rate == 0) return;
  if (clock_rate != jitter_clock_rate_) {
    jitter_clock_rate_ = clock_rate;
    have_transit_ = false;
    jitter_scaled_ = 0;
  }
  const std::uint32_t transit = rtp_units(arrival, clock_rate) - timestamp;
  if (have_transit_) {
    const auto difference = static_cast<std::int32_t>(transit - transit_);
    const std::uint32_t magnitude =
        difference < 0 ? static_cast<std::uint32_t>(-static_cast<std::int64_t>(difference))
                       : static_cast<std::uint32_t>(difference);
    // J += (|D| - J) / 16 in A.8's scaled integer form.
    jitter_scaled_ += magnitude - ((jitter_scaled_ + 8) >> 4U);
  }
  transit_ = transit;
  have_transit_ = true;
}

void ReceptionStatistics::on_packet(std::uint32_t ssrc, std::uint16_t sequence,
                                    std::uint32_t timestamp, TimePoint arrival,
                                    std::uint32_t clock_rate) {
  if (!started_ || ssrc != ssrc_) {
    start(ssrc, sequence);
    have_sender_report_ = false;
  } else if (!update_sequence(sequence)) {
    return;
  }
  ++received_;
  update_jitter(timestamp, arrival, clock_rate);
}

void ReceptionStatistics::on_sender_report(std::uint64_t ntp_timestamp, TimePoint arrival) {
  have_sender_report_ = true;
  last_sr_ = protocol::rtp::ntp_middle(ntp_timestamp);
  last_sr_arrival_ = arrival;
}

std::uint64_t ReceptionStatistics::expected() const {
  if (!started_) return 0;
  return std::uint64_t{extended_highest_sequence()} - base_sequence_ + 1;
}

std::int64_t ReceptionStatistics::cumulative_lost() const {
  return static_cast<std::int64_t>(expected()) - static_cast<std::int64_t>(received_);
}

protocol::rtp::ReportBlock ReceptionStatistics::report(TimePoint now) {
  protocol::rtp::ReportBlock block;
  block.ssrc = ssrc_;
  const std::uint64_t expected_now = expected();
  const auto expected_interval = static_cast<std::int64_t>(expected_now - expected_prior_);
  const auto received_interval = static_cast<std::int64_t>(received_ - received_prior_);
  const std::int64_t lost_interval = expected_interval - received_interval;
  expected_prior_ = expected_now;
  received_prior_ = received_;
  if (expected_interval > 0 && lost_interval > 0) {
    block.fraction_lost = static_cast<std::uint8_t>(std::min<std::int64_t>(
        (lost_interval << 8U) / expected_interval, std::numeric_limits<std::uint8_t>::max()));
  }
  block.cumulative_lost =
      static_cast<std::int32_t>(std::clamp<std::int64_t>(cumulative_lost(), -0x800000, 0x7FFFFF));
  block.highest_sequence = extended_highest_sequence();
  block.jitter = jitter();
  if (have_sender_report_) {
    block.last_sr = last_sr_;
    const auto delay =
        std::chrono::duration_cast<std::chrono::nanoseconds>(now - last_sr_arrival_).count();
    block.delay_since_last_sr =
        static_cast<std::uint32_t>(std::max<std::int64_t>(delay, 0) * 65536 / kNanosPerSecond);
  }
  return block;
}

std::uint64_t ntp_time(std::chrono::system_clock::time_point instant) {
  const std::int64_t nanos =
      std::chrono::duration_cast<std::chrono::nanoseconds>(instant.time_since_epoch()).count();
  const auto seconds = static_cast<std::uint64_t>(nanos / kNanosPerSecond) + kNtpUnixOffset;
  const auto fraction =
      (static_cast<std::uint64_t>(nanos % kNanosPerSecond) << 32U) / kNanosPerSecond;
  return (seconds << 32U) | fraction;
}

}  // namespace parley::media
