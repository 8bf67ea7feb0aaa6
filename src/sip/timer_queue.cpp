#include "sip/timer_queue.hpp"

#include "base/check.hpp"

namespace parley::sip {

namespace {

// A TimerId packs the slot's generation (high half) and index (low half). Generations start at
// 1, so no valid id is ever kNoTimer.
TimerId make_id(std::uint32_t slot, std::uint32_t generation) {
  return (static_cast<std::uint64_t>(generation) << 32U) | slot;
}
std::uint32_t slot_of(TimerId id) {
  return static_cast<std::uint32_t>(id & 0xffffffffU);
}
std::uint32_t generation_of(TimerId id) {
  return static_cast<std::uint32_t>(id >> 32U);
}

}  // namespace

TimerId TimerQueue::schedule(TimePoint deadline, std::uint64_t cookie) {
  std::uint32_t slot = 0;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    PARLEY_CHECK(slots_.size() < kNotInHeap);
    slot = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  Slot& s = slots_[slot];
  s.deadline = deadline;
  s.cookie = cookie;
  s.sequence = next_sequence_++;
  heap_.push_back(slot);
  s.heap_index = static_cast<std::uint32_t>(heap_.size() - 1);
  sift_up(heap_.size() - 1);
  return make_id(slot, s.generation);
}

bool TimerQueue::cancel(TimerId id) {
  auto slot = live_slot(id);
  if (!slot) return false;
  remove_at(slots_[*slot].heap_index);
  return true;
}

std::optional<TimePoint> TimerQueue::next_deadline() const {
  if (heap_.empty()) return std::nullopt;
  return slots_[heap_.front()].deadline;
}

std::optional<TimerQueue::Expired> TimerQueue::pop_due(TimePoint now) {
  if (heap_.empty()) return std::nullopt;
  const std::uint32_t slot = heap_.front();
  const Slot& s = slots_[slot];
  if (s.deadline > now) return std::nullopt;
  Expired expired{make_id(slot, s.generation), s.cookie, s.deadline};
  remove_at(0);
  return expired;
}

std::optional<std::uint32_t> TimerQueue::live_slot(TimerId id) const {
  if (id == kNoTimer) return std::nullopt;
  const std::uint32_t slot = slot_of(id);
  if (slot >= slots_.size()) return std::nullopt;
  const Slot& s = slots_[slot];
  if (s.generation != generation_of(id) || s.heap_index == kNotInHeap) return std::nullopt;
  return slot;
}

bool TimerQueue::earlier(std::uint32_t a, std::uint32_t b) const {
  const Slot& x = slots_[a];
  const Slot& y = slots_[b];
  if (x.deadline != y.deadline) return x.deadline < y.deadline;
  return x.sequence < y.sequence;
}

void TimerQueue::place(std::size_t heap_index, std::uint32_t slot) {
  heap_[heap_index] = slot;
  slots_[slot].heap_index = static_cast<std::uint32_t>(heap_index);
}

void TimerQueue::sift_up(std::size_t heap_index) {
  const std::uint32_t slot = heap_[heap_index];
  while (heap_index > 0) {
    const std::size_t parent = (heap_index - 1) / 2;
    if (!earlier(slot, heap_[parent])) break;
    place(heap_index, heap_[parent]);
    heap_index = parent;
  }
  place(heap_index, slot);
}

void TimerQueue::sift_down(std::size_t heap_index) {
  const std::uint32_t slot = heap_[heap_index];
  const std::size_t count = heap_.size();
  for (;;) {
    std::size_t child = 2 * heap_index + 1;
    if (child >= count) break;
    if (child + 1 < count && earlier(heap_[child + 1], heap_[child])) ++child;
    if (!earlier(heap_[child], slot)) break;
    place(heap_index, heap_[child]);
    heap_index = child;
  }
  place(heap_index, slot);
}

void TimerQueue::remove_at(std::size_t heap_index) {
  const std::uint32_t slot = heap_[heap_index];
  const std::uint32_t last = heap_.back();
  heap_.pop_back();
  if (heap_index < heap_.size()) {
    place(heap_index, last);
    // The moved entry may belong above or below its new position.
    if (heap_index > 0 && earlier(last, heap_[(heap_index - 1) / 2])) {
      sift_up(heap_index);
    } else {
      sift_down(heap_index);
    }
  }
  Slot& s = slots_[slot];
  s.heap_index = kNotInHeap;
  ++s.generation;
  if (s.generation == 0) s.generation = 1;  // keep ids distinct from kNoTimer after wrap-around
  free_slots_.push_back(slot);
}

}  // namespace parley::sip
