// libFuzzer target: RTP/RTCP header validation and the in-place rewrites the relay applies.
// Every payload view must lie inside the input; a rewritten packet must parse back with the
// written fields and nothing else changed; RTCP stays valid after its sender SSRC is rewritten.

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>
#include <vector>

#include "fuzz_require.hpp"
#include "protocol/rtp/rtp_packet.hpp"

namespace rtp = parley::protocol::rtp;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> input(data, size);
  const auto view = rtp::parse_rtp(input);
  const bool rtcp = rtp::is_rtcp(input);
  if (view) {
    fuzz::require(!rtcp);
    fuzz::require(view->header_bytes >= rtp::kRtpHeaderBytes && view->header_bytes <= size);
    fuzz::require(view->payload.data() == data + view->header_bytes);
    fuzz::require(view->header_bytes + view->payload.size() <= size);
    fuzz::require(view->payload_type < 128);

    std::vector<std::uint8_t> copy(input.begin(), input.end());
    const auto payload_type = static_cast<std::uint8_t>(view->sequence & 0x7FU);
    rtp::set_payload_type(copy, payload_type);
    rtp::set_sequence(copy, static_cast<std::uint16_t>(view->timestamp));
    rtp::set_timestamp(copy, view->ssrc);
    rtp::set_ssrc(copy, ~view->ssrc);
    const auto again = rtp::parse_rtp(copy);
    // A rewrite may turn the packet into one on the RTCP range of a muxed port (PT 64..95 with
    // the marker); every other rewritten packet parses back with the new fields.
    if (payload_type >= 64 && payload_type <= 95 && view->marker) {
      fuzz::require(!again && rtp::is_rtcp(copy));
    } else {
      fuzz::require(again.has_value());
      fuzz::require(again->payload_type == payload_type && again->marker == view->marker);
      fuzz::require(again->sequence == static_cast<std::uint16_t>(view->timestamp));
      fuzz::require(again->timestamp == view->ssrc && again->ssrc == ~view->ssrc);
      fuzz::require(again->header_bytes == view->header_bytes);
      fuzz::require(again->payload.size() == view->payload.size());
      fuzz::require(std::memcmp(copy.data() + 12, data + 12, size - 12) == 0);
    }

    if (auto event = rtp::parse_telephone_event(view->payload)) {
      std::uint8_t out[4] = {};
      rtp::write_telephone_event(out, *event);
      const auto back = rtp::parse_telephone_event(out);
      fuzz::require(back && back->event == event->event && back->end == event->end &&
                    back->volume == event->volume && back->duration == event->duration);
    }
  }

  if (rtp::valid_rtcp(input)) {
    fuzz::require(rtcp);
    fuzz::require(size % 4 == 0);
    std::vector<std::uint8_t> copy(input.begin(), input.end());
    rtp::set_rtcp_sender_ssrc(copy, 0x5A5A5A5AU);
    fuzz::require(rtp::valid_rtcp(copy));
  }

  std::vector<std::uint8_t> header(rtp::kRtpHeaderBytes + size);
  const bool marker = size > 0 && (data[0] & 1U) != 0;
  const auto pt = static_cast<std::uint8_t>(size > 1 ? data[1] & 0x7FU : 0);
  rtp::write_header(header, pt, marker, static_cast<std::uint16_t>(size), 7, 9);
  if (size > 0) std::memcpy(header.data() + rtp::kRtpHeaderBytes, data, size);
  const auto written = rtp::parse_rtp(std::span<const std::uint8_t>(header));
  fuzz::require(written.has_value() == !rtp::is_rtcp(header));
  if (written) fuzz::require(written->payload.size() == size && written->ssrc == 9);
  return 0;
}
