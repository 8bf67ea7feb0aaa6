#pragma once
// A one-shot, re-armable timer on one worker's loop, for code that keeps its own deadlines (the
// SIP transaction layer's TimerQueue): arm it for the earliest deadline; when it fires, process
// what is due and arm it again for the next one.
//
// Thread-safety: arm(), cancel(), the callback and the destructor all run on the worker's
// thread (or before the pool starts / after it stopped).

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>

namespace parley::net {

class WorkerPool;

class LoopTimer {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  LoopTimer(WorkerPool& pool, std::size_t worker, std::function<void()> on_expiry);
  ~LoopTimer();
  LoopTimer(const LoopTimer&) = delete;
  LoopTimer& operator=(const LoopTimer&) = delete;

  // Fires once at `deadline` (at once, on a later loop turn, if it has passed), replacing any
  // earlier deadline. Arming again for the same deadline costs nothing.
  void arm(TimePoint deadline);
  void cancel();
  // The pending deadline, if armed.
  std::optional<TimePoint> deadline() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;  // shared only with weak references in pending handlers
};

}  // namespace parley::net
