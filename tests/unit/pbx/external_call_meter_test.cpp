// The counting toll-fraud guard: concurrent-call limit, calls and minutes per sliding hour
// (driven by a hand-moved clock), emergency calls, and the counters under two threads.

#include "pbx/external_call_meter.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

namespace parley::pbx {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

constexpr store::TenantId kTenant = 1;
constexpr store::TenantId kOther = 2;

// A clock frozen at one instant: safe to read from any thread.
class FrozenClock final : public Clock {
 public:
  TimePoint now() const override { return TimePoint(std::chrono::hours(100)); }
};

TEST(ExternalCallMeterTest, ConcurrentLimitHoldsAndFreesOnRelease) {
  ManualClock clock;
  ExternalCallMeter meter(clock);
  const ExternalCallLimits limits{2, 0, 0};
  auto first = meter.start(kTenant, limits, false);
  auto second = meter.start(kTenant, limits, false);
  ASSERT_TRUE(first.ok() && second.ok());
  auto third = meter.start(kTenant, limits, false);
  ASSERT_FALSE(third.ok());
  EXPECT_EQ(third.error().code, 403);
  EXPECT_EQ(third.error().message, "tenant has 2 external calls up; the limit is 2");
  EXPECT_TRUE(meter.start(kOther, limits, false).ok());  // tenants are counted apart

  first->release();
  EXPECT_FALSE(first->active());
  EXPECT_EQ(meter.usage(kTenant).active, 1U);
  auto again = meter.start(kTenant, limits, false);
  EXPECT_TRUE(again.ok());
  { ExternalCallLease moved = std::move(again).value(); }  // destruction ends the call too
  EXPECT_EQ(meter.usage(kTenant).active, 1U);
}

TEST(ExternalCallMeterTest, EmergencyCallsAreCountedButNeverRefused) {
  ManualClock clock;
  ExternalCallMeter meter(clock);
  const ExternalCallLimits limits{1, 1, 1};
  auto ordinary = meter.start(kTenant, limits, false);
  ASSERT_TRUE(ordinary.ok());
  auto emergency = meter.start(kTenant, limits, true);
  ASSERT_TRUE(emergency.ok());
  EXPECT_EQ(meter.usage(kTenant).active, 2U);
  EXPECT_FALSE(meter.start(kTenant, limits, false).ok());
}

TEST(ExternalCallMeterTest, CallsPerHourSlideWithTheClock) {
  ManualClock clock;
  ExternalCallMeter meter(clock);
  const ExternalCallLimits limits{0, 3, 0};
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(meter.start(kTenant, limits, false).ok());  // leases end at once
    clock.advance(minutes(10));
  }
  auto refused = meter.start(kTenant, limits, false);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, 403);
  EXPECT_NE(refused.error().message.find("3 external calls in the last hour"), std::string::npos);
  clock.advance(minutes(29));  // the first call (started 59-60 minutes ago) still counts
  EXPECT_FALSE(meter.start(kTenant, limits, false).ok());
  clock.advance(minutes(1));  // now it has left the window
  EXPECT_EQ(meter.usage(kTenant).calls_last_hour, 2U);
  EXPECT_TRUE(meter.start(kTenant, limits, false).ok());
}

TEST(ExternalCallMeterTest, MinutesBudgetCountsRunningAndEndedCalls) {
  ManualClock clock;
  ExternalCallMeter meter(clock);
  const ExternalCallLimits limits{0, 0, 10};
  auto long_call = meter.start(kTenant, limits, false);
  ASSERT_TRUE(long_call.ok());
  clock.advance(minutes(6));
  EXPECT_EQ(meter.usage(kTenant).talk_seconds_last_hour, 360U);  // running call counts
  auto second = meter.start(kTenant, limits, false);
  ASSERT_TRUE(second.ok());
  clock.advance(minutes(2));
  second->release();  // 2 minutes spoken
  clock.advance(minutes(2));
  // 10 minutes of the first call plus 2 of the second: over budget.
  EXPECT_EQ(meter.usage(kTenant).talk_seconds_last_hour, 720U);
  auto refused = meter.start(kTenant, limits, false);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("budget is 10"), std::string::npos);
  long_call->release();
  // An hour later only the minutes spoken in the last hour count: none.
  clock.advance(minutes(60));
  EXPECT_EQ(meter.usage(kTenant).talk_seconds_last_hour, 0U);
  EXPECT_TRUE(meter.start(kTenant, limits, false).ok());
}

TEST(ExternalCallMeterTest, LongCallCountsOnlyItsLastHour) {
  ManualClock clock;
  ExternalCallMeter meter(clock);
  auto call = meter.start(kTenant, {}, false);
  ASSERT_TRUE(call.ok());
  clock.advance(minutes(90) + seconds(30));
  const auto running = meter.usage(kTenant).talk_seconds_last_hour;
  EXPECT_GE(running, 59U * 60);
  EXPECT_LE(running, 60U * 60);
  call->release();
  EXPECT_EQ(meter.usage(kTenant).talk_seconds_last_hour, running);
}

TEST(ExternalCallMeterTest, TwoThreadsNeverExceedTheConcurrentLimit) {
  FrozenClock clock;
  ExternalCallMeter meter(clock);
  constexpr std::uint32_t kLimit = 3;
  constexpr int kAttempts = 2000;
  std::atomic<int> up{0};
  std::atomic<int> most{0};
  std::atomic<int> admitted{0};
  const auto worker = [&] {
    std::vector<ExternalCallLease> held;
    for (int i = 0; i < kAttempts; ++i) {
      auto lease = meter.start(kTenant, {kLimit, 0, 0}, false);
      if (lease.ok()) {
        const int now_up = ++up;
        int seen = most.load();
        while (now_up > seen && !most.compare_exchange_weak(seen, now_up)) {
        }
        ++admitted;
        held.push_back(std::move(lease).value());
      }
      if (held.size() >= 2 || (!lease.ok() && !held.empty())) {
        --up;
        held.erase(held.begin());
      }
    }
    up -= static_cast<int>(held.size());
    held.clear();
  };
  std::thread first(worker);
  std::thread second(worker);
  first.join();
  second.join();
  EXPECT_LE(most.load(), static_cast<int>(kLimit));
  EXPECT_GT(admitted.load(), kAttempts / 2);
  const ExternalCallUsage usage = meter.usage(kTenant);
  EXPECT_EQ(usage.active, 0U);
  EXPECT_EQ(usage.calls_last_hour, static_cast<std::uint32_t>(admitted.load()));
}

}  // namespace
}  // namespace parley::pbx
