// TrunkStore, RoutingStore and CallLimitsStore (schema migration 6) against a real SQLite file:
// validation, duplicates, ordering, references between trunks, DIDs and routes, and that every
// change moves the change counter.

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "store/call_limits_store.hpp"
#include "store/routing_store.hpp"
#include "store/trunk_store.hpp"
#include "store_fixture.hpp"

namespace parley::store::sqlite {
namespace {

class TrunkStoreTest : public StoreFixture {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(open_with_tenants(/*with_other=*/true));
    ASSERT_NO_FATAL_FAILURE(add_extensions(tenant_.id, {{"1001", "Alice"}}));
  }

  Trunk trunk(TenantId tenant, std::string name) {
    Trunk row;
    row.tenant_id = tenant;
    row.name = std::move(name);
    row.host = "Sip.Provider.NET";
    row.transport = "udp";
    return row;
  }

  OutboundRoute route(std::string name, std::vector<std::string> trunks) {
    OutboundRoute row;
    row.tenant_id = tenant_.id;
    row.name = std::move(name);
    row.pattern_kind = RoutePatternKind::kPrefix;
    row.pattern = "00";
    row.trunks = std::move(trunks);
    return row;
  }
};

TEST_F(TrunkStoreTest, MigrationSixIsApplied) {
  EXPECT_GE(store_->schema_version(), 6);
}

TEST_F(TrunkStoreTest, AddsFindsUpdatesListsAndRemovesTrunks) {
  Trunk input = trunk(tenant_.id, "main");
  input.registers = true;
  input.username = "acct";
  input.password = "secret";
  input.port = 5080;
  input.caller_id = "+442071234567";
  const auto before = counter();
  auto id = store_->add_trunk(input);
  ASSERT_TRUE(id.ok()) << id.error().message;
  EXPECT_GT(counter(), before);

  auto found = store_->find_trunk(tenant_.id, "main");
  ASSERT_TRUE(found.ok());
  ASSERT_TRUE(found->has_value());
  const Trunk& stored = **found;
  EXPECT_EQ(stored.id, *id);
  EXPECT_EQ(stored.host, "sip.provider.net");  // folded
  EXPECT_EQ(stored.transport, "UDP");
  EXPECT_EQ(stored.port, 5080);
  EXPECT_TRUE(stored.registers);
  EXPECT_EQ(stored.password, "secret");
  EXPECT_EQ(stored.caller_id, "+442071234567");
  EXPECT_EQ(stored.register_expires, 600U);

  auto missing = store_->find_trunk(other_.id, "main");  // trunks are per tenant
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());

  ASSERT_TRUE(store_->add_trunk(trunk(tenant_.id, "backup")).ok());
  ASSERT_TRUE(store_->add_trunk(trunk(other_.id, "main")).ok());  // same name, other tenant
  auto mine = store_->list_trunks(tenant_.id);
  ASSERT_TRUE(mine.ok());
  ASSERT_EQ(mine->size(), 2U);
  EXPECT_EQ((*mine)[0].name, "backup");  // by name
  auto all = store_->list_trunks(std::nullopt);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 3U);

  Trunk changed = stored;
  changed.host = "[2001:db8::1]";
  changed.transport = "tls";
  const auto before_update = counter();
  ASSERT_TRUE(store_->update_trunk(changed).ok());
  EXPECT_GT(counter(), before_update);
  found = store_->find_trunk(tenant_.id, "main");
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->host, "2001:db8::1");
  EXPECT_EQ((*found)->transport, "TLS");

  const auto before_remove = counter();
  ASSERT_TRUE(store_->remove_trunk(tenant_.id, "main").ok());
  EXPECT_GT(counter(), before_remove);
  auto again = store_->remove_trunk(tenant_.id, "main");
  ASSERT_FALSE(again.ok());
  EXPECT_TRUE(is_error(again.error(), StoreError::kNotFound));
  EXPECT_EQ(again.error().message, "no trunk main in tenant example.com");
}

// Migration 20 (decision 0047): off unless asked for, and an update turns it on and counts.
TEST_F(TrunkStoreTest, CallerIdPassthroughIsOffByDefaultAndUpdates) {
  ASSERT_TRUE(store_->add_trunk(trunk(tenant_.id, "main")).ok());
  auto stored = store_->find_trunk(tenant_.id, "main");
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_FALSE((*stored)->caller_id_passthrough);
  Trunk changed = **stored;
  changed.caller_id_passthrough = true;
  const auto before = counter();
  ASSERT_TRUE(store_->update_trunk(changed).ok());
  EXPECT_GT(counter(), before);
  auto listed = store_->list_trunks(tenant_.id);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1U);
  EXPECT_TRUE(listed->front().caller_id_passthrough);
}

TEST_F(TrunkStoreTest, RefusesBadAndDuplicateTrunks) {
  ASSERT_TRUE(store_->add_trunk(trunk(tenant_.id, "main")).ok());
  auto duplicate = store_->add_trunk(trunk(tenant_.id, "main"));
  ASSERT_FALSE(duplicate.ok());
  EXPECT_TRUE(is_error(duplicate.error(), StoreError::kConflict));
  EXPECT_EQ(duplicate.error().message, "trunk main already exists in tenant example.com");

  const auto refused = [&](Trunk input, std::string_view words) {
    auto added = store_->add_trunk(input);
    ASSERT_FALSE(added.ok()) << input.name;
    EXPECT_TRUE(is_error(added.error(), StoreError::kInvalidInput));
    EXPECT_NE(added.error().message.find(words), std::string::npos) << added.error().message;
  };
  refused(trunk(tenant_.id, "bad name"), "trunk name");
  Trunk host = trunk(tenant_.id, "h");
  host.host = "bad host!";
  refused(host, "trunk host");
  Trunk transport = trunk(tenant_.id, "t");
  transport.transport = "sctp";
  refused(transport, "transport");
  Trunk registering = trunk(tenant_.id, "r");
  registering.registers = true;
  refused(registering, "username and a password");
  Trunk caller = trunk(tenant_.id, "c");
  caller.caller_id = "12ab";
  refused(caller, "caller-ID");

  auto unknown = store_->add_trunk(trunk(9999, "x"));
  ASSERT_FALSE(unknown.ok());
  EXPECT_TRUE(is_error(unknown.error(), StoreError::kNotFound));
}

TEST_F(TrunkStoreTest, DidsMapNumbersPerTrunkOrAnyTrunk) {
  ASSERT_TRUE(store_->add_trunk(trunk(tenant_.id, "main")).ok());
  const auto before = counter();
  ASSERT_TRUE(
      store_
          ->add_did(Did{0, tenant_.id, "+442071234567", "", DidDestinationKind::kExtension, "1001"})
          .ok());
  EXPECT_GT(counter(), before);
  ASSERT_TRUE(store_
                  ->add_did(Did{0, tenant_.id, "+442071234567", "main",
                                DidDestinationKind::kVoicemail, "1001"})
                  .ok());
  ASSERT_TRUE(
      store_->add_did(Did{0, tenant_.id, "02071234568", "", DidDestinationKind::kIvr, "main-menu"})
          .ok());

  auto duplicate =
      store_->add_did(Did{0, tenant_.id, "+442071234567", "", DidDestinationKind::kQueue, "sales"});
  ASSERT_FALSE(duplicate.ok());
  EXPECT_TRUE(is_error(duplicate.error(), StoreError::kConflict));

  auto no_extension =
      store_->add_did(Did{0, tenant_.id, "123", "", DidDestinationKind::kExtension, "1999"});
  ASSERT_FALSE(no_extension.ok());
  EXPECT_EQ(no_extension.error().message, "no extension 1999 in tenant example.com");
  auto no_trunk =
      store_->add_did(Did{0, tenant_.id, "123", "gone", DidDestinationKind::kExtension, "1001"});
  ASSERT_FALSE(no_trunk.ok());
  EXPECT_EQ(no_trunk.error().message, "no trunk gone in tenant example.com");
  auto no_group =
      store_->add_did(Did{0, tenant_.id, "123", "", DidDestinationKind::kRingGroup, "600"});
  ASSERT_FALSE(no_group.ok());
  EXPECT_TRUE(is_error(no_group.error(), StoreError::kNotFound));
  auto bad_number =
      store_->add_did(Did{0, tenant_.id, "12-34", "", DidDestinationKind::kExtension, "1001"});
  ASSERT_FALSE(bad_number.ok());
  EXPECT_TRUE(is_error(bad_number.error(), StoreError::kInvalidInput));

  auto dids = store_->list_dids(tenant_.id);
  ASSERT_TRUE(dids.ok());
  ASSERT_EQ(dids->size(), 3U);
  EXPECT_EQ((*dids)[0].number, "+442071234567");
  EXPECT_EQ((*dids)[0].trunk, "");  // any-trunk row sorts before the trunk's own
  EXPECT_EQ((*dids)[1].trunk, "main");
  EXPECT_EQ((*dids)[1].kind, DidDestinationKind::kVoicemail);
  EXPECT_EQ((*dids)[2].number, "02071234568");

  // A trunk a DID names cannot go; removing the DID frees it.
  auto in_use = store_->remove_trunk(tenant_.id, "main");
  ASSERT_FALSE(in_use.ok());
  EXPECT_TRUE(is_error(in_use.error(), StoreError::kConflict));
  EXPECT_NE(in_use.error().message.find("DID +442071234567"), std::string::npos);
  ASSERT_TRUE(store_->remove_did(tenant_.id, "+442071234567", "main").ok());
  EXPECT_TRUE(store_->remove_trunk(tenant_.id, "main").ok());
  auto gone = store_->remove_did(tenant_.id, "+442071234567", "main");
  ASSERT_FALSE(gone.ok());
  EXPECT_TRUE(is_error(gone.error(), StoreError::kNotFound));
}

TEST_F(TrunkStoreTest, RoutesKeepPriorityAndTrunkOrder) {
  ASSERT_TRUE(store_->add_trunk(trunk(tenant_.id, "a")).ok());
  ASSERT_TRUE(store_->add_trunk(trunk(tenant_.id, "b")).ok());
  const auto before = counter();
  ASSERT_TRUE(store_->add_outbound_route(route("international", {"b", "a"})).ok());
  EXPECT_GT(counter(), before);
  OutboundRoute emergency = route("emergency", {"a"});
  emergency.pattern_kind = RoutePatternKind::kRegex;
  emergency.pattern = "(112|999)";
  emergency.emergency = true;
  emergency.priority = 1;
  ASSERT_TRUE(store_->add_outbound_route(emergency).ok());
  OutboundRoute national = route("national", {"a", "b"});
  national.pattern_kind = RoutePatternKind::kLength;
  national.pattern = "10-11";
  national.strip_digits = 1;
  national.prepend = "+44";
  national.caller_id = "+442071234567";
  ASSERT_TRUE(store_->add_outbound_route(national).ok());

  auto routes = store_->list_outbound_routes(tenant_.id);
  ASSERT_TRUE(routes.ok());
  ASSERT_EQ(routes->size(), 3U);
  EXPECT_EQ((*routes)[0].name, "emergency");
  EXPECT_TRUE((*routes)[0].emergency);
  EXPECT_EQ((*routes)[1].name, "international");
  EXPECT_EQ((*routes)[1].priority, 10);  // appended after the last
  EXPECT_EQ((*routes)[1].trunks, (std::vector<std::string>{"b", "a"}));
  EXPECT_EQ((*routes)[2].priority, 20);
  EXPECT_EQ((*routes)[2].pattern_kind, RoutePatternKind::kLength);
  EXPECT_EQ((*routes)[2].strip_digits, 1U);
  EXPECT_EQ((*routes)[2].prepend, "+44");
  EXPECT_EQ((*routes)[2].caller_id, "+442071234567");

  auto duplicate = store_->add_outbound_route(route("national", {"a"}));
  ASSERT_FALSE(duplicate.ok());
  EXPECT_TRUE(is_error(duplicate.error(), StoreError::kConflict));
  auto unknown_trunk = store_->add_outbound_route(route("x", {"a", "nope"}));
  ASSERT_FALSE(unknown_trunk.ok());
  EXPECT_EQ(unknown_trunk.error().message, "no trunk nope in tenant example.com");
  OutboundRoute bad_regex = route("y", {"a"});
  bad_regex.pattern_kind = RoutePatternKind::kRegex;
  bad_regex.pattern = "(00";
  auto refused = store_->add_outbound_route(bad_regex);
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(is_error(refused.error(), StoreError::kInvalidInput));
  EXPECT_NE(refused.error().message.find("does not compile"), std::string::npos);
  OutboundRoute bad_length = route("z", {"a"});
  bad_length.pattern_kind = RoutePatternKind::kLength;
  bad_length.pattern = "9-3";
  EXPECT_FALSE(store_->add_outbound_route(bad_length).ok());
  EXPECT_FALSE(store_->add_outbound_route(route("w", {"a", "a"})).ok());
  EXPECT_FALSE(store_->add_outbound_route(route("v", {})).ok());

  auto in_use = store_->remove_trunk(tenant_.id, "b");
  ASSERT_FALSE(in_use.ok());
  EXPECT_NE(in_use.error().message.find("route "), std::string::npos);
  ASSERT_TRUE(store_->remove_outbound_route(tenant_.id, "international").ok());
  ASSERT_TRUE(store_->remove_outbound_route(tenant_.id, "national").ok());
  EXPECT_TRUE(store_->remove_trunk(tenant_.id, "b").ok());
  EXPECT_FALSE(store_->remove_outbound_route(tenant_.id, "national").ok());
}

TEST_F(TrunkStoreTest, RenamingATrunkFollowsIntoRoutesAndDids) {
  ASSERT_TRUE(store_->add_trunk(trunk(tenant_.id, "old")).ok());
  ASSERT_TRUE(store_->add_outbound_route(route("out", {"old"})).ok());
  ASSERT_TRUE(
      store_->add_did(Did{0, tenant_.id, "5551234", "old", DidDestinationKind::kExtension, "1001"})
          .ok());
  auto found = store_->find_trunk(tenant_.id, "old");
  ASSERT_TRUE(found.ok() && found->has_value());
  Trunk renamed = **found;
  renamed.name = "new";
  ASSERT_TRUE(store_->update_trunk(renamed).ok());
  auto routes = store_->list_outbound_routes(tenant_.id);
  ASSERT_TRUE(routes.ok() && routes->size() == 1);
  EXPECT_EQ((*routes)[0].trunks, (std::vector<std::string>{"new"}));
  auto dids = store_->list_dids(tenant_.id);
  ASSERT_TRUE(dids.ok() && dids->size() == 1);
  EXPECT_EQ((*dids)[0].trunk, "new");
}

TEST_F(TrunkStoreTest, RemovingATenantTakesItsTrunksRoutesAndDids) {
  ASSERT_TRUE(store_->add_trunk(trunk(tenant_.id, "main")).ok());
  ASSERT_TRUE(store_->add_outbound_route(route("out", {"main"})).ok());
  ASSERT_TRUE(
      store_->add_did(Did{0, tenant_.id, "5551234", "main", DidDestinationKind::kExtension, "1001"})
          .ok());
  TenantCallLimits limits;
  limits.tenant_id = tenant_.id;
  limits.max_external_calls = 2;
  ASSERT_TRUE(store_->set_tenant_call_limits(limits).ok());
  ASSERT_TRUE(store_->remove_tenant(tenant_.id).ok());
  EXPECT_TRUE(store_->list_trunks(std::nullopt)->empty());
  EXPECT_TRUE(store_->list_outbound_routes(std::nullopt)->empty());
  EXPECT_TRUE(store_->list_dids(std::nullopt)->empty());
  EXPECT_TRUE(store_->list_tenant_call_limits()->empty());
}

TEST_F(TrunkStoreTest, CallClassesDefaultAndChange) {
  auto classes = store_->get_call_classes(tenant_.id, "1001");
  ASSERT_TRUE(classes.ok());
  EXPECT_EQ(*classes, CallClassSet::defaults());
  EXPECT_EQ(classes->to_text(), "internal,national,mobile");

  auto parsed = CallClassSet::parse("international, premium,internal");
  ASSERT_TRUE(parsed.ok());
  const auto before = counter();
  ASSERT_TRUE(store_->set_call_classes(tenant_.id, "1001", *parsed).ok());
  EXPECT_GT(counter(), before);
  classes = store_->get_call_classes(tenant_.id, "1001");
  ASSERT_TRUE(classes.ok());
  EXPECT_EQ(classes->to_text(), "internal,international,premium");
  auto listed = store_->list_call_classes();
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1U);
  EXPECT_EQ((*listed)[0].classes, *parsed);

  auto none = CallClassSet::parse("none");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->bits(), 0);
  auto bad = CallClassSet::parse("national,satellite");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("'satellite'"), std::string::npos);
  auto missing = store_->set_call_classes(tenant_.id, "1999", *parsed);
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(is_error(missing.error(), StoreError::kNotFound));
}

TEST_F(TrunkStoreTest, TenantLimitsDefaultRoundTripAndValidate) {
  auto defaults = store_->get_tenant_call_limits(tenant_.id);
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->tenant_id, tenant_.id);
  EXPECT_EQ(defaults->max_external_calls, 0U);
  EXPECT_FALSE(defaults->national_prefix.has_value());

  TenantCallLimits limits;
  limits.tenant_id = tenant_.id;
  limits.max_external_calls = 4;
  limits.calls_per_hour = 30;
  limits.minutes_per_hour = 120;
  limits.country_code = "+44";
  limits.national_prefix = "";  // explicitly none
  limits.blocked_prefixes = {"881", "+882", "881"};
  limits.emergency_numbers = {"101"};
  limits.premium_prefixes = {"9", "87"};
  const auto before = counter();
  ASSERT_TRUE(store_->set_tenant_call_limits(limits).ok());
  EXPECT_GT(counter(), before);
  auto stored = store_->get_tenant_call_limits(tenant_.id);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->max_external_calls, 4U);
  EXPECT_EQ(stored->calls_per_hour, 30U);
  EXPECT_EQ(stored->minutes_per_hour, 120U);
  EXPECT_EQ(stored->country_code, "44");
  EXPECT_FALSE(stored->international_prefix.has_value());
  ASSERT_TRUE(stored->national_prefix.has_value());
  EXPECT_EQ(*stored->national_prefix, "");
  EXPECT_EQ(stored->blocked_prefixes, (std::vector<std::string>{"881", "882"}));
  EXPECT_EQ(stored->emergency_numbers, (std::vector<std::string>{"101"}));
  EXPECT_TRUE(stored->mobile_prefixes.empty());
  EXPECT_EQ(stored->premium_prefixes, (std::vector<std::string>{"9", "87"}));

  limits.max_external_calls = 1;  // replaces
  ASSERT_TRUE(store_->set_tenant_call_limits(limits).ok());
  EXPECT_EQ(store_->get_tenant_call_limits(tenant_.id)->max_external_calls, 1U);
  EXPECT_EQ(store_->list_tenant_call_limits()->size(), 1U);

  TenantCallLimits bad = limits;
  bad.country_code = "0044";
  EXPECT_FALSE(store_->set_tenant_call_limits(bad).ok());
  bad = limits;
  bad.blocked_prefixes = {"88a"};
  auto refused = store_->set_tenant_call_limits(bad);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("blocked prefix"), std::string::npos);
  bad = limits;
  bad.tenant_id = 9999;
  auto unknown = store_->set_tenant_call_limits(bad);
  ASSERT_FALSE(unknown.ok());
  EXPECT_TRUE(is_error(unknown.error(), StoreError::kNotFound));
}

TEST_F(TrunkStoreTest, ChangesSurviveReopening) {
  ASSERT_TRUE(store_->add_trunk(trunk(tenant_.id, "main")).ok());
  ASSERT_TRUE(store_->add_outbound_route(route("out", {"main"})).ok());
  store_.reset();
  SqliteStoreOptions options;
  options.data_dir = dir_.path() / "data";
  auto reopened = SqliteStore::open(std::move(options));
  ASSERT_TRUE(reopened.ok());
  auto routes = (*reopened)->list_outbound_routes(std::nullopt);
  ASSERT_TRUE(routes.ok());
  ASSERT_EQ(routes->size(), 1U);
  EXPECT_EQ((*routes)[0].trunks, (std::vector<std::string>{"main"}));
}

}  // namespace
}  // namespace parley::store::sqlite
