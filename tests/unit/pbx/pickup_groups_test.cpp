// Pickup groups in the dial plan (decision 0031): which ringing extensions *8 and **EXT may take
// a call from, per tenant.

#include "pbx/pickup_groups.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace parley::pbx {
namespace {

using Extensions = std::vector<std::string>;

PickupGroupSnapshot snapshot() {
  return PickupGroupSnapshot({
      {1, "sales", {"1003", "1001", "1002"}},
      {1, "desk", {"1001", "1004"}},
      {1, "empty", {}},
      {2, "sales", {"1001", "1009"}},  // another tenant, the same numbers
  });
}

bool any_extension(std::string_view) {
  return true;
}

TEST(PickupGroupsTest, GroupPeersAreTheOtherMembersOfEveryGroup) {
  const auto groups = snapshot();
  EXPECT_EQ(groups.group_peers(1, "1001"), (Extensions{"1002", "1003", "1004"}));
  EXPECT_EQ(groups.group_peers(1, "1004"), (Extensions{"1001"}));
  EXPECT_EQ(groups.group_peers(2, "1001"), (Extensions{"1009"}));
  EXPECT_TRUE(groups.group_peers(1, "1009").empty());
  EXPECT_TRUE(groups.group_peers(3, "1001").empty());
}

TEST(PickupGroupsTest, GroupCodeTakesFromTheCallersGroups) {
  const auto groups = snapshot();
  auto request = pickup_request(groups, 1, "1004", "*8", any_extension);
  ASSERT_TRUE(request.has_value());
  EXPECT_EQ(request->refusal, 0);
  EXPECT_EQ(request->ringing_at, (Extensions{"1001"}));
  request = pickup_request(groups, 1, "1009", "*8#", any_extension);
  ASSERT_TRUE(request.has_value());
  EXPECT_EQ(request->refusal, 480);
  EXPECT_EQ(request->reason, "No Pickup Group");
}

TEST(PickupGroupsTest, DirectedCodeTakesFromOneExistingExtension) {
  const auto groups = snapshot();
  auto request = pickup_request(groups, 1, "1009", "**1002", any_extension);
  ASSERT_TRUE(request.has_value());
  EXPECT_EQ(request->refusal, 0);
  EXPECT_EQ(request->ringing_at, (Extensions{"1002"}));
  request = pickup_request(groups, 1, "1009", "**4711",
                           [](std::string_view number) { return number != "4711"; });
  ASSERT_TRUE(request.has_value());
  EXPECT_EQ(request->refusal, 404);
  EXPECT_TRUE(request->ringing_at.empty());
}

TEST(PickupGroupsTest, OtherNumbersAreNoPickup) {
  const auto groups = snapshot();
  EXPECT_FALSE(pickup_request(groups, 1, "1001", "1002", any_extension).has_value());
  EXPECT_FALSE(pickup_request(groups, 1, "1001", "*78", any_extension).has_value());
  EXPECT_FALSE(pickup_request(groups, 1, "1001", "**", any_extension).has_value());  // 484 there
}

}  // namespace
}  // namespace parley::pbx
