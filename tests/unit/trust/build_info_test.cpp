#include "trust/build_info.hpp"

#include <gtest/gtest.h>

#include <regex>

namespace parley::trust {
namespace {

TEST(BuildInfo, CompilerNamesFamilyAndVersion) {
  EXPECT_TRUE(std::regex_match(build_compiler(), std::regex("(gcc|clang) [0-9]+\\.[0-9]+.*")))
      << build_compiler();
  EXPECT_NE(build_compiler().back(), ' ');
}

TEST(BuildInfo, SourceCommitIsAHashOrUnknown) {
  EXPECT_TRUE(std::regex_match(build_source_commit(), std::regex("[0-9a-f]{40}(-dirty)?|unknown")))
      << build_source_commit();
}

TEST(BuildInfo, DebianPackagesHaveNameVersionAndArchitecture) {
  for (const auto& package : build_debian_packages()) {
    EXPECT_FALSE(package.name.empty());
    EXPECT_FALSE(package.version.empty()) << package.name;
    EXPECT_FALSE(package.architecture.empty()) << package.name;
  }
}

}  // namespace
}  // namespace parley::trust
