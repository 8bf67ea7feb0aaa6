// Per-trunk channel counting (max_calls, decision 0026): the limit holds, slots give channels
// back when released, moved or destroyed, trunks are counted apart, 0 means unlimited, and many
// threads racing for the last channels never take more than the limit.

#include "pbx/trunk_call_counter.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace parley::pbx {
namespace {

constexpr store::TrunkId kTrunk = 7;
constexpr store::TrunkId kOther = 8;

TEST(TrunkCallCounterTest, LimitHoldsAndReleaseFreesAChannel) {
  TrunkCallCounter counter;
  auto first = counter.try_claim(kTrunk, 2);
  auto second = counter.try_claim(kTrunk, 2);
  ASSERT_TRUE(first && second);
  EXPECT_EQ(counter.in_use(kTrunk), 2U);
  EXPECT_FALSE(counter.try_claim(kTrunk, 2));
  EXPECT_EQ(counter.in_use(kTrunk), 2U);  // a refusal counts nothing
  first->release();
  EXPECT_FALSE(first->active());
  EXPECT_EQ(counter.in_use(kTrunk), 1U);
  first->release();  // twice is harmless
  EXPECT_EQ(counter.in_use(kTrunk), 1U);
  EXPECT_TRUE(counter.try_claim(kTrunk, 2));  // the temporary gives its channel back at once
  EXPECT_EQ(counter.in_use(kTrunk), 1U);
}

TEST(TrunkCallCounterTest, TrunksAreCountedApart) {
  TrunkCallCounter counter;
  auto full = counter.try_claim(kTrunk, 1);
  ASSERT_TRUE(full);
  EXPECT_FALSE(counter.try_claim(kTrunk, 1));
  auto other = counter.try_claim(kOther, 1);
  ASSERT_TRUE(other);
  const auto all = counter.all_in_use();
  ASSERT_EQ(all.size(), 2U);
  EXPECT_EQ(all.at(kTrunk), 1U);
  EXPECT_EQ(all.at(kOther), 1U);
}

TEST(TrunkCallCounterTest, ZeroIsUnlimitedButStillCounted) {
  TrunkCallCounter counter;
  std::vector<TrunkCallSlot> slots;
  for (int i = 0; i < 50; ++i) {
    auto slot = counter.try_claim(kTrunk, 0);
    ASSERT_TRUE(slot);
    slots.push_back(std::move(*slot));
  }
  EXPECT_EQ(counter.in_use(kTrunk), 50U);
  slots.clear();
  EXPECT_EQ(counter.in_use(kTrunk), 0U);
  EXPECT_TRUE(counter.all_in_use().empty());
}

TEST(TrunkCallCounterTest, MovingASlotKeepsOneChannel) {
  TrunkCallCounter counter;
  auto slot = counter.try_claim(kTrunk, 1);
  ASSERT_TRUE(slot);
  TrunkCallSlot moved(std::move(*slot));
  EXPECT_FALSE(slot->active());
  EXPECT_TRUE(moved.active());
  EXPECT_EQ(moved.trunk(), kTrunk);
  EXPECT_EQ(counter.in_use(kTrunk), 1U);
  TrunkCallSlot assigned;
  assigned = std::move(moved);
  EXPECT_EQ(counter.in_use(kTrunk), 1U);
  auto other = counter.try_claim(kOther, 1);
  ASSERT_TRUE(other);
  assigned = std::move(*other);  // the trunk's channel is given back, the other's kept
  EXPECT_EQ(counter.in_use(kTrunk), 0U);
  EXPECT_EQ(counter.in_use(kOther), 1U);
}

TEST(TrunkCallCounterTest, LoweredLimitRefusesNewCallsOnly) {
  TrunkCallCounter counter;
  auto first = counter.try_claim(kTrunk, 3);
  auto second = counter.try_claim(kTrunk, 3);
  ASSERT_TRUE(first && second);
  EXPECT_FALSE(counter.try_claim(kTrunk, 1));  // the administrator lowered it to 1
  EXPECT_EQ(counter.in_use(kTrunk), 2U);
  first->release();
  EXPECT_FALSE(counter.try_claim(kTrunk, 1));
  second->release();
  EXPECT_TRUE(counter.try_claim(kTrunk, 1));
}

// Workers race for the channels: never more than the limit up at once, every channel back at
// the end, and the limit reached (the race really happened).
TEST(TrunkCallCounterTest, ThreadsNeverExceedTheLimit) {
  TrunkCallCounter counter;
  constexpr std::uint32_t kLimit = 3;
  constexpr int kThreads = 4;
  constexpr int kRounds = 2000;
  std::atomic<int> up{0};
  std::atomic<int> most{0};
  std::atomic<int> refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kRounds; ++i) {
        auto slot = counter.try_claim(kTrunk, kLimit);
        if (!slot) {
          refused.fetch_add(1);
          continue;
        }
        const int now = up.fetch_add(1) + 1;
        int seen = most.load();
        while (now > seen && !most.compare_exchange_weak(seen, now)) {
        }
        std::this_thread::yield();
        up.fetch_sub(1);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_LE(most.load(), static_cast<int>(kLimit));
  EXPECT_GE(most.load(), 1);
  EXPECT_EQ(counter.in_use(kTrunk), 0U);
  EXPECT_TRUE(counter.all_in_use().empty());
}

}  // namespace
}  // namespace parley::pbx
