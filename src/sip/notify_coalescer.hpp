#pragma once
// NotifyCoalescer: turns a burst of state changes of one watched resource into one NOTIFY per
// subscription. The first change of a key opens a window; changes of that key inside the window
// only mark it again; when the window closes the key is handed out once and the caller sends
// the latest state. A storm of N changes of one extension within the window therefore costs one
// NOTIFY per watcher, and a change is never delayed by more than the window.
//
// The window is the same for every key, so deadlines come out in the order keys were marked: a
// FIFO queue and a set are all it takes (O(1) per mark and per key handed out).
//
// Thread-safety: none; one per worker loop.

#include <deque>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "base/clock.hpp"

namespace parley::sip {

class NotifyCoalescer {
 public:
  explicit NotifyCoalescer(Duration window) : window_(window) {}

  // `key` changed at `now`. Opens its window unless one is already open.
  void mark(const std::string& key, TimePoint now);
  // When the earliest open window closes, or nullopt when none is open.
  std::optional<TimePoint> next_deadline() const;
  // The keys whose window closed at or before `now`, in the order they were first marked;
  // their windows are closed, so their next change opens a new one.
  std::vector<std::string> take_due(TimePoint now);

  std::size_t pending() const { return queue_.size(); }
  Duration window() const { return window_; }

 private:
  struct Entry {
    TimePoint deadline;
    std::string key;
  };
  Duration window_;
  std::deque<Entry> queue_;
  std::unordered_set<std::string> open_;
};

}  // namespace parley::sip
