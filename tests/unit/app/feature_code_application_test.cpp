// Feature codes on calls (decision 0028): what the routing makes of a dialled code, the change
// each code makes in a real SQLite store, and the service that makes it off the worker loop and
// posts the outcome back to the caller's loop.

#include "app/feature_code_application.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <future>

#include "media/prompt_library.hpp"
#include "net/worker_pool.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "support/temp_dir.hpp"

namespace parley::app {
namespace {

using namespace std::chrono_literals;
using pbx::FeatureAction;
using pbx::FeatureCode;
using store::DestinationKind;
using store::ForwardCondition;

TEST(FeatureCodePlan, CallFeatureCodesBecomeTheApplication) {
  for (const char* dialled :
       {"*78", "*79", "*76", "*721003", "*72+4930123#", "*73", "*90600", "*91", "*52101", "*53"}) {
    const auto plan = feature_code_plan(dialled);
    ASSERT_TRUE(plan.has_value()) << dialled;
    EXPECT_EQ(plan->application, std::string("feature:") + dialled);
    EXPECT_EQ(plan->reject_status, 0) << dialled;
  }
}

TEST(FeatureCodePlan, BadAndUnknownCodesAreRefused) {
  for (const char* dialled : {"*72", "*72abc", "*90", "*52x", "**", "**12a"}) {
    const auto plan = feature_code_plan(dialled);
    ASSERT_TRUE(plan.has_value()) << dialled;
    EXPECT_EQ(plan->reject_status, 484) << dialled;
    EXPECT_TRUE(plan->application.empty());
  }
  for (const char* dialled : {"*99", "*", "*780", "*7"}) {
    const auto plan = feature_code_plan(dialled);
    ASSERT_TRUE(plan.has_value()) << dialled;
    EXPECT_EQ(plan->reject_status, 404) << dialled;
  }
}

TEST(FeatureCodePlan, NumbersAndPickupCodesAreNotOurs) {
  for (const char* dialled : {"1001", "", "800", "+4930123", "*8", "**1002"}) {
    EXPECT_FALSE(feature_code_plan(dialled).has_value()) << dialled;
  }
}

TEST(FeatureCodePlan, EveryOutcomeHasASpokenPrompt) {
  for (const auto outcome :
       {FeatureOutcome::kDndOn, FeatureOutcome::kDndOff, FeatureOutcome::kForwardSet,
        FeatureOutcome::kForwardCleared, FeatureOutcome::kFailed}) {
    EXPECT_FALSE(media::standard_prompt_text(prompt_key(outcome)).empty()) << prompt_key(outcome);
  }
}

class ApplyFeatureCodeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store::sqlite::SqliteStoreOptions options;
    options.data_dir = dir_.path();
    auto opened = store::sqlite::SqliteStore::open(options);
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    db_ = std::move(opened).value();
    auto tenant = db_->add_tenant(store::NewTenant{"example.com", "Example", true});
    ASSERT_TRUE(tenant.ok()) << tenant.error().message;
    tenant_ = tenant->id;
    for (const char* number : {"1001", "1002", "1003"}) {
      ASSERT_TRUE(
          db_->add_extension(store::NewExtension{tenant_, number, "", {"", std::string(64, 'b')}})
              .ok());
    }
    store::RingGroup group;
    group.tenant_id = tenant_;
    group.number = "800";
    group.members = {"1002", "1003"};
    ASSERT_TRUE(db_->add_ring_group(group).ok());
  }

  Result<FeatureOutcome> apply(std::string_view dialled, std::string_view extension = "1001") {
    const auto code = pbx::parse_feature_code(dialled);
    EXPECT_TRUE(code.has_value()) << dialled;
    return apply_feature_code(*db_, tenant_, extension, code.value_or(FeatureCode{}));
  }

  // The outcome of a change that must succeed (kFailed, with the store's message, otherwise).
  FeatureOutcome dial(std::string_view dialled) {
    auto applied = apply(dialled);
    EXPECT_TRUE(applied.ok()) << dialled << ": " << applied.error().message;
    return applied.ok() ? *applied : FeatureOutcome::kFailed;
  }

  store::ExtensionCallFeatures features(std::string_view extension = "1001") {
    auto read = db_->get_call_features(tenant_, extension);
    EXPECT_TRUE(read.ok());
    return read.ok() ? *read : store::ExtensionCallFeatures{};
  }

  std::optional<store::CallForward> forward(ForwardCondition condition) {
    for (const auto& rule : features().forwards) {
      if (rule.condition == condition) return rule;
    }
    return std::nullopt;
  }

  test::TempDir dir_;
  std::unique_ptr<store::sqlite::SqliteStore> db_;
  store::TenantId tenant_ = 0;
};

TEST_F(ApplyFeatureCodeTest, DoNotDisturbOnOffAndToggle) {
  EXPECT_EQ(dial("*78"), FeatureOutcome::kDndOn);
  EXPECT_TRUE(features().dnd);
  EXPECT_FALSE(features("1002").dnd) << "only the caller's own extension";
  EXPECT_EQ(dial("*78"), FeatureOutcome::kDndOn) << "twice is still on";
  EXPECT_EQ(dial("*79#"), FeatureOutcome::kDndOff);
  EXPECT_FALSE(features().dnd);
  EXPECT_EQ(dial("*76"), FeatureOutcome::kDndOn);
  EXPECT_TRUE(features().dnd);
  EXPECT_EQ(dial("*76"), FeatureOutcome::kDndOff);
  EXPECT_FALSE(features().dnd);
}

TEST_F(ApplyFeatureCodeTest, ForwardToExtensionRingGroupAndOutsideNumber) {
  EXPECT_EQ(dial("*721003"), FeatureOutcome::kForwardSet);
  auto always = forward(ForwardCondition::kAlways);
  ASSERT_TRUE(always.has_value());
  EXPECT_EQ(always->destination, (store::Destination{DestinationKind::kExtension, "1003"}));

  EXPECT_EQ(dial("*90800"), FeatureOutcome::kForwardSet);
  auto busy = forward(ForwardCondition::kBusy);
  ASSERT_TRUE(busy.has_value());
  EXPECT_EQ(busy->destination, (store::Destination{DestinationKind::kRingGroup, "800"}));

  EXPECT_EQ(dial("*72+4930123456"), FeatureOutcome::kForwardSet);
  EXPECT_EQ(forward(ForwardCondition::kAlways)->destination,
            (store::Destination{DestinationKind::kExternal, "+4930123456"}))
      << "a second *72 replaces the first";
  EXPECT_EQ(dial("*5200491701234567"), FeatureOutcome::kForwardSet);
  EXPECT_EQ(forward(ForwardCondition::kNoAnswer)->destination,
            (store::Destination{DestinationKind::kExternal, "00491701234567"}))
      << "a number that is no extension or group is an outside number";

  EXPECT_EQ(dial("*73"), FeatureOutcome::kForwardCleared);
  EXPECT_FALSE(forward(ForwardCondition::kAlways).has_value());
  EXPECT_TRUE(forward(ForwardCondition::kBusy).has_value()) << "*73 clears only 'always'";
  EXPECT_EQ(dial("*91"), FeatureOutcome::kForwardCleared);
  EXPECT_EQ(dial("*53"), FeatureOutcome::kForwardCleared);
  EXPECT_TRUE(features().forwards.empty());
  EXPECT_EQ(dial("*73"), FeatureOutcome::kForwardCleared)
      << "clearing what is not set still leaves it off";
}

TEST_F(ApplyFeatureCodeTest, NoAnswerKeepsItsRingTime) {
  store::CallForward slow;
  slow.condition = ForwardCondition::kNoAnswer;
  slow.destination = store::Destination{DestinationKind::kExtension, "1002"};
  slow.no_answer_seconds = 45;
  ASSERT_TRUE(db_->set_forward(tenant_, "1001", slow).ok());
  EXPECT_EQ(dial("*521003"), FeatureOutcome::kForwardSet);
  const auto rule = forward(ForwardCondition::kNoAnswer);
  ASSERT_TRUE(rule.has_value());
  EXPECT_EQ(rule->destination.target, "1003");
  EXPECT_EQ(rule->no_answer_seconds, 45U);
}

TEST_F(ApplyFeatureCodeTest, RefusalsAreTheStores) {
  auto self = apply("*721001");
  ASSERT_FALSE(self.ok()) << "forwarding to oneself";
  EXPECT_EQ(self.error().code, 400);
  EXPECT_TRUE(features().forwards.empty());
  auto stranger = apply("*78", "1099");
  ASSERT_FALSE(stranger.ok());
  EXPECT_EQ(stranger.error().code, 404);
  auto outside_caller = apply("*73", "+4930123");
  EXPECT_FALSE(outside_caller.ok());
  auto pickup = apply("*8");
  ASSERT_FALSE(pickup.ok()) << "not a call-feature code";
  EXPECT_EQ(pickup.error().code, 400);
}

TEST(FeatureCodeService, ChangesOffTheLoopAndAnswersOnTheCallersLoop) {
  test::TempDir dir;
  store::TenantId tenant = 0;
  {
    store::sqlite::SqliteStoreOptions options;
    options.data_dir = dir.path();
    auto db = store::sqlite::SqliteStore::open(options);
    ASSERT_TRUE(db.ok()) << db.error().message;
    auto added = (*db)->add_tenant(store::NewTenant{"example.com", "Example", true});
    ASSERT_TRUE(added.ok());
    tenant = added->id;
    ASSERT_TRUE(
        (*db)
            ->add_extension(store::NewExtension{tenant, "1001", "", {"", std::string(64, 'b')}})
            .ok());
  }
  net::WorkerPool pool(2);
  pool.start();
  {
    auto service = FeatureCodeService::open(dir.path(), pool);
    ASSERT_TRUE(service.ok()) << service.error().message;
    struct Heard {
      FeatureOutcome outcome;
      std::size_t worker;
    };
    const auto submit = [&](std::string_view dialled, std::string extension) {
      std::promise<Heard> heard;
      FeatureRequest request{tenant, std::move(extension), *pbx::parse_feature_code(dialled),
                             std::string(dialled)};
      EXPECT_TRUE((*service)->submit(std::move(request), 1, [&heard, &pool](FeatureOutcome o) {
        heard.set_value(Heard{o, pool.current_worker()});
      }));
      auto future = heard.get_future();
      EXPECT_EQ(future.wait_for(20s), std::future_status::ready);
      return future.get();
    };
    const Heard on = submit("*78", "1001");
    EXPECT_EQ(on.outcome, FeatureOutcome::kDndOn);
    EXPECT_EQ(on.worker, 1U) << "the outcome runs on the caller's loop";
    const Heard failed = submit("*78", "1099");
    EXPECT_EQ(failed.outcome, FeatureOutcome::kFailed);
    // The confirmation was prepared before the outcome was posted (when espeak-ng works).
    auto library = media::PromptLibrary::open(dir.path() / "prompts");
    ASSERT_TRUE(library.ok());
    if (auto spoken = (*library)->prepare("Do not disturb is on."); spoken.ok()) {
      EXPECT_NE((*service)->prompt(FeatureOutcome::kDndOn), nullptr);
      EXPECT_NE((*service)->prompt(FeatureOutcome::kFailed), nullptr);
    }
  }
  pool.shutdown(2s);
  store::sqlite::SqliteStoreOptions options;
  options.data_dir = dir.path();
  auto db = store::sqlite::SqliteStore::open(options);
  ASSERT_TRUE(db.ok());
  auto features = (*db)->get_call_features(tenant, "1001");
  ASSERT_TRUE(features.ok());
  EXPECT_TRUE(features->dnd);
}

}  // namespace
}  // namespace parley::app
