#include "sip/presence_hub.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace parley::sip {
namespace {

ExtensionCallState state(std::string extension, std::string id, CallPhase phase,
                         CallDirection direction = CallDirection::kRecipient) {
  ExtensionCallState s;
  s.tenant = 1;
  s.extension = std::move(extension);
  s.dialog_id = std::move(id);
  s.phase = phase;
  s.direction = direction;
  s.remote_party = "1002";
  return s;
}

TEST(PresenceHub, TracksDialogsFromRingingToTerminated) {
  PresenceHub hub;
  const std::string key = PresenceHub::key(1, "1001");
  hub.on_call_state(state("1001", "d1", CallPhase::kRinging));
  auto snapshot = hub.snapshot(key);
  ASSERT_EQ(snapshot.dialogs.size(), 1U);
  EXPECT_EQ(snapshot.dialogs[0].phase, CallPhase::kRinging);
  EXPECT_EQ(snapshot.dialogs[0].remote_party, "1002");
  EXPECT_TRUE(snapshot.dialogs[0].call_id.empty());

  auto confirmed = state("1001", "d1", CallPhase::kConfirmed);
  confirmed.call_id = "c@h";
  confirmed.local_tag = "l";
  confirmed.remote_tag = "r";
  hub.on_call_state(confirmed);
  snapshot = hub.snapshot(key);
  ASSERT_EQ(snapshot.dialogs.size(), 1U);
  EXPECT_EQ(snapshot.dialogs[0].phase, CallPhase::kConfirmed);
  EXPECT_EQ(snapshot.dialogs[0].call_id, "c@h");
  EXPECT_EQ(hub.busy_extension_count(), 1U);

  hub.on_call_state(state("1001", "d1", CallPhase::kTerminated));
  EXPECT_TRUE(hub.snapshot(key).dialogs.empty());
  EXPECT_EQ(hub.busy_extension_count(), 0U);
}

TEST(PresenceHub, WakesOnlyWatchingWorkersOncePerDrain) {
  PresenceHub hub;
  int wakes0 = 0;
  int wakes1 = 0;
  hub.attach_worker(0, [&] { ++wakes0; });
  hub.attach_worker(1, [&] { ++wakes1; });
  const std::string key = PresenceHub::key(1, "1001");
  hub.watch(1, key);

  hub.on_call_state(state("1001", "d1", CallPhase::kRinging));
  hub.on_call_state(state("1001", "d1", CallPhase::kConfirmed));
  hub.on_call_state(state("1002", "d2", CallPhase::kRinging));  // nobody watches 1002
  EXPECT_EQ(wakes0, 0);
  EXPECT_EQ(wakes1, 1);
  const auto dirty = hub.take_dirty(1);
  ASSERT_EQ(dirty.size(), 1U);
  EXPECT_EQ(dirty[0], key);
  EXPECT_TRUE(hub.take_dirty(0).empty());

  hub.on_call_state(state("1001", "d1", CallPhase::kTerminated));
  EXPECT_EQ(wakes1, 2);  // drained, so the next change wakes again
  hub.unwatch(1, key);
  hub.take_dirty(1);
  hub.on_call_state(state("1001", "d3", CallPhase::kRinging));
  EXPECT_EQ(wakes1, 2);
}

TEST(PresenceHub, DoNotDisturbIsAStateChange) {
  PresenceHub hub;
  int wakes = 0;
  hub.attach_worker(0, [&] { ++wakes; });
  const std::string key = PresenceHub::key(1, "1001");
  hub.watch(0, key);
  hub.set_do_not_disturb(1, "1001", true);
  EXPECT_TRUE(hub.snapshot(key).do_not_disturb);
  EXPECT_EQ(wakes, 1);
  hub.take_dirty(0);
  hub.set_do_not_disturb(1, "1001", true);  // no change, no wake
  EXPECT_EQ(wakes, 1);
  hub.set_do_not_disturb(1, "1001", false);
  EXPECT_FALSE(hub.snapshot(key).do_not_disturb);
  EXPECT_EQ(wakes, 2);
}

TEST(PresenceHub, MessageCountsWakeWatchersOnlyWhenTheyChange) {
  PresenceHub hub;
  int wakes = 0;
  hub.attach_worker(0, [&] { ++wakes; });
  const std::string box = PresenceHub::key(1, "1002");
  const std::string other = PresenceHub::key(1, "1003");
  hub.watch(0, box);
  EXPECT_EQ(hub.snapshot(box).messages, (MessageCounts{0, 0}));
  hub.replace_message_counts({{box, MessageCounts{1, 0}}, {other, MessageCounts{4, 2}}});
  EXPECT_EQ(hub.snapshot(box).messages, (MessageCounts{1, 0}));
  EXPECT_EQ(hub.snapshot(other).messages, (MessageCounts{4, 2})) << "kept while unwatched";
  EXPECT_EQ(wakes, 1);
  EXPECT_EQ(hub.take_dirty(0), std::vector<std::string>{box}) << "only the watched box";
  hub.replace_message_counts({{box, MessageCounts{1, 0}}});  // 1002 unchanged, 1003 emptied
  EXPECT_EQ(wakes, 1);
  EXPECT_EQ(hub.snapshot(other).messages, (MessageCounts{0, 0}));
  hub.replace_message_counts({});  // the last message of 1002 removed
  EXPECT_EQ(wakes, 2);
  EXPECT_EQ(hub.snapshot(box).messages, (MessageCounts{0, 0}));
}

TEST(PresenceHub, CapsPerDeviceAndPerTenant) {
  PresenceHub hub(
      PresenceHubOptions{.max_subscriptions_per_device = 2, .max_subscriptions_per_tenant = 3});
  EXPECT_EQ(hub.admit(1, "phone-a"), SubscriptionAdmission::kAdmitted);
  EXPECT_EQ(hub.admit(1, "phone-a"), SubscriptionAdmission::kAdmitted);
  EXPECT_EQ(hub.admit(1, "phone-a"), SubscriptionAdmission::kDeviceFull);
  EXPECT_EQ(hub.admit(1, "phone-b"), SubscriptionAdmission::kAdmitted);
  EXPECT_EQ(hub.admit(1, "phone-c"), SubscriptionAdmission::kTenantFull);
  EXPECT_EQ(hub.admit(2, "phone-c"), SubscriptionAdmission::kAdmitted);  // another tenant
  EXPECT_EQ(hub.subscription_count(), 4U);
  hub.release(1, "phone-a");
  EXPECT_EQ(hub.admit(1, "phone-c"), SubscriptionAdmission::kAdmitted);
  EXPECT_EQ(hub.subscription_count(), 4U);
}

TEST(PresenceHub, ConcurrentReportsAndReadsAreSafe) {
  PresenceHub hub;
  std::atomic<int> wakes{0};
  hub.attach_worker(0, [&] { ++wakes; });
  hub.watch(0, PresenceHub::key(1, "1001"));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&hub, t] {
      for (int i = 0; i < 500; ++i) {
        const std::string id = std::to_string(t) + "-" + std::to_string(i);
        hub.on_call_state(state("1001", id, CallPhase::kRinging));
        hub.on_call_state(state("1001", id, CallPhase::kTerminated));
      }
    });
  }
  for (int i = 0; i < 500; ++i) {
    (void)hub.snapshot(PresenceHub::key(1, "1001"));
    (void)hub.take_dirty(0);
  }
  for (auto& thread : threads) thread.join();
  EXPECT_TRUE(hub.snapshot(PresenceHub::key(1, "1001")).dialogs.empty());
  EXPECT_GE(wakes.load(), 1);
}

}  // namespace
}  // namespace parley::sip
