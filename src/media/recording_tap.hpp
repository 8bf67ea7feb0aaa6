#pragma once
// RecordingTap: the hand-over of one call's RTP from its worker loop to the recording writer.
//
// The relay copies every accepted RTP packet of both legs (after SRTP decryption) into a
// fixed ring of slots; the writer thread takes them out. One producer (the call's worker loop)
// and one consumer (the writer thread), lock-free: push() never allocates, never blocks, and
// when the ring is full (the writer fell behind) or the payload is larger than a slot, the
// packet is counted as dropped instead. The codec of each leg (what its payload types mean) is
// control-plane data set rarely from the worker loop and read by the writer under a mutex.
//
// Lifetime: shared by the call (relay and CallMedia) and the writer; the call closes it when
// it ends or recording is switched off, and the writer finalises the file once it has drained a
// closed tap.

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/clock.hpp"
#include "media/transcoder.hpp"

namespace parley::media {

// What the payload types a leg sends mean to the recorder: the voice codec (others, e.g.
// telephone-event and comfort noise, are not recorded).
struct TapCodec {
  int payload_type = -1;
  CodecSpec codec;
  friend bool operator==(const TapCodec& a, const TapCodec& b) {
    return a.payload_type == b.payload_type && a.codec.encoding == b.codec.encoding &&
           a.codec.clock_rate == b.codec.clock_rate && a.codec.channels == b.codec.channels &&
           a.codec.fmtp == b.codec.fmtp;
  }
};

struct TappedPacket {
  static constexpr std::size_t kMaxPayload = 640;  // 80 ms of G.711; Opus frames are smaller
  std::uint8_t channel = 0;                        // 0 = leg A (caller), 1 = leg B (callee)
  std::uint8_t payload_type = 0;
  std::uint16_t sequence = 0;
  std::uint32_t timestamp = 0;
  TimePoint arrival{};
  std::uint16_t size = 0;
  std::array<std::uint8_t, kMaxPayload> payload{};
  std::span<const std::uint8_t> bytes() const { return {payload.data(), size}; }
};

class RecordingTap {
 public:
  static constexpr std::size_t kDefaultSlots = 128;  // > 1 s of both legs at 20 ms frames

  explicit RecordingTap(std::size_t slots = kDefaultSlots);

  // Producer (the call's worker loop). False when dropped (full, too large, or closed).
  bool push(std::uint8_t channel, std::uint8_t payload_type, std::uint16_t sequence,
            std::uint32_t timestamp, std::span<const std::uint8_t> payload,
            TimePoint arrival) noexcept;
  // Consumer (the writer). False when nothing is waiting.
  bool pop(TappedPacket& out) noexcept;

  // Control plane, any thread.
  void set_codec(std::uint8_t channel, const TapCodec& codec);
  std::optional<TapCodec> codec(std::uint8_t channel) const;
  // No more packets will come (the call ended or recording was switched off).
  void close() noexcept { closed_.store(true, std::memory_order_release); }
  bool closed() const noexcept { return closed_.load(std::memory_order_acquire); }
  std::uint64_t dropped() const noexcept { return dropped_.load(std::memory_order_relaxed); }

 private:
  std::vector<TappedPacket> slots_;
  std::atomic<std::size_t> head_{0};  // next slot to write, written by the producer
  std::atomic<std::size_t> tail_{0};  // next slot to read, written by the consumer
  std::atomic<bool> closed_{false};
  std::atomic<std::uint64_t> dropped_{0};
  mutable std::mutex codec_mutex_;
  std::array<std::optional<TapCodec>, 2> codecs_;  // guarded by codec_mutex_
};

}  // namespace parley::media
