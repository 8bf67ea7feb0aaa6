#include "app/cli.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <vector>

#include "app/serve.hpp"

namespace parley::app {
namespace {

int run(std::vector<const char*> args) {
  args.insert(args.begin(), "parley");
  return run_cli(static_cast<int>(args.size()), args.data());
}

TEST(Cli, VersionAndHelpSucceed) {
  EXPECT_EQ(run({"--version"}), kExitOk);
  EXPECT_EQ(run({"--help"}), kExitOk);
  EXPECT_EQ(run({"serve", "--help"}), kExitOk);
}

TEST(Cli, UsageErrorsExit2) {
  EXPECT_EQ(run({}), kExitUsage);  // no subcommand
  EXPECT_EQ(run({"--frobnicate"}), kExitUsage);
  EXPECT_EQ(run({"serve", "--frobnicate"}), kExitUsage);
  EXPECT_EQ(run({"serve", "--sip-listen", "localhost:5060"}), kExitUsage);
  EXPECT_EQ(run({"serve", "--log-level", "loud"}), kExitUsage);
  EXPECT_EQ(run({"serve", "--workers", "-3"}), kExitUsage);
}

TEST(Cli, ConfigurationErrorsExit1BeforeServing) {
  EXPECT_EQ(run({"serve", "--config", "/nonexistent/parley.toml"}), kExitRuntimeError);

  const auto path = std::filesystem::temp_directory_path() / "parley_cli_test_bad.toml";
  std::ofstream(path) << "[sip]\nt1_ms = 900\nt2_ms = 100\n";  // t2 below t1: invalid
  EXPECT_EQ(run({"serve", "--config", path.c_str()}), kExitRuntimeError);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace parley::app
