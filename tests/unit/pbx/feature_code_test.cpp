// parse_feature_code() and forward_destination(): every documented code of
// docs/feature-codes.md, numbers after the forward codes, and what is not a code.

#include "pbx/feature_code.hpp"

#include <gtest/gtest.h>

#include <string>

#include "pbx/dial_plan.hpp"

namespace parley::pbx {
namespace {

using store::ForwardCondition;

FeatureCode code(FeatureAction action, ForwardCondition condition = ForwardCondition::kAlways,
                 std::string number = "") {
  return {action, condition, std::move(number)};
}

TEST(FeatureCodeTest, NumbersAreNotFeatureCodes) {
  for (const char* dialled : {"1001", "", "+4930123", "600", "7*8"}) {
    EXPECT_FALSE(parse_feature_code(dialled).has_value()) << dialled;
  }
}

TEST(FeatureCodeTest, EveryDocumentedCode) {
  EXPECT_EQ(parse_feature_code("*76"), code(FeatureAction::kDndToggle));
  EXPECT_EQ(parse_feature_code("*78"), code(FeatureAction::kDndOn));
  EXPECT_EQ(parse_feature_code("*79"), code(FeatureAction::kDndOff));
  EXPECT_EQ(parse_feature_code("*721002"),
            code(FeatureAction::kForwardSet, ForwardCondition::kAlways, "1002"));
  EXPECT_EQ(parse_feature_code("*72+4930123#"),
            code(FeatureAction::kForwardSet, ForwardCondition::kAlways, "+4930123"));
  EXPECT_EQ(parse_feature_code("*73"), code(FeatureAction::kForwardClear));
  EXPECT_EQ(parse_feature_code("*73#"), code(FeatureAction::kForwardClear));
  EXPECT_EQ(parse_feature_code("*90600"),
            code(FeatureAction::kForwardSet, ForwardCondition::kBusy, "600"));
  EXPECT_EQ(parse_feature_code("*91"), code(FeatureAction::kForwardClear, ForwardCondition::kBusy));
  EXPECT_EQ(parse_feature_code("*5201701234567"),
            code(FeatureAction::kForwardSet, ForwardCondition::kNoAnswer, "01701234567"));
  EXPECT_EQ(parse_feature_code("*53"),
            code(FeatureAction::kForwardClear, ForwardCondition::kNoAnswer));
}

TEST(FeatureCodeTest, BadNumbersAndUnknownCodes) {
  for (const char* dialled :
       {"*72", "*72#", "*721", "*72abc", "*72+", "*72+1", "*72123456789012345678901234567890123"}) {
    auto parsed = parse_feature_code(dialled);
    ASSERT_TRUE(parsed.has_value()) << dialled;
    EXPECT_EQ(parsed->action, FeatureAction::kInvalid) << dialled;
  }
  EXPECT_EQ(parse_feature_code("*90x")->condition, ForwardCondition::kBusy);
  for (const char* dialled : {"*", "*#", "*7", "*99", "*781", "*73 ", "*80", "*8 ", "*1"}) {
    auto parsed = parse_feature_code(dialled);
    ASSERT_TRUE(parsed.has_value()) << dialled;
    EXPECT_EQ(parsed->action, FeatureAction::kUnknown) << dialled;
  }
}

TEST(FeatureCodeTest, ForwardDestinationPrefersLocalNumbers) {
  store::CallFeatureSnapshot rows;
  rows.extensions.push_back({1, "1002", false, {}});
  store::RingGroup group;
  group.tenant_id = 1;
  group.number = "600";
  rows.ring_groups.push_back(group);
  const DialPlanSnapshot plan(rows);
  EXPECT_EQ(forward_destination(plan, 1, "1002"),
            (store::Destination{store::DestinationKind::kExtension, "1002"}));
  EXPECT_EQ(forward_destination(plan, 1, "600"),
            (store::Destination{store::DestinationKind::kRingGroup, "600"}));
  EXPECT_EQ(forward_destination(plan, 2, "1002"),
            (store::Destination{store::DestinationKind::kExternal, "1002"}));
  EXPECT_EQ(forward_destination(plan, 1, "+4930123"),
            (store::Destination{store::DestinationKind::kExternal, "+4930123"}));
}

TEST(FeatureCodeTest, PickupCodes) {
  EXPECT_EQ(parse_feature_code("*8"), code(FeatureAction::kPickupGroup));
  EXPECT_EQ(parse_feature_code("*8#"), code(FeatureAction::kPickupGroup));
  EXPECT_EQ(parse_feature_code("**1002"),
            code(FeatureAction::kPickupDirected, ForwardCondition::kAlways, "1002"));
  EXPECT_EQ(parse_feature_code("**78#"),
            code(FeatureAction::kPickupDirected, ForwardCondition::kAlways, "78"));
  for (const char* dialled :
       {"**", "**#", "**+1002", "**10a2", "***1002", "**123456789012345678901234567890123"}) {
    auto parsed = parse_feature_code(dialled);
    ASSERT_TRUE(parsed.has_value()) << dialled;
    EXPECT_EQ(parsed->action, FeatureAction::kInvalid) << dialled;
  }
}

}  // namespace
}  // namespace parley::pbx
