// The [recording] section (decision 0039): the file format of call recordings.

#include <gtest/gtest.h>

#include <string>

#include "app/config.hpp"

namespace parley::app {
namespace {

TEST(ConfigRecording, WavByDefaultOpusOnRequest) {
  EXPECT_EQ(Config{}.recording_format, "wav");
  const auto opus = parse_config("[recording]\nformat = \"opus\"\n");
  ASSERT_TRUE(opus.ok()) << opus.error().message;
  EXPECT_EQ(opus->recording_format, "opus");
  EXPECT_TRUE(validate(*opus).ok());
  const auto example =
      load_config_file(std::string(PARLEY_TEST_DATA) + "/../../config/parley.example.toml");
  ASSERT_TRUE(example.ok()) << example.error().message;
  EXPECT_EQ(example->recording_format, Config{}.recording_format);
}

TEST(ConfigRecording, UnknownFormatsAndKeysAreRefusedWithAReason) {
  const auto mp3 = parse_config("[recording]\nformat = \"mp3\"\n");
  ASSERT_TRUE(mp3.ok());
  const auto invalid = validate(*mp3);
  ASSERT_FALSE(invalid.ok());
  EXPECT_NE(invalid.error().message.find("recording.format 'mp3'"), std::string::npos);
  const auto typo = parse_config("[recording]\nfromat = \"opus\"\n", "test.toml");
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.error().message.find("unknown key recording.fromat"), std::string::npos);
  EXPECT_FALSE(parse_config("[recording]\nformat = 3\n").ok());
}

}  // namespace
}  // namespace parley::app
