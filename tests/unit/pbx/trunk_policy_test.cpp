// TrunkPolicy built from a real SQLite store's lists, as the server will build it: outbound plans
// per extension class, usable trunks in failover order, DIDs per trunk, limits, peers by IP.

#include "pbx/trunk_policy.hpp"

#include <gtest/gtest.h>

#include <memory>

#include "store/sqlite/sqlite_store.hpp"
#include "support/temp_dir.hpp"

namespace parley::pbx {
namespace {

using store::sqlite::SqliteStore;

class TrunkPolicyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store::sqlite::SqliteStoreOptions options;
    options.data_dir = dir_.path() / "data";
    auto opened = SqliteStore::open(std::move(options));
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    db_ = std::move(opened).value();
    auto tenant = db_->add_tenant(store::NewTenant{"example.com", "", false});
    ASSERT_TRUE(tenant.ok());
    tenant_ = tenant->id;
    const store::Credentials credentials{"", std::string(64, 'a')};
    for (const char* number : {"1001", "1002"}) {
      ASSERT_TRUE(db_->add_extension(store::NewExtension{tenant_, number, "", credentials}).ok());
    }
    add_trunk("cheap", "192.0.2.10", true);
    add_trunk("reliable", "sip.provider.net", true);
    add_trunk("off", "192.0.2.11", false);
    store::OutboundRoute route;
    route.tenant_id = tenant_;
    route.name = "international";
    route.pattern = "00";
    route.strip_digits = 2;
    route.prepend = "+";
    route.trunks = {"off", "cheap", "reliable"};
    ASSERT_TRUE(db_->add_outbound_route(route).ok());
    ASSERT_TRUE(db_->add_did(store::Did{0, tenant_, "+442071234567", "cheap",
                                        store::DidDestinationKind::kExtension, "1002", 0})
                    .ok());
    store::TenantCallLimits limits;
    limits.tenant_id = tenant_;
    limits.country_code = "44";
    limits.max_external_calls = 2;
    ASSERT_TRUE(db_->set_tenant_call_limits(limits).ok());
    auto classes = store::CallClassSet::parse("national,international");
    ASSERT_TRUE(classes.ok());
    ASSERT_TRUE(db_->set_call_classes(tenant_, "1001", *classes).ok());
    policy_ = TrunkPolicy::build(
        TrunkPolicyInputs{*db_->list_trunks(std::nullopt), *db_->list_dids(std::nullopt),
                          *db_->list_outbound_routes(std::nullopt), *db_->list_tenant_call_limits(),
                          *db_->list_call_classes()});
  }

  void add_trunk(std::string name, std::string host, bool enabled) {
    store::Trunk trunk;
    trunk.tenant_id = tenant_;
    trunk.name = std::move(name);
    trunk.host = std::move(host);
    trunk.transport = "UDP";
    auto id = db_->add_trunk(trunk);
    ASSERT_TRUE(id.ok()) << id.error().message;
    if (!enabled) {
      trunk.id = *id;
      trunk.enabled = false;
      ASSERT_TRUE(db_->update_trunk(trunk).ok());
    }
  }

  test::TempDir dir_;
  std::unique_ptr<SqliteStore> db_;
  store::TenantId tenant_ = 0;
  TrunkPolicy policy_;
};

TEST_F(TrunkPolicyTest, PlansByTheExtensionsClasses) {
  EXPECT_TRUE(policy_.problems().empty());
  auto allowed = policy_.plan_outbound(tenant_, "1001", "004930123456");
  ASSERT_TRUE(allowed.ok()) << allowed.error().message;
  EXPECT_EQ(allowed->route.digits, "+4930123456");
  auto refused = policy_.plan_outbound(tenant_, "1002", "004930123456");  // default classes
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, 403);
}

TEST_F(TrunkPolicyTest, UsableTrunksSkipDisabledAndDownOnesInOrder) {
  auto call = policy_.plan_outbound(tenant_, "1001", "004930123456");
  ASSERT_TRUE(call.ok());
  auto usable = policy_.usable_trunks(tenant_, call->route);
  ASSERT_EQ(usable.size(), 2U);
  EXPECT_EQ(usable[0]->name, "cheap");
  EXPECT_EQ(usable[1]->name, "reliable");
  auto up = policy_.usable_trunks(tenant_, call->route,
                                  [](const store::Trunk& trunk) { return trunk.name != "cheap"; });
  ASSERT_EQ(up.size(), 1U);
  EXPECT_EQ(up[0]->name, "reliable");  // failover past the down trunk
}

TEST_F(TrunkPolicyTest, DidsLimitsAndPeers) {
  auto did = policy_.lookup_did(tenant_, "cheap", "02071234567");
  ASSERT_TRUE(did.ok()) << did.error().message;
  EXPECT_EQ(did->target, "1002");
  EXPECT_FALSE(policy_.lookup_did(tenant_, "reliable", "02071234567").ok());
  EXPECT_FALSE(policy_.lookup_did(tenant_ + 1, "cheap", "02071234567").ok());
  EXPECT_EQ(policy_.meter_limits(tenant_).max_concurrent, 2U);
  EXPECT_EQ(policy_.meter_limits(tenant_ + 1).max_concurrent, 0U);
  ASSERT_EQ(policy_.trunks_at("192.0.2.10").size(), 1U);
  EXPECT_TRUE(policy_.trunks_at("192.0.2.11").empty());  // disabled
  EXPECT_TRUE(policy_.trunks_at("198.51.100.1").empty());
  EXPECT_EQ(policy_.call_classes(tenant_, "1002"), store::CallClassSet::defaults());
}

TEST(TrunkPolicyBuildTest, ABrokenRouteCostsOnlyItsTenantsRoutes) {
  store::OutboundRoute broken;
  broken.tenant_id = 7;
  broken.name = "broken";
  broken.pattern_kind = store::RoutePatternKind::kRegex;
  broken.pattern = "([";
  broken.trunks = {"t"};
  store::OutboundRoute fine;
  fine.tenant_id = 8;
  fine.name = "fine";
  fine.trunks = {"t"};
  TrunkPolicyInputs inputs;
  inputs.routes = {broken, fine};
  const TrunkPolicy policy = TrunkPolicy::build(std::move(inputs));
  ASSERT_EQ(policy.problems().size(), 1U);
  EXPECT_NE(policy.problems()[0].find("route broken"), std::string::npos);
  auto none = policy.plan_outbound(7, "1001", "02071234567");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code, 404);
  EXPECT_TRUE(policy.plan_outbound(8, "1001", "02071234567").ok());
}

}  // namespace
}  // namespace parley::pbx
