#include "sip/timer_queue.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

namespace parley::sip {
namespace {

using std::chrono::milliseconds;

const TimePoint kStart{std::chrono::seconds(1000)};

std::vector<std::uint64_t> drain(TimerQueue& queue, TimePoint now) {
  std::vector<std::uint64_t> cookies;
  while (auto expired = queue.pop_due(now)) cookies.push_back(expired->cookie);
  return cookies;
}

TEST(TimerQueue, EmptyHasNoDeadline) {
  TimerQueue queue;
  EXPECT_TRUE(queue.empty());
  EXPECT_FALSE(queue.next_deadline().has_value());
  EXPECT_FALSE(queue.pop_due(kStart).has_value());
}

TEST(TimerQueue, PopsInDeadlineOrderOnlyWhenDue) {
  TimerQueue queue;
  queue.schedule(kStart + milliseconds(300), 3);
  queue.schedule(kStart + milliseconds(100), 1);
  queue.schedule(kStart + milliseconds(200), 2);
  EXPECT_EQ(queue.next_deadline(), kStart + milliseconds(100));
  EXPECT_TRUE(drain(queue, kStart + milliseconds(99)).empty());
  EXPECT_EQ(drain(queue, kStart + milliseconds(200)), (std::vector<std::uint64_t>{1, 2}));
  EXPECT_EQ(queue.size(), 1U);
  auto last = queue.pop_due(kStart + milliseconds(1000));
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->cookie, 3U);
  EXPECT_EQ(last->deadline, kStart + milliseconds(300));
  EXPECT_TRUE(queue.empty());
}

TEST(TimerQueue, EqualDeadlinesFireInScheduleOrder) {
  TimerQueue queue;
  for (std::uint64_t i = 0; i < 20; ++i) queue.schedule(kStart, i);
  std::vector<std::uint64_t> expected(20);
  for (std::uint64_t i = 0; i < 20; ++i) expected[i] = i;
  EXPECT_EQ(drain(queue, kStart), expected);
}

TEST(TimerQueue, CancelRemovesAndStaleIdsAreIgnored) {
  TimerQueue queue;
  const TimerId a = queue.schedule(kStart + milliseconds(1), 1);
  const TimerId b = queue.schedule(kStart + milliseconds(2), 2);
  EXPECT_NE(a, kNoTimer);
  EXPECT_TRUE(queue.pending(a));
  EXPECT_TRUE(queue.cancel(a));
  EXPECT_FALSE(queue.pending(a));
  EXPECT_FALSE(queue.cancel(a));
  EXPECT_FALSE(queue.cancel(kNoTimer));
  // The freed slot is reused; the old id must not cancel the new timer.
  const TimerId c = queue.schedule(kStart + milliseconds(3), 3);
  EXPECT_NE(c, a);
  EXPECT_FALSE(queue.cancel(a));
  EXPECT_TRUE(queue.pending(c));
  EXPECT_EQ(drain(queue, kStart + milliseconds(10)), (std::vector<std::uint64_t>{2, 3}));
  EXPECT_FALSE(queue.pending(b));  // fired
  EXPECT_FALSE(queue.cancel(b));
}

// Random schedules and cancels against a sorted reference: the heap must keep its order.
TEST(TimerQueue, MatchesReferenceUnderRandomScheduleAndCancel) {
  TimerQueue queue;
  std::mt19937 random(42);
  struct Entry {
    TimePoint deadline;
    std::uint64_t sequence;
    TimerId id;
  };
  std::vector<Entry> live;
  std::uint64_t sequence = 0;
  for (int round = 0; round < 2000; ++round) {
    if (live.empty() || random() % 3 != 0) {
      const TimePoint deadline = kStart + milliseconds(random() % 500);
      live.push_back({deadline, sequence, queue.schedule(deadline, sequence)});
      ++sequence;
    } else {
      const std::size_t victim = random() % live.size();
      ASSERT_TRUE(queue.cancel(live[victim].id));
      live.erase(live.begin() + static_cast<std::ptrdiff_t>(victim));
    }
  }
  ASSERT_EQ(queue.size(), live.size());
  std::sort(live.begin(), live.end(), [](const Entry& x, const Entry& y) {
    return x.deadline != y.deadline ? x.deadline < y.deadline : x.sequence < y.sequence;
  });
  std::vector<std::uint64_t> expected;
  for (const auto& entry : live) expected.push_back(entry.sequence);
  EXPECT_EQ(drain(queue, kStart + milliseconds(1000)), expected);
}

}  // namespace
}  // namespace parley::sip
