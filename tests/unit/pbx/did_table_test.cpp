// DID lookup: textual and E.164 matches, per-trunk mappings, unknown numbers.

#include "pbx/did_table.hpp"

#include <gtest/gtest.h>

namespace parley::pbx {
namespace {

using store::DidDestinationKind;

store::Did did(std::string number, std::string trunk, DidDestinationKind kind, std::string target) {
  return store::Did{0, 1, std::move(number), std::move(trunk), kind, std::move(target), 0};
}

class DidTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store::TenantCallLimits limits;
    limits.country_code = "44";
    table_ = DidTable::build(
        {
            did("+442071234567", "", DidDestinationKind::kExtension, "1001"),
            did("+442071234567", "backup", DidDestinationKind::kVoicemail, "1001"),
            did("02071234568", "", DidDestinationKind::kRingGroup, "600"),
            did("442071234569", "", DidDestinationKind::kIvr, "main-menu"),
            did("5000", "main", DidDestinationKind::kQueue, "sales"),
        },
        NumberPlan::for_tenant(limits));
  }

  DidMatch found(std::string_view trunk, std::string_view called) {
    auto match = table_.lookup(trunk, called);
    EXPECT_TRUE(match.ok()) << called << ": " << (match.ok() ? "" : match.error().message);
    return match.ok() ? *match : DidMatch{};
  }

  DidTable table_;
};

TEST_F(DidTableTest, MatchesEveryFormOfTheNumber) {
  for (std::string_view called :
       {"+442071234567", "442071234567", "02071234567", "+44 20 7123 4567", "+442071234567;npdi"}) {
    const DidMatch match = found("main", called);
    EXPECT_EQ(match.kind, DidDestinationKind::kExtension) << called;
    EXPECT_EQ(match.target, "1001") << called;
  }
  EXPECT_EQ(found("main", "+442071234568").target, "600");
  EXPECT_EQ(found("main", "+442071234569").kind, DidDestinationKind::kIvr);
  EXPECT_EQ(found("main", "02071234569").target, "main-menu");
}

TEST_F(DidTableTest, TheTrunksOwnMappingWins) {
  const DidMatch match = found("backup", "02071234567");
  EXPECT_EQ(match.kind, DidDestinationKind::kVoicemail);
  EXPECT_EQ(match.trunk, "backup");
  EXPECT_EQ(found("main", "5000").target, "sales");
  auto other_trunk = table_.lookup("backup", "5000");  // tied to trunk main
  ASSERT_FALSE(other_trunk.ok());
  EXPECT_EQ(other_trunk.error().code, 404);
}

TEST_F(DidTableTest, UnknownNumbersAreRefused) {
  for (std::string_view called : {"+442070000000", "999", "", "evil'; drop", "1001"}) {
    auto match = table_.lookup("main", called);
    ASSERT_FALSE(match.ok()) << called;
    EXPECT_EQ(match.error().code, 404) << called;
  }
  EXPECT_FALSE(DidTable().lookup("main", "+442071234567").ok());
}

}  // namespace
}  // namespace parley::pbx
