// The [park] section (decision 0030): defaults, the example file, values read, bad ones refused.

#include <gtest/gtest.h>

#include <string>

#include "app/config.hpp"

namespace parley::app {
namespace {

TEST(ParkConfig, DefaultsAreAsteriskLikeAndTheExampleMatches) {
  const Config defaults;
  EXPECT_EQ(defaults.park_code, "700");
  EXPECT_EQ(defaults.park_first_slot, 701U);
  EXPECT_EQ(defaults.park_slots, 20U);
  EXPECT_EQ(defaults.park_timeout_s, 60.0);
  EXPECT_TRUE(defaults.park_announce);
  const auto loaded =
      load_config_file(std::string(PARLEY_TEST_DATA) + "/../../config/parley.example.toml");
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(loaded->park_code, defaults.park_code);
  EXPECT_EQ(loaded->park_first_slot, defaults.park_first_slot);
  EXPECT_EQ(loaded->park_slots, defaults.park_slots);
  EXPECT_EQ(loaded->park_timeout_s, defaults.park_timeout_s);
  EXPECT_EQ(loaded->park_announce, defaults.park_announce);
}

TEST(ParkConfig, ValuesAreReadAndChecked) {
  const auto parsed = parse_config(
      "[park]\ncode = \"800\"\nfirst_slot = 801\nslots = 5\ntimeout_s = 2.5\nannounce = false\n");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->park_code, "800");
  EXPECT_EQ(parsed->park_first_slot, 801U);
  EXPECT_EQ(parsed->park_slots, 5U);
  EXPECT_EQ(parsed->park_timeout_s, 2.5);
  EXPECT_FALSE(parsed->park_announce);
  EXPECT_TRUE(validate(*parsed).ok());

  EXPECT_FALSE(parse_config("[park]\nslots = 0\n").ok());
  EXPECT_FALSE(parse_config("[park]\ntimeout_s = 0\n").ok());
  EXPECT_FALSE(parse_config("[park]\nslot = 3\n").ok());  // a misspelt key is an error

  Config inside;
  inside.park_code = "705";  // one of the slots 701..720
  EXPECT_FALSE(validate(inside).ok());
  Config letters;
  letters.park_code = "*70";
  EXPECT_FALSE(validate(letters).ok());
  Config leading_zero;
  leading_zero.park_code = "0700";
  EXPECT_FALSE(validate(leading_zero).ok());
}

}  // namespace
}  // namespace parley::app
