// The call queue's decisions under a hand-moved clock: FIFO order, the three strategies,
// wrap-up, busy agents skipped, max callers and max wait, login, members changing mid-call.

#include "pbx/call_queue.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace parley::pbx {
namespace {

using std::chrono::seconds;
using Agents = std::vector<std::string>;

class BusySet final : public AgentAvailability {
 public:
  explicit BusySet(std::set<std::string, std::less<>> busy) : busy_(std::move(busy)) {}
  bool can_ring(std::string_view agent) const override { return !busy_.contains(agent); }

 private:
  std::set<std::string, std::less<>> busy_;
};

QueueSettings settings(QueueStrategy strategy) {
  QueueSettings result;
  result.strategy = strategy;
  result.ring_timeout = seconds(10);
  result.wrap_up = seconds(0);
  result.max_wait = seconds(60);
  result.max_callers = 5;
  return result;
}

TEST(CallQueueTest, StrategyNamesRoundTrip) {
  for (auto strategy :
       {QueueStrategy::kRingAll, QueueStrategy::kRoundRobin, QueueStrategy::kLongestIdle}) {
    EXPECT_EQ(queue_strategy_from_text(to_string(strategy)), strategy);
  }
  EXPECT_FALSE(queue_strategy_from_text("random").has_value());
}

TEST(CallQueueTest, CallersAreOfferedInArrivalOrderOneAtATime) {
  ManualClock clock;
  EveryAgentAvailable all;
  CallQueue queue(settings(QueueStrategy::kRingAll), {"201", "202"}, clock);
  const auto first = queue.join();
  clock.advance(seconds(1));
  const auto second = queue.join();
  ASSERT_TRUE(first && second);
  EXPECT_EQ(queue.position(*first), 1u);
  EXPECT_EQ(queue.position(*second), 2u);

  auto offer = queue.next_offer(all);
  ASSERT_TRUE(offer);
  EXPECT_EQ(offer->caller, *first);
  EXPECT_EQ(offer->agents, (Agents{"201", "202"}));
  EXPECT_FALSE(queue.next_offer(all)) << "one offer rings at a time";

  auto others = queue.answered(*first, "202");
  ASSERT_TRUE(others);
  EXPECT_EQ(*others, (Agents{"201"}));
  EXPECT_EQ(queue.position(*first), 0u);
  EXPECT_EQ(queue.position(*second), 1u);

  offer = queue.next_offer(all);
  ASSERT_TRUE(offer);
  EXPECT_EQ(offer->caller, *second);
  EXPECT_EQ(offer->agents, (Agents{"201"})) << "202 is on the first caller";
}

TEST(CallQueueTest, BusyAndLoggedOutAgentsAreSkipped) {
  ManualClock clock;
  CallQueue queue(settings(QueueStrategy::kRingAll), {"201", "202", "203"}, clock);
  ASSERT_TRUE(queue.join());
  queue.log_out("203");
  EXPECT_FALSE(queue.logged_in("203"));
  auto offer = queue.next_offer(BusySet({"201"}));
  ASSERT_TRUE(offer);
  EXPECT_EQ(offer->agents, (Agents{"202"}));
}

TEST(CallQueueTest, NoAvailableAgentMeansNoOfferUntilOneFrees) {
  ManualClock clock;
  CallQueue queue(settings(QueueStrategy::kRingAll), {"201"}, clock);
  ASSERT_TRUE(queue.join());
  EXPECT_FALSE(queue.next_offer(BusySet({"201"})));
  EXPECT_TRUE(queue.next_offer(BusySet({})));
}

TEST(CallQueueTest, RoundRobinMovesOnAfterEachOffer) {
  ManualClock clock;
  EveryAgentAvailable all;
  CallQueue queue(settings(QueueStrategy::kRoundRobin), {"201", "202", "203"}, clock);
  const auto caller = queue.join();
  std::vector<std::string> rung;
  for (int i = 0; i < 4; ++i) {
    auto offer = queue.next_offer(all);
    ASSERT_TRUE(offer);
    ASSERT_EQ(offer->agents.size(), 1u);
    rung.push_back(offer->agents[0]);
    queue.offer_failed(*caller);
  }
  EXPECT_EQ(rung, (Agents{"201", "202", "203", "201"}));
  // A busy agent is passed over, and the turn goes on after whoever rang.
  auto offer = queue.next_offer(BusySet({"202"}));
  ASSERT_TRUE(offer);
  EXPECT_EQ(offer->agents, (Agents{"203"}));
}

TEST(CallQueueTest, LongestIdleRingsWhoseLastCallEndedLongestAgo) {
  ManualClock clock;
  EveryAgentAvailable all;
  CallQueue queue(settings(QueueStrategy::kLongestIdle), {"201", "202", "203"}, clock);
  // Every agent takes one call; they end 202, 203, 201 in that order.
  for (const char* agent : {"201", "202", "203"}) {
    const auto caller = queue.join();
    auto offer = queue.next_offer(all);
    ASSERT_TRUE(offer);
    ASSERT_TRUE(queue.answered(*caller, agent));
  }
  for (const char* agent : {"202", "203", "201"}) {
    clock.advance(seconds(5));
    queue.agent_done(agent);
  }
  const auto caller = queue.join();
  auto offer = queue.next_offer(all);
  ASSERT_TRUE(offer);
  EXPECT_EQ(offer->agents, (Agents{"202"}));
  queue.offer_failed(*caller);
  offer = queue.next_offer(BusySet({"202"}));
  ASSERT_TRUE(offer);
  EXPECT_EQ(offer->agents, (Agents{"203"}));
  EXPECT_EQ(queue.answered_by("201"), 1u);
}

TEST(CallQueueTest, NeverUsedAgentsCountAsLongestIdleInListOrder) {
  ManualClock clock;
  EveryAgentAvailable all;
  CallQueue queue(settings(QueueStrategy::kLongestIdle), {"201", "202"}, clock);
  const auto first = queue.join();
  ASSERT_TRUE(queue.next_offer(all));
  ASSERT_TRUE(queue.answered(*first, "201"));
  queue.agent_done("201");
  const auto second = queue.join();
  auto offer = queue.next_offer(all);
  ASSERT_TRUE(offer);
  EXPECT_EQ(offer->agents, (Agents{"202"}));
  (void)second;
}

TEST(CallQueueTest, WrapUpKeepsAnAgentFromRingingUntilItEnds) {
  ManualClock clock;
  EveryAgentAvailable all;
  auto config = settings(QueueStrategy::kRingAll);
  config.wrap_up = seconds(20);
  CallQueue queue(config, {"201"}, clock);
  const auto first = queue.join();
  ASSERT_TRUE(queue.next_offer(all));
  ASSERT_TRUE(queue.answered(*first, "201"));
  queue.agent_done("201");
  ASSERT_TRUE(queue.join());
  EXPECT_FALSE(queue.next_offer(all));
  EXPECT_EQ(queue.next_deadline(), clock.now() + seconds(20));
  clock.advance(seconds(19));
  EXPECT_FALSE(queue.next_offer(all));
  clock.advance(seconds(1));
  EXPECT_TRUE(queue.next_offer(all));
}

TEST(CallQueueTest, MaxCallersRefusesTheNextOne) {
  ManualClock clock;
  auto config = settings(QueueStrategy::kRingAll);
  config.max_callers = 2;
  CallQueue queue(config, {"201"}, clock);
  EXPECT_TRUE(queue.join());
  EXPECT_TRUE(queue.join());
  EXPECT_FALSE(queue.join());
  EXPECT_EQ(queue.stats().refused_full, 1u);
  EXPECT_EQ(queue.waiting(), 2u);
}

TEST(CallQueueTest, MaxWaitExpiresCallersInOrderAndCancelsTheirOffer) {
  ManualClock clock;
  EveryAgentAvailable all;
  CallQueue queue(settings(QueueStrategy::kRingAll), {"201"}, clock);
  const auto first = queue.join();
  clock.advance(seconds(30));
  const auto second = queue.join();
  ASSERT_TRUE(queue.next_offer(all));
  EXPECT_EQ(queue.next_deadline(), clock.now() + seconds(10)) << "the ring timeout comes first";
  clock.advance(seconds(29));
  EXPECT_TRUE(queue.expire().callers.empty());
  clock.advance(seconds(1));
  EXPECT_EQ(queue.offer_timed_out(), first);
  auto expired = queue.expire();
  EXPECT_EQ(expired.callers, (std::vector<QueueCallerId>{*first}));
  EXPECT_EQ(expired.cancel, (Agents{"201"}));
  EXPECT_EQ(queue.position(*second), 1u);
  EXPECT_EQ(queue.next_deadline(), clock.now() + seconds(30));
  EXPECT_EQ(queue.stats().timed_out, 1u);
}

TEST(CallQueueTest, AbandonedCallerIsCountedAndItsOfferEnds) {
  ManualClock clock;
  EveryAgentAvailable all;
  CallQueue queue(settings(QueueStrategy::kRingAll), {"201", "202"}, clock);
  const auto caller = queue.join();
  ASSERT_TRUE(queue.next_offer(all));
  EXPECT_EQ(queue.leave(*caller), (Agents{"201", "202"}));
  EXPECT_EQ(queue.stats().abandoned, 1u);
  EXPECT_FALSE(queue.answered(*caller, "201")) << "a late answer finds no caller";
  EXPECT_EQ(queue.waiting(), 0u);
  EXPECT_EQ(queue.next_deadline(), TimePoint::max());
}

TEST(CallQueueTest, AverageWaitComesFromAnsweredCallers) {
  ManualClock clock;
  EveryAgentAvailable all;
  CallQueue queue(settings(QueueStrategy::kRingAll), {"201"}, clock);
  const auto caller = queue.join();
  clock.advance(seconds(7));
  ASSERT_TRUE(queue.next_offer(all));
  ASSERT_TRUE(queue.answered(*caller, "201"));
  EXPECT_EQ(queue.stats().answered, 1u);
  EXPECT_EQ(queue.stats().total_wait, seconds(7));
}

TEST(CallQueueTest, RemovedMemberFinishesItsCallAndIsNotRungAgain) {
  ManualClock clock;
  EveryAgentAvailable all;
  CallQueue queue(settings(QueueStrategy::kRingAll), {"201", "202", "202"}, clock);
  EXPECT_EQ(queue.members(), (Agents{"201", "202"})) << "duplicates are dropped";
  const auto caller = queue.join();
  ASSERT_TRUE(queue.next_offer(all));
  ASSERT_TRUE(queue.answered(*caller, "201"));
  queue.set_members({"202"});
  queue.agent_done("201");
  ASSERT_TRUE(queue.join());
  auto offer = queue.next_offer(all);
  ASSERT_TRUE(offer);
  EXPECT_EQ(offer->agents, (Agents{"202"}));
  EXPECT_FALSE(queue.logged_in("201"));
}

}  // namespace
}  // namespace parley::pbx
