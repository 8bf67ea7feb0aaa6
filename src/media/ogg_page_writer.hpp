#pragma once
// OggPageWriter: packs the packets of one logical Ogg bitstream into pages (RFC 3533): the
// 27-byte page header with capture pattern, flags, granule position, serial number, page
// sequence number and CRC-32, then the lacing table and the packet data. Enough for one
// Ogg/Opus recording (RFC 7845): packets are added whole, a page ends where the caller says or
// when its lacing table is full, and no packet spans two pages.
//
// Also `ogg_crc`, the Ogg checksum (polynomial 0x04C11DB7, no reflection, initial value 0), which
// readers use to check a page.
//
// Value type; the page buffer is reused, so a steady recording allocates nothing once it has
// written its largest page. Thread-safety: none.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace parley::media {

std::uint32_t ogg_crc(std::span<const std::uint8_t> bytes);

class OggPageWriter {
 public:
  // A page holds at most 255 lacing values: 255 short packets, or fewer longer ones.
  static constexpr std::size_t kMaxSegments = 255;
  static constexpr std::size_t kHeaderBytes = 27;

  explicit OggPageWriter(std::uint32_t serial) : serial_(serial) {}

  // Whether `packet` still fits on the page being built (else finish the page first).
  bool fits(std::size_t packet_bytes) const;
  // Adds a whole packet (at most 255 × 255 - 1 bytes) to the page being built.
  void add(std::span<const std::uint8_t> packet);
  bool empty() const { return segments_.empty(); }

  // Finishes the page being built with `granule_position` (the codec's position at the end of
  // the page's last packet) and returns its bytes, valid until the next call. `last` marks the
  // end of the stream (EOS); the first page written is marked as its beginning (BOS).
  std::span<const std::uint8_t> finish_page(std::uint64_t granule_position, bool last = false);

  std::uint32_t pages_written() const { return sequence_; }

 private:
  std::uint32_t serial_;
  std::uint32_t sequence_ = 0;
  std::vector<std::uint8_t> segments_;
  std::vector<std::uint8_t> body_;
  std::vector<std::uint8_t> page_;
};

}  // namespace parley::media
