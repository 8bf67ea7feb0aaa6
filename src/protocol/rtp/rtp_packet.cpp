#include "protocol/rtp/rtp_packet.hpp"

#include "protocol/rtp/wire.hpp"

namespace parley::protocol::rtp {
namespace {

using namespace detail;  // NOLINT(google-build-using-namespace): this file's own helpers

constexpr std::uint8_t kVersion = 2;
// RFC 5761 §4: second byte 192..223 is RTCP packet types 192..223 (SR 200 ... XR 207 in the
// middle), which on a muxed port would read as RTP payload types 64..95 with the marker set.
constexpr std::uint8_t kFirstRtcpType = 192;
constexpr std::uint8_t kLastRtcpType = 223;
// Types RFC 5506 allows to open a reduced-size (non-compound) packet: SDES, BYE, APP,
// RTPFB, PSFB, XR.
constexpr std::uint8_t kFirstReducedSizeType = 202;
constexpr std::uint8_t kLastReducedSizeType = 207;

}  // namespace

std::optional<RtpView> parse_rtp(std::span<const std::uint8_t> datagram) {
  if (datagram.size() < kRtpHeaderBytes) return std::nullopt;
  const std::uint8_t first = datagram[0];
  if ((first >> 6U) != kVersion) return std::nullopt;
  if (is_rtcp(datagram)) return std::nullopt;
  const bool padding = (first & 0x20U) != 0;
  const bool extension = (first & 0x10U) != 0;
  const std::size_t csrc_count = first & 0x0FU;

  std::size_t header = kRtpHeaderBytes + 4 * csrc_count;
  if (header > datagram.size()) return std::nullopt;
  if (extension) {
    // RFC 3550 §5.3.1: 16-bit profile, 16-bit length in 32-bit words, then the words.
    if (header + 4 > datagram.size()) return std::nullopt;
    const std::size_t words = read16(datagram, header + 2);
    header += 4 + 4 * words;
    if (header > datagram.size()) return std::nullopt;
  }
  std::size_t end = datagram.size();
  if (padding) {
    // The last octet counts the padding octets, itself included, so it is at least 1.
    const std::size_t pad = datagram.back();
    if (pad == 0 || pad > end - header) return std::nullopt;
    end -= pad;
  }

  RtpView view;
  view.payload_type = datagram[1] & 0x7FU;
  view.marker = (datagram[1] & 0x80U) != 0;
  view.sequence = read16(datagram, 2);
  view.timestamp = read32(datagram, 4);
  view.ssrc = read32(datagram, 8);
  view.header_bytes = header;
  view.payload = datagram.subspan(header, end - header);
  return view;
}

bool is_rtcp(std::span<const std::uint8_t> datagram) {
  return datagram.size() >= 2 && datagram[1] >= kFirstRtcpType && datagram[1] <= kLastRtcpType;
}

bool valid_rtcp(std::span<const std::uint8_t> datagram) {
  if (datagram.size() < kRtcpHeaderBytes || datagram.size() % 4 != 0) return false;
  std::size_t at = 0;
  bool first = true;
  while (at < datagram.size()) {
    if (datagram.size() - at < kRtcpHeaderBytes) return false;
    const std::uint8_t flags = datagram[at];
    const std::uint8_t type = datagram[at + 1];
    if ((flags >> 6U) != kVersion) return false;
    if (type < kFirstRtcpType || type > kLastRtcpType) return false;
    if (first) {
      const bool report = type == kSenderReport || type == kReceiverReport;
      const bool reduced = type >= kFirstReducedSizeType && type <= kLastReducedSizeType;
      if (!report && !reduced) return false;
      first = false;
    }
    const std::size_t bytes = (std::size_t{read16(datagram, at + 2)} + 1) * 4;
    if (bytes > datagram.size() - at) return false;
    if ((flags & 0x20U) != 0) {
      // RFC 3550 §6.4.1: only the last packet of a compound may be padded.
      if (at + bytes != datagram.size()) return false;
      // Padding never reaches into the header or, of a report, the sender SSRC.
      const bool report = type == kSenderReport || type == kReceiverReport;
      const std::size_t fixed = kRtcpHeaderBytes + (report ? 4 : 0);
      const std::size_t pad = datagram[at + bytes - 1];
      if (pad == 0 || bytes < fixed || pad > bytes - fixed) return false;
    }
    at += bytes;
  }
  return true;
}

std::size_t set_rtcp_sender_ssrc(std::span<std::uint8_t> datagram, std::uint32_t ssrc) {
  std::size_t changed = 0;
  std::size_t at = 0;
  while (datagram.size() - at >= kRtcpHeaderBytes + 4) {
    const std::uint8_t type = datagram[at + 1];
    const std::size_t bytes = (std::size_t{read16(datagram, at + 2)} + 1) * 4;
    if (bytes > datagram.size() - at) break;
    if ((type == kSenderReport || type == kReceiverReport) && bytes >= kRtcpHeaderBytes + 4) {
      write32(datagram, at + kRtcpHeaderBytes, ssrc);
      ++changed;
    }
    at += bytes;
  }
  return changed;
}

void set_payload_type(std::span<std::uint8_t> datagram, std::uint8_t payload_type) {
  datagram[1] = static_cast<std::uint8_t>((datagram[1] & 0x80U) | (payload_type & 0x7FU));
}

void set_sequence(std::span<std::uint8_t> datagram, std::uint16_t sequence) {
  write16(datagram, 2, sequence);
}

void set_timestamp(std::span<std::uint8_t> datagram, std::uint32_t timestamp) {
  write32(datagram, 4, timestamp);
}

void set_ssrc(std::span<std::uint8_t> datagram, std::uint32_t ssrc) {
  write32(datagram, 8, ssrc);
}

std::size_t write_header(std::span<std::uint8_t> out, std::uint8_t payload_type, bool marker,
                         std::uint16_t sequence, std::uint32_t timestamp, std::uint32_t ssrc) {
  out[0] = kVersion << 6U;
  out[1] = static_cast<std::uint8_t>((marker ? 0x80U : 0U) | (payload_type & 0x7FU));
  write16(out, 2, sequence);
  write32(out, 4, timestamp);
  write32(out, 8, ssrc);
  return kRtpHeaderBytes;
}

std::optional<TelephoneEvent> parse_telephone_event(std::span<const std::uint8_t> payload) {
  if (payload.size() < 4) return std::nullopt;
  TelephoneEvent event;
  event.event = payload[0];
  event.end = (payload[1] & 0x80U) != 0;
  event.volume = payload[1] & 0x3FU;
  event.duration = read16(payload, 2);
  return event;
}

void write_telephone_event(std::span<std::uint8_t> out, const TelephoneEvent& event) {
  out[0] = event.event;
  // The R bit is reserved: sent as zero.
  out[1] = static_cast<std::uint8_t>((event.end ? 0x80U : 0U) | (event.volume & 0x3FU));
  write16(out, 2, event.duration);
}

}  // namespace parley::protocol::rtp
