// QueueCenter against the real SQLite store: routing a queue caller's offer to its agents,
// reloads that keep waiting callers, removal, full queues and their fallback, busy agents.

#include "app/queue_center.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>

#include "store/sqlite/sqlite_store.hpp"
#include "support/temp_dir.hpp"

namespace parley::app {
namespace {

using std::chrono::seconds;

const std::string kSha256(64, 'a');

class QueueCenterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store::sqlite::SqliteStoreOptions options;
    options.data_dir = dir_.path() / "data";
    auto opened = store::sqlite::SqliteStore::open(std::move(options));
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    store_ = std::move(opened).value();
    auto tenant = store_->add_tenant(store::NewTenant{"example.com", "Example", false});
    ASSERT_TRUE(tenant.ok());
    tenant_ = tenant->id;
    for (const char* number : {"1001", "1002", "1003"}) {
      ASSERT_TRUE(store_->add_extension(store::NewExtension{tenant_, number, "", {"", kSha256}}));
    }
    store::CallQueueConfig queue;
    queue.tenant_id = tenant_;
    queue.number = "700";
    queue.ring_timeout_s = 12;
    queue.max_callers = 2;
    queue.max_wait_s = 60;
    queue.fallback = "voicemail:1003";
    queue.members = {"1002", "1003"};
    ASSERT_TRUE(store_->add_call_queue(queue).ok());
    ASSERT_TRUE(center_.reload(*store_).ok());
  }

  test::TempDir dir_;
  std::unique_ptr<store::sqlite::SqliteStore> store_;
  store::TenantId tenant_ = 0;
  ManualClock clock_;
  QueueCenter center_{clock_};
  pbx::FixedLiveState live_{{"1002", "1003"}, {}};
};

TEST_F(QueueCenterTest, OfferIsPlannedOnceForItsCallerAndRingsEveryAgent) {
  EXPECT_TRUE(center_.exists(tenant_, "700"));
  EXPECT_EQ(queue_application("700"), "queue:700");
  auto joined = center_.join(tenant_, "700");
  ASSERT_TRUE(joined.caller);
  const QueueStep step = center_.poll(tenant_, "700", *joined.caller, live_);
  ASSERT_EQ(step.kind, QueueStep::Kind::kRing);
  EXPECT_EQ(step.agents, (std::vector<std::string>{"1002", "1003"}));

  EXPECT_FALSE(center_.offer_plan(tenant_, "1001", "1002")) << "not armed yet";
  center_.arm_offer(tenant_, "700", *joined.caller, "1001");
  EXPECT_FALSE(center_.offer_plan(tenant_, "1009", "1002")) << "another caller dialling 1002";
  auto plan = center_.offer_plan(tenant_, "1001", "1002");
  ASSERT_TRUE(plan);
  ASSERT_EQ(plan->stages.size(), 1u);
  EXPECT_EQ(plan->stages[0].extensions, (std::vector<std::string>{"1002", "1003"}));
  EXPECT_EQ(plan->stages[0].timeout, seconds(12));
  EXPECT_FALSE(center_.offer_plan(tenant_, "1001", "1002")) << "planned once";

  center_.answered(tenant_, "700", *joined.caller, "1003");
  EXPECT_EQ(center_.waiting(tenant_, "700"), 0u);
  EXPECT_EQ(center_.stats(tenant_, "700")->answered, 1u);
  EXPECT_EQ(center_.answered_by(tenant_, "700", "1003"), 1u);
  EXPECT_EQ(center_.answered_by(tenant_, "700", "1002"), 0u);
}

TEST_F(QueueCenterTest, RingAllCreditsTheAgentThatAnsweredAndWrapsItUp) {
  auto queues = store_->list_call_queues(tenant_);
  ASSERT_TRUE(queues.ok() && queues->size() == 1u);
  store::CallQueueConfig config = queues->front();
  config.wrap_up_s = 10;
  ASSERT_TRUE(store_->update_call_queue(config).ok());
  ASSERT_TRUE(center_.reload(*store_).ok());

  auto first = center_.join(tenant_, "700");
  QueueStep step = center_.poll(tenant_, "700", *first.caller, live_);
  ASSERT_EQ(step.kind, QueueStep::Kind::kRing);
  EXPECT_EQ(step.agents, (std::vector<std::string>{"1002", "1003"}));
  center_.answered(tenant_, "700", *first.caller, "1003");
  EXPECT_EQ(center_.answered_by(tenant_, "700", "1003"), 1u);
  EXPECT_EQ(center_.answered_by(tenant_, "700", "1002"), 0u);

  auto second = center_.join(tenant_, "700");
  pbx::FixedLiveState on_call({"1002", "1003"}, {"1003"});
  step = center_.poll(tenant_, "700", *second.caller, on_call);
  ASSERT_EQ(step.kind, QueueStep::Kind::kRing);
  EXPECT_EQ(step.agents, (std::vector<std::string>{"1002"}));
  center_.offer_failed(tenant_, "700", *second.caller);

  // 1003 hangs up: its wrap-up keeps it out of the next offers for 10 s.
  step = center_.poll(tenant_, "700", *second.caller, live_);
  ASSERT_EQ(step.kind, QueueStep::Kind::kRing);
  EXPECT_EQ(step.agents, (std::vector<std::string>{"1002"})) << "1003 is in its wrap-up";
  center_.offer_failed(tenant_, "700", *second.caller);
  clock_.advance(seconds(10));
  step = center_.poll(tenant_, "700", *second.caller, live_);
  ASSERT_EQ(step.kind, QueueStep::Kind::kRing);
  EXPECT_EQ(step.agents, (std::vector<std::string>{"1002", "1003"}));
}

TEST_F(QueueCenterTest, AnAnswerBySomeoneOutsideTheOfferCreditsNobody) {
  auto joined = center_.join(tenant_, "700");
  ASSERT_EQ(center_.poll(tenant_, "700", *joined.caller, live_).kind, QueueStep::Kind::kRing);
  center_.answered(tenant_, "700", *joined.caller, "1001");
  EXPECT_EQ(center_.stats(tenant_, "700")->answered, 1u);
  EXPECT_EQ(center_.answered_by(tenant_, "700", "1001"), 0u);
  EXPECT_EQ(center_.answered_by(tenant_, "700", "1002"), 0u);
  EXPECT_EQ(center_.answered_by(tenant_, "700", "1003"), 0u);
}

TEST_F(QueueCenterTest, BusyAgentsAreNotRungAndUnansweredOffersComeBack) {
  auto joined = center_.join(tenant_, "700");
  pbx::FixedLiveState busy({"1002", "1003"}, {"1002"});
  QueueStep step = center_.poll(tenant_, "700", *joined.caller, busy);
  ASSERT_EQ(step.kind, QueueStep::Kind::kRing);
  EXPECT_EQ(step.agents, (std::vector<std::string>{"1003"}));
  EXPECT_EQ(center_.poll(tenant_, "700", *joined.caller, busy).kind, QueueStep::Kind::kWait);
  center_.offer_failed(tenant_, "700", *joined.caller);
  step = center_.poll(tenant_, "700", *joined.caller, live_);
  EXPECT_EQ(step.kind, QueueStep::Kind::kRing);
}

TEST_F(QueueCenterTest, FullQueueAndMaxWaitSendCallersToTheFallback) {
  auto first = center_.join(tenant_, "700");
  auto second = center_.join(tenant_, "700");
  ASSERT_TRUE(first.caller && second.caller);
  auto third = center_.join(tenant_, "700");
  EXPECT_FALSE(third.caller);
  EXPECT_EQ(third.fallback, "voicemail:1003");

  pbx::FixedLiveState nobody;
  EXPECT_EQ(center_.poll(tenant_, "700", *second.caller, nobody).position, 2u);
  clock_.advance(seconds(60));
  const QueueStep step = center_.poll(tenant_, "700", *second.caller, nobody);
  EXPECT_EQ(step.kind, QueueStep::Kind::kFallback);
  EXPECT_EQ(step.fallback, "voicemail:1003");
  EXPECT_EQ(center_.stats(tenant_, "700")->timed_out, 2u);
}

TEST_F(QueueCenterTest, ReloadKeepsCallersAndRemovalLetsThemGo) {
  auto joined = center_.join(tenant_, "700");
  ASSERT_TRUE(store_->set_call_queue_members(tenant_, "700", {"1003"}).ok());
  ASSERT_TRUE(center_.reload(*store_).ok());
  EXPECT_EQ(center_.waiting(tenant_, "700"), 1u);
  const QueueStep step = center_.poll(tenant_, "700", *joined.caller, live_);
  ASSERT_EQ(step.kind, QueueStep::Kind::kRing);
  EXPECT_EQ(step.agents, (std::vector<std::string>{"1003"}));

  ASSERT_TRUE(store_->remove_call_queue(tenant_, "700").ok());
  ASSERT_TRUE(center_.reload(*store_).ok());
  EXPECT_FALSE(center_.exists(tenant_, "700"));
  EXPECT_EQ(center_.poll(tenant_, "700", *joined.caller, live_).kind, QueueStep::Kind::kGone);
  EXPECT_FALSE(center_.join(tenant_, "700").caller);
}

TEST_F(QueueCenterTest, AbandonedCallerIsCounted) {
  auto joined = center_.join(tenant_, "700");
  center_.leave(tenant_, "700", *joined.caller);
  EXPECT_EQ(center_.stats(tenant_, "700")->abandoned, 1u);
  EXPECT_EQ(center_.waiting(tenant_, "700"), 0u);
}

TEST_F(QueueCenterTest, WaitingCallersAreToldTheAnnounceInterval) {
  auto joined = center_.join(tenant_, "700");
  pbx::FixedLiveState nobody;
  QueueStep step = center_.poll(tenant_, "700", *joined.caller, nobody);
  ASSERT_EQ(step.kind, QueueStep::Kind::kWait);
  EXPECT_EQ(step.position, 1u);
  EXPECT_EQ(step.announce_interval, seconds(30)) << "the default";

  auto queues = store_->list_call_queues(tenant_);
  ASSERT_TRUE(queues.ok() && queues->size() == 1u);
  store::CallQueueConfig config = queues->front();
  config.announce_s = 0;
  ASSERT_TRUE(store_->update_call_queue(config).ok());
  ASSERT_TRUE(center_.reload(*store_).ok());
  step = center_.poll(tenant_, "700", *joined.caller, nobody);
  ASSERT_EQ(step.kind, QueueStep::Kind::kWait);
  EXPECT_EQ(step.announce_interval, seconds(0)) << "0 = no announcements";
}

TEST(QueueAnnouncementTest, SpeaksThePositionDigitByDigitWithStandardPrompts) {
  using Keys = std::vector<std::string_view>;
  EXPECT_EQ(queue_announcement_prompts(1), (Keys{"queue_position", "digit_1"}));
  EXPECT_EQ(queue_announcement_prompts(10), (Keys{"queue_position", "digit_1", "digit_0"}));
  EXPECT_EQ(queue_announcement_prompts(307),
            (Keys{"queue_position", "digit_3", "digit_0", "digit_7"}));
  for (const std::string_view key : queue_announcement_prompts(1234567890)) {
    EXPECT_FALSE(media::standard_prompt_text(key).empty()) << key;
  }
}

// The announcement prompts are synthesised (espeak-ng, for real) by the first reload that finds
// an announcing queue, and not at all while no queue announces.
TEST_F(QueueCenterTest, PromptsAreMadeOnlyWhenSomeQueueAnnounces) {
  auto quiet_library = media::PromptLibrary::open(dir_.path() / "quiet-prompts");
  ASSERT_TRUE(quiet_library.ok());
  auto queues = store_->list_call_queues(tenant_);
  ASSERT_TRUE(queues.ok() && queues->size() == 1u);
  store::CallQueueConfig config = queues->front();
  config.announce_s = 0;
  ASSERT_TRUE(store_->update_call_queue(config).ok());
  QueueCenter quiet(clock_, quiet_library->get());
  ASSERT_TRUE(quiet.reload(*store_).ok());
  EXPECT_EQ((*quiet_library)->standard("queue_position"), nullptr);

  auto library = media::PromptLibrary::open(dir_.path() / "prompts");
  ASSERT_TRUE(library.ok());
  config.announce_s = 5;
  ASSERT_TRUE(store_->update_call_queue(config).ok());
  QueueCenter announcing(clock_, library->get());
  ASSERT_TRUE(announcing.reload(*store_).ok());
  for (const std::string_view key : queue_announcement_prompts(1234567890)) {
    auto clip = (*library)->standard(key);
    ASSERT_NE(clip, nullptr) << key;
    EXPECT_GT(clip->seconds(), 0.1) << key;
  }
}

}  // namespace
}  // namespace parley::app
