#pragma once
// BlockingJobs: one thread that runs blocking work (store queries, file I/O, PIN hashing) for
// code that lives on a worker loop, which must never block. A job usually ends by posting its
// result back to the loop it came from (net::WorkerPool::post), guarded by a weak token of the
// session that asked, so that a session gone in the meantime is not called.
//
// Jobs run one at a time in the order submitted. The queue is bounded: submit() refuses work
// beyond `max_queued` (the caller treats it like a failed job) rather than growing without end
// under a flood. stop() runs what is queued, then joins; later submits are refused. It must be
// called while the loops the jobs post to still exist (serve.cpp: right after the pool's
// shutdown), and the destructor calls it.
//
// Thread-safety: submit() and stop() from any thread.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace parley::app {

class BlockingJobs {
 public:
  explicit BlockingJobs(std::size_t max_queued = 1024);
  ~BlockingJobs();
  BlockingJobs(const BlockingJobs&) = delete;
  BlockingJobs& operator=(const BlockingJobs&) = delete;

  // False when stopped or full: the job will not run.
  bool submit(std::function<void()> job);
  void stop();

 private:
  void run();

  const std::size_t max_queued_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> queue_;  // guarded by mutex_
  bool stopping_ = false;                    // guarded by mutex_
  std::thread thread_;                       // last: starts once the rest is ready
};

}  // namespace parley::app
