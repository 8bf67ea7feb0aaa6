#pragma once
// PinGuard: the brute-force brake on voicemail PINs (issue 7, decision 0029). Pure: the caller
// passes the time, so unit tests drive it with a ManualClock.
//
// Every wrong PIN counts against its box (the key, e.g. "<tenant id>/<box>"), whoever keyed it.
// `max_failures` wrong PINs within `window` lock the box for `lockout`: while locked, even the
// right PIN is refused, so a guesser gains nothing from dialling in again. The right PIN (while
// not locked) forgets the box's failures. A lock runs out by itself; failures older than the
// window no longer count.
//
// Memory is bounded: at most `max_boxes` boxes are tracked; when full, entries whose window and
// lock have passed are dropped, and if none has, the failure is not recorded (the per-call limit
// of three attempts still holds).
//
// Not thread-safe: the owner (app::VoicemailService) locks around it.

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "base/clock.hpp"

namespace parley::pbx {

struct PinGuardOptions {
  std::uint32_t max_failures = 6;  // two calls' worth of three attempts
  Duration window = std::chrono::minutes(15);
  Duration lockout = std::chrono::minutes(15);
  std::size_t max_boxes = 10000;
};

class PinGuard {
 public:
  explicit PinGuard(PinGuardOptions options = {}) : options_(options) {}

  // Until when `box` is locked, if it is at `now`.
  std::optional<TimePoint> locked_until(std::string_view box, TimePoint now) const;
  bool locked(std::string_view box, TimePoint now) const {
    return locked_until(box, now).has_value();
  }
  // A wrong PIN for `box`; true when this failure locked it.
  bool record_failure(std::string_view box, TimePoint now);
  // The right PIN: the box's failures are forgotten (a lock is not lifted: callers must not be
  // able to ask whether a PIN is right while locked).
  void record_success(std::string_view box, TimePoint now);

  std::size_t tracked() const { return boxes_.size(); }

 private:
  struct Entry {
    std::uint32_t failures = 0;
    TimePoint first_failure{};
    std::optional<TimePoint> locked_until;
  };

  bool expired(const Entry& entry, TimePoint now) const;
  void prune(TimePoint now);

  PinGuardOptions options_;
  std::map<std::string, Entry, std::less<>> boxes_;
};

}  // namespace parley::pbx
