#include "pbx/pin_guard.hpp"

#include <iterator>

namespace parley::pbx {

bool PinGuard::expired(const Entry& entry, TimePoint now) const {
  const bool lock_over = !entry.locked_until || *entry.locked_until <= now;
  const bool window_over = entry.failures == 0 || entry.first_failure + options_.window <= now;
  return lock_over && window_over;
}

void PinGuard::prune(TimePoint now) {
  for (auto it = boxes_.begin(); it != boxes_.end();) {
    it = expired(it->second, now) ? boxes_.erase(it) : std::next(it);
  }
}

std::optional<TimePoint> PinGuard::locked_until(std::string_view box, TimePoint now) const {
  const auto found = boxes_.find(box);
  if (found == boxes_.end() || !found->second.locked_until) return std::nullopt;
  if (*found->second.locked_until <= now) return std::nullopt;
  return found->second.locked_until;
}

bool PinGuard::record_failure(std::string_view box, TimePoint now) {
  auto found = boxes_.find(box);
  if (found == boxes_.end()) {
    if (boxes_.size() >= options_.max_boxes) prune(now);
    if (boxes_.size() >= options_.max_boxes) return false;
    found = boxes_.emplace(std::string(box), Entry{}).first;
  }
  Entry& entry = found->second;
  if (entry.locked_until && *entry.locked_until > now) return false;  // already locked
  if (entry.failures == 0 || entry.first_failure + options_.window <= now) {
    entry = Entry{0, now, std::nullopt};  // a new window starts with this failure
  }
  ++entry.failures;
  if (entry.failures < options_.max_failures) return false;
  entry.locked_until = now + options_.lockout;
  entry.failures = 0;
  return true;
}

void PinGuard::record_success(std::string_view box, TimePoint now) {
  const auto found = boxes_.find(box);
  if (found == boxes_.end()) return;
  if (found->second.locked_until && *found->second.locked_until > now) return;
  boxes_.erase(found);
}

}  // namespace parley::pbx
