#include "net/loop_timer.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "net/worker_pool.hpp"

namespace parley::net {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Runs `task` on worker 0 and waits for it.
void on_worker(WorkerPool& pool, std::function<void()> task) {
  std::atomic<bool> done{false};
  pool.post(0, [&] {
    task();
    done = true;
  });
  while (!done) std::this_thread::sleep_for(1ms);
}

TEST(LoopTimer, FiresOnceAtTheDeadlineOnItsWorker) {
  WorkerPool pool(1);
  std::atomic<int> fired{0};
  std::atomic<bool> on_its_worker{false};
  LoopTimer timer(pool, 0, [&] {
    on_its_worker = pool.current_worker() == 0;
    ++fired;
  });
  const auto start = Clock::now();
  timer.arm(start + 50ms);
  pool.start();
  while (fired == 0 && Clock::now() - start < 2s) std::this_thread::sleep_for(1ms);
  EXPECT_GE(Clock::now() - start, 50ms);
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(fired.load(), 1);
  EXPECT_TRUE(on_its_worker.load());
  on_worker(pool, [&] { EXPECT_FALSE(timer.deadline().has_value()); });
  pool.shutdown(1s);
}

TEST(LoopTimer, RearmingReplacesTheDeadlineAndCancelStopsIt) {
  WorkerPool pool(1);
  std::atomic<int> fired{0};
  LoopTimer timer(pool, 0, [&] { ++fired; });
  pool.start();
  on_worker(pool, [&] {
    timer.arm(Clock::now() + 5s);
    timer.arm(Clock::now() + 20ms);  // earlier: replaces the first
  });
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(fired.load(), 1);

  on_worker(pool, [&] {
    timer.arm(Clock::now() + 20ms);
    EXPECT_TRUE(timer.deadline().has_value());
    timer.cancel();
    EXPECT_FALSE(timer.deadline().has_value());
  });
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(fired.load(), 1);
  pool.shutdown(1s);
}

TEST(LoopTimer, PastDeadlineFiresOnTheNextTurn) {
  WorkerPool pool(1);
  std::atomic<int> fired{0};
  LoopTimer timer(pool, 0, [&] { ++fired; });
  pool.start();
  on_worker(pool, [&] { timer.arm(Clock::now() - 1s); });
  const auto start = Clock::now();
  while (fired == 0 && Clock::now() - start < 2s) std::this_thread::sleep_for(1ms);
  EXPECT_EQ(fired.load(), 1);
  pool.shutdown(1s);
}

}  // namespace
}  // namespace parley::net
