// The Store operations against a real SQLite file in a temporary folder.

#include "store/sqlite/sqlite_store.hpp"
#include "support/temp_dir.hpp"

#include "base/check.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

namespace parley::store::sqlite {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr std::string_view kMd5 = "0123456789abcdef0123456789abcdef";
constexpr std::string_view kSha256 =
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
constexpr UnixSeconds kNow = 1'700'000'000;

using TempDir = test::TempDir;

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = open_store(); }

  std::unique_ptr<SqliteStore> open_store() {
    SqliteStoreOptions options;
    options.data_dir = dir_.path() / "data";
    options.wall_clock = [this] { return clock_; };
    auto opened = SqliteStore::open(std::move(options));
    EXPECT_TRUE(opened.ok()) << (opened ? "" : opened.error().message);
    return opened ? std::move(opened).value() : nullptr;
  }

  Tenant add_tenant(std::string domain, bool is_default = false) {
    auto tenant = store_->add_tenant(NewTenant{std::move(domain), "Acme", is_default});
    EXPECT_TRUE(tenant.ok()) << (tenant ? "" : tenant.error().message);
    return tenant ? *tenant : Tenant{};
  }

  Extension add_extension(TenantId tenant, std::string number) {
    auto extension = store_->add_extension(
        NewExtension{tenant, std::move(number), "Alice", Credentials{std::string(kMd5), ""}});
    EXPECT_TRUE(extension.ok()) << (extension ? "" : extension.error().message);
    return extension ? *extension : Extension{};
  }

  static Binding binding(TenantId tenant, std::string extension, std::string contact,
                         std::string instance = "", std::uint32_t reg_id = 0,
                         UnixSeconds expires_at = kNow + 3600) {
    Binding b;
    b.tenant_id = tenant;
    b.extension = std::move(extension);
    b.contact_uri = std::move(contact);
    b.instance = std::move(instance);
    b.reg_id = reg_id;
    b.path = "<sip:edge.example.com;lr>";
    b.q_per_mille = 500;
    b.call_id = "a84b4c76e66710@pc33";
    b.cseq = 1826;
    b.expires_at = expires_at;
    b.received = Endpoint{"udp", "192.0.2.4", 40000};
    b.local_socket = Endpoint{"UDP", "198.51.100.1", 5060};
    b.user_agent = "Linphone/5.2";
    return b;
  }

  TempDir dir_;
  UnixSeconds clock_ = kNow;
  std::unique_ptr<SqliteStore> store_;
};

// --- tenants -----------------------------------------------------------------------------------

TEST_F(SqliteStoreTest, AddsListsAndFindsTenants) {
  ASSERT_NE(store_, nullptr);
  auto added = store_->add_tenant(NewTenant{"PBX.Example.COM.", "Example Inc", false});
  ASSERT_TRUE(added.ok()) << added.error().message;
  EXPECT_GT(added->id, 0);
  EXPECT_EQ(added->domain, "pbx.example.com");
  EXPECT_EQ(added->display_name, "Example Inc");
  EXPECT_FALSE(added->is_default);
  EXPECT_EQ(added->created_at, kNow);
  add_tenant("192.0.2.10");

  auto all = store_->list_tenants();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2U);
  EXPECT_EQ((*all)[0].domain, "192.0.2.10");  // ordered by domain
  EXPECT_EQ((*all)[1].domain, "pbx.example.com");

  auto by_domain = store_->get_tenant_by_domain("pbx.EXAMPLE.com");
  ASSERT_TRUE(by_domain.ok());
  EXPECT_EQ(by_domain->id, added->id);
  auto by_id = store_->get_tenant(added->id);
  ASSERT_TRUE(by_id.ok());
  EXPECT_EQ(by_id->domain, "pbx.example.com");
}

TEST_F(SqliteStoreTest, UnknownTenantIsNotFound) {
  auto by_domain = store_->get_tenant_by_domain("nowhere.example.com");
  ASSERT_FALSE(by_domain.ok());
  EXPECT_TRUE(is_error(by_domain.error(), StoreError::kNotFound));
  EXPECT_THAT(by_domain.error().message, HasSubstr("nowhere.example.com"));

  auto by_id = store_->get_tenant(42);
  ASSERT_FALSE(by_id.ok());
  EXPECT_TRUE(is_error(by_id.error(), StoreError::kNotFound));

  auto extensions = store_->list_extensions(42);
  ASSERT_FALSE(extensions.ok());
  EXPECT_TRUE(is_error(extensions.error(), StoreError::kNotFound));

  auto extension = store_->add_extension(NewExtension{42, "1001", "", {std::string(kMd5), ""}});
  ASSERT_FALSE(extension.ok());
  EXPECT_TRUE(is_error(extension.error(), StoreError::kNotFound));
  EXPECT_THAT(extension.error().message, HasSubstr("no tenant with id 42"));

  auto removed = store_->remove_tenant(42);
  ASSERT_FALSE(removed.ok());
  EXPECT_TRUE(is_error(removed.error(), StoreError::kNotFound));
}

TEST_F(SqliteStoreTest, DuplicateDomainIsAConflict) {
  add_tenant("example.com");
  auto again = store_->add_tenant(NewTenant{"EXAMPLE.com", "", false});
  ASSERT_FALSE(again.ok());
  EXPECT_TRUE(is_error(again.error(), StoreError::kConflict));
  EXPECT_EQ(again.error().message, "tenant example.com already exists");
}

TEST_F(SqliteStoreTest, AtMostOneDefaultTenant) {
  auto none = store_->get_default_tenant();
  ASSERT_FALSE(none.ok());
  EXPECT_TRUE(is_error(none.error(), StoreError::kNotFound));

  const Tenant first = add_tenant("a.example.com", true);
  auto second = store_->add_tenant(NewTenant{"b.example.com", "", true});
  ASSERT_FALSE(second.ok());
  EXPECT_TRUE(is_error(second.error(), StoreError::kConflict));
  EXPECT_THAT(second.error().message, HasSubstr("a.example.com is already the default"));
  // The refused tenant was not half-added.
  EXPECT_FALSE(store_->get_tenant_by_domain("b.example.com").ok());

  const Tenant third = add_tenant("c.example.com");
  ASSERT_TRUE(store_->set_default_tenant(third.id).ok());
  auto current = store_->get_default_tenant();
  ASSERT_TRUE(current.ok());
  EXPECT_EQ(current->id, third.id);
  auto demoted = store_->get_tenant(first.id);
  ASSERT_TRUE(demoted.ok());
  EXPECT_FALSE(demoted->is_default);

  auto all = store_->list_tenants();
  ASSERT_TRUE(all.ok());
  int defaults = 0;
  for (const auto& tenant : *all) defaults += tenant.is_default ? 1 : 0;
  EXPECT_EQ(defaults, 1);

  auto unknown = store_->set_default_tenant(999);
  ASSERT_FALSE(unknown.ok());
  EXPECT_TRUE(is_error(unknown.error(), StoreError::kNotFound));
}

TEST_F(SqliteStoreTest, RemovingATenantRemovesItsExtensionsBindingsAndCallRecords) {
  const Tenant doomed = add_tenant("doomed.example.com");
  const Tenant kept = add_tenant("kept.example.com");
  add_extension(doomed.id, "1001");
  add_extension(kept.id, "1001");
  ASSERT_TRUE(store_->upsert_binding(binding(doomed.id, "1001", "sip:a@192.0.2.4")).ok());
  ASSERT_TRUE(store_->upsert_binding(binding(kept.id, "1001", "sip:b@192.0.2.5")).ok());
  CallRecord record{
      0,    doomed.id,          "call-1",           "1001", "1002", 1000, std::nullopt,
      2000, Disposition::kBusy, HangupSide::kCallee};
  ASSERT_TRUE(store_->insert_call_record(record).ok());

  ASSERT_TRUE(store_->remove_tenant(doomed.id).ok());

  EXPECT_FALSE(store_->get_tenant(doomed.id).ok());
  EXPECT_FALSE(store_->get_extension(doomed.id, "1001").ok());
  auto live = store_->list_live_bindings(kNow);
  ASSERT_TRUE(live.ok());
  ASSERT_EQ(live->size(), 1U);
  EXPECT_EQ((*live)[0].tenant_id, kept.id);
  EXPECT_TRUE(store_->get_extension(kept.id, "1001").ok());
  // A tenant with the same id cannot reappear, so its records are gone for good.
  auto records = store_->list_recent_call_records(doomed.id, 10);
  ASSERT_FALSE(records.ok());
  EXPECT_TRUE(is_error(records.error(), StoreError::kNotFound));
}

TEST_F(SqliteStoreTest, RejectsBadTenantInput) {
  auto empty = store_->add_tenant(NewTenant{"", "", false});
  ASSERT_FALSE(empty.ok());
  EXPECT_TRUE(is_error(empty.error(), StoreError::kInvalidInput));
  EXPECT_EQ(empty.error().message, "tenant domain must not be empty");

  auto spaces = store_->add_tenant(NewTenant{"bad domain.com", "", false});
  ASSERT_FALSE(spaces.ok());
  EXPECT_THAT(spaces.error().message, HasSubstr("must be a host name or an IPv4 address"));

  auto huge = store_->add_tenant(NewTenant{std::string(1'000'000, 'a') + ".com", "", false});
  ASSERT_FALSE(huge.ok());
  EXPECT_TRUE(is_error(huge.error(), StoreError::kInvalidInput));
  EXPECT_THAT(huge.error().message, HasSubstr("the limit is 253"));
  EXPECT_LT(huge.error().message.size(), 200U);

  auto name = store_->add_tenant(NewTenant{"ok.example.com", std::string(5000, 'x'), false});
  ASSERT_FALSE(name.ok());
  EXPECT_THAT(name.error().message, HasSubstr("display name is 5000 bytes"));

  auto all = store_->list_tenants();
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->empty());
}

// --- extensions --------------------------------------------------------------------------------

TEST_F(SqliteStoreTest, AddsGetsListsAndRemovesExtensions) {
  const Tenant tenant = add_tenant("example.com");
  auto added = store_->add_extension(
      NewExtension{tenant.id, "1001", "Alice",
                   Credentials{"0123456789ABCDEF0123456789ABCDEF", std::string(kSha256)}});
  ASSERT_TRUE(added.ok()) << added.error().message;
  EXPECT_GT(added->id, 0);
  EXPECT_EQ(added->credentials.ha1_md5, kMd5);  // hex is stored lower-case
  EXPECT_EQ(added->created_at, kNow);
  add_extension(tenant.id, "200");

  auto got = store_->get_extension(tenant.id, "1001");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->display_name, "Alice");
  EXPECT_EQ(got->credentials.ha1_md5, kMd5);
  EXPECT_EQ(got->credentials.ha1_sha256, kSha256);

  auto listed = store_->list_extensions(tenant.id);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2U);
  EXPECT_EQ((*listed)[0].number, "1001");
  EXPECT_EQ((*listed)[1].number, "200");

  ASSERT_TRUE(store_->remove_extension(tenant.id, "1001").ok());
  auto gone = store_->get_extension(tenant.id, "1001");
  ASSERT_FALSE(gone.ok());
  EXPECT_TRUE(is_error(gone.error(), StoreError::kNotFound));
  EXPECT_THAT(gone.error().message, HasSubstr("no extension 1001"));
  auto again = store_->remove_extension(tenant.id, "1001");
  ASSERT_FALSE(again.ok());
  EXPECT_TRUE(is_error(again.error(), StoreError::kNotFound));
}

TEST_F(SqliteStoreTest, DuplicateExtensionErrorSaysWhich) {
  const Tenant tenant = add_tenant("example.com");
  const Tenant other = add_tenant("other.example.com");
  add_extension(tenant.id, "1001");
  auto duplicate =
      store_->add_extension(NewExtension{tenant.id, "1001", "Bob", {std::string(kMd5), ""}});
  ASSERT_FALSE(duplicate.ok());
  EXPECT_TRUE(is_error(duplicate.error(), StoreError::kConflict));
  EXPECT_EQ(duplicate.error().message, "extension 1001 already exists in tenant example.com");
  // The same number in another tenant is fine.
  add_extension(other.id, "1001");
}

TEST_F(SqliteStoreTest, SetCredentialsReplacesBothDigestsAndStampsUpdate) {
  const Tenant tenant = add_tenant("example.com");
  add_extension(tenant.id, "1001");
  clock_ = kNow + 60;
  ASSERT_TRUE(
      store_->set_credentials(tenant.id, "1001", Credentials{"", std::string(kSha256)}).ok());
  auto got = store_->get_extension(tenant.id, "1001");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->credentials.ha1_md5, "");
  EXPECT_EQ(got->credentials.ha1_sha256, kSha256);
  EXPECT_EQ(got->created_at, kNow);
  EXPECT_EQ(got->updated_at, kNow + 60);

  auto unknown = store_->set_credentials(tenant.id, "9999", Credentials{std::string(kMd5), ""});
  ASSERT_FALSE(unknown.ok());
  EXPECT_TRUE(is_error(unknown.error(), StoreError::kNotFound));
  auto empty = store_->set_credentials(tenant.id, "1001", Credentials{});
  ASSERT_FALSE(empty.ok());
  EXPECT_TRUE(is_error(empty.error(), StoreError::kInvalidInput));
}

TEST_F(SqliteStoreTest, RejectsBadExtensionInput) {
  const Tenant tenant = add_tenant("example.com");
  struct Case {
    std::string number;
    Credentials credentials;
    std::string_view message;
  };
  const Case cases[] = {
      {"10a1", {std::string(kMd5), ""}, "extension number must be 2 to 15 digits, got '10a1'"},
      {"1", {std::string(kMd5), ""}, "extension number must be 2 to 15 digits, got '1'"},
      {"1234567890123456", {std::string(kMd5), ""}, "2 to 15 digits"},
      {"", {std::string(kMd5), ""}, "got ''"},
      {"1001", {"abc", ""}, "ha1_md5 must be 32 hex digits, got 3 characters"},
      {"1001", {std::string(32, 'g'), ""}, "ha1_md5 must be hex digits"},
      {"1001", {"", std::string(kMd5)}, "ha1_sha256 must be 64 hex digits"},
      {"1001", {}, "both are empty"},
  };
  for (const auto& c : cases) {
    auto added = store_->add_extension(NewExtension{tenant.id, c.number, "", c.credentials});
    ASSERT_FALSE(added.ok()) << c.number;
    EXPECT_TRUE(is_error(added.error(), StoreError::kInvalidInput));
    EXPECT_THAT(added.error().message, HasSubstr(std::string(c.message)));
  }
  auto huge_number = store_->get_extension(tenant.id, std::string(100'000, '1'));
  ASSERT_FALSE(huge_number.ok());
  EXPECT_LT(huge_number.error().message.size(), 200U);
  auto listed = store_->list_extensions(tenant.id);
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->empty());
}

// --- bindings ----------------------------------------------------------------------------------

TEST_F(SqliteStoreTest, BindingRoundTripsEveryField) {
  const Tenant tenant = add_tenant("example.com");
  add_extension(tenant.id, "1001");
  Binding in = binding(tenant.id, "1001", "sip:alice@192.0.2.4:40000;transport=udp",
                       "<urn:uuid:00000000-0000-1000-8000-000a95a0e128>", 1);
  in.received = Endpoint{"wss", "2001:DB8::0:1", 443};
  ASSERT_TRUE(store_->upsert_binding(in).ok());

  auto listed = store_->list_bindings(tenant.id, "1001", kNow);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1U);
  const Binding& out = (*listed)[0];
  EXPECT_EQ(out.tenant_id, tenant.id);
  EXPECT_EQ(out.extension, "1001");
  EXPECT_EQ(out.contact_uri, in.contact_uri);
  EXPECT_EQ(out.instance, in.instance);
  EXPECT_EQ(out.reg_id, 1U);
  EXPECT_EQ(out.path, in.path);
  EXPECT_EQ(out.q_per_mille, 500);
  EXPECT_EQ(out.call_id, in.call_id);
  EXPECT_EQ(out.cseq, 1826U);
  EXPECT_EQ(out.expires_at, kNow + 3600);
  EXPECT_EQ(out.received.transport, "WSS");
  EXPECT_EQ(out.received.ip, "2001:db8::1");  // canonical form
  EXPECT_EQ(out.received.port, 443);
  EXPECT_EQ(out.local_socket.transport, "UDP");
  EXPECT_EQ(out.local_socket.ip, "198.51.100.1");
  EXPECT_EQ(out.local_socket.port, 5060);
  EXPECT_EQ(out.user_agent, "Linphone/5.2");
}

TEST_F(SqliteStoreTest, UpsertReplacesByContactUriWithoutInstance) {
  const Tenant tenant = add_tenant("example.com");
  add_extension(tenant.id, "1001");
  ASSERT_TRUE(store_->upsert_binding(binding(tenant.id, "1001", "sip:a@192.0.2.4")).ok());
  Binding refresh = binding(tenant.id, "1001", "sip:a@192.0.2.4");
  refresh.cseq = 1827;
  refresh.expires_at = kNow + 7200;
  ASSERT_TRUE(store_->upsert_binding(refresh).ok());
  ASSERT_TRUE(store_->upsert_binding(binding(tenant.id, "1001", "sip:a@192.0.2.99")).ok());

  auto listed = store_->list_bindings(tenant.id, "1001", kNow);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2U);
  EXPECT_EQ((*listed)[0].contact_uri, "sip:a@192.0.2.4");  // later expiry first at equal q
  EXPECT_EQ((*listed)[0].cseq, 1827U);
}

TEST_F(SqliteStoreTest, UpsertReplacesByInstanceAndRegId) {
  const Tenant tenant = add_tenant("example.com");
  add_extension(tenant.id, "1001");
  const std::string instance = "<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>";
  // RFC 5626 §4.2: one device, the same contact over two flows.
  ASSERT_TRUE(
      store_->upsert_binding(binding(tenant.id, "1001", "sip:d@192.0.2.4", instance, 1)).ok());
  ASSERT_TRUE(
      store_->upsert_binding(binding(tenant.id, "1001", "sip:d@192.0.2.4", instance, 2)).ok());
  auto two = store_->list_bindings(tenant.id, "1001", kNow);
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(two->size(), 2U);

  // The device moves networks: flow 1 comes back with a new contact URI and replaces itself.
  ASSERT_TRUE(
      store_->upsert_binding(binding(tenant.id, "1001", "sip:d@203.0.113.7", instance, 1)).ok());
  auto moved = store_->list_bindings(tenant.id, "1001", kNow);
  ASSERT_TRUE(moved.ok());
  ASSERT_EQ(moved->size(), 2U);
  int flow1 = 0;
  for (const auto& b : *moved) {
    if (b.reg_id == 1) {
      ++flow1;
      EXPECT_EQ(b.contact_uri, "sip:d@203.0.113.7");
    }
  }
  EXPECT_EQ(flow1, 1);

  // An instance-less binding of the same URI is the same device before it spoke RFC 5626.
  ASSERT_TRUE(store_->upsert_binding(binding(tenant.id, "1001", "sip:legacy@192.0.2.8")).ok());
  ASSERT_TRUE(
      store_->upsert_binding(binding(tenant.id, "1001", "sip:legacy@192.0.2.8", "<urn:uuid:x>", 1))
          .ok());
  auto after = store_->list_bindings(tenant.id, "1001", kNow);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->size(), 3U);
  for (const auto& b : *after) {
    if (b.contact_uri == "sip:legacy@192.0.2.8") {
      EXPECT_EQ(b.instance, "<urn:uuid:x>");
    }
  }
}

TEST_F(SqliteStoreTest, RemovesOneOrAllBindings) {
  const Tenant tenant = add_tenant("example.com");
  add_extension(tenant.id, "1001");
  add_extension(tenant.id, "1002");
  ASSERT_TRUE(store_->upsert_binding(binding(tenant.id, "1001", "sip:a@192.0.2.4")).ok());
  ASSERT_TRUE(
      store_->upsert_binding(binding(tenant.id, "1001", "sip:b@192.0.2.4", "<urn:uuid:b>", 1))
          .ok());
  ASSERT_TRUE(store_->upsert_binding(binding(tenant.id, "1001", "sip:c@192.0.2.4")).ok());
  ASSERT_TRUE(store_->upsert_binding(binding(tenant.id, "1002", "sip:z@192.0.2.4")).ok());

  auto by_uri = store_->remove_binding(BindingKey{tenant.id, "1001", "sip:a@192.0.2.4", "", 0});
  ASSERT_TRUE(by_uri.ok());
  EXPECT_TRUE(*by_uri);
  auto by_instance = store_->remove_binding(BindingKey{tenant.id, "1001", "", "<urn:uuid:b>", 1});
  ASSERT_TRUE(by_instance.ok());
  EXPECT_TRUE(*by_instance);
  auto missing = store_->remove_binding(BindingKey{tenant.id, "1001", "sip:a@192.0.2.4", "", 0});
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(*missing);

  auto all = store_->remove_bindings(tenant.id, "1001");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(*all, 1U);
  auto left = store_->list_live_bindings(kNow);
  ASSERT_TRUE(left.ok());
  ASSERT_EQ(left->size(), 1U);
  EXPECT_EQ((*left)[0].extension, "1002");
}

TEST_F(SqliteStoreTest, PurgesExpiredAndListsOnlyLiveBindings) {
  const Tenant tenant = add_tenant("example.com");
  add_extension(tenant.id, "1001");
  add_extension(tenant.id, "1002");
  ASSERT_TRUE(
      store_->upsert_binding(binding(tenant.id, "1001", "sip:old@192.0.2.4", "", 0, kNow - 1))
          .ok());
  ASSERT_TRUE(
      store_->upsert_binding(binding(tenant.id, "1001", "sip:edge@192.0.2.4", "", 0, kNow)).ok());
  ASSERT_TRUE(
      store_->upsert_binding(binding(tenant.id, "1001", "sip:new@192.0.2.4", "", 0, kNow + 1))
          .ok());
  ASSERT_TRUE(
      store_->upsert_binding(binding(tenant.id, "1002", "sip:z@192.0.2.4", "", 0, kNow + 60)).ok());

  auto live = store_->list_live_bindings(kNow);
  ASSERT_TRUE(live.ok());
  ASSERT_EQ(live->size(), 2U);
  EXPECT_EQ((*live)[0].contact_uri, "sip:new@192.0.2.4");
  EXPECT_EQ((*live)[1].contact_uri, "sip:z@192.0.2.4");
  auto of_1001 = store_->list_bindings(tenant.id, "1001", kNow);
  ASSERT_TRUE(of_1001.ok());
  EXPECT_EQ(of_1001->size(), 1U);

  auto purged = store_->purge_expired_bindings(kNow);
  ASSERT_TRUE(purged.ok());
  EXPECT_EQ(*purged, 2U);  // expires_at <= now
  auto again = store_->purge_expired_bindings(kNow);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 0U);
  auto everything = store_->list_live_bindings(0);
  ASSERT_TRUE(everything.ok());
  EXPECT_EQ(everything->size(), 2U);
}

TEST_F(SqliteStoreTest, BindingForUnknownExtensionIsNotFound) {
  const Tenant tenant = add_tenant("example.com");
  auto result = store_->upsert_binding(binding(tenant.id, "1001", "sip:a@192.0.2.4"));
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(is_error(result.error(), StoreError::kNotFound));
  EXPECT_THAT(result.error().message, HasSubstr("no extension 1001 in tenant"));
}

TEST_F(SqliteStoreTest, RemovingAnExtensionRemovesItsBindings) {
  const Tenant tenant = add_tenant("example.com");
  add_extension(tenant.id, "1001");
  ASSERT_TRUE(store_->upsert_binding(binding(tenant.id, "1001", "sip:a@192.0.2.4")).ok());
  ASSERT_TRUE(store_->remove_extension(tenant.id, "1001").ok());
  auto live = store_->list_live_bindings(kNow);
  ASSERT_TRUE(live.ok());
  EXPECT_TRUE(live->empty());
}

TEST_F(SqliteStoreTest, RejectsBadBindings) {
  const Tenant tenant = add_tenant("example.com");
  add_extension(tenant.id, "1001");
  struct Case {
    void (*change)(Binding&);
    std::string_view message;
  };
  const Case cases[] = {
      {[](Binding& b) { b.contact_uri = ""; }, "contact URI must not be empty"},
      {[](Binding& b) { b.contact_uri = "alice@example.com"; }, "must start with a scheme"},
      {[](Binding& b) { b.contact_uri = "sip:" + std::string(1 << 20, 'a'); }, "the limit is 2048"},
      {[](Binding& b) { b.reg_id = 1; }, "reg-id 1 needs a +sip.instance"},
      {[](Binding& b) { b.q_per_mille = 1001; }, "q-value must be 0 to 1000"},
      {[](Binding& b) { b.call_id = ""; }, "Call-ID must not be empty"},
      {[](Binding& b) { b.call_id = "a\r\nVia: x"; }, "Call-ID contains control characters"},
      {[](Binding& b) { b.expires_at = 0; }, "expires_at must be a positive unix time"},
      {[](Binding& b) { b.received.transport = "SCTP"; }, "received transport must be"},
      {[](Binding& b) { b.received.ip = "example.com"; }, "received address must be an IPv4"},
      {[](Binding& b) { b.received.port = 0; }, "received port must not be 0"},
      {[](Binding& b) { b.local_socket.ip = ""; }, "local socket address"},
      {[](Binding& b) { b.user_agent = std::string(2000, 'u'); }, "user agent is 2000 bytes"},
      {[](Binding& b) { b.extension = "x"; }, "extension number must be"},
  };
  for (const auto& c : cases) {
    Binding b = binding(tenant.id, "1001", "sip:a@192.0.2.4");
    c.change(b);
    auto result = store_->upsert_binding(b);
    ASSERT_FALSE(result.ok()) << c.message;
    EXPECT_TRUE(is_error(result.error(), StoreError::kInvalidInput));
    EXPECT_THAT(result.error().message, HasSubstr(std::string(c.message)));
    EXPECT_LT(result.error().message.size(), 200U);
  }
  auto live = store_->list_live_bindings(0);
  ASSERT_TRUE(live.ok());
  EXPECT_TRUE(live->empty());
}

// --- call records ------------------------------------------------------------------------------

TEST_F(SqliteStoreTest, InsertsAndListsRecentCallRecords) {
  const Tenant tenant = add_tenant("example.com");
  const Tenant other = add_tenant("other.example.com");
  CallRecord answered{
      0,      tenant.id, "call-1@host", "sip:1001@example.com", "1002",
      10'000, 12'500,    70'000,        Disposition::kAnswered, HangupSide::kCaller};
  CallRecord busy{
      0,      tenant.id,          "call-2@host",      "1001", "1003", 20'000, std::nullopt,
      21'000, Disposition::kBusy, HangupSide::kCallee};
  CallRecord cancelled{0,
                       tenant.id,
                       "call-3@host",
                       "1001",
                       "1004",
                       5'000,
                       std::nullopt,
                       9'000,
                       Disposition::kCancelled,
                       HangupSide::kCaller};
  CallRecord elsewhere{0,
                       other.id,
                       "call-4@host",
                       "1",
                       "2",
                       99'000,
                       std::nullopt,
                       99'000,
                       Disposition::kFailed,
                       HangupSide::kSystem};
  auto id1 = store_->insert_call_record(answered);
  ASSERT_TRUE(id1.ok()) << id1.error().message;
  ASSERT_TRUE(store_->insert_call_record(busy).ok());
  ASSERT_TRUE(store_->insert_call_record(cancelled).ok());
  ASSERT_TRUE(store_->insert_call_record(elsewhere).ok());

  auto recent = store_->list_recent_call_records(tenant.id, 2);
  ASSERT_TRUE(recent.ok());
  ASSERT_EQ(recent->size(), 2U);
  EXPECT_EQ((*recent)[0].call_id, "call-2@host");  // newest start first
  EXPECT_EQ((*recent)[1].call_id, "call-1@host");
  const CallRecord& r = (*recent)[1];
  EXPECT_EQ(r.id, *id1);
  EXPECT_EQ(r.tenant_id, tenant.id);
  EXPECT_EQ(r.caller, "sip:1001@example.com");
  EXPECT_EQ(r.callee, "1002");
  EXPECT_EQ(r.start_ms, 10'000);
  ASSERT_TRUE(r.answer_ms.has_value());
  EXPECT_EQ(*r.answer_ms, 12'500);
  EXPECT_EQ(r.end_ms, 70'000);
  EXPECT_EQ(r.disposition, Disposition::kAnswered);
  EXPECT_EQ(r.hangup_side, HangupSide::kCaller);
  EXPECT_FALSE((*recent)[0].answer_ms.has_value());

  auto all = store_->list_recent_call_records(tenant.id, kMaxCallRecordPage);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 3U);
}

TEST_F(SqliteStoreTest, RejectsBadCallRecords) {
  const Tenant tenant = add_tenant("example.com");
  const CallRecord good{0,
                        tenant.id,
                        "c@h",
                        "1001",
                        "1002",
                        1000,
                        std::nullopt,
                        2000,
                        Disposition::kNoAnswer,
                        HangupSide::kCaller};
  struct Case {
    void (*change)(CallRecord&);
    std::string_view message;
  };
  const Case cases[] = {
      {[](CallRecord& r) { r.answer_ms = 1500; }, "only an answered call has an answer time"},
      {[](CallRecord& r) { r.disposition = Disposition::kAnswered; }, "needs an answer time"},
      {[](CallRecord& r) {
         r.disposition = Disposition::kAnswered;
         r.answer_ms = 5000;
       },
       "outside the call"},
      {[](CallRecord& r) { r.end_ms = 10; }, "start <= end"},
      {[](CallRecord& r) { r.call_id = ""; }, "Call-ID must not be empty"},
      {[](CallRecord& r) { r.caller = std::string(600, 'c'); }, "caller is 600 bytes"},
      {[](CallRecord& r) { r.callee = "\xff\xfe"; }, "callee is not valid UTF-8"},
  };
  for (const auto& c : cases) {
    CallRecord r = good;
    c.change(r);
    auto result = store_->insert_call_record(r);
    ASSERT_FALSE(result.ok()) << c.message;
    EXPECT_TRUE(is_error(result.error(), StoreError::kInvalidInput));
    EXPECT_THAT(result.error().message, HasSubstr(std::string(c.message)));
  }
  CallRecord orphan = good;
  orphan.tenant_id = 999;
  auto unknown = store_->insert_call_record(orphan);
  ASSERT_FALSE(unknown.ok());
  EXPECT_TRUE(is_error(unknown.error(), StoreError::kNotFound));

  auto zero = store_->list_recent_call_records(tenant.id, 0);
  ASSERT_FALSE(zero.ok());
  EXPECT_TRUE(is_error(zero.error(), StoreError::kInvalidInput));
  auto too_many = store_->list_recent_call_records(tenant.id, kMaxCallRecordPage + 1);
  ASSERT_FALSE(too_many.ok());
}

// --- change counter ----------------------------------------------------------------------------

TEST_F(SqliteStoreTest, ChangeCounterMovesForConfigurationOnly) {
  auto start = store_->change_counter();
  ASSERT_TRUE(start.ok());
  std::uint64_t last = *start;
  auto moved = [&] {
    auto now = store_->change_counter();
    EXPECT_TRUE(now.ok());
    const bool changed = now.ok() && *now != last;
    if (now.ok()) last = *now;
    return changed;
  };

  const Tenant tenant = add_tenant("example.com");
  EXPECT_TRUE(moved());
  add_extension(tenant.id, "1001");
  EXPECT_TRUE(moved());
  ASSERT_TRUE(store_->set_credentials(tenant.id, "1001", {"", std::string(kSha256)}).ok());
  EXPECT_TRUE(moved());

  // Registrations and calls are traffic, not configuration.
  ASSERT_TRUE(store_->upsert_binding(binding(tenant.id, "1001", "sip:a@192.0.2.4")).ok());
  ASSERT_TRUE(store_->purge_expired_bindings(kNow + 1'000'000).ok());
  ASSERT_TRUE(store_
                  ->insert_call_record(CallRecord{0, tenant.id, "c@h", "1", "2", 1, std::nullopt, 2,
                                                  Disposition::kFailed, HangupSide::kSystem})
                  .ok());
  EXPECT_FALSE(moved());
  // A refused change moves nothing either.
  EXPECT_FALSE(store_->add_tenant(NewTenant{"example.com", "", false}).ok());
  EXPECT_FALSE(moved());

  ASSERT_TRUE(store_->set_default_tenant(tenant.id).ok());
  EXPECT_TRUE(moved());
  ASSERT_TRUE(store_->remove_extension(tenant.id, "1001").ok());
  EXPECT_TRUE(moved());
  ASSERT_TRUE(store_->remove_tenant(tenant.id).ok());
  EXPECT_TRUE(moved());
}

// --- batches ---------------------------------------------------------------------------------

TEST_F(SqliteStoreTest, ABatchCommitsEveryWriteAndKeepsFailuresApart) {
  const Tenant tenant = add_tenant("example.com");
  add_extension(tenant.id, "1001");
  std::vector<bool> results;
  auto batched = store_->write_batch([&] {
    for (int i = 0; i < 50; ++i) {
      results.push_back(
          store_
              ->upsert_binding(
                  binding(tenant.id, "1001", "sip:1001@192.0.2.4:" + std::to_string(5000 + i)))
              .ok());
    }
    // A write that fails inside the batch (no such extension) leaves the others in place.
    results.push_back(store_->upsert_binding(binding(tenant.id, "1999", "sip:x@192.0.2.9")).ok());
  });
  ASSERT_TRUE(batched.ok()) << batched.error().message;
  ASSERT_EQ(results.size(), 51u);
  EXPECT_FALSE(results.back());

  // Another connection (as the CLI or a restarted server would be) sees the committed batch.
  auto other = open_store();
  ASSERT_NE(other, nullptr);
  auto live = other->list_bindings(tenant.id, "1001", kNow);
  ASSERT_TRUE(live.ok());
  EXPECT_EQ(live->size(), 50u);
}

TEST_F(SqliteStoreTest, AFailedWriteInsideABatchRollsBackOnlyItself) {
  const Tenant tenant = add_tenant("example.com");
  add_extension(tenant.id, "1001");
  ASSERT_TRUE(store_->upsert_binding(binding(tenant.id, "1001", "sip:1001@192.0.2.4:5000")).ok());
  Binding invalid = binding(tenant.id, "1001", "sip:1001@192.0.2.4:5001");
  invalid.received.ip = "not an address";
  auto batched = store_->write_batch([&] {
    EXPECT_FALSE(store_->upsert_binding(invalid).ok());
    EXPECT_TRUE(
        store_->remove_binding(BindingKey{tenant.id, "1001", "sip:1001@192.0.2.4:5000", "", 0})
            .ok());
  });
  ASSERT_TRUE(batched.ok());
  auto live = store_->list_bindings(tenant.id, "1001", kNow);
  ASSERT_TRUE(live.ok());
  EXPECT_TRUE(live->empty());
}

}  // namespace
}  // namespace parley::store::sqlite
