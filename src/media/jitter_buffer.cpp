#include "media/jitter_buffer.hpp"

#include <algorithm>
#include <cstring>

namespace parley::media {

JitterBuffer::JitterBuffer(const Options& options)
    : options_(options),
      slots_(static_cast<std::size_t>(std::max(options.depth, 0)) + 1),
      storage_(slots_.size() * options.max_payload) {
  options_.depth = std::max(options_.depth, 0);
  options_.max_conceal = std::max(options_.max_conceal, 0);
}

void JitterBuffer::clear_slots() {
  for (Slot& slot : slots_) slot.used = false;
  count_ = 0;
}

void JitterBuffer::reset() {
  clear_slots();
  started_ = false;
  playing_ = false;
  discontinuity_ = false;
}

int JitterBuffer::find(std::uint16_t sequence) const {
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    if (slots_[i].used && slots_[i].sequence == sequence) return static_cast<int>(i);
  }
  return -1;
}

int JitterBuffer::oldest() const {
  int best = -1;
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    if (!slots_[i].used) continue;
    if (best < 0 ||
        distance(slots_[i].sequence) < distance(slots_[static_cast<std::size_t>(best)].sequence)) {
      best = static_cast<int>(i);
    }
  }
  return best;
}

std::span<const std::uint8_t> JitterBuffer::data(int slot) const {
  const auto index = static_cast<std::size_t>(slot);
  return {storage_.data() + index * options_.max_payload, slots_[index].size};
}

JitterBuffer::PushResult JitterBuffer::push(std::uint16_t sequence, std::uint32_t timestamp,
                                            std::span<const std::uint8_t> payload) {
  if (payload.size() > options_.max_payload) return PushResult::kTooLarge;
  if (!started_) {
    started_ = true;
    next_ = sequence;
  }
  const int ahead = distance(sequence);
  if (ahead < -kResyncDistance || ahead > kResyncDistance) {
    // A restarted sender or a long outage: what is buffered belongs to the old run.
    clear_slots();
    next_ = sequence;
    discontinuity_ = true;
    playing_ = false;
  } else if (ahead < 0) {
    if (playing_) return PushResult::kTooLate;
    next_ = sequence;  // still priming: an earlier packet starts the stream
  }
  if (find(sequence) >= 0) return PushResult::kDuplicate;
  auto free_slot =
      std::find_if(slots_.begin(), slots_.end(), [](const Slot& s) { return !s.used; });
  if (free_slot == slots_.end()) return PushResult::kOverflow;  // owner did not pop
  free_slot->used = true;
  free_slot->sequence = sequence;
  free_slot->timestamp = timestamp;
  free_slot->size = payload.size();
  const auto index = static_cast<std::size_t>(free_slot - slots_.begin());
  if (!payload.empty()) {
    std::memcpy(storage_.data() + index * options_.max_payload, payload.data(), payload.size());
  }
  ++count_;
  return PushResult::kQueued;
}

bool JitterBuffer::pop(Item& item) {
  if (count_ == 0) return false;
  // The first packet of a run waits for a second one, so that a swapped pair at the very start
  // still plays in order.
  if (!playing_ && options_.depth > 0 && count_ < 2) return false;
  playing_ = true;
  const int head = find(next_);
  if (head >= 0) {
    Slot& slot = slots_[static_cast<std::size_t>(head)];
    item = Item{false, discontinuity_, slot.sequence, slot.timestamp, data(head)};
    slot.used = false;
    --count_;
    discontinuity_ = false;
    ++next_;
    return true;
  }
  if (count_ <= static_cast<std::size_t>(options_.depth)) return false;  // wait for the late one
  const int first = oldest();
  const int gap = distance(slots_[static_cast<std::size_t>(first)].sequence);
  if (gap > options_.max_conceal) {
    next_ = static_cast<std::uint16_t>(next_ + (gap - options_.max_conceal));
    discontinuity_ = true;
    if (options_.max_conceal == 0) return pop(item);
  }
  const int after = find(static_cast<std::uint16_t>(next_ + 1));
  item = Item{true, discontinuity_, next_, 0,
              after >= 0 ? data(after) : std::span<const std::uint8_t>{}};
  discontinuity_ = false;
  ++next_;
  return true;
}

}  // namespace parley::media
