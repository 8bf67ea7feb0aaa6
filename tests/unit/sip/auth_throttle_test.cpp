#include "sip/auth_throttle.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <sstream>
#include <string>

namespace parley::sip {
namespace {

using std::chrono::seconds;

constexpr std::string_view kRealm = "example.com";

AuthThrottleOptions small_limits() {
  AuthThrottleOptions o;
  o.max_failures_per_ip = 3;
  o.max_failures_per_user = 5;
  o.max_failures_per_source_while_guarded = 2;
  return o;
}

void fail_times(AuthThrottle& t, std::string_view ip, std::string_view user, int n) {
  for (int i = 0; i < n; ++i) t.record_failure(ip, kRealm, user);
}

TEST(AuthThrottle, BansSourceAfterLimitForEveryUserUntilBanEnds) {
  ManualClock clock;
  AuthThrottle t(clock, small_limits());
  fail_times(t, "192.0.2.1", "alice", 2);
  EXPECT_FALSE(t.is_banned("192.0.2.1", kRealm, "alice"));
  t.record_failure("192.0.2.1", kRealm, "bob");
  EXPECT_TRUE(t.is_banned("192.0.2.1", kRealm, "alice"));
  EXPECT_TRUE(t.is_banned("192.0.2.1", kRealm, "carol"));
  EXPECT_FALSE(t.is_banned("192.0.2.2", kRealm, "alice"));
  clock.advance(seconds(299));
  EXPECT_TRUE(t.is_banned("192.0.2.1", kRealm, "alice"));
  clock.advance(seconds(1));
  EXPECT_FALSE(t.is_banned("192.0.2.1", kRealm, "alice"));
  EXPECT_EQ(t.stats().banned_ips, 0U);
  // The slate is clean afterwards: it takes the full count again.
  fail_times(t, "192.0.2.1", "alice", 2);
  EXPECT_FALSE(t.is_banned("192.0.2.1", kRealm, "alice"));
}

TEST(AuthThrottle, FailuresOutsideTheWindowDoNotAccumulate) {
  ManualClock clock;
  AuthThrottle t(clock, small_limits());
  fail_times(t, "192.0.2.1", "alice", 2);
  clock.advance(seconds(60));
  fail_times(t, "192.0.2.1", "alice", 2);
  EXPECT_FALSE(t.is_banned("192.0.2.1", kRealm, "alice"));
  t.record_failure("192.0.2.1", kRealm, "alice");
  EXPECT_TRUE(t.is_banned("192.0.2.1", kRealm, "alice"));
}

TEST(AuthThrottle, SuccessDoesNotResetTheSourceCount) {
  ManualClock clock;
  AuthThrottle t(clock, small_limits());
  fail_times(t, "192.0.2.1", "bob", 2);
  t.record_success("192.0.2.1", kRealm, "alice");
  t.record_success("192.0.2.1", kRealm, "bob");
  t.record_failure("192.0.2.1", kRealm, "bob");
  EXPECT_TRUE(t.is_banned("192.0.2.1", kRealm, "bob"));
}

TEST(AuthThrottle, FloodFromOneSourceDoesNotLockOutTheUserElsewhere) {
  ManualClock clock;
  AuthThrottle t(clock);  // defaults: 20 per IP, 20 per user
  fail_times(t, "203.0.113.66", "alice", 50);
  EXPECT_TRUE(t.is_banned("203.0.113.66", kRealm, "alice"));
  EXPECT_EQ(t.stats().guarded_users, 1U);
  // Alice's own phone at another address still gets through, and succeeds.
  EXPECT_FALSE(t.is_banned("198.51.100.7", kRealm, "alice"));
  t.record_success("198.51.100.7", kRealm, "alice");
  EXPECT_FALSE(t.is_banned("198.51.100.7", kRealm, "alice"));
  // Other users are unaffected from anywhere but the banned source.
  EXPECT_FALSE(t.is_banned("198.51.100.8", kRealm, "bob"));
}

TEST(AuthThrottle, GuardedUserBansOnlyTheSourcesThatKeepFailing) {
  ManualClock clock;
  AuthThrottle t(clock, small_limits());
  // A distributed guess: five sources, one failure each, crosses the user limit.
  for (int i = 0; i < 5; ++i) t.record_failure("192.0.2." + std::to_string(i), kRealm, "alice");
  EXPECT_EQ(t.stats().guarded_users, 1U);
  for (int i = 0; i < 5; ++i) {
    EXPECT_FALSE(t.is_banned("192.0.2." + std::to_string(i), kRealm, "alice"));
  }
  // Source 4's failure was counted as a strike under guard; one more bans it, for alice only.
  t.record_failure("192.0.2.4", kRealm, "alice");
  EXPECT_TRUE(t.is_banned("192.0.2.4", kRealm, "alice"));
  EXPECT_FALSE(t.is_banned("192.0.2.4", kRealm, "bob"));
  // A fresh source gets max_failures_per_source_while_guarded tries.
  t.record_failure("198.51.100.1", kRealm, "alice");
  EXPECT_FALSE(t.is_banned("198.51.100.1", kRealm, "alice"));
  t.record_failure("198.51.100.1", kRealm, "alice");
  EXPECT_TRUE(t.is_banned("198.51.100.1", kRealm, "alice"));
  // The real user who mistypes once and then succeeds keeps a clean record.
  t.record_failure("198.51.100.2", kRealm, "alice");
  t.record_success("198.51.100.2", kRealm, "alice");
  t.record_failure("198.51.100.2", kRealm, "alice");
  EXPECT_FALSE(t.is_banned("198.51.100.2", kRealm, "alice"));
  // Sources that never failed are untouched.
  EXPECT_FALSE(t.is_banned("198.51.100.3", kRealm, "alice"));
  EXPECT_EQ(t.stats().banned_pairs, 2U);

  // Guard and pair bans end after ban_duration.
  clock.advance(seconds(300));
  EXPECT_FALSE(t.is_banned("198.51.100.1", kRealm, "alice"));
  EXPECT_EQ(t.stats().guarded_users, 0U);
  t.record_failure("198.51.100.9", kRealm, "alice");
  t.record_failure("198.51.100.9", kRealm, "alice");
  EXPECT_FALSE(t.is_banned("198.51.100.9", kRealm, "alice"));
}

TEST(AuthThrottle, RealmsAreSeparateUsers) {
  ManualClock clock;
  AuthThrottleOptions o = small_limits();
  o.max_failures_per_ip = 1000;
  AuthThrottle t(clock, o);
  for (int i = 0; i < 5; ++i) t.record_failure("192.0.2." + std::to_string(i), "a.example", "100");
  EXPECT_EQ(t.stats().guarded_users, 1U);
  fail_times(t, "198.51.100.1", "100", 5);  // realm example.com, the same extension number
  EXPECT_FALSE(t.is_banned("198.51.100.1", kRealm, "100"));
}

TEST(AuthThrottle, TablesStayWithinTheirCaps) {
  ManualClock clock;
  AuthThrottleOptions o;
  o.max_failures_per_ip = 2;
  o.max_failures_per_user = 2;
  o.max_tracked_ips = 50;
  o.max_tracked_users = 40;
  o.max_tracked_pairs = 30;
  AuthThrottle t(clock, o);
  for (int i = 0; i < 5000; ++i) {
    const std::string ip = "10." + std::to_string(i / 65536) + "." + std::to_string(i / 256 % 256) +
                           "." + std::to_string(i % 256);
    const std::string user = "u" + std::to_string(i % 700);
    t.record_failure(ip, kRealm, user);
    t.record_failure(ip, kRealm, user);
    t.record_failure(ip, kRealm, "alice");
    t.record_success(ip, kRealm, "alice");
    const auto s = t.stats();
    ASSERT_LE(s.ip_counters, 50U);
    ASSERT_LE(s.banned_ips, 50U);
    ASSERT_LE(s.user_counters, 40U);
    ASSERT_LE(s.guarded_users, 40U);
    ASSERT_LE(s.pair_counters, 30U);
    ASSERT_LE(s.banned_pairs, 30U);
  }
  const auto s = t.stats();
  EXPECT_GT(s.live_entries_dropped, 0U);
  EXPECT_EQ(s.banned_ips, 50U);
  // The most recent bans survive the pressure.
  EXPECT_TRUE(t.is_banned("10.0.19.135", kRealm, "anyone"));  // i = 4999
  EXPECT_FALSE(t.is_banned("10.0.0.0", kRealm, "anyone"));    // the first, long dropped
}

TEST(AuthThrottle, StrikesUnderGuardCountForTheWholeGuard) {
  ManualClock clock;
  AuthThrottleOptions o = small_limits();
  o.max_failures_per_ip = 1000;
  AuthThrottle t(clock, o);
  for (int i = 0; i < 5; ++i) t.record_failure("192.0.2." + std::to_string(i), kRealm, "alice");
  // A patient guesser spacing failures past user_window is still caught within the guard.
  t.record_failure("198.51.100.1", kRealm, "alice");
  clock.advance(seconds(200));
  EXPECT_FALSE(t.is_banned("198.51.100.1", kRealm, "alice"));
  t.record_failure("198.51.100.1", kRealm, "alice");
  EXPECT_TRUE(t.is_banned("198.51.100.1", kRealm, "alice"));
}

TEST(AuthThrottle, BookkeepingStaysBoundedWhenEntriesChurn) {
  ManualClock clock;
  AuthThrottleOptions o = small_limits();
  o.max_failures_per_ip = 1000000;
  o.max_failures_per_source_while_guarded = 1000000;
  o.max_tracked_pairs = 30;
  AuthThrottle t(clock, o);
  for (int i = 0; i < 5; ++i) t.record_failure("192.0.2." + std::to_string(i), kRealm, "alice");
  // Strike, success, strike ... all within one instant: each creates a pair counter anew.
  for (int i = 0; i < 20000; ++i) {
    t.record_failure("198.51.100.1", kRealm, "alice");
    t.record_success("198.51.100.1", kRealm, "alice");
  }
  EXPECT_LE(t.stats().expiry_records, 2U * 30 + 16 + 10);
  EXPECT_EQ(t.stats().pair_counters, 1U);  // the strike of the failure that started the guard
}

TEST(AuthThrottle, HugeNamesAreClipped) {
  ManualClock clock;
  AuthThrottle t(clock, small_limits());
  const std::string huge(100000, 'x');
  fail_times(t, huge, kRealm, 3);
  EXPECT_TRUE(t.is_banned(huge, kRealm, "alice"));
  EXPECT_TRUE(t.is_banned(huge.substr(0, 64), kRealm, "alice"));
}

TEST(AuthThrottle, LogsBanStartAndEndAtWarn) {
  auto previous = spdlog::default_logger();
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_st>(out);
  auto logger = std::make_shared<spdlog::logger>("throttle-test", sink);
  logger->set_pattern("%l %v");
  spdlog::set_default_logger(logger);

  ManualClock clock;
  AuthThrottleOptions o = small_limits();
  o.max_failures_per_user = 3;
  AuthThrottle t(clock, o);
  fail_times(t, "192.0.2.1", "al\nice", 3);
  clock.advance(seconds(301));
  EXPECT_FALSE(t.is_banned("192.0.2.1", kRealm, "alice"));
  spdlog::set_default_logger(previous);

  const std::string log = out.str();
  EXPECT_NE(log.find("warning auth ban started: source 192.0.2.1 for 300 s after 3 failures"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("warning auth ban lifted: source 192.0.2.1"), std::string::npos) << log;
  EXPECT_NE(log.find("warning auth guard started: user al?ice@example.com"), std::string::npos)
      << log;
  EXPECT_NE(log.find("warning auth guard lifted: user al?ice@example.com"), std::string::npos)
      << log;
  EXPECT_EQ(log.find("al\nice"), std::string::npos);  // control characters never reach the log
}

}  // namespace
}  // namespace parley::sip
