#include "media/ogg_stream_reader.hpp"

#include <algorithm>
#include <string>

#include "media/ogg_page_writer.hpp"

namespace parley::media {
namespace {

constexpr std::uint8_t kContinued = 0x01;
constexpr std::uint8_t kBeginningOfStream = 0x02;
constexpr std::uint8_t kEndOfStream = 0x04;
constexpr std::size_t kSegmentBytes = 255;
constexpr std::size_t kCrcOffset = 22;
constexpr std::uint64_t kNoGranule = ~std::uint64_t{0};

std::uint32_t le32(std::span<const std::uint8_t> bytes, std::size_t at) {
  std::uint32_t value = 0;
  for (std::size_t i = 0; i < 4; ++i) value |= std::uint32_t{bytes[at + i]} << (8U * i);
  return value;
}

std::uint64_t le64(std::span<const std::uint8_t> bytes, std::size_t at) {
  return std::uint64_t{le32(bytes, at)} | (std::uint64_t{le32(bytes, at + 4)} << 32U);
}

Error ogg_error(std::size_t at, const std::string& what) {
  return make_error(0, "Ogg: " + what + " (page at byte " + std::to_string(at) + ")");
}

// The page's CRC, computed with its own CRC field taken as zero.
std::uint32_t page_crc(std::span<const std::uint8_t> page, std::vector<std::uint8_t>& scratch) {
  scratch.assign(page.begin(), page.end());
  std::fill_n(scratch.begin() + kCrcOffset, 4, std::uint8_t{0});
  return ogg_crc(scratch);
}

}  // namespace

bool looks_like_ogg(std::span<const std::uint8_t> bytes) {
  return bytes.size() >= 4 && bytes[0] == 'O' && bytes[1] == 'g' && bytes[2] == 'g' &&
         bytes[3] == 'S';
}

Result<OggStream> read_ogg_stream(std::span<const std::uint8_t> bytes) {
  OggStream stream;
  bool started = false;
  std::uint32_t next_sequence = 0;
  std::vector<std::uint8_t> partial;
  bool packet_open = false;  // the last page ended inside a packet
  std::vector<std::uint8_t> scratch;
  std::size_t at = 0;
  // Each round consumes at least one page header, so this ends within size / 27 rounds.
  while (at < bytes.size()) {
    if (!looks_like_ogg(bytes.subspan(at))) return ogg_error(at, "no capture pattern \"OggS\"");
    if (bytes.size() - at < OggPageWriter::kHeaderBytes) {
      return ogg_error(at, "the file ends inside a page header");
    }
    if (bytes[at + 4] != 0)
      return ogg_error(at, "unknown version " + std::to_string(bytes[at + 4]));
    const std::uint8_t flags = bytes[at + 5];
    const std::uint64_t granule = le64(bytes, at + 6);
    const std::uint32_t serial = le32(bytes, at + 14);
    const std::uint32_t sequence = le32(bytes, at + 18);
    const std::uint32_t crc = le32(bytes, at + kCrcOffset);
    const std::size_t segments = bytes[at + 26];
    const std::size_t lacing_at = at + OggPageWriter::kHeaderBytes;
    if (bytes.size() - lacing_at < segments) return ogg_error(at, "the lacing table is cut short");
    const auto lacing = bytes.subspan(lacing_at, segments);
    std::size_t body_bytes = 0;
    for (const std::uint8_t value : lacing) body_bytes += value;
    const std::size_t body_at = lacing_at + segments;
    if (bytes.size() - body_at < body_bytes) return ogg_error(at, "the page body is cut short");
    const auto page = bytes.subspan(at, body_at + body_bytes - at);
    if (page_crc(page, scratch) != crc) return ogg_error(at, "CRC mismatch");
    const std::size_t page_at = at;
    at = body_at + body_bytes;

    if (!started) {
      if ((flags & kBeginningOfStream) == 0) {
        return ogg_error(page_at, "the first page does not begin a stream");
      }
      started = true;
      stream.serial = serial;
      next_sequence = sequence;
    } else if (serial != stream.serial) {
      continue;  // another logical stream of a multiplexed file
    } else if ((flags & kBeginningOfStream) != 0) {
      return ogg_error(page_at, "the stream begins twice");
    }
    if (sequence != next_sequence) {
      return ogg_error(page_at, "page " + std::to_string(next_sequence) + " is missing");
    }
    ++next_sequence;
    if (((flags & kContinued) != 0) != packet_open) {
      return ogg_error(page_at, packet_open ? "a packet is left unfinished by the page before"
                                            : "the page continues a packet that never began");
    }
    std::size_t offset = body_at;
    for (const std::uint8_t value : lacing) {
      if (partial.size() + value > OggStream::kMaxPacketBytes) {
        return ogg_error(page_at, "a packet is larger than " +
                                      std::to_string(OggStream::kMaxPacketBytes) + " bytes");
      }
      const auto segment = bytes.subspan(offset, value);
      partial.insert(partial.end(), segment.begin(), segment.end());
      offset += value;
      if (value < kSegmentBytes) {
        if (stream.packets.size() == OggStream::kMaxPackets) {
          return ogg_error(page_at,
                           "more than " + std::to_string(OggStream::kMaxPackets) + " packets");
        }
        stream.packets.push_back(std::move(partial));
        partial.clear();
      }
    }
    if (!lacing.empty()) packet_open = lacing.back() == kSegmentBytes;
    if (granule != kNoGranule) {
      stream.last_granule = granule;
      stream.has_granule = true;
    }
    if ((flags & kEndOfStream) != 0) {
      stream.ended = true;
      break;  // a chained file's later links are not read
    }
  }
  if (!started) return make_error(0, "Ogg: no pages");
  if (packet_open) return make_error(0, "Ogg: the file ends inside a packet");
  return stream;
}

}  // namespace parley::media
