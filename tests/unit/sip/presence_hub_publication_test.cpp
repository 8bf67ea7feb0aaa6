// What users say about themselves in the PresenceHub: RFC 3903 publications and the state chosen
// in the web client, and the store's do-not-disturb set.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "sip/presence_hub.hpp"

namespace parley::sip {
namespace {

using std::chrono::seconds;

const TimePoint kStart{seconds(1000)};

struct Watched {
  PresenceHub hub;
  std::string key = PresenceHub::key(1, "1001");
  int wakes = 0;
  int changes = 0;
  Watched() {
    hub.attach_worker(0, [this] { ++wakes; });
    hub.set_change_listener([this] { ++changes; });
    hub.watch(0, key);
  }
  // Whether the worker was woken for `key` since the last call.
  bool dirty() {
    const auto keys = hub.take_dirty(0);
    return keys.size() == 1 && keys[0] == key;
  }
};

TEST(PresenceHubPublications, LatestPublicationWinsAndExpiryRevealsTheNextOne) {
  Watched w;
  w.hub.add_publication(w.key, {"e1", {UserState::kAway, "lunch"}, kStart + seconds(60)});
  EXPECT_TRUE(w.dirty());
  EXPECT_EQ(w.hub.snapshot(w.key).user, (UserPresence{UserState::kAway, "lunch"}));

  w.hub.add_publication(w.key, {"e2", {UserState::kBusy, {}}, kStart + seconds(120)});
  EXPECT_TRUE(w.dirty());
  EXPECT_EQ(w.hub.snapshot(w.key).user.state, UserState::kBusy);

  w.hub.expire_publications(w.key, kStart + seconds(59));  // nothing due yet
  EXPECT_FALSE(w.dirty());
  w.hub.expire_publications(w.key, kStart + seconds(121));
  EXPECT_TRUE(w.dirty());
  EXPECT_EQ(w.hub.snapshot(w.key).user, UserPresence{});
  EXPECT_EQ(w.changes, 3);
}

TEST(PresenceHubPublications, RefreshKeepsTheStateModifyChangesItAndOldTagsDie) {
  Watched w;
  w.hub.add_publication(w.key, {"e1", {UserState::kAway, "lunch"}, kStart + seconds(60)});
  ASSERT_TRUE(w.dirty());

  // Refresh: new tag and expiry, same state, nobody woken.
  EXPECT_TRUE(w.hub.update_publication(w.key, "e1", {"e2", {}, kStart + seconds(600)}, false));
  EXPECT_FALSE(w.dirty());
  EXPECT_EQ(w.hub.snapshot(w.key).user, (UserPresence{UserState::kAway, "lunch"}));
  EXPECT_FALSE(w.hub.update_publication(w.key, "e1", {"e3", {}, kStart}, false));  // stale tag

  // The refreshed one outlives its first expiry.
  w.hub.expire_publications(w.key, kStart + seconds(61));
  EXPECT_EQ(w.hub.snapshot(w.key).user.state, UserState::kAway);

  // Modify.
  EXPECT_TRUE(
      w.hub.update_publication(w.key, "e2", {"e3", {UserState::kOffline, {}}, kStart}, true));
  EXPECT_TRUE(w.dirty());
  EXPECT_EQ(w.hub.snapshot(w.key).user.state, UserState::kOffline);

  EXPECT_FALSE(w.hub.remove_publication(w.key, "e2"));
  EXPECT_TRUE(w.hub.remove_publication(w.key, "e3"));
  EXPECT_TRUE(w.dirty());
  EXPECT_EQ(w.hub.snapshot(w.key).user, UserPresence{});
  EXPECT_FALSE(w.hub.update_publication(PresenceHub::key(1, "1002"), "e3", {}, false));
}

TEST(PresenceHubPublications, ChosenStateIsTheFallbackAndTheLatestWhenSet) {
  Watched w;
  w.hub.set_chosen_presence(w.key, {UserState::kBusy, "focus"});
  EXPECT_TRUE(w.dirty());
  EXPECT_EQ(w.hub.snapshot(w.key).user.state, UserState::kBusy);

  w.hub.add_publication(w.key, {"e1", {UserState::kAway, {}}, kStart + seconds(60)});
  EXPECT_EQ(w.hub.snapshot(w.key).user.state, UserState::kAway);  // newer
  w.hub.set_chosen_presence(w.key, {UserState::kAvailable, {}});
  EXPECT_EQ(w.hub.snapshot(w.key).user.state, UserState::kAvailable);  // newer again
  w.hub.set_chosen_presence(w.key, {UserState::kBusy, "x"});
  EXPECT_TRUE(w.hub.remove_publication(w.key, "e1"));
  EXPECT_EQ(w.hub.snapshot(w.key).user, (UserPresence{UserState::kBusy, "x"}));
}

TEST(PresenceHubPublications, OldestPublicationGoesPastTheCap) {
  PresenceHub hub;
  const std::string key = PresenceHub::key(1, "1001");
  for (std::size_t i = 0; i <= PresenceHub::kMaxPublications; ++i) {
    hub.add_publication(key, {"e" + std::to_string(i), {}, kStart + seconds(60)});
  }
  EXPECT_FALSE(hub.remove_publication(key, "e0"));
  EXPECT_TRUE(hub.remove_publication(key, "e1"));
}

TEST(PresenceHubPublications, UnwatchedExtensionsKeepTheirPublicationsUntilGone) {
  PresenceHub hub;
  const std::string key = PresenceHub::key(1, "1001");
  hub.add_publication(key, {"e1", {UserState::kAway, {}}, kStart + seconds(60)});
  EXPECT_EQ(hub.snapshot(key).user.state, UserState::kAway);
  hub.expire_publications(key, kStart + seconds(60));
  EXPECT_EQ(hub.snapshot(key).user, UserPresence{});
}

TEST(PresenceHubDoNotDisturb, ReplaceMarksOnlyWhatMoved) {
  Watched w;
  const std::string other = PresenceHub::key(1, "1002");
  w.hub.replace_do_not_disturb({w.key, other});
  EXPECT_TRUE(w.dirty());
  EXPECT_TRUE(w.hub.snapshot(w.key).do_not_disturb);
  EXPECT_TRUE(w.hub.snapshot(other).do_not_disturb);

  w.hub.replace_do_not_disturb({w.key, other});  // no change: no wake, no listener
  EXPECT_FALSE(w.dirty());
  const int changes = w.changes;
  w.hub.replace_do_not_disturb({w.key});
  EXPECT_FALSE(w.dirty());  // 1002 moved, and nobody watches it here
  EXPECT_FALSE(w.hub.snapshot(other).do_not_disturb);
  EXPECT_EQ(w.changes, changes + 1);

  w.hub.replace_do_not_disturb({});
  EXPECT_TRUE(w.dirty());
  EXPECT_FALSE(w.hub.snapshot(w.key).do_not_disturb);
}

}  // namespace
}  // namespace parley::sip
