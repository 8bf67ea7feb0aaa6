#include "sip/call_affinity.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace parley::sip {
namespace {

TEST(CallAffinity, OwnerIsStableAndInRange) {
  EXPECT_EQ(call_owner("abc@host", 1), 0u);
  const std::size_t owner = call_owner("abc@host", 4);
  EXPECT_LT(owner, 4u);
  EXPECT_EQ(call_owner("abc@host", 4), owner);
}

TEST(CallAffinity, SpreadsCallsOverWorkers) {
  std::vector<int> counts(4, 0);
  for (int i = 0; i < 4000; ++i) ++counts[call_owner("call-" + std::to_string(i), 4)];
  for (const int count : counts) EXPECT_GT(count, 800);
}

TEST(CallAffinity, OwnedCallIdsHashToTheirWorker) {
  std::mt19937_64 random(7);
  auto token = [&random] { return std::to_string(random()); };
  for (std::size_t worker = 0; worker < 3; ++worker) {
    const std::string call_id = make_owned_call_id(worker, 3, token);
    EXPECT_EQ(call_owner(call_id, 3), worker);
  }
}

}  // namespace
}  // namespace parley::sip
