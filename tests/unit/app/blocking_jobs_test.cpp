// BlockingJobs: jobs run in order on one thread, stop() runs what is queued, the queue is
// bounded, and nothing is accepted after stop().

#include "app/blocking_jobs.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

namespace parley::app {
namespace {

TEST(BlockingJobs, RunsJobsInOrderOffTheCallingThread) {
  BlockingJobs jobs;
  std::mutex mutex;
  std::vector<int> order;
  std::thread::id ran_on;
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(jobs.submit([&, i] {
      std::lock_guard lock(mutex);
      order.push_back(i);
      ran_on = std::this_thread::get_id();
    }));
  }
  jobs.stop();  // runs what is queued first
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_NE(ran_on, std::this_thread::get_id());
  EXPECT_FALSE(jobs.submit([] {})) << "no work after stop";
}

TEST(BlockingJobs, RefusesWorkBeyondItsBound) {
  BlockingJobs jobs(2);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> started;
  ASSERT_TRUE(jobs.submit([&started, released] {
    started.set_value();
    released.wait();  // holds the thread so the queue fills
  }));
  started.get_future().wait();
  std::atomic<int> ran{0};
  EXPECT_TRUE(jobs.submit([&] { ++ran; }));
  EXPECT_TRUE(jobs.submit([&] { ++ran; }));
  EXPECT_FALSE(jobs.submit([&] { ++ran; }));
  release.set_value();
  jobs.stop();
  EXPECT_EQ(ran.load(), 2);
}

}  // namespace
}  // namespace parley::app
