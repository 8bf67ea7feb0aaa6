// ConferenceRoster (decision 0034) with a real worker pool: participants listed in join order
// per room, mute through the seat, a moderator's mute-all sparing moderators, removal posted to
// the participant's worker (and nothing done when its session is already gone).

#include "app/conference_roster.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <string>
#include <vector>

#include "net/worker_pool.hpp"

namespace parley::app {
namespace {

using namespace std::chrono_literals;
using http::api::ParticipantOutcome;

class Recorder final : public ConferenceRoster::Removable {
 public:
  void remove_from_room(std::string_view why) override {
    reasons.emplace_back(why);
    removed.set_value();
  }
  std::vector<std::string> reasons;
  std::promise<void> removed;
};

class ConferenceRosterTest : public ::testing::Test {
 protected:
  void SetUp() override { pool_.start(); }
  void TearDown() override { pool_.shutdown(200ms); }

  std::shared_ptr<ConferenceRoster::Entry> join(const std::string& room, const std::string& caller,
                                                bool moderator, Recorder* session = nullptr) {
    auto entry = std::make_shared<ConferenceRoster::Entry>();
    entry->tenant = 1;
    entry->room = room;
    entry->caller = caller;
    entry->seat = std::make_shared<media::ConferenceSeat>("1:" + room, 0);
    entry->worker = 1;
    entry->moderator = moderator;
    entry->session = session;
    roster_.add(entry);
    return entry;
  }

  // Waits until everything posted to worker 1 so far has run.
  void settle() {
    std::promise<void> done;
    pool_.post(1, [&] { done.set_value(); });
    ASSERT_EQ(done.get_future().wait_for(5s), std::future_status::ready);
  }

  net::WorkerPool pool_{2};
  ConferenceRoster roster_{pool_};
};

TEST_F(ConferenceRosterTest, ListsMutesAndScopesByRoom) {
  auto alice = join("800", "1001", true);
  auto bob = join("800", "1002", false);
  auto carol = join("801", "1003", false);
  EXPECT_NE(alice->id, bob->id);

  const auto people = roster_.participants(1, "800");
  ASSERT_EQ(people.size(), 2U);
  EXPECT_EQ(people[0].caller, "1001");
  EXPECT_TRUE(people[0].moderator);
  EXPECT_EQ(people[1].caller, "1002");
  EXPECT_FALSE(people[1].muted);
  EXPECT_TRUE(roster_.participants(2, "800").empty());  // another tenant

  EXPECT_EQ(roster_.set_muted(1, "800", bob->id, true), ParticipantOutcome::kDone);
  EXPECT_TRUE(bob->seat->muted());
  EXPECT_TRUE(roster_.participants(1, "800")[1].muted);
  EXPECT_EQ(roster_.set_muted(1, "800", carol->id, true), ParticipantOutcome::kNotFound);
  EXPECT_EQ(roster_.set_muted(1, "800", "nobody", true), ParticipantOutcome::kNotFound);
  EXPECT_FALSE(carol->seat->muted());
  EXPECT_EQ(roster_.set_muted(1, "800", bob->id, false), ParticipantOutcome::kDone);
  EXPECT_FALSE(bob->seat->muted());

  roster_.remove_entry(bob->id);
  EXPECT_EQ(roster_.participants(1, "800").size(), 1U);
  EXPECT_EQ(roster_.set_muted(1, "800", bob->id, true), ParticipantOutcome::kNotFound);
}

TEST_F(ConferenceRosterTest, ModeratorMuteAllSparesModerators) {
  auto moderator = join("800", "1001", true);
  auto bob = join("800", "1002", false);
  auto carol = join("800", "1003", false);
  auto elsewhere = join("801", "1004", false);
  EXPECT_EQ(roster_.set_others_muted(1, "800", true), 2U);
  EXPECT_FALSE(moderator->seat->muted());
  EXPECT_TRUE(bob->seat->muted());
  EXPECT_TRUE(carol->seat->muted());
  EXPECT_FALSE(elsewhere->seat->muted());
  EXPECT_EQ(roster_.set_others_muted(1, "800", true), 0U);
  EXPECT_EQ(roster_.set_others_muted(1, "800", false), 2U);
  EXPECT_FALSE(bob->seat->muted());
}

TEST_F(ConferenceRosterTest, RemovalRunsOnTheParticipantsWorker) {
  Recorder bob_session;
  Recorder carol_session;
  auto moderator = join("800", "1001", true);
  auto bob = join("800", "1002", false, &bob_session);
  auto carol = join("800", "1003", false, &carol_session);

  EXPECT_EQ(roster_.remove(1, "800", bob->id), ParticipantOutcome::kDone);
  ASSERT_EQ(bob_session.removed.get_future().wait_for(5s), std::future_status::ready);
  EXPECT_EQ(bob_session.reasons, std::vector<std::string>{"removed through the API"});
  EXPECT_EQ(roster_.remove(1, "801", carol->id), ParticipantOutcome::kNotFound);

  // The last to join who is not a moderator: carol.
  EXPECT_TRUE(roster_.remove_last(1, "800"));
  ASSERT_EQ(carol_session.removed.get_future().wait_for(5s), std::future_status::ready);
  EXPECT_TRUE(carol_session.reasons.size() == 1U);
  EXPECT_FALSE(roster_.remove_last(1, "802"));
}

TEST_F(ConferenceRosterTest, RemovalOfAGoneSessionDoesNothing) {
  auto bob = join("800", "1002", false);  // no session: it already went
  EXPECT_EQ(roster_.remove(1, "800", bob->id), ParticipantOutcome::kDone);
  settle();  // nothing to crash on; the call's own hang-up unregisters it
  EXPECT_EQ(roster_.participants(1, "800").size(), 1U);
}

}  // namespace
}  // namespace parley::app
