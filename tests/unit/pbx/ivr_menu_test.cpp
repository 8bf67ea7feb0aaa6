// The auto attendant's key logic: options, invalid keys and timeouts up to the fallback,
// direct dial of extension numbers next to single-digit options, and destination parsing.

#include "pbx/ivr_menu.hpp"

#include <gtest/gtest.h>

namespace parley::pbx {
namespace {

store::IvrMenu sample_menu() {
  store::IvrMenu menu;
  menu.name = "main";
  menu.max_attempts = 3;
  menu.fallback = "voicemail:1001";
  menu.options = {{'1', "1001"}, {'2', "menu:sales"}, {'9', "hangup"}, {'#', "schedule:hours"}};
  return menu;
}

TEST(IvrDestination, ParsesEveryForm) {
  EXPECT_EQ(parse_destination("1001"), (Destination{DestinationKind::kNumber, "1001"}));
  EXPECT_EQ(parse_destination("menu:sales"), (Destination{DestinationKind::kMenu, "sales"}));
  EXPECT_EQ(parse_destination("schedule:x"), (Destination{DestinationKind::kSchedule, "x"}));
  EXPECT_EQ(parse_destination("voicemail:1001"),
            (Destination{DestinationKind::kVoicemail, "1001"}));
  EXPECT_EQ(parse_destination("hangup"), (Destination{}));
  for (const char* bad : {"", "menu:", "menu:Sales", "voicemail:abc", "park:1", "12a", ":"}) {
    EXPECT_FALSE(parse_destination(bad).has_value()) << bad;
  }
}

TEST(MenuNavigatorTest, AnOptionGoesAtOnce) {
  MenuNavigator menu(sample_menu(), {});
  const auto one = menu.on_digit('1');
  EXPECT_EQ(one.step, MenuStep::kGo);
  EXPECT_EQ(one.destination, (Destination{DestinationKind::kNumber, "1001"}));
  EXPECT_EQ(menu.on_digit('2').destination, (Destination{DestinationKind::kMenu, "sales"}));
  EXPECT_EQ(menu.on_digit('#').destination, (Destination{DestinationKind::kSchedule, "hours"}));
}

TEST(MenuNavigatorTest, InvalidKeysAndTimeoutsEndAtTheFallback) {
  MenuNavigator menu(sample_menu(), {});
  EXPECT_EQ(menu.on_digit('5').step, MenuStep::kInvalid);
  EXPECT_EQ(menu.on_timeout().step, MenuStep::kReplay);
  const auto third = menu.on_digit('*');
  EXPECT_EQ(third.step, MenuStep::kGo);
  EXPECT_EQ(third.destination, (Destination{DestinationKind::kVoicemail, "1001"}));
}

TEST(MenuNavigatorTest, DirectDialIgnoredUnlessAllowed) {
  MenuNavigator menu(sample_menu(), {"1001", "2001"});
  EXPECT_EQ(menu.on_digit('2').destination, (Destination{DestinationKind::kMenu, "sales"}));
}

TEST(MenuNavigatorTest, DirectDialReachesExtensionsAndKeepsOptions) {
  auto settings = sample_menu();
  settings.direct_dial = true;
  MenuNavigator menu(settings, {"1001", "2001", "20011"});
  // '2' starts extension numbers: wait for more keys.
  EXPECT_EQ(menu.on_digit('2').step, MenuStep::kWait);
  EXPECT_EQ(menu.on_digit('0').step, MenuStep::kWait);
  EXPECT_EQ(menu.on_digit('0').step, MenuStep::kWait);
  // "2001" is complete but "20011" extends it: wait; '#' ends the entry.
  EXPECT_EQ(menu.on_digit('1').step, MenuStep::kWait);
  const auto dialled = menu.on_digit('#');
  EXPECT_EQ(dialled.step, MenuStep::kGo);
  EXPECT_EQ(dialled.destination, (Destination{DestinationKind::kNumber, "2001"}));
  // A lone '2' followed by a timeout is the option 2.
  EXPECT_EQ(menu.on_digit('2').step, MenuStep::kWait);
  EXPECT_EQ(menu.on_timeout().destination, (Destination{DestinationKind::kMenu, "sales"}));
  // '9' starts no number: its option at once.
  EXPECT_EQ(menu.on_digit('9').destination, (Destination{}));
  // A number that is nobody's is invalid as soon as no number can follow.
  EXPECT_EQ(menu.on_digit('2').step, MenuStep::kWait);
  EXPECT_EQ(menu.on_digit('7').step, MenuStep::kInvalid);
}

TEST(MenuNavigatorTest, ABrokenOptionCountsAsInvalid) {
  auto settings = sample_menu();
  settings.options = {{'1', "not a destination"}};
  settings.max_attempts = 1;
  settings.fallback = "hangup";
  MenuNavigator menu(settings, {});
  const auto decision = menu.on_digit('1');
  EXPECT_EQ(decision.step, MenuStep::kGo);
  EXPECT_EQ(decision.destination, (Destination{}));
}

}  // namespace
}  // namespace parley::pbx
