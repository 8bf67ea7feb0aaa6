#include "base/result.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace parley {
namespace {

Result<int> parse_digit(char c) {
  if (c < '0' || c > '9') return make_error(400, "not a digit");
  return c - '0';
}

TEST(Result, CarriesValueOrError) {
  auto good = parse_digit('7');
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 7);

  auto bad = parse_digit('x');
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, 400);
  EXPECT_EQ(bad.error().message, "not a digit");
}

TEST(Result, MovesOutMoveOnlyValues) {
  Result<std::unique_ptr<std::string>> r = std::make_unique<std::string>("hi");
  ASSERT_TRUE(r);
  std::unique_ptr<std::string> owned = std::move(r).value();
  EXPECT_EQ(*owned, "hi");
}

TEST(Result, VoidResult) {
  Result<void> fine;
  EXPECT_TRUE(fine.ok());
  Result<void> failed = make_error(1, "boom");
  EXPECT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().message, "boom");
}

}  // namespace
}  // namespace parley
