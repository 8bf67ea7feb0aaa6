// Number classification and E.164 normalisation under tenant number plans.

#include "pbx/number_plan.hpp"

#include <gtest/gtest.h>

namespace parley::pbx {
namespace {

NumberPlan plan_for(std::string country) {
  store::TenantCallLimits limits;
  limits.country_code = std::move(country);
  return NumberPlan::for_tenant(limits);
}

ClassifiedNumber classify(std::string_view dialled, const NumberPlan& plan) {
  auto number = classify_number(dialled, plan);
  EXPECT_TRUE(number.ok()) << dialled << ": " << (number.ok() ? "" : number.error().message);
  return number.ok() ? *number : ClassifiedNumber{};
}

TEST(NumberPlanTest, DerivesAccessPrefixesFromTheCountry) {
  const NumberPlan uk = plan_for("44");
  EXPECT_EQ(uk.international_prefix, "00");
  EXPECT_EQ(uk.national_prefix, "0");
  EXPECT_EQ(uk.mobile_prefixes, (std::vector<std::string>{"7"}));
  const NumberPlan us = plan_for("1");
  EXPECT_EQ(us.international_prefix, "011");
  EXPECT_EQ(us.national_prefix, "1");
  const NumberPlan none = plan_for("");
  EXPECT_EQ(none.national_prefix, "");

  store::TenantCallLimits custom;
  custom.country_code = "39";
  custom.national_prefix = "";  // Italy keeps its 0 inside the number
  custom.mobile_prefixes = {"3"};
  custom.emergency_numbers = {"113"};
  const NumberPlan italy = NumberPlan::for_tenant(custom);
  EXPECT_EQ(italy.national_prefix, "");
  EXPECT_EQ(italy.international_prefix, "00");
  EXPECT_EQ(classify("0612345678", italy).e164, "+390612345678");
  EXPECT_EQ(classify("3471234567", italy).kind, NumberKind::kMobile);
  EXPECT_EQ(classify("113", italy).kind, NumberKind::kEmergency);
}

TEST(NumberPlanTest, ClassifiesUkNumbers) {
  const NumberPlan uk = plan_for("44");
  struct Case {
    std::string_view dialled;
    NumberKind kind;
    std::string_view e164;
  };
  const Case cases[] = {
      {"999", NumberKind::kEmergency, ""},
      {"112", NumberKind::kEmergency, ""},
      {"1001", NumberKind::kInternal, ""},
      {"*72", NumberKind::kInternal, ""},
      {"020 7123-4567", NumberKind::kNational, "+442071234567"},
      {"(020) 7123.4567", NumberKind::kNational, "+442071234567"},
      {"07911123456", NumberKind::kMobile, "+447911123456"},
      {"09061234567", NumberKind::kPremium, "+449061234567"},
      {"08712345678", NumberKind::kPremium, "+448712345678"},
      {"+442071234567", NumberKind::kNational, "+442071234567"},
      {"00442071234567", NumberKind::kNational, "+442071234567"},
      {"004930123456", NumberKind::kInternational, "+4930123456"},
      {"+14155550100", NumberKind::kInternational, "+14155550100"},
      {"+8821234567", NumberKind::kPremium, "+8821234567"},  // satellite: premium anywhere
      {"00881612345678", NumberKind::kPremium, "+881612345678"},
  };
  for (const auto& c : cases) {
    const ClassifiedNumber number = classify(c.dialled, uk);
    EXPECT_EQ(number.kind, c.kind) << c.dialled << " is " << to_text(number.kind);
    EXPECT_EQ(number.e164, c.e164) << c.dialled;
  }
  EXPECT_EQ(classify("020 7123-4567", uk).dialled, "02071234567");
}

TEST(NumberPlanTest, ClassifiesNanpNumbers) {
  const NumberPlan us = plan_for("1");
  EXPECT_EQ(classify("911", us).kind, NumberKind::kEmergency);
  EXPECT_EQ(classify("4155550100", us).e164, "+14155550100");
  EXPECT_EQ(classify("14155550100", us).e164, "+14155550100");
  EXPECT_EQ(classify("14155550100", us).kind, NumberKind::kNational);
  EXPECT_EQ(classify("19005550100", us).kind, NumberKind::kPremium);
  EXPECT_EQ(classify("011442071234567", us).kind, NumberKind::kInternational);
  EXPECT_EQ(classify("011442071234567", us).e164, "+442071234567");
}

TEST(NumberPlanTest, WithoutACountryLongNumbersAreNationalWithoutE164) {
  const NumberPlan none = plan_for("");
  const ClassifiedNumber number = classify("02071234567", none);
  EXPECT_EQ(number.kind, NumberKind::kNational);
  EXPECT_EQ(number.e164, "");
  EXPECT_EQ(classify("+442071234567", none).kind, NumberKind::kInternational);
}

TEST(NumberPlanTest, RefusesWhatIsNotANumber) {
  const NumberPlan uk = plan_for("44");
  for (std::string_view bad :
       {"", " - ", "12a4", "++44", "4+4", "sip:1001", "1234567890123456789012345678901234"}) {
    auto number = classify_number(bad, uk);
    ASSERT_FALSE(number.ok()) << bad;
    EXPECT_EQ(number.error().code, 484) << bad;
  }
  auto long_international = classify_number("+1234567890123456", uk);  // 16 digits
  ASSERT_FALSE(long_international.ok());
  EXPECT_EQ(long_international.error().code, 484);
}

TEST(NumberPlanTest, EmergencyNumbersNeedNoClass) {
  EXPECT_FALSE(required_call_class(NumberKind::kEmergency).has_value());
  EXPECT_EQ(required_call_class(NumberKind::kPremium), store::CallClass::kPremium);
  EXPECT_EQ(required_call_class(NumberKind::kInternal), store::CallClass::kInternal);
}

}  // namespace
}  // namespace parley::pbx
