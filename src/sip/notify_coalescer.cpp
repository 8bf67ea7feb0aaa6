#include "sip/notify_coalescer.hpp"

namespace parley::sip {

void NotifyCoalescer::mark(const std::string& key, TimePoint now) {
  if (!open_.insert(key).second) return;
  queue_.push_back(Entry{now + window_, key});
}

std::optional<TimePoint> NotifyCoalescer::next_deadline() const {
  if (queue_.empty()) return std::nullopt;
  return queue_.front().deadline;
}

std::vector<std::string> NotifyCoalescer::take_due(TimePoint now) {
  std::vector<std::string> due;
  while (!queue_.empty() && queue_.front().deadline <= now) {
    open_.erase(queue_.front().key);
    due.push_back(std::move(queue_.front().key));
    queue_.pop_front();
  }
  return due;
}

}  // namespace parley::sip
