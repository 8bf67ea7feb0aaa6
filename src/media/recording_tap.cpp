#include "media/recording_tap.hpp"

#include <algorithm>
#include <cstring>

namespace parley::media {

RecordingTap::RecordingTap(std::size_t slots) : slots_(std::max<std::size_t>(slots, 2)) {}

bool RecordingTap::push(std::uint8_t channel, std::uint8_t payload_type, std::uint16_t sequence,
                        std::uint32_t timestamp, std::span<const std::uint8_t> payload,
                        TimePoint arrival) noexcept {
  const std::size_t head = head_.load(std::memory_order_relaxed);
  const std::size_t next = (head + 1) % slots_.size();
  if (closed() || payload.size() > TappedPacket::kMaxPayload ||
      next == tail_.load(std::memory_order_acquire)) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  TappedPacket& slot = slots_[head];
  slot.channel = channel;
  slot.payload_type = payload_type;
  slot.sequence = sequence;
  slot.timestamp = timestamp;
  slot.arrival = arrival;
  slot.size = static_cast<std::uint16_t>(payload.size());
  if (!payload.empty()) std::memcpy(slot.payload.data(), payload.data(), payload.size());
  head_.store(next, std::memory_order_release);
  return true;
}

bool RecordingTap::pop(TappedPacket& out) noexcept {
  const std::size_t tail = tail_.load(std::memory_order_relaxed);
  if (tail == head_.load(std::memory_order_acquire)) return false;
  const TappedPacket& slot = slots_[tail];
  out.channel = slot.channel;
  out.payload_type = slot.payload_type;
  out.sequence = slot.sequence;
  out.timestamp = slot.timestamp;
  out.arrival = slot.arrival;
  out.size = slot.size;
  std::memcpy(out.payload.data(), slot.payload.data(), slot.size);
  tail_.store((tail + 1) % slots_.size(), std::memory_order_release);
  return true;
}

void RecordingTap::set_codec(std::uint8_t channel, const TapCodec& codec) {
  std::lock_guard lock(codec_mutex_);
  codecs_[channel & 1U] = codec;
}

std::optional<TapCodec> RecordingTap::codec(std::uint8_t channel) const {
  std::lock_guard lock(codec_mutex_);
  return codecs_[channel & 1U];
}

}  // namespace parley::media
