#pragma once
// RTP (RFC 3550 §5.1) and RTCP (§6.4) headers read from and written into datagram bytes in
// place. Pure functions over bytes: nothing here allocates, so the relay can validate and
// rewrite every packet on the hot path.
//
// Thread-safety: pure functions.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace parley::protocol::rtp {

inline constexpr std::size_t kRtpHeaderBytes = 12;

// The parsed fixed header of one RTP packet. `payload` views the datagram (after CSRCs,
// the extension and before any padding).
struct RtpView {
  std::uint8_t payload_type = 0;
  bool marker = false;
  std::uint16_t sequence = 0;
  std::uint32_t timestamp = 0;
  std::uint32_t ssrc = 0;
  std::size_t header_bytes = 0;  // fixed header + CSRCs + extension
  std::span<const std::uint8_t> payload;
};

// Validates version 2, lengths of CSRC list, extension and padding. Returns nullopt for anything
// that is not a well-formed RTP packet (including RTCP packets: payload types 72..79 with the
// marker, i.e. second byte 192..223, are refused here; see is_rtcp()).
std::optional<RtpView> parse_rtp(std::span<const std::uint8_t> datagram);

// RFC 5761 §4: a datagram on a multiplexed port whose second byte is 192..223 is RTCP.
bool is_rtcp(std::span<const std::uint8_t> datagram);

// Validates an RTCP compound packet (version 2, each packet's length field within the datagram,
// first packet SR or RR unless it is a reduced-size packet). Does not decrypt or interpret.
bool valid_rtcp(std::span<const std::uint8_t> datagram);

// Sets the sender SSRC of every SR and RR packet in a compound packet valid_rtcp() accepted, so
// that a relay that rewrote the SSRC of the RTP stream keeps its reports attached to it. Report
// blocks and other packet types are left as they are. Returns how many packets were changed.
std::size_t set_rtcp_sender_ssrc(std::span<std::uint8_t> datagram, std::uint32_t ssrc);

// In-place rewrites of the fixed header of a packet parse_rtp() accepted.
void set_payload_type(std::span<std::uint8_t> datagram, std::uint8_t payload_type);
void set_sequence(std::span<std::uint8_t> datagram, std::uint16_t sequence);
void set_timestamp(std::span<std::uint8_t> datagram, std::uint32_t timestamp);
void set_ssrc(std::span<std::uint8_t> datagram, std::uint32_t ssrc);

// Writes a fixed 12-byte header (no CSRC, no extension) at the start of `out`, which must hold
// at least kRtpHeaderBytes. Returns kRtpHeaderBytes.
std::size_t write_header(std::span<std::uint8_t> out, std::uint8_t payload_type, bool marker,
                         std::uint16_t sequence, std::uint32_t timestamp, std::uint32_t ssrc);

// RFC 4733 §2.3 telephone-event payload (4 bytes).
struct TelephoneEvent {
  std::uint8_t event = 0;  // 0-9, 10 '*', 11 '#', 12-15 A-D, ...
  bool end = false;
  std::uint8_t volume = 0;     // 0..63, -dBm0
  std::uint16_t duration = 0;  // in timestamp units
};
std::optional<TelephoneEvent> parse_telephone_event(std::span<const std::uint8_t> payload);
void write_telephone_event(std::span<std::uint8_t> out, const TelephoneEvent& event);  // 4 bytes

}  // namespace parley::protocol::rtp
