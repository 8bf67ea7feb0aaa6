#include "protocol/rtp/rtcp_report.hpp"

#include <algorithm>
#include <cstring>

#include "protocol/rtp/rtp_packet.hpp"
#include "protocol/rtp/wire.hpp"

namespace parley::protocol::rtp {
namespace {

using namespace detail;  // NOLINT(google-build-using-namespace): this file's own helpers

constexpr std::uint8_t kSourceDescription = 202;
constexpr std::uint8_t kGoodbye = 203;
constexpr std::uint8_t kCnameItem = 1;
constexpr std::uint8_t kVersionBits = 0x80;
constexpr std::size_t kSsrcBytes = 4;
constexpr std::size_t kSenderInfoBytes = 20;
constexpr std::size_t kBlockBytes = 24;
constexpr std::size_t kMaxCname = 255;
constexpr std::uint32_t kLostMask = 0xFFFFFFU;
constexpr std::uint32_t kLostSign = 0x800000U;

ReportBlock read_block(std::span<const std::uint8_t> bytes, std::size_t at) {
  ReportBlock block;
  block.ssrc = read32(bytes, at);
  const std::uint32_t lost_word = read32(bytes, at + 4);
  block.fraction_lost = static_cast<std::uint8_t>(lost_word >> 24U);
  const std::uint32_t lost = lost_word & kLostMask;
  // Sign-extend the 24-bit two's complement count.
  block.cumulative_lost = (lost & kLostSign) != 0 ? static_cast<std::int32_t>(lost) -
                                                        static_cast<std::int32_t>(1U << 24U)
                                                  : static_cast<std::int32_t>(lost);
  block.highest_sequence = read32(bytes, at + 8);
  block.jitter = read32(bytes, at + 12);
  block.last_sr = read32(bytes, at + 16);
  block.delay_since_last_sr = read32(bytes, at + 20);
  return block;
}

void write_block(std::span<std::uint8_t> bytes, std::size_t at, const ReportBlock& block) {
  write32(bytes, at, block.ssrc);
  // Clamped to what 24 signed bits hold (§6.4.1 leaves overflow to the implementation).
  const std::int32_t lost = std::clamp<std::int32_t>(block.cumulative_lost, -0x800000, 0x7FFFFF);
  const auto lost_bits = static_cast<std::uint32_t>(lost) & kLostMask;
  write32(bytes, at + 4, (std::uint32_t{block.fraction_lost} << 24U) | lost_bits);
  write32(bytes, at + 8, block.highest_sequence);
  write32(bytes, at + 12, block.jitter);
  write32(bytes, at + 16, block.last_sr);
  write32(bytes, at + 20, block.delay_since_last_sr);
}

// Reads an SR or RR packet of `bytes` length at `at` into `reports`; false when its report
// count does not fit its length.
bool read_report(std::span<const std::uint8_t> datagram, std::size_t at, std::size_t bytes,
                 bool first, RtcpReports& reports) {
  const bool sender = datagram[at + 1] == kSenderReport;
  const std::size_t count = datagram[at] & 0x1FU;
  const std::size_t fixed = kRtcpHeaderBytes + kSsrcBytes + (sender ? kSenderInfoBytes : 0);
  if (bytes < fixed + count * kBlockBytes) return false;
  if (first) {
    reports.sender_ssrc = read32(datagram, at + kRtcpHeaderBytes);
    if (sender) {
      const std::size_t info = at + kRtcpHeaderBytes + kSsrcBytes;
      SenderInfo parsed;
      parsed.ntp_timestamp = (std::uint64_t{read32(datagram, info)} << 32U) |
                             std::uint64_t{read32(datagram, info + 4)};
      parsed.rtp_timestamp = read32(datagram, info + 8);
      parsed.packet_count = read32(datagram, info + 12);
      parsed.octet_count = read32(datagram, info + 16);
      reports.sender = parsed;
    }
  }
  for (std::size_t i = 0; i < count && reports.block_count < kMaxReportBlocks; ++i) {
    reports.blocks[reports.block_count++] = read_block(datagram, at + fixed + i * kBlockBytes);
  }
  return true;
}

}  // namespace

std::optional<RtcpReports> parse_rtcp_reports(std::span<const std::uint8_t> datagram) {
  if (!valid_rtcp(datagram)) return std::nullopt;
  const std::uint8_t first_type = datagram[1];
  if (first_type != kSenderReport && first_type != kReceiverReport) return std::nullopt;
  RtcpReports reports;
  std::size_t at = 0;
  bool first = true;
  // valid_rtcp() checked that the packets' lengths tile the datagram exactly.
  while (at < datagram.size()) {
    const std::uint8_t type = datagram[at + 1];
    std::size_t bytes = (std::size_t{read16(datagram, at + 2)} + 1) * 4;
    if ((datagram[at] & 0x20U) != 0) bytes -= datagram[at + bytes - 1];  // padding
    if (type == kSenderReport || type == kReceiverReport) {
      if (!read_report(datagram, at, bytes, first, reports)) return std::nullopt;
    } else if (type == kSourceDescription) {
      // The first item of the first chunk (after its SSRC) is where a CNAME sits (§6.5).
      const std::size_t item = at + kRtcpHeaderBytes + kSsrcBytes;
      const bool has_chunk =
          (datagram[at] & 0x1FU) > 0 && bytes >= kRtcpHeaderBytes + kSsrcBytes + 2;
      if (has_chunk && datagram[item] == kCnameItem && datagram[item + 1] > 0 &&
          item + 2 + datagram[item + 1] <= at + bytes) {
        reports.has_cname = true;
      }
    } else if (type == kGoodbye) {
      reports.has_bye = true;
    }
    first = false;
    at += (std::size_t{read16(datagram, at + 2)} + 1) * 4;
  }
  return reports;
}

std::size_t write_rtcp_report(std::span<std::uint8_t> out, const OutgoingReport& report) {
  if (report.blocks.size() > kMaxReportBlocks) return 0;
  if (report.cname.empty() || report.cname.size() > kMaxCname) return 0;
  const bool sender = report.sender.has_value();
  const std::size_t report_bytes = kRtcpHeaderBytes + kSsrcBytes + (sender ? kSenderInfoBytes : 0) +
                                   report.blocks.size() * kBlockBytes;
  // SDES chunk: SSRC, CNAME type and length, the text, then at least one null octet ending the
  // item list, padded to a 32-bit boundary (§6.5).
  const std::size_t chunk_bytes = (kSsrcBytes + 2 + report.cname.size() + 1 + 3) / 4 * 4;
  const std::size_t sdes_bytes = kRtcpHeaderBytes + chunk_bytes;
  if (out.size() < report_bytes + sdes_bytes) return 0;

  out[0] = static_cast<std::uint8_t>(kVersionBits | report.blocks.size());
  out[1] = sender ? kSenderReport : kReceiverReport;
  write16(out, 2, static_cast<std::uint16_t>(report_bytes / 4 - 1));
  write32(out, 4, report.ssrc);
  std::size_t at = kRtcpHeaderBytes + kSsrcBytes;
  if (sender) {
    write32(out, at, static_cast<std::uint32_t>(report.sender->ntp_timestamp >> 32U));
    write32(out, at + 4, static_cast<std::uint32_t>(report.sender->ntp_timestamp));
    write32(out, at + 8, report.sender->rtp_timestamp);
    write32(out, at + 12, report.sender->packet_count);
    write32(out, at + 16, report.sender->octet_count);
    at += kSenderInfoBytes;
  }
  for (const ReportBlock& block : report.blocks) {
    write_block(out, at, block);
    at += kBlockBytes;
  }

  out[at] = kVersionBits | 1U;  // one chunk
  out[at + 1] = kSourceDescription;
  write16(out, at + 2, static_cast<std::uint16_t>(sdes_bytes / 4 - 1));
  write32(out, at + 4, report.ssrc);
  out[at + 8] = kCnameItem;
  out[at + 9] = static_cast<std::uint8_t>(report.cname.size());
  std::memcpy(out.data() + at + 10, report.cname.data(), report.cname.size());
  const std::size_t text_end = at + 10 + report.cname.size();
  std::memset(out.data() + text_end, 0, at + sdes_bytes - text_end);
  return report_bytes + sdes_bytes;
}

}  // namespace parley::protocol::rtp
