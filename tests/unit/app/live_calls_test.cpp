// LiveCalls: calls appear when the B2BUA reports them ringing, turn answered, leave when over,
// stay per tenant, and every report still reaches the presence hub behind it.

#include "app/live_calls.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "sip/presence_hub.hpp"

namespace parley::app {
namespace {

// The two reports the B2BUA makes for one call at one phase (sip/b2bua_call_state.cpp).
void report(sip::CallStateListener& listener, store::TenantId tenant, const std::string& tag,
            const std::string& caller, const std::string& callee, sip::CallPhase phase) {
  sip::ExtensionCallState state;
  state.tenant = tenant;
  state.phase = phase;
  state.extension = caller;
  state.dialog_id = tag + "-i";
  state.direction = sip::CallDirection::kInitiator;
  state.call_id = "call-" + tag;
  state.remote_party = callee;
  listener.on_call_state(state);
  state.extension = callee;
  state.dialog_id = tag + "-r";
  state.direction = sip::CallDirection::kRecipient;
  state.remote_party = caller;
  listener.on_call_state(state);
}

TEST(LiveCalls, FollowsACallFromRingingToOver) {
  sip::PresenceHub hub;
  store::UnixMillis now = 1000;
  LiveCalls live(hub, [&now] { return now; });
  const std::uint64_t before = live.version();

  report(live, 1, "abc", "1001", "1002", sip::CallPhase::kRinging);
  auto calls = live.list(1);
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].id, "abc");
  EXPECT_EQ(calls[0].caller, "1001");
  EXPECT_EQ(calls[0].callee, "1002");
  EXPECT_EQ(calls[0].call_id, "call-abc");
  EXPECT_FALSE(calls[0].answered);
  EXPECT_EQ(calls[0].started_ms, 1000);
  EXPECT_NE(live.version(), before);
  EXPECT_EQ(live.counts()[1].ringing, 1u);
  // The hub behind it saw both extensions' dialogs.
  EXPECT_EQ(hub.snapshot(sip::PresenceHub::key(1, "1001")).dialogs.size(), 1u);
  EXPECT_EQ(hub.snapshot(sip::PresenceHub::key(1, "1002")).dialogs.size(), 1u);

  now = 4000;
  report(live, 1, "abc", "1001", "1002", sip::CallPhase::kConfirmed);
  calls = live.list(1);
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_TRUE(calls[0].answered);
  EXPECT_EQ(calls[0].started_ms, 1000);
  EXPECT_EQ(calls[0].answered_ms, 4000);
  EXPECT_EQ(live.counts()[1].answered, 1u);
  EXPECT_EQ(live.counts()[1].ringing, 0u);

  const std::uint64_t answered = live.version();
  report(live, 1, "abc", "1001", "1002", sip::CallPhase::kTerminated);
  EXPECT_TRUE(live.list(1).empty());
  EXPECT_TRUE(live.counts().empty());
  EXPECT_NE(live.version(), answered);
  EXPECT_TRUE(hub.snapshot(sip::PresenceHub::key(1, "1001")).dialogs.empty());
  // A second end report (a call ended twice) changes nothing.
  const std::uint64_t over = live.version();
  report(live, 1, "abc", "1001", "1002", sip::CallPhase::kTerminated);
  EXPECT_EQ(live.version(), over);
}

TEST(LiveCalls, KeepsTenantsApart) {
  sip::PresenceHub hub;
  LiveCalls live(hub);
  report(live, 1, "one", "1001", "1002", sip::CallPhase::kRinging);
  report(live, 2, "two", "1001", "1002", sip::CallPhase::kConfirmed);
  ASSERT_EQ(live.list(1).size(), 1u);
  EXPECT_EQ(live.list(1)[0].id, "one");
  ASSERT_EQ(live.list(2).size(), 1u);
  EXPECT_EQ(live.list(2)[0].id, "two");
  EXPECT_TRUE(live.list(3).empty());
  EXPECT_TRUE(live.find(1, "one").has_value());
  EXPECT_FALSE(live.find(2, "one").has_value()) << "another tenant's call must not be found";
  const auto counts = live.counts();
  EXPECT_EQ(counts.at(1).ringing, 1u);
  EXPECT_EQ(counts.at(2).answered, 1u);
}

TEST(LiveCalls, ManyWorkersReportingAtOnce) {
  sip::PresenceHub hub;
  LiveCalls live(hub);
  constexpr int kThreads = 4;
  constexpr int kCalls = 200;
  std::vector<std::thread> workers;
  for (int t = 0; t < kThreads; ++t) {
    workers.emplace_back([&live, t] {
      for (int i = 0; i < kCalls; ++i) {
        const std::string tag = std::to_string(t) + "x" + std::to_string(i);
        report(live, 1, tag, "1001", "1002", sip::CallPhase::kRinging);
        report(live, 1, tag, "1001", "1002", sip::CallPhase::kConfirmed);
        if (i % 2 == 0) report(live, 1, tag, "1001", "1002", sip::CallPhase::kTerminated);
      }
    });
  }
  for (auto& worker : workers) worker.join();
  EXPECT_EQ(live.list(1).size(), static_cast<std::size_t>(kThreads * kCalls / 2));
  EXPECT_EQ(live.counts().at(1).answered, static_cast<std::size_t>(kThreads * kCalls / 2));
}

}  // namespace
}  // namespace parley::app
