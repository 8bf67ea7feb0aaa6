#pragma once
// WriterQueue: the hand-over and the tick both file-writer threads run (VoicemailWriter,
// RecordingWriter). Calls add items from any thread; the writer thread calls pass() in a loop:
// it waits one tick (or until stop()), takes the new items in, lets the writer work on each and
// forgets those the writer says are done. Private to media/.
//
// Thread-safety: add(), stop() and active() from any thread; pass() from the writer thread only.

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "base/clock.hpp"

namespace parley::media {

template <typename Item>
class WriterQueue {
 public:
  // Hands `item` to the writer thread; false (and the item is dropped) once stopping.
  bool add(std::unique_ptr<Item> item) {
    std::lock_guard lock(mutex_);
    if (stopping_) return false;
    incoming_.push_back(std::move(item));
    ++active_count_;
    return true;
  }

  // The next pass() is the last: it runs at once and reports `stopping` to every item.
  void stop() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
  }

  // Items added and not yet done.
  std::size_t active() const {
    std::lock_guard lock(mutex_);
    return active_count_;
  }

  // Writer thread: waits up to `tick`, then `work(item, stopping)` for every item; work returns
  // true when it is done with the item, which is then dropped. Returns false after the last pass
  // (once stopping).
  template <typename Work>
  bool pass(Duration tick, Work&& work) {
    bool stopping = false;
    {
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, tick, [this] { return stopping_; });
      stopping = stopping_;
      for (auto& item : incoming_) active_.push_back(std::move(item));
      incoming_.clear();
    }
    std::size_t done = 0;
    for (auto& item : active_) {
      if (work(*item, stopping)) {
        item.reset();
        ++done;
      }
    }
    if (done > 0) {
      std::erase(active_, nullptr);
      std::lock_guard lock(mutex_);
      active_count_ -= done;
    }
    return !stopping;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;                        // guarded by mutex_
  std::vector<std::unique_ptr<Item>> incoming_;  // guarded by mutex_
  std::size_t active_count_ = 0;                 // guarded by mutex_
  std::vector<std::unique_ptr<Item>> active_;    // writer thread only
};

}  // namespace parley::media
