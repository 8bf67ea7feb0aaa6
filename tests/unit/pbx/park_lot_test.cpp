// Call-park slots (decision 0030): numbering, the lowest free slot, refusals, tenants apart,
// the ticket's life, and the races the lot decides — many retrievers for one slot (exactly one
// wins), retrieve against the timeout (never both), and many parkers for the lot (never two in
// one slot, never more than the slots).

#include "pbx/park_lot.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace parley::pbx {
namespace {

constexpr store::TenantId kTenant = 1;
constexpr store::TenantId kOther = 2;

ParkLot small_lot() {
  return ParkLot(ParkLotOptions{.park_code = "700", .first_slot = 701, .slots = 3});
}

TEST(ParkLotTest, NumbersNameTheCodeAndTheSlotsOnly) {
  const ParkLot lot = small_lot();
  EXPECT_EQ(lot.slot_for("700"), 0U);
  EXPECT_EQ(lot.slot_for("701"), 701U);
  EXPECT_EQ(lot.slot_for("703"), 703U);
  EXPECT_FALSE(lot.slot_for("704"));
  EXPECT_FALSE(lot.slot_for("699"));
  EXPECT_FALSE(lot.slot_for("0701"));
  EXPECT_FALSE(lot.slot_for("70a"));
  EXPECT_FALSE(lot.slot_for(""));
  EXPECT_FALSE(lot.slot_for("99999999999999999999"));
  EXPECT_TRUE(lot.is_slot("702"));
  EXPECT_FALSE(lot.is_slot("700"));
}

TEST(ParkLotTest, ParkCodeTakesTheLowestFreeSlotUntilFull) {
  ParkLot lot = small_lot();
  auto first = lot.park(kTenant, 0, "1002", "1001");
  auto second = lot.park(kTenant, 0, "1002", "1003");
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->slot, 701U);
  EXPECT_EQ(second->slot, 702U);
  EXPECT_NE(first->ticket, second->ticket);
  lot.leave(first->ticket, ParkSide::kParkee);  // hung up while parked: the slot is free
  auto third = lot.park(kTenant, 0, "1002", "1004");
  ASSERT_TRUE(third);
  EXPECT_EQ(third->slot, 701U);
  ASSERT_TRUE(lot.park(kTenant, 0, "1002", "1005"));
  auto full = lot.park(kTenant, 0, "1002", "1006");
  ASSERT_FALSE(full);
  EXPECT_EQ(full.error().code, 486);
}

TEST(ParkLotTest, NamedSlotIsRefusedWhenTakenOrUnknown) {
  ParkLot lot = small_lot();
  ASSERT_TRUE(lot.park(kTenant, 702, "1002", "1001"));
  auto taken = lot.park(kTenant, 702, "1003", "1004");
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error().code, 486);
  auto unknown = lot.park(kTenant, 704, "1002", "1001");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, 404);
  // Tenants have their own slots.
  EXPECT_TRUE(lot.park(kOther, 702, "1002", "1001"));
  EXPECT_EQ(lot.occupied(kTenant).size(), 1U);
  EXPECT_EQ(lot.occupied(kOther).size(), 1U);
}

TEST(ParkLotTest, RetrieveFreesTheSlotAndEmptySlotsAre404) {
  ParkLot lot = small_lot();
  auto empty = lot.retrieve(kTenant, 701, "1003");
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, 404);
  auto parked = lot.park(kTenant, 0, "1002", "1001");
  ASSERT_TRUE(parked);
  EXPECT_FALSE(lot.retrieve(kOther, 701, "1003"));  // another tenant's 701 is empty
  auto taken = lot.retrieve(kTenant, 701, "1003");
  ASSERT_TRUE(taken);
  EXPECT_EQ(taken->ticket, parked->ticket);
  EXPECT_TRUE(lot.occupied(kTenant).empty());
  EXPECT_FALSE(lot.retrieve(kTenant, 701, "1004"));  // once only
  auto status = lot.status(parked->ticket);
  ASSERT_TRUE(status);
  EXPECT_EQ(status->state, ParkState::kRetrieved);
  EXPECT_EQ(status->retriever, "1003");
  EXPECT_EQ(status->parker, "1002");
  EXPECT_EQ(status->parkee, "1001");
  EXPECT_FALSE(lot.expire(parked->ticket));  // too late for the timeout
  // The ticket lives until both sides have left, and each learns of the other's leaving.
  lot.leave(parked->ticket, ParkSide::kRetriever);
  ASSERT_TRUE(lot.status(parked->ticket));
  EXPECT_TRUE(lot.status(parked->ticket)->retriever_gone);
  lot.leave(parked->ticket, ParkSide::kParkee);
  EXPECT_FALSE(lot.status(parked->ticket));
  EXPECT_EQ(lot.ticket_count(), 0U);
}

// The retriever passes the call on (decision 0041): only a retrieved call whose parties are
// both there, once; the parkee's side learns the target from status().
TEST(ParkLotTest, OnlyARetrievedCallIsTransferredAndOnlyOnce) {
  ParkLot lot = small_lot();
  auto parked = lot.park(kTenant, 0, "1002", "1001");
  ASSERT_TRUE(parked);
  auto waiting = lot.transfer(parked->ticket, "1004");
  ASSERT_FALSE(waiting);
  EXPECT_EQ(waiting.error().code, 481) << "a call still parked has no retriever to transfer it";
  ASSERT_TRUE(lot.retrieve(kTenant, 701, "1003"));
  EXPECT_TRUE(lot.transfer(parked->ticket, "1004"));
  EXPECT_EQ(lot.status(parked->ticket)->transfer_target, "1004");
  auto again = lot.transfer(parked->ticket, "1005");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, 491);
  EXPECT_EQ(lot.status(parked->ticket)->transfer_target, "1004");
  // The retriever leaves right after; the parkee's side still finds the target.
  lot.leave(parked->ticket, ParkSide::kRetriever);
  ASSERT_TRUE(lot.status(parked->ticket));
  EXPECT_EQ(lot.status(parked->ticket)->transfer_target, "1004");
  lot.leave(parked->ticket, ParkSide::kParkee);
  EXPECT_EQ(lot.ticket_count(), 0U);
  EXPECT_EQ(lot.transfer(parked->ticket, "1004").error().code, 481);

  auto second = lot.park(kTenant, 0, "1002", "1001");
  ASSERT_TRUE(second);
  ASSERT_TRUE(lot.retrieve(kTenant, 701, "1003"));
  lot.leave(second->ticket, ParkSide::kParkee);
  EXPECT_EQ(lot.transfer(second->ticket, "1004").error().code, 481) << "the parkee hung up";
  lot.leave(second->ticket, ParkSide::kRetriever);
}

TEST(ParkLotTest, TimeoutFreesTheSlotAndBeatsLaterRetrievers) {
  ParkLot lot = small_lot();
  auto parked = lot.park(kTenant, 703, "1002", "1001");
  ASSERT_TRUE(parked);
  EXPECT_TRUE(lot.expire(parked->ticket));
  EXPECT_FALSE(lot.expire(parked->ticket));
  EXPECT_EQ(lot.status(parked->ticket)->state, ParkState::kTimedOut);
  EXPECT_FALSE(lot.retrieve(kTenant, 703, "1003"));
  EXPECT_TRUE(lot.park(kTenant, 703, "1004", "1005"));  // the slot is free for others
  lot.leave(parked->ticket, ParkSide::kParkee);
  EXPECT_FALSE(lot.status(parked->ticket));
  EXPECT_FALSE(lot.expire(12345));  // unknown tickets are harmless
  lot.leave(12345, ParkSide::kParkee);
}

TEST(ParkLotTest, RacingRetrieversExactlyOneWins) {
  constexpr int kRounds = 200;
  constexpr int kThreads = 8;
  ParkLot lot = small_lot();
  for (int round = 0; round < kRounds; ++round) {
    auto parked = lot.park(kTenant, 0, "1002", "1001");
    ASSERT_TRUE(parked);
    std::atomic<int> winners{0};
    std::atomic<int> refused{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        while (!go.load()) std::this_thread::yield();
        if (t == 0) {
          // The timeout races the retrievers too.
          if (lot.expire(parked->ticket)) {
            ++winners;
          } else {
            ++refused;
          }
          return;
        }
        auto taken = lot.retrieve(kTenant, parked->slot, "10" + std::to_string(10 + t));
        if (taken) {
          ++winners;
        } else {
          EXPECT_EQ(taken.error().code, 404);
          ++refused;
        }
      });
    }
    go = true;
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(winners.load(), 1) << "round " << round;
    EXPECT_EQ(winners.load() + refused.load(), kThreads);
    lot.leave(parked->ticket, ParkSide::kRetriever);
    lot.leave(parked->ticket, ParkSide::kParkee);
  }
  EXPECT_EQ(lot.ticket_count(), 0U);
  EXPECT_TRUE(lot.occupied(kTenant).empty());
}

TEST(ParkLotTest, RacingParkersNeverShareASlot) {
  constexpr int kThreads = 6;
  ParkLot lot = small_lot();
  std::atomic<bool> go{false};
  std::mutex mutex;
  std::vector<std::uint32_t> slots;
  int full = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      while (!go.load()) std::this_thread::yield();
      auto parked = lot.park(kTenant, 0, "1002", "20" + std::to_string(10 + t));
      const std::lock_guard lock(mutex);
      if (parked) {
        slots.push_back(parked->slot);
      } else {
        EXPECT_EQ(parked.error().code, 486);
        ++full;
      }
    });
  }
  go = true;
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(slots.size(), 3U);
  EXPECT_EQ(full, kThreads - 3);
  EXPECT_EQ(std::set<std::uint32_t>(slots.begin(), slots.end()).size(), slots.size());
}

}  // namespace
}  // namespace parley::pbx
