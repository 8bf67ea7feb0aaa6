#pragma once
// The clock seam. Domain code (transaction timers, nonce ages, bans) asks a Clock for the time
// so that unit tests can drive it by hand; the server wires in SteadyClock.

#include <chrono>

namespace parley {

using Duration = std::chrono::steady_clock::duration;
using TimePoint = std::chrono::steady_clock::time_point;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
};

// The real monotonic clock. Stateless, so one instance may be shared by all threads.
class SteadyClock final : public Clock {
 public:
  TimePoint now() const override { return std::chrono::steady_clock::now(); }
};

// A clock that moves only when told to. Not thread-safe: for single-threaded unit tests.
class ManualClock final : public Clock {
 public:
  TimePoint now() const override { return now_; }
  void advance(Duration step) { now_ += step; }

 private:
  TimePoint now_{std::chrono::seconds(1000)};
};

}  // namespace parley
