// The [http] section's connection limit: read, range-checked, and documented with its default.

#include <gtest/gtest.h>

#include <string>

#include "app/config.hpp"

namespace parley::app {
namespace {

TEST(ConfigHttp, MaxConnectionsIsReadAndDefaultsToAThousand) {
  EXPECT_EQ(Config{}.http_max_connections, 1000U);
  const auto loaded = parse_config("[http]\nmax_connections = 5000\n");
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(loaded->http_max_connections, 5000U);
}

TEST(ConfigHttp, MaxConnectionsOutOfRangeIsRefusedWithItsName) {
  for (const std::string value : {"0", "-3", "1000001", "\"many\""}) {
    const auto loaded = parse_config("[http]\nmax_connections = " + value + "\n");
    ASSERT_FALSE(loaded.ok()) << value;
    EXPECT_NE(loaded.error().message.find("http.max_connections"), std::string::npos)
        << loaded.error().message;
  }
}

TEST(ConfigHttp, TheExampleFileDocumentsTheDefault) {
  const auto loaded =
      load_config_file(std::string(PARLEY_TEST_DATA) + "/../../config/parley.example.toml");
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(loaded->http_max_connections, Config{}.http_max_connections);
}

}  // namespace
}  // namespace parley::app
