#pragma once
// RTCP sender and receiver reports (RFC 3550 §6.4) read from and written into datagram bytes:
// what a participant that terminates RTCP (a transcoding relay) needs to take the reports its
// peers send apart and to build its own compound packets (SR or RR, then SDES with a CNAME,
// §6.1). Pure functions over bytes: nothing here allocates, so both run on the media thread.
//
// Thread-safety: pure functions.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace parley::protocol::rtp {

// The report count of an SR or RR is five bits.
inline constexpr std::size_t kMaxReportBlocks = 31;

// §6.4.1 sender information: when the report was made (64-bit NTP time) and the same instant on
// the stream's RTP clock, and what the sender sent so far (payload octets, not headers).
struct SenderInfo {
  std::uint64_t ntp_timestamp = 0;
  std::uint32_t rtp_timestamp = 0;
  std::uint32_t packet_count = 0;
  std::uint32_t octet_count = 0;
};

// §6.4.1 one reception report block: how one source's stream arrived at the reporter.
struct ReportBlock {
  std::uint32_t ssrc = 0;                 // the source this block is about
  std::uint8_t fraction_lost = 0;         // since the previous report, in 1/256
  std::int32_t cumulative_lost = 0;       // 24-bit signed on the wire (duplicates make it negative)
  std::uint32_t highest_sequence = 0;     // extended: cycles << 16 | highest sequence number
  std::uint32_t jitter = 0;               // interarrival jitter in RTP timestamp units
  std::uint32_t last_sr = 0;              // middle 32 bits of the last SR's NTP time, 0 = none
  std::uint32_t delay_since_last_sr = 0;  // in 1/65536 s
};

// The reports of one compound packet: the sender of its first SR or RR, the SR's sender
// information, and the report blocks of every SR and RR in it (the first kMaxReportBlocks).
struct RtcpReports {
  std::uint32_t sender_ssrc = 0;
  std::optional<SenderInfo> sender;  // set when the first packet is an SR
  std::array<ReportBlock, kMaxReportBlocks> blocks{};
  std::size_t block_count = 0;
  bool has_cname = false;  // an SDES packet's first chunk carries a CNAME item
  bool has_bye = false;

  std::span<const ReportBlock> report_blocks() const { return {blocks.data(), block_count}; }
};

// Parses a compound packet: valid_rtcp() holds, the first packet is an SR or RR, and every SR
// and RR is long enough for its report count. nullopt for anything else, including a
// reduced-size packet (RFC 5506), which carries no report to terminate.
std::optional<RtcpReports> parse_rtcp_reports(std::span<const std::uint8_t> datagram);

// A report to send: an SR when `sender` is set, else an RR; then an SDES packet with `cname`.
struct OutgoingReport {
  std::uint32_t ssrc = 0;
  std::optional<SenderInfo> sender;
  std::span<const ReportBlock> blocks;  // at most kMaxReportBlocks
  std::string_view cname;               // 1..255 bytes
};

// Writes the compound packet into `out`. Returns its size, or 0 when it does not fit or the
// report cannot be written (too many blocks, a CNAME that is empty or too long).
std::size_t write_rtcp_report(std::span<std::uint8_t> out, const OutgoingReport& report);

// The middle 32 bits of a 64-bit NTP time: the LSR field (§6.4.1) and the unit of DLSR.
inline std::uint32_t ntp_middle(std::uint64_t ntp_timestamp) {
  return static_cast<std::uint32_t>(ntp_timestamp >> 16U);
}

}  // namespace parley::protocol::rtp
