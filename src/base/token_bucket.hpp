#pragma once
// TokenBucket: at most `burst` events at once and `per_second` on average, for inputs a remote
// party controls (RFC 4733 key presses now). take(now) spends one token if there is one; tokens
// come back continuously with time. Value type; the caller's clock supplies `now`, so tests and
// the server's own clock work alike. Thread-safety: none (one owner, one loop).

#include <algorithm>
#include <chrono>

#include "base/clock.hpp"

namespace parley {

class TokenBucket {
 public:
  TokenBucket(double per_second, double burst)
      : per_second_(per_second), burst_(burst), tokens_(burst) {}

  bool take(TimePoint now) {
    if (started_) {
      const double elapsed = std::chrono::duration<double>(now - last_).count();
      if (elapsed > 0) tokens_ = std::min(burst_, tokens_ + elapsed * per_second_);
    }
    started_ = true;
    last_ = std::max(last_, now);
    if (tokens_ < 1.0) return false;
    tokens_ -= 1.0;
    return true;
  }

 private:
  double per_second_;
  double burst_;
  double tokens_;
  TimePoint last_{};
  bool started_ = false;
};

}  // namespace parley
