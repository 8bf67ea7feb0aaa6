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

  center_.answered(tenant_, "700", *joined.caller);
  EXPECT_EQ(center_.waiting(tenant_, "700"), 0u);
  EXPECT_EQ(center_.stats(tenant_, "700")->answered, 1u);
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

}  // namespace
}  // namespace parley::app
