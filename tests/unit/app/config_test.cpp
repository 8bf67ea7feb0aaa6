#include "app/config.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
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
  EXPECT_EQ(loaded->sdes, defaults.sdes);
  EXPECT_EQ(loaded->port_quarantine_ms, defaults.port_quarantine_ms);
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

// A fresh folder under the system temp dir, removed at the end of the test.
class TempTree {
 public:
  TempTree() {
    root_ = std::filesystem::temp_directory_path() /
            ("parley-webroot-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
             "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(root_);
    std::filesystem::create_directories(root_);
  }
  ~TempTree() { std::filesystem::remove_all(root_); }
  TempTree(const TempTree&) = delete;
  TempTree& operator=(const TempTree&) = delete;

  std::filesystem::path make_web(const std::filesystem::path& relative) const {
    const auto dir = root_ / relative;
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "index.html") << "<!doctype html>";
    return dir;
  }
  const std::filesystem::path& root() const { return root_; }

 private:
  std::filesystem::path root_;
};

// Voicemail to e-mail's relay (decision 0034): read, checked, and off by default.
TEST(Config, SmtpSection) {
  EXPECT_TRUE(Config{}.smtp_host.empty());
  auto config = parse_config(
      "[smtp]\nhost = \"relay.example.com\"\nport = 2525\nfrom = \"pbx@example.com\"\n"
      "helo = \"pbx.example.com\"\ntimeout_s = 5\nattempts = 2\nretry_s = 0.5\n");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->smtp_host, "relay.example.com");
  EXPECT_EQ(config->smtp_port, 2525U);
  EXPECT_EQ(config->smtp_from, "pbx@example.com");
  EXPECT_EQ(config->smtp_helo, "pbx.example.com");
  EXPECT_EQ(config->smtp_attempts, 2U);
  EXPECT_DOUBLE_EQ(config->smtp_retry_s, 0.5);
  EXPECT_TRUE(validate(*config).ok());
  EXPECT_FALSE(parse_config("[smtp]\nstarttls = true\n").ok());  // not supported: refused
  EXPECT_FALSE(parse_config("[smtp]\nport = 0\n").ok());
  Config bad_from;
  bad_from.smtp_from = "parley@localhost>\r\nRCPT TO:<x@y";
  EXPECT_FALSE(validate(bad_from).ok());
  Config bad_host;
  bad_host.smtp_host = "relay.example.com\r\nQUIT";
  EXPECT_FALSE(validate(bad_host).ok());
}

// The test-only schedule clock (decision 0040): off unless configured, whole seconds, bounded.
TEST(Config, TestingClockOffset) {
  EXPECT_EQ(Config{}.testing_clock_offset_s, 0);
  auto config = parse_config("[testing]\nclock_offset_s = -86400\n");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->testing_clock_offset_s, -86400);
  EXPECT_TRUE(validate(*config).ok());
  EXPECT_FALSE(parse_config("[testing]\nclock_offset_s = 1.5\n").ok());
  EXPECT_FALSE(parse_config("[testing]\nclock_offset_s = 99999999999\n").ok());
  EXPECT_FALSE(parse_config("[testing]\nclock = 5\n").ok());
}

// SDES-SRTP policy (decision 0033).
TEST(Config, MediaSdesPolicy) {
  EXPECT_EQ(Config{}.sdes, "tls");
  for (const std::string_view value : {"off", "accept", "tls"}) {
    auto config = parse_config("[media]\nsdes = \"" + std::string(value) + "\"\n");
    ASSERT_TRUE(config.ok()) << config.error().message;
    EXPECT_EQ(config->sdes, value);
    EXPECT_TRUE(validate(*config).ok());
  }
  auto wrong = parse_config("[media]\nsdes = \"always\"\n");
  ASSERT_TRUE(wrong.ok());
  ASSERT_FALSE(validate(*wrong).ok());
  EXPECT_NE(validate(*wrong).error().message.find("media.sdes"), std::string::npos);
}

// Relay ports kept bound between calls (decision 0060): on by default, 0 turns it off.
TEST(Config, MediaPortQuarantine) {
  EXPECT_EQ(Config{}.port_quarantine_ms, 1000U);
  auto off = parse_config("[media]\nport_quarantine_ms = 0\n");
  ASSERT_TRUE(off.ok()) << off.error().message;
  EXPECT_EQ(off->port_quarantine_ms, 0U);
  auto longer = parse_config("[media]\nport_quarantine_ms = 5000\n");
  ASSERT_TRUE(longer.ok()) << longer.error().message;
  EXPECT_EQ(longer->port_quarantine_ms, 5000U);
  EXPECT_FALSE(parse_config("[media]\nport_quarantine_ms = -1\n").ok());
  EXPECT_FALSE(parse_config("[media]\nport_quarantine_ms = \"1s\"\n").ok());
}

// Nameservers for trunk hosts (decision 0042): resolv.conf's unless configured.
TEST(Config, DnsSection) {
  EXPECT_TRUE(Config{}.dns_servers.empty());
  auto config = parse_config(
      "[dns]\nservers = [\"127.0.0.1:5353\", \"10.0.0.53\", \"[::1]:53\"]\ntimeout_s = 0.5\n"
      "attempts = 3\n");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->dns_servers.size(), 3U);
  EXPECT_DOUBLE_EQ(config->dns_timeout_s, 0.5);
  EXPECT_EQ(config->dns_attempts, 3U);
  EXPECT_TRUE(validate(*config).ok());
  EXPECT_FALSE(parse_config("[dns]\nservers = \"127.0.0.1\"\n").ok());
  EXPECT_FALSE(parse_config("[dns]\nattempts = 0\n").ok());
  EXPECT_FALSE(parse_config("[dns]\nsearch = []\n").ok());
  auto named = parse_config("[dns]\nservers = [\"dns.example.com\"]\n");
  ASSERT_TRUE(named.ok());
  ASSERT_FALSE(validate(*named).ok());
  EXPECT_NE(validate(*named).error().message.find("dns.servers"), std::string::npos);
}

TEST(Config, PresenceSection) {
  auto config = parse_config(
      "[presence]\nmin_expires_s = 2\nmax_expires_s = 600\ndefault_expires_s = 300\n"
      "notify_coalesce_ms = 50\nmax_subscriptions_per_device = 4\n"
      "max_subscriptions_per_tenant = 6\n");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->subscribe_min_expires_s, 2U);
  EXPECT_EQ(config->subscribe_max_expires_s, 600U);
  EXPECT_EQ(config->subscribe_default_expires_s, 300U);
  EXPECT_EQ(config->notify_coalesce_ms, 50U);
  EXPECT_EQ(config->max_subscriptions_per_device, 4U);
  EXPECT_EQ(config->max_subscriptions_per_tenant, 6U);
  EXPECT_TRUE(validate(*config).ok());
  EXPECT_FALSE(parse_config("[presence]\nmax_subscriptions_per_device = 0\n").ok());
  EXPECT_FALSE(parse_config("[presence]\nwatchers = 3\n").ok());
  Config out_of_range;
  out_of_range.subscribe_default_expires_s = 10;  // below the minimum of 60
  EXPECT_FALSE(validate(out_of_range).ok());
  // The example file documents the same defaults.
  const auto example =
      load_config_file(std::string(PARLEY_TEST_DATA) + "/../../config/parley.example.toml");
  ASSERT_TRUE(example.ok()) << example.error().message;
  const Config defaults;
  EXPECT_EQ(example->subscribe_min_expires_s, defaults.subscribe_min_expires_s);
  EXPECT_EQ(example->subscribe_default_expires_s, defaults.subscribe_default_expires_s);
  EXPECT_EQ(example->notify_coalesce_ms, defaults.notify_coalesce_ms);
  EXPECT_EQ(example->max_subscriptions_per_device, defaults.max_subscriptions_per_device);
  EXPECT_EQ(example->max_subscriptions_per_tenant, defaults.max_subscriptions_per_tenant);
}

TEST(Config, WebRootIsFoundBesideAnInstalledBinary) {
  const TempTree tree;
  tree.make_web("share/parley/web");
  tree.make_web("web");  // also a build-tree layout: the installed one wins
  std::filesystem::create_directories(tree.root() / "bin");
  EXPECT_EQ(find_web_root(tree.root() / "bin" / "parley"),
            (tree.root() / "share" / "parley" / "web").string());
}

TEST(Config, WebRootIsFoundInTheBuildTree) {
  const TempTree tree;
  tree.make_web("web");
  std::filesystem::create_directories(tree.root() / "src" / "app");
  EXPECT_EQ(find_web_root(tree.root() / "src" / "app" / "parley"), (tree.root() / "web").string());
}

TEST(Config, NoWebRootWithoutAnIndexPage) {
  const TempTree tree;
  std::filesystem::create_directories(tree.root() / "share" / "parley" / "web");  // empty folder
  std::filesystem::create_directories(tree.root() / "bin");
  EXPECT_EQ(find_web_root(tree.root() / "bin" / "parley"), "");
  EXPECT_EQ(find_web_root("parley"), "");
}

}  // namespace
}  // namespace parley::app
