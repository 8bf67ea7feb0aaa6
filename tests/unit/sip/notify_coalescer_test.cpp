#include "sip/notify_coalescer.hpp"

#include <gtest/gtest.h>

namespace parley::sip {
namespace {

using std::chrono::milliseconds;

TEST(NotifyCoalescer, BurstOfOneKeyComesOutOnceAfterTheWindow) {
  ManualClock clock;
  NotifyCoalescer coalescer(milliseconds(80));
  EXPECT_FALSE(coalescer.next_deadline().has_value());
  const TimePoint start = clock.now();
  for (int i = 0; i < 10; ++i) {
    coalescer.mark("1\n1001", clock.now());
    clock.advance(milliseconds(5));
  }
  ASSERT_TRUE(coalescer.next_deadline().has_value());
  EXPECT_EQ(*coalescer.next_deadline(), start + milliseconds(80));
  EXPECT_TRUE(coalescer.take_due(start + milliseconds(79)).empty());
  const auto due = coalescer.take_due(start + milliseconds(80));
  ASSERT_EQ(due.size(), 1U);
  EXPECT_EQ(due[0], "1\n1001");
  EXPECT_FALSE(coalescer.next_deadline().has_value());
  EXPECT_TRUE(coalescer.take_due(start + milliseconds(1000)).empty());
}

TEST(NotifyCoalescer, ChangeAfterTheWindowOpensANewOne) {
  NotifyCoalescer coalescer(milliseconds(50));
  const TimePoint t0{std::chrono::seconds(10)};
  coalescer.mark("a", t0);
  ASSERT_EQ(coalescer.take_due(t0 + milliseconds(50)).size(), 1U);
  coalescer.mark("a", t0 + milliseconds(60));
  EXPECT_EQ(*coalescer.next_deadline(), t0 + milliseconds(110));
  EXPECT_EQ(coalescer.pending(), 1U);
}

TEST(NotifyCoalescer, KeysComeOutInTheOrderTheyWereFirstMarked) {
  NotifyCoalescer coalescer(milliseconds(50));
  const TimePoint t0{std::chrono::seconds(10)};
  coalescer.mark("b", t0);
  coalescer.mark("a", t0 + milliseconds(10));
  coalescer.mark("b", t0 + milliseconds(20));
  coalescer.mark("c", t0 + milliseconds(70));
  const auto due = coalescer.take_due(t0 + milliseconds(65));
  ASSERT_EQ(due.size(), 2U);
  EXPECT_EQ(due[0], "b");
  EXPECT_EQ(due[1], "a");
  EXPECT_EQ(*coalescer.next_deadline(), t0 + milliseconds(120));
}

TEST(NotifyCoalescer, ZeroWindowIsDueAtOnce) {
  NotifyCoalescer coalescer(Duration::zero());
  const TimePoint t0{std::chrono::seconds(1)};
  coalescer.mark("x", t0);
  EXPECT_EQ(coalescer.take_due(t0).size(), 1U);
}

}  // namespace
}  // namespace parley::sip
