#pragma once
// TimerQueue: deadlines without an event loop. The owner schedules (deadline, cookie) pairs,
// asks for the earliest deadline to arm its loop's single timer, and pops what is due when that
// timer fires. Unit tests drive it with a ManualClock, so everything built on it is
// deterministic.
//
// An indexed binary min-heap: schedule, cancel and pop are O(log n), next_deadline is O(1), and
// a cancelled timer leaves nothing behind (unlike lazy deletion, where a chatty peer that makes
// us re-arm retransmission timers would grow the heap with dead entries). Slots are recycled
// through a free list, so in the steady state scheduling allocates nothing. Timers with equal
// deadlines fire in the order they were scheduled.
//
// A TimerId names one scheduling; it goes stale when the timer fires or is cancelled, and a
// stale id is safely ignored by cancel()/pending() even after its slot has been reused.
//
// Thread-safety: none; owned by one worker loop.

#include <cstdint>
#include <optional>
#include <vector>

#include "base/clock.hpp"

namespace parley::sip {

using TimerId = std::uint64_t;
inline constexpr TimerId kNoTimer = 0;

class TimerQueue {
 public:
  struct Expired {
    TimerId id = kNoTimer;
    std::uint64_t cookie = 0;
    TimePoint deadline;
  };

  // Schedules `cookie` to come out of pop_due() once `now >= deadline`.
  TimerId schedule(TimePoint deadline, std::uint64_t cookie);

  // Removes a pending timer. Returns false when `id` is kNoTimer, already fired or cancelled.
  bool cancel(TimerId id);

  bool pending(TimerId id) const { return live_slot(id).has_value(); }

  // The earliest pending deadline, or nullopt when nothing is scheduled.
  std::optional<TimePoint> next_deadline() const;

  // Removes and returns the earliest timer whose deadline is at or before `now`.
  std::optional<Expired> pop_due(TimePoint now);

  std::size_t size() const { return heap_.size(); }
  bool empty() const { return heap_.empty(); }

 private:
  static constexpr std::uint32_t kNotInHeap = 0xffffffffU;

  struct Slot {
    TimePoint deadline;
    std::uint64_t cookie = 0;
    std::uint64_t sequence = 0;  // tie-break: FIFO among equal deadlines
    std::uint32_t generation = 1;
    std::uint32_t heap_index = kNotInHeap;
  };

  std::optional<std::uint32_t> live_slot(TimerId id) const;
  bool earlier(std::uint32_t a, std::uint32_t b) const;  // slot indices
  void place(std::size_t heap_index, std::uint32_t slot);
  void sift_up(std::size_t heap_index);
  void sift_down(std::size_t heap_index);
  void remove_at(std::size_t heap_index);

  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_slots_;
  std::vector<std::uint32_t> heap_;  // slot indices, min-heap on (deadline, sequence)
  std::uint64_t next_sequence_ = 0;
};

}  // namespace parley::sip
