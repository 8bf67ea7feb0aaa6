#include "app/config.hpp"

#include <gtest/gtest.h>

#include <string>

namespace parley::app {
namespace {

TEST(Config, DefaultsNeedNoFileAndAreValid) {
  const Config config;
  EXPECT_EQ(config.sip_listen, std::vector<std::string>{"127.0.0.1:5060"});
  EXPECT_EQ(config.t1_ms, 500U);
  EXPECT_EQ(config.t2_ms, 4000U);
  EXPECT_EQ(config.t4_ms, 5000U);
  EXPECT_EQ(config.max_message_bytes, 65536U);
  EXPECT_EQ(config.tcp_idle_timeout_s, 300.0);
  EXPECT_EQ(config.workers, 0U);
  EXPECT_EQ(config.log_level, "info");
  EXPECT_TRUE(validate(config).ok());
}

TEST(Config, TheExampleFileLoadsAndMatchesTheDefaults) {
  // The example documents every key with its default value; keep the two in step.
  const auto loaded =
      load_config_file(std::string(PARLEY_TEST_DATA) + "/../../config/parley.example.toml");
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  const Config defaults;
  EXPECT_EQ(loaded->sip_listen, defaults.sip_listen);
  EXPECT_EQ(loaded->t1_ms, defaults.t1_ms);
  EXPECT_EQ(loaded->t2_ms, defaults.t2_ms);
  EXPECT_EQ(loaded->t4_ms, defaults.t4_ms);
  EXPECT_EQ(loaded->max_message_bytes, defaults.max_message_bytes);
  EXPECT_EQ(loaded->tcp_idle_timeout_s, defaults.tcp_idle_timeout_s);
  EXPECT_EQ(loaded->max_tcp_connections, defaults.max_tcp_connections);
  EXPECT_EQ(loaded->workers, defaults.workers);
  EXPECT_EQ(loaded->data_dir, defaults.data_dir);
  EXPECT_EQ(loaded->log_level, defaults.log_level);
}

TEST(Config, ReadsEveryKey) {
  const auto loaded = parse_config(R"(
[sip]
listen = ["127.0.0.1:0", "[::1]:5070"]
t1_ms = 250
t2_ms = 2000
t4_ms = 2500
max_message_bytes = 8192
tcp_idle_timeout_s = 2.5
max_tcp_connections = 12
[server]
workers = 3
data_dir = "/tmp/parley-data"
[log]
level = "debug"
)");
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  const Config& c = loaded.value();
  EXPECT_EQ(c.sip_listen, (std::vector<std::string>{"127.0.0.1:0", "[::1]:5070"}));
  EXPECT_EQ(c.t1_ms, 250U);
  EXPECT_EQ(c.t2_ms, 2000U);
  EXPECT_EQ(c.t4_ms, 2500U);
  EXPECT_EQ(c.max_message_bytes, 8192U);
  EXPECT_DOUBLE_EQ(c.tcp_idle_timeout_s, 2.5);
  EXPECT_EQ(c.max_tcp_connections, 12U);
  EXPECT_EQ(c.workers, 3U);
  EXPECT_EQ(c.data_dir, "/tmp/parley-data");
  EXPECT_EQ(c.log_level, "debug");
  EXPECT_TRUE(validate(c).ok());
}

TEST(Config, IntegerIdleTimeoutIsAccepted) {
  const auto loaded = parse_config("[sip]\ntcp_idle_timeout_s = 2\n");
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_DOUBLE_EQ(loaded->tcp_idle_timeout_s, 2.0);
}

// Every error is one line that names the file and, where known, the line.
void expect_one_line_error(std::string_view text, std::string_view expected_part) {
  const auto loaded = parse_config(text, "test.toml");
  ASSERT_FALSE(loaded.ok()) << text;
  const std::string& message = loaded.error().message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  EXPECT_EQ(message.rfind("test.toml", 0), 0U) << message;
  EXPECT_NE(message.find(expected_part), std::string::npos) << message;
}

TEST(Config, RefusesUnknownKeysAndSections) {
  expect_one_line_error("[sip]\nlisn = [\"127.0.0.1:5060\"]\n",
                        "test.toml:2: unknown key sip.lisn");
  expect_one_line_error("[voip]\nx = 1\n", "unknown section [voip]");
  expect_one_line_error("[server]\nthreads = 4\n", "unknown key server.threads");
}

TEST(Config, RefusesWrongTypesAndRanges) {
  expect_one_line_error("[sip]\nt1_ms = \"fast\"\n", "sip.t1_ms must be an integer");
  expect_one_line_error("[sip]\nlisten = \"127.0.0.1:5060\"\n", "sip.listen must be an array");
  expect_one_line_error("[sip]\nlisten = [5060]\n", "sip.listen must be an array of strings");
  expect_one_line_error("[sip]\nmax_message_bytes = 10\n", "between 1024 and");
  expect_one_line_error("[server]\nworkers = -1\n", "server.workers must be between");
  expect_one_line_error("[log]\nlevel = 3\n", "log.level must be a string");
  expect_one_line_error("sip = 3\n", "'sip' must be a [table]");
}

TEST(Config, SyntaxErrorsAreOneLine) {
  expect_one_line_error("[sip\nlisten = 1\n", "test.toml:1");
  expect_one_line_error("[sip]\nt1_ms = \n", "test.toml:2");
}

TEST(Config, MissingFileIsAClearError) {
  const auto loaded = load_config_file("/nonexistent/parley.toml");
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().message, "/nonexistent/parley.toml: cannot open the file");
}

TEST(Config, ValidateChecksRelationsAndValues) {
  Config config;
  config.t2_ms = 100;  // below t1
  EXPECT_FALSE(validate(config).ok());

  config = Config{};
  config.sip_listen = {"localhost:5060"};
  EXPECT_FALSE(validate(config).ok());
  config.sip_listen = {};
  EXPECT_FALSE(validate(config).ok());
  config.sip_listen = {"[::1]:0", "10.0.0.1"};  // bare IP: port 5060
  EXPECT_TRUE(validate(config).ok());

  config = Config{};
  config.log_level = "verbose";
  const auto invalid = validate(config);
  ASSERT_FALSE(invalid.ok());
  EXPECT_NE(invalid.error().message.find("verbose"), std::string::npos);
}

}  // namespace
}  // namespace parley::app
