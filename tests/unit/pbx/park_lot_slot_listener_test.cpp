// The park lot's slot listener (issue 6, park slots as BLF keys): told once when a slot fills
// and once when it empties, whichever way it empties (retrieved, timed out, the parkee gone),
// and never for a refused park or retrieve.

#include <gtest/gtest.h>

#include <vector>

#include "pbx/park_lot.hpp"

namespace parley::pbx {
namespace {

constexpr store::TenantId kTenant = 3;

struct Seen {
  std::uint32_t slot = 0;
  ParkTicket ticket = 0;
  bool occupied = false;
  std::string parkee;
  bool operator==(const Seen&) const = default;
};

class SlotListenerTest : public ::testing::Test {
 protected:
  SlotListenerTest() {
    lot_.set_slot_listener([this](const ParkLot::SlotChange& change) {
      EXPECT_EQ(change.tenant, kTenant);
      seen_.push_back({change.slot, change.ticket, change.occupied, change.parkee});
    });
  }
  std::vector<Seen> take() { return std::exchange(seen_, {}); }

  ParkLot lot_{ParkLotOptions{.park_code = "700", .first_slot = 701, .slots = 2}};
  std::vector<Seen> seen_;
};

TEST_F(SlotListenerTest, ParkedThenRetrieved) {
  auto parked = lot_.park(kTenant, 0, "1002", "1001");
  ASSERT_TRUE(parked.ok());
  EXPECT_EQ(take(), (std::vector<Seen>{{701, parked->ticket, true, "1001"}}));
  ASSERT_TRUE(lot_.retrieve(kTenant, 701, "1003").ok());
  EXPECT_EQ(take(), (std::vector<Seen>{{701, parked->ticket, false, "1001"}}));
  // Both sides leaving later says nothing more: the slot was free already.
  lot_.leave(parked->ticket, ParkSide::kParkee);
  lot_.leave(parked->ticket, ParkSide::kRetriever);
  EXPECT_TRUE(take().empty());
}

TEST_F(SlotListenerTest, TimeoutAndHangUpEmptyTheSlotOnce) {
  auto first = lot_.park(kTenant, 0, "1002", "1001");
  auto second = lot_.park(kTenant, 0, "1002", "1004");
  ASSERT_TRUE(first.ok() && second.ok());
  take();
  EXPECT_TRUE(lot_.expire(first->ticket));
  EXPECT_FALSE(lot_.expire(first->ticket));
  lot_.leave(first->ticket, ParkSide::kParkee);  // the rung-back call ends later
  EXPECT_EQ(take(), (std::vector<Seen>{{701, first->ticket, false, "1001"}}));
  lot_.leave(second->ticket, ParkSide::kParkee);  // hung up while parked
  EXPECT_EQ(take(), (std::vector<Seen>{{702, second->ticket, false, "1004"}}));
}

TEST_F(SlotListenerTest, RefusalsTellNothing) {
  ASSERT_TRUE(lot_.park(kTenant, 701, "1002", "1001").ok());
  take();
  EXPECT_FALSE(lot_.park(kTenant, 701, "1002", "1005").ok());  // taken
  EXPECT_FALSE(lot_.park(kTenant, 799, "1002", "1005").ok());  // no such slot
  EXPECT_FALSE(lot_.retrieve(kTenant, 702, "1003").ok());      // empty
  EXPECT_TRUE(take().empty());
}

}  // namespace
}  // namespace parley::pbx
