// The file `parley trunk status` reads (decision 0026): what the server writes parses back to
// the same rows, fields cannot break the format, foreign or damaged files are refused with a
// reason, and the table shows expiry, calls/max and the last error.

#include "app/trunk_status_file.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace parley::app {
namespace {

TrunkStatusReport sample() {
  TrunkStatusReport report;
  report.written_at = 1'800'000'000;
  report.pid = 4242;
  // tenant, trunk, enabled, registration, last code, expires at, keep-alive, calls, max calls,
  // since, reason
  report.rows = {
      {"example.com", "main", true, "registered", 200, 1'800'000'540, "up", 2, 4, 1'799'999'000,
       ""},
      {"example.com", "backup", true, "failed", 403, 0, "down", 0, 0, 1'799'999'500,
       "credentials rejected"},
      {"other.org", "old", false, "disabled", 0, 0, "off", 0, 0, 0, ""},
  };
  return report;
}

TEST(TrunkStatusFileTest, WhatIsWrittenParsesBack) {
  const TrunkStatusReport report = sample();
  auto parsed = parse_trunk_status(format_trunk_status(report));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->written_at, report.written_at);
  EXPECT_EQ(parsed->pid, report.pid);
  EXPECT_EQ(parsed->rows, report.rows);
}

TEST(TrunkStatusFileTest, TabsAndLineBreaksInAFieldBecomeSpaces) {
  TrunkStatusReport report = sample();
  report.rows[1].reason = "bad\tanswer\r\nfrom provider";
  auto parsed = parse_trunk_status(format_trunk_status(report));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  ASSERT_EQ(parsed->rows.size(), 3U);
  EXPECT_EQ(parsed->rows[1].reason, "bad answer  from provider");
}

TEST(TrunkStatusFileTest, ForeignAndDamagedFilesAreRefused) {
  EXPECT_FALSE(parse_trunk_status("").ok());
  EXPECT_FALSE(parse_trunk_status("hello\n").ok());
  const auto damaged =
      parse_trunk_status("parley-trunk-status 1\nwritten\t1\t2\ntrunk\ta\tb\t1\tpeered\n");
  ASSERT_FALSE(damaged.ok());
  EXPECT_NE(damaged.error().message.find("line 3"), std::string::npos);
  EXPECT_FALSE(parse_trunk_status("parley-trunk-status 1\nwritten\tsoon\t2\n").ok());
  EXPECT_FALSE(
      parse_trunk_status("parley-trunk-status 1\ntrunk\ta\tb\t2\tx\t0\t0\tup\t0\t0\t0\t\n").ok())
      << "enabled must be 0 or 1";
  // Later versions may add record kinds: skipped.
  const auto newer = parse_trunk_status("parley-trunk-status 1\nwritten\t5\t6\nroute\tx\n");
  ASSERT_TRUE(newer.ok());
  EXPECT_EQ(newer->written_at, 5);
  EXPECT_TRUE(newer->rows.empty());
}

TEST(TrunkStatusFileTest, WritesAtomicallyAndReadsBack) {
  const auto folder =
      std::filesystem::temp_directory_path() /
      ("parley-trunk-status-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()));
  std::filesystem::create_directories(folder);
  const auto file = folder / kTrunkStatusFileName;
  ASSERT_TRUE(write_trunk_status(file, sample()).ok());
  EXPECT_FALSE(std::filesystem::exists(folder / "trunk-status.tmp"));
  auto read = read_trunk_status(file);
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_EQ(read->rows, sample().rows);
  EXPECT_FALSE(read_trunk_status(folder / "missing").ok());
  std::filesystem::remove_all(folder);
}

TEST(TrunkStatusFileTest, TheTableShowsExpiryCallsAndTheLastError) {
  const std::string table = render_trunk_status(sample(), 1'800'000'000);
  EXPECT_NE(table.find("TENANT"), std::string::npos);
  EXPECT_NE(table.find("registered"), std::string::npos);
  EXPECT_NE(table.find("in 540 s"), std::string::npos);
  EXPECT_NE(table.find("2/4"), std::string::npos);
  EXPECT_NE(table.find("0/-"), std::string::npos) << "unlimited";
  EXPECT_NE(table.find("credentials rejected"), std::string::npos);
  EXPECT_NE(table.find("disabled"), std::string::npos);
}

}  // namespace
}  // namespace parley::app
