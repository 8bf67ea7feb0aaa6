#include "base/clock.hpp"

#include <gtest/gtest.h>

namespace parley {
namespace {

TEST(ManualClock, MovesOnlyWhenAdvanced) {
  ManualClock clock;
  const TimePoint start = clock.now();
  EXPECT_EQ(clock.now(), start);
  clock.advance(std::chrono::milliseconds(500));
  EXPECT_EQ(clock.now() - start, std::chrono::milliseconds(500));
}

TEST(SteadyClock, NeverGoesBackwards) {
  SteadyClock clock;
  const TimePoint first = clock.now();
  EXPECT_GE(clock.now(), first);
}

}  // namespace
}  // namespace parley
