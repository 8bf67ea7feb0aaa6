// CallPlacement for call pickup and INVITE with Replaces (decision 0031): the picker's INVITE
// goes to the worker where the longest-ringing call it may take lives, an INVITE with Replaces to
// the worker of the dialog it names.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "call_placement_test_support.hpp"

namespace parley::sip::testing {
namespace {

protocol::sip::Message invite(std::string_view from, std::string_view to_user,
                              std::string_view call_id, std::string_view extra = {}) {
  return parse(request("INVITE", from, to_user, call_id, {}, extra));
}

ExtensionCallState ringing(std::string_view extension, std::string_view dialog_id,
                           CallDirection direction = CallDirection::kRecipient) {
  return state(extension, dialog_id, CallPhase::kRinging, {}, direction);
}

class CallPlacementPickupTest : public ::testing::Test {
 protected:
  ManualClock clock_;
  CallPlacement placement_{
      placement_options(clock_,
                        [](store::TenantId tenant, std::string_view caller,
                           std::string_view dialled) -> std::vector<std::string> {
                          EXPECT_EQ(tenant, kTenant);
                          if (dialled == "**1002") return {"1002"};
                          if (dialled == "*8" && caller == "1003") return {"1002", "1004"};
                          return {};
                        })};
};

TEST_F(CallPlacementPickupTest, DirectedPickupGoesWhereTheExtensionRings) {
  placement_.note(1, ringing("1002", "a-r"));
  const std::string id = call_id_on(0, "pick");
  EXPECT_EQ(placement_.route(invite("1003", "**1002", id)), 1u);
  EXPECT_EQ(placement_.owner(id), 1u);  // pinned: the ACK and BYE follow
}

TEST_F(CallPlacementPickupTest, GroupPickupGoesToTheLongestRingingCall) {
  placement_.note(1, ringing("1004", "old-r"));
  clock_.advance(std::chrono::seconds(2));
  placement_.note(0, ringing("1002", "new-r"));
  EXPECT_EQ(placement_.route(invite("1003", "*8", call_id_on(0, "group"))), 1u);
}

TEST_F(CallPlacementPickupTest, AnAnsweredOrOutgoingCallIsNotPickedUp) {
  // 1002 is the caller of a ringing call (initiator) and talks in another: nothing rings at it.
  placement_.note(1, ringing("1002", "out-i", CallDirection::kInitiator));
  ExtensionCallState talking = ringing("1002", "in-r");
  talking.phase = CallPhase::kConfirmed;
  placement_.note(1, talking);
  const std::string id = call_id_on(0, "none");
  // Placed as any call of 1003 would be: by the hash (1003 is idle); a busy callee "**1002" is
  // no extension, so nothing else applies.
  EXPECT_EQ(placement_.route(invite("1003", "**1002", id)), 0u);
}

TEST_F(CallPlacementPickupTest, ReplacesGoesToTheWorkerOfTheNamedDialog) {
  const std::string named = call_id_on(1, "named");
  const std::string id = call_id_on(0, "replacing");
  const std::string replaces = "Replaces: " + named + ";to-tag=ours;from-tag=theirs\r\n";
  EXPECT_EQ(placement_.route(invite("1005", "1002", id, replaces)), 1u);
  EXPECT_EQ(placement_.owner(id), 1u);
  // A Replaces that does not parse changes nothing.
  const std::string other = call_id_on(0, "broken");
  EXPECT_EQ(placement_.route(invite("1005", "1002", other, "Replaces: ;;\r\n")), 0u);
}

// A ring group's call is reported under the group's number; its members, filed for pickup
// only, lead a picker to its worker (decision 0041) until it is answered.
TEST_F(CallPlacementPickupTest, ARingGroupsMembersLeadPickupToItsWorker) {
  ExtensionCallState group = ringing("6000", "g-r");
  group.rung_members = {"1002", "1004"};
  placement_.note(1, group);
  EXPECT_EQ(placement_.route(invite("1003", "**1002", call_id_on(0, "member"))), 1u);
  EXPECT_EQ(placement_.route(invite("1003", "*8", call_id_on(0, "members"))), 1u);
  // A member's own new call is not placed by the group call that rings it.
  EXPECT_EQ(placement_.route(invite("1002", "1005", call_id_on(0, "own"))), 0u);
  group.phase = CallPhase::kConfirmed;
  group.rung_members.clear();
  placement_.note(1, group);
  EXPECT_EQ(placement_.route(invite("1003", "**1002", call_id_on(0, "late"))), 0u);
  group.phase = CallPhase::kTerminated;
  placement_.note(1, group);
  EXPECT_EQ(placement_.route(invite("1003", "*8", call_id_on(0, "over"))), 0u);
}

}  // namespace
}  // namespace parley::sip::testing
