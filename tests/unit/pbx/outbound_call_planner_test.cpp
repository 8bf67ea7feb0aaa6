// Outbound route selection (prefix, length, regex; strip and prepend; failover order;
// emergency routes first) and the static toll-fraud checks (classes, blocked prefixes).

#include "pbx/outbound_call_planner.hpp"

#include <gtest/gtest.h>

#include "pbx/call_permission.hpp"

namespace parley::pbx {
namespace {

store::OutboundRoute route(std::string name, std::int64_t priority, store::RoutePatternKind kind,
                           std::string pattern, std::vector<std::string> trunks) {
  store::OutboundRoute row;
  row.name = std::move(name);
  row.priority = priority;
  row.pattern_kind = kind;
  row.pattern = std::move(pattern);
  row.trunks = std::move(trunks);
  return row;
}

class OutboundCallPlannerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    limits_.country_code = "44";
    limits_.blocked_prefixes = {"882", "4970"};
    std::vector<store::OutboundRoute> routes;
    auto international =
        route("international", 30, store::RoutePatternKind::kPrefix, "00", {"cheap", "reliable"});
    international.strip_digits = 2;
    international.prepend = "+";
    routes.push_back(international);
    auto national =
        route("national", 20, store::RoutePatternKind::kLength, "11", {"reliable", "cheap"});
    national.strip_digits = 1;
    national.prepend = "+44";
    national.caller_id = "+442071234567";
    routes.push_back(national);
    auto e164 =
        route("e164", 40, store::RoutePatternKind::kRegex, R"(\+[1-9][0-9]{6,14})", {"reliable"});
    routes.push_back(e164);
    auto emergency = route("emergency", 90, store::RoutePatternKind::kPrefix, "", {"emergency"});
    emergency.emergency = true;
    routes.push_back(emergency);
    auto planner = OutboundCallPlanner::build(limits_, std::move(routes));
    ASSERT_TRUE(planner.ok()) << planner.error().message;
    planner_ = std::move(planner).value();
  }

  store::CallClassSet all_classes() const { return store::CallClassSet::from_bits(0b11111); }

  store::TenantCallLimits limits_;
  OutboundCallPlanner planner_;
};

TEST_F(OutboundCallPlannerTest, PrefixRouteStripsPrependsAndKeepsFailoverOrder) {
  auto call = planner_.plan("0049 30 123456", all_classes());
  ASSERT_TRUE(call.ok()) << call.error().message;
  EXPECT_EQ(call->route.route, "international");
  EXPECT_EQ(call->route.digits, "+4930123456");
  EXPECT_EQ(call->route.trunks, (std::vector<std::string>{"cheap", "reliable"}));
  EXPECT_EQ(call->number.kind, NumberKind::kInternational);
  EXPECT_EQ(call->number.e164, "+4930123456");
  EXPECT_FALSE(call->emergency());
}

TEST_F(OutboundCallPlannerTest, LowerPriorityWinsAndLengthPatternCountsDigits) {
  auto call = planner_.plan("02071234567", all_classes());  // 11 digits: national (20) first
  ASSERT_TRUE(call.ok()) << call.error().message;
  EXPECT_EQ(call->route.route, "national");
  EXPECT_EQ(call->route.digits, "+442071234567");
  EXPECT_EQ(call->route.trunks, (std::vector<std::string>{"reliable", "cheap"}));
  EXPECT_EQ(call->route.caller_id, "+442071234567");
  auto twelve = planner_.plan("004930123456", all_classes());
  ASSERT_TRUE(twelve.ok());
  EXPECT_EQ(twelve->route.route, "international");  // 12 digits: only the prefix route matches
  // 11 digits starting 00: both match, and the length route's priority 20 beats 30.
  auto eleven = planner_.plan("00493012345", all_classes());
  ASSERT_TRUE(eleven.ok());
  EXPECT_EQ(eleven->route.route, "national");
}

TEST_F(OutboundCallPlannerTest, RegexRouteMatchesTheWholeNumber) {
  auto call = planner_.plan("+4930123456", all_classes());  // 10 digits: not "national"
  ASSERT_TRUE(call.ok()) << call.error().message;
  EXPECT_EQ(call->route.route, "e164");
  EXPECT_EQ(call->route.digits, "+4930123456");
  auto too_short = planner_.plan("+1415", all_classes());  // no route takes it
  ASSERT_FALSE(too_short.ok());
  EXPECT_EQ(too_short.error().code, 404);
  EXPECT_NE(too_short.error().message.find("no outbound route"), std::string::npos);
}

TEST_F(OutboundCallPlannerTest, EmergencyNumbersUseEmergencyRoutesFirstAndAreAlwaysAllowed) {
  const auto nothing = store::CallClassSet::from_bits(0);
  auto call = planner_.plan("999", nothing);
  ASSERT_TRUE(call.ok()) << call.error().message;
  EXPECT_TRUE(call->emergency());
  EXPECT_EQ(call->route.route, "emergency");  // priority 90, still first for 999
  EXPECT_TRUE(call->route.emergency_route);
  EXPECT_EQ(call->route.digits, "999");
  // Ordinary numbers never take the catch-all emergency route.
  auto ordinary = planner_.plan("118118", all_classes());
  ASSERT_FALSE(ordinary.ok());
  EXPECT_EQ(ordinary.error().code, 404);
}

TEST_F(OutboundCallPlannerTest, EmergencyFallsBackToOrdinaryRoutes) {
  auto planner = OutboundCallPlanner::build(
      limits_, {route("all", 10, store::RoutePatternKind::kPrefix, "", {"main"})});
  ASSERT_TRUE(planner.ok());
  auto call = planner->plan("112", store::CallClassSet::from_bits(0));
  ASSERT_TRUE(call.ok()) << call.error().message;
  EXPECT_EQ(call->route.route, "all");
}

TEST_F(OutboundCallPlannerTest, RefusesClassesTheCallerLacks) {
  const auto defaults = store::CallClassSet::defaults();  // internal, national, mobile
  auto international = planner_.plan("004930123456", defaults);
  ASSERT_FALSE(international.ok());
  EXPECT_EQ(international.error().code, 403);
  EXPECT_NE(international.error().message.find("may not call international"), std::string::npos)
      << international.error().message;
  auto premium = planner_.plan("09061234567", defaults);
  ASSERT_FALSE(premium.ok());
  EXPECT_EQ(premium.error().code, 403);
  EXPECT_NE(premium.error().message.find("premium"), std::string::npos);
  EXPECT_TRUE(planner_.plan("07911123456", defaults).ok());  // mobile is a default class
  // A short code leaving by a trunk needs the national class, not only internal.
  auto only_internal = store::CallClassSet::parse("internal");
  ASSERT_TRUE(only_internal.ok());
  ClassifiedNumber short_code{"118118", NumberKind::kInternal, ""};
  EXPECT_FALSE(check_call_class(short_code, *only_internal, true).ok());
  EXPECT_TRUE(check_call_class(short_code, *only_internal, false).ok());
}

TEST_F(OutboundCallPlannerTest, RefusesBlockedPrefixesEvenWithEveryClass) {
  auto satellite = planner_.plan("+882123456789", all_classes());
  ASSERT_FALSE(satellite.ok());
  EXPECT_EQ(satellite.error().code, 403);
  EXPECT_EQ(satellite.error().message, "number +882123456789 matches blocked prefix 882");
  auto longer = planner_.plan("0049701234567", all_classes());
  ASSERT_FALSE(longer.ok());
  EXPECT_NE(longer.error().message.find("blocked prefix 4970"), std::string::npos);
  EXPECT_TRUE(planner_.plan("004930123456", all_classes()).ok());
  ClassifiedNumber emergency{"112", NumberKind::kEmergency, ""};
  EXPECT_TRUE(check_blocked_prefixes(emergency, {"1"}).ok());
}

TEST_F(OutboundCallPlannerTest, BadInputIsRefusedCleanly) {
  auto garbage = planner_.plan("sip:evil@example.com", all_classes());
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.error().code, 484);
  auto stripped_bare = OutboundCallPlanner::build(
      limits_, {[] {
        auto r = route("strip", 1, store::RoutePatternKind::kPrefix, "9", {"t"});
        r.strip_digits = 7;
        return r;
      }()});
  ASSERT_TRUE(stripped_bare.ok());
  auto empty = stripped_bare->plan("9123", all_classes());
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().code, 484);
  auto bad_regex = OutboundCallPlanner::build(
      limits_, {route("bad", 1, store::RoutePatternKind::kRegex, "([0-9]", {"t"})});
  ASSERT_FALSE(bad_regex.ok());
  EXPECT_NE(bad_regex.error().message.find("route bad"), std::string::npos);
  OutboundCallPlanner empty_planner;
  auto nothing = empty_planner.plan("02071234567", all_classes());
  ASSERT_FALSE(nothing.ok());
  EXPECT_EQ(nothing.error().code, 404);
}

}  // namespace
}  // namespace parley::pbx
