#pragma once
// read_ogg_stream: the packets of the first logical bitstream in an Ogg file held in memory
// (RFC 3533), for uploaded prompts and greetings. Each page is checked before its bytes are
// used: capture pattern, version 0, a lacing table and body inside the file, the CRC, and a page
// sequence without gaps; packets that continue across pages are joined. Pages of other logical
// streams (a multiplexed file) are skipped. Anything else is an error naming what is wrong and
// where, since the bytes come from whoever uploaded them.
//
// Pure; the packets are copies, so the input may go away. Limits bound the work: at most
// `kMaxPackets` packets of at most `kMaxPacketBytes` each.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "base/result.hpp"

namespace parley::media {

struct OggStream {
  static constexpr std::size_t kMaxPackets = 200'000;              // over an hour of 20 ms packets
  static constexpr std::size_t kMaxPacketBytes = 4 * 1024 * 1024;  // a header with cover art

  std::uint32_t serial = 0;
  std::vector<std::vector<std::uint8_t>> packets;
  // The granule position of the stream's last page that has one (-1 means none on a page);
  // `has_granule` is false when no page had one.
  std::uint64_t last_granule = 0;
  bool has_granule = false;
  bool ended = false;  // the stream's last page carried end-of-stream
};

Result<OggStream> read_ogg_stream(std::span<const std::uint8_t> bytes);

// Whether `bytes` start like an Ogg file (the "OggS" capture pattern), to tell it from a WAV.
bool looks_like_ogg(std::span<const std::uint8_t> bytes);

}  // namespace parley::media
