// The translation of pbx/'s call plans into the B2BUA's (decision 0018), and a plan made from a
// real SQLite store: forward-always, do-not-disturb and a hunt group as the B2BUA will run them.

#include "app/dial_plan_service.hpp"

#include <gtest/gtest.h>

#include <chrono>

#include "store/sqlite/sqlite_store.hpp"
#include "support/temp_dir.hpp"

namespace parley::app {
namespace {

using namespace std::chrono_literals;

TEST(ToSipPlan, StagesKeepTheirExtensionsAndTimeouts) {
  pbx::CallPlan plan;
  plan.stages.push_back(pbx::RingStage{{"1002"}, 15, "800", {}});
  plan.stages.push_back(pbx::RingStage{{"1003", "1004"}, 0, "800", {}});
  const sip::CallPlan out = to_sip_plan(plan);
  ASSERT_EQ(out.stages.size(), 2U);
  EXPECT_EQ(out.stages[0].extensions, std::vector<std::string>{"1002"});
  EXPECT_EQ(out.stages[0].timeout, 15s);
  EXPECT_EQ(out.stages[1].timeout, Duration{}) << "no limit of its own: the B2BUA's";
  EXPECT_EQ(out.reject_status, 0);
  EXPECT_EQ(out.exhausted_status, 0);
}

TEST(ToSipPlan, FinalActionsBecomeStatuses) {
  pbx::CallPlan dnd;
  dnd.final = pbx::FinalAction{pbx::FinalKind::kReject, 486, {}, "1002 is on do-not-disturb", {}};
  EXPECT_EQ(to_sip_plan(dnd).reject_status, 486);

  pbx::CallPlan unknown;
  unknown.final.kind = pbx::FinalKind::kNotLocal;
  EXPECT_EQ(to_sip_plan(unknown).reject_status, 404);

  pbx::CallPlan loop;
  loop.final = pbx::FinalAction{pbx::FinalKind::kReject, 482, {}, "loop", {}};
  EXPECT_EQ(to_sip_plan(loop).reject_status, 482);

  pbx::CallPlan then_voicemail;
  then_voicemail.stages.push_back(pbx::RingStage{{"1002"}, 20, "1002", {}});
  then_voicemail.final = pbx::FinalAction{pbx::FinalKind::kVoicemail, 0, "1002", {}, {}};
  const sip::CallPlan out = to_sip_plan(then_voicemail);
  EXPECT_EQ(out.reject_status, 0);
  EXPECT_EQ(out.exhausted_status, 480) << "no voicemail yet: unavailable";
}

TEST(DialPlanService, VoicemailEndsInTheApplicationWhenTheBoxTakesMessages) {
  const VoicemailEnabled all_but_1003 = [](std::string_view box) { return box != "1003"; };
  pbx::CallPlan then_voicemail;
  then_voicemail.stages.push_back(pbx::RingStage{{"1002"}, 5, "1002", {}});
  then_voicemail.final = pbx::FinalAction{pbx::FinalKind::kVoicemail, 0, "1002", {}, {}};
  const sip::CallPlan rung_first = to_sip_plan(then_voicemail, all_but_1003);
  EXPECT_EQ(rung_first.stages.size(), 1U);
  EXPECT_EQ(rung_first.exhausted_application, "voicemail:1002");
  EXPECT_EQ(rung_first.exhausted_status, 480) << "if the application cannot answer";
  EXPECT_TRUE(rung_first.application.empty());

  pbx::CallPlan straight;  // not registered: nothing to ring
  straight.final = pbx::FinalAction{pbx::FinalKind::kVoicemail, 0, "1002", {}, {}};
  const sip::CallPlan at_once = to_sip_plan(straight, all_but_1003);
  EXPECT_EQ(at_once.application, "voicemail:1002");
  EXPECT_EQ(at_once.reject_status, 0);

  straight.final.target = "1003";  // switched off
  const sip::CallPlan off = to_sip_plan(straight, all_but_1003);
  EXPECT_TRUE(off.application.empty());
  EXPECT_EQ(off.reject_status, 480);
}

TEST(DialPlanService, PlansFromTheStoreAfterAReload) {
  parley::test::TempDir dir;
  store::sqlite::SqliteStoreOptions options;
  options.data_dir = dir.path();
  auto opened = store::sqlite::SqliteStore::open(options);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  store::sqlite::SqliteStore& db = **opened;
  auto tenant = db.add_tenant(store::NewTenant{"example.com", "Example", true});
  ASSERT_TRUE(tenant.ok()) << tenant.error().message;
  const std::string sha256(64, 'b');
  for (const char* number : {"1001", "1002", "1003"}) {
    ASSERT_TRUE(db.add_extension(store::NewExtension{tenant->id, number, "", {"", sha256}}).ok());
  }
  DialPlanService service;
  ASSERT_TRUE(service.reload(db).ok());
  const sip::CallTenant example{tenant->id, "example.com"};
  const pbx::FixedLiveState live({"1001", "1002", "1003"}, {});

  sip::CallPlan plain = service.plan(example, "1001", "1002", live);
  ASSERT_EQ(plain.stages.size(), 1U);
  EXPECT_EQ(plain.stages[0].extensions, std::vector<std::string>{"1002"});
  EXPECT_EQ(service.plan(example, "1001", "1099", live).reject_status, 404);

  store::CallForward forward;
  forward.condition = store::ForwardCondition::kAlways;
  forward.destination = store::Destination{store::DestinationKind::kExtension, "1003"};
  ASSERT_TRUE(db.set_forward(tenant->id, "1002", forward).ok());
  EXPECT_EQ(service.plan(example, "1001", "1002", live).stages[0].extensions,
            std::vector<std::string>{"1002"})
      << "the snapshot changes only on reload";
  ASSERT_TRUE(service.reload(db).ok());
  sip::CallPlan forwarded = service.plan(example, "1001", "1002", live);
  ASSERT_EQ(forwarded.stages.size(), 1U);
  EXPECT_EQ(forwarded.stages[0].extensions, std::vector<std::string>{"1003"});

  ASSERT_TRUE(db.clear_forward(tenant->id, "1002", std::nullopt).ok());
  ASSERT_TRUE(db.set_dnd(tenant->id, "1002", true).ok());
  ASSERT_TRUE(service.reload(db).ok());
  EXPECT_EQ(service.plan(example, "1001", "1002", live).reject_status, 486);

  store::RingGroup group;
  group.tenant_id = tenant->id;
  group.number = "800";
  group.strategy = store::RingStrategy::kHunt;
  group.member_timeout_seconds = 10;
  group.members = {"1002", "1003", "1001"};
  ASSERT_TRUE(db.add_ring_group(group).ok());
  ASSERT_TRUE(service.reload(db).ok());
  sip::CallPlan hunt = service.plan(example, "1001", "800", live);
  ASSERT_EQ(hunt.stages.size(), 1U) << "1002 is on DND and 1001 is the caller";
  EXPECT_EQ(hunt.stages[0].extensions, std::vector<std::string>{"1003"});
  EXPECT_EQ(hunt.stages[0].timeout, 10s);
}

}  // namespace
}  // namespace parley::app
