// LocationTable's reachability edges (issue 10): the hook presence uses to go live on REGISTER,
// unregistration and expiry. Told for the first binding and for the last one gone, never for a
// refresh; against a real SQLite store, with the wall clock moved by hand. The end of the chain,
// PresenceHub::registration_changed waking a watching worker, is tested here too.

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "sip/location_table.hpp"
#include "sip/presence_hub.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "support/temp_dir.hpp"

namespace parley::sip {
namespace {

constexpr store::UnixSeconds kStart = 1'800'000'000;

struct Edge {
  std::string extension;
  bool reachable = false;
  bool operator==(const Edge&) const = default;
};

class ReachabilityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store::sqlite::SqliteStoreOptions options;
    options.data_dir = dir_.path();
    auto opened = store::sqlite::SqliteStore::open(std::move(options));
    ASSERT_TRUE(opened.ok());
    store_ = std::move(opened).value();
    auto tenant = store_->add_tenant({"example.com", "Example", true});
    ASSERT_TRUE(tenant.ok());
    tenant_ = tenant->id;
    for (const char* number : {"1001", "1002"}) {
      ASSERT_TRUE(
          store_->add_extension({tenant_, number, "", {"0123456789abcdef0123456789abcdef", ""}})
              .ok());
    }
    LocationTableOptions table_options;
    table_options.wall_clock = [this] { return now_; };
    table_options.shards = 2;
    auto table = LocationTable::open(*store_, std::move(table_options));
    ASSERT_TRUE(table.ok());
    table_ = std::move(table).value();
    table_->set_reachability_listener(
        [this](store::TenantId tenant, std::string_view extension, bool reachable) {
          EXPECT_EQ(tenant, tenant_);
          edges_.push_back({std::string(extension), reachable});
        });
  }

  store::Binding binding(std::string contact, store::UnixSeconds lifetime = 3600,
                         std::string instance = "") const {
    store::Binding b;
    b.contact_uri = std::move(contact);
    b.instance = std::move(instance);
    b.reg_id = b.instance.empty() ? 0 : 1;
    b.expires_at = now_ + lifetime;
    b.received = {"UDP", "198.51.100.7", 40000};
    b.local_socket = {"UDP", "192.0.2.1", 5060};
    return b;
  }

  // One REGISTER: `adds` upserted, `removes` (contact URIs) removed; true when applied.
  bool apply(std::string extension, std::string call_id, std::uint32_t cseq,
             std::vector<store::Binding> adds, std::vector<std::string> removes = {},
             bool remove_all = false, std::uint64_t connection = 0) {
    RegistrationChange change;
    change.tenant_id = tenant_;
    change.extension = std::move(extension);
    change.call_id = std::move(call_id);
    change.cseq = cseq;
    change.remove_all = remove_all;
    change.max_bindings = 2;
    for (auto& added : adds) change.contacts.push_back({std::move(added), false, connection});
    for (auto& removed : removes) change.contacts.push_back({binding(removed), true, 0});
    return !table_->apply(change).refusal;
  }

  std::vector<Edge> take() { return std::exchange(edges_, {}); }

  test::TempDir dir_;
  store::UnixSeconds now_ = kStart;
  std::unique_ptr<store::sqlite::SqliteStore> store_;
  store::TenantId tenant_ = 0;
  std::unique_ptr<LocationTable> table_;
  std::vector<Edge> edges_;
};

TEST_F(ReachabilityTest, FirstBindingIsAnEdgeRefreshesAndSecondDevicesAreNot) {
  ASSERT_TRUE(apply("1001", "a", 1, {binding("sip:a@198.51.100.7")}));
  EXPECT_EQ(take(), (std::vector<Edge>{{"1001", true}}));
  ASSERT_TRUE(apply("1001", "a", 2, {binding("sip:a@198.51.100.7")}));  // refresh
  ASSERT_TRUE(apply("1001", "b", 1, {binding("sip:b@198.51.100.8")}));  // a second device
  ASSERT_TRUE(apply("1001", "b", 2, {}));                               // a query
  EXPECT_TRUE(take().empty());
  // A refused change (out-of-order CSeq, past the cap) changes nothing and tells nothing.
  EXPECT_FALSE(apply("1001", "a", 2, {}, {"sip:a@198.51.100.7"}));
  EXPECT_FALSE(apply("1001", "c", 1, {binding("sip:c@198.51.100.9")}));
  EXPECT_TRUE(take().empty());
}

TEST_F(ReachabilityTest, LastBindingGoneByUnregisterOrWildcard) {
  ASSERT_TRUE(apply("1001", "a", 1, {binding("sip:a@198.51.100.7")}));
  ASSERT_TRUE(apply("1001", "b", 1, {binding("sip:b@198.51.100.8")}));
  take();
  ASSERT_TRUE(apply("1001", "a", 2, {}, {"sip:a@198.51.100.7"}));  // one of two: still reachable
  EXPECT_TRUE(take().empty());
  ASSERT_TRUE(apply("1001", "b", 2, {}, {"sip:b@198.51.100.8"}));
  EXPECT_EQ(take(), (std::vector<Edge>{{"1001", false}}));
  ASSERT_TRUE(apply("1001", "b", 3, {}, {"sip:b@198.51.100.8"}));  // nothing left to remove
  EXPECT_TRUE(take().empty());

  ASSERT_TRUE(apply("1001", "c", 1, {binding("sip:c@198.51.100.7")}));
  ASSERT_TRUE(apply("1001", "c", 2, {}, {}, /*remove_all=*/true));
  EXPECT_EQ(take(), (std::vector<Edge>{{"1001", true}, {"1001", false}}));
}

TEST_F(ReachabilityTest, InstanceReplacementKeepsItReachable) {
  ASSERT_TRUE(apply("1001", "a", 1, {binding("sip:old@198.51.100.7", 3600, "<urn:uuid:1>")}));
  take();
  // The same device (instance, reg-id) from a new address replaces its binding: no edge.
  ASSERT_TRUE(apply("1001", "z", 1, {binding("sip:new@198.51.100.9", 3600, "<urn:uuid:1>")}));
  EXPECT_TRUE(take().empty());
  EXPECT_EQ(table_->lookup(tenant_, "1001").size(), 1u);
}

TEST_F(ReachabilityTest, ExpiryIsAnEdgeAtThePurgeOrAtTheNextRegister) {
  ASSERT_TRUE(apply("1001", "a", 1, {binding("sip:a@198.51.100.7", 30)}));
  ASSERT_TRUE(apply("1002", "b", 1, {binding("sip:b@198.51.100.8", 30)}));
  ASSERT_TRUE(apply("1002", "c", 1, {binding("sip:c@198.51.100.9", 300)}));
  take();
  now_ = kStart + 30;
  EXPECT_EQ(table_->purge_expired(), 2u);
  // 1002 keeps a live binding; 1001 lost its only one.
  EXPECT_EQ(take(), (std::vector<Edge>{{"1001", false}}));
  EXPECT_EQ(table_->purge_expired(), 0u);
  EXPECT_TRUE(take().empty());

  // Lapsed without a purge in between: the next REGISTER is a first binding again, and an
  // unregistration that finds only a lapsed binding still says unreachable once.
  ASSERT_TRUE(apply("1001", "d", 1, {binding("sip:d@198.51.100.7", 30)}));
  now_ += 40;
  ASSERT_TRUE(apply("1001", "d", 2, {binding("sip:d@198.51.100.7", 30)}));
  EXPECT_EQ(take(), (std::vector<Edge>{{"1001", true}, {"1001", true}}));
  now_ += 40;
  ASSERT_TRUE(apply("1001", "d", 3, {}, {"sip:d@198.51.100.7"}));
  EXPECT_EQ(take(), (std::vector<Edge>{{"1001", false}}));
  EXPECT_EQ(table_->purge_expired(), 0u);
  EXPECT_TRUE(take().empty());
}

TEST_F(ReachabilityTest, ClosedFlowAndDeletedExtensionAreEdges) {
  ASSERT_TRUE(apply("1001", "a", 1, {binding("sip:a@198.51.100.7")}, {}, false, 7));
  ASSERT_TRUE(apply("1002", "b", 1, {binding("sip:b@198.51.100.8")}));
  take();
  EXPECT_EQ(table_->remove_connection(7), 1u);
  EXPECT_EQ(take(), (std::vector<Edge>{{"1001", false}}));
  EXPECT_EQ(table_->retain_extensions(
                [](store::TenantId, std::string_view number) { return number != "1002"; }),
            1u);
  EXPECT_EQ(take(), (std::vector<Edge>{{"1002", false}}));
}

TEST_F(ReachabilityTest, HubWakesWatchersOfTheExtensionOnly) {
  PresenceHub hub;
  int wakes = 0;
  hub.attach_worker(0, [&] { ++wakes; });
  hub.watch(0, PresenceHub::key(tenant_, "1001"));
  table_->set_reachability_listener(
      [&](store::TenantId tenant, std::string_view extension, bool reachable) {
        hub.registration_changed(tenant, extension, reachable);
      });
  ASSERT_TRUE(apply("1002", "b", 1, {binding("sip:b@198.51.100.8")}));  // nobody watches 1002
  EXPECT_EQ(wakes, 0);
  EXPECT_TRUE(hub.take_dirty(0).empty());
  ASSERT_TRUE(apply("1001", "a", 1, {binding("sip:a@198.51.100.7")}));
  ASSERT_TRUE(apply("1001", "a", 2, {binding("sip:a@198.51.100.7")}));  // refresh: no wake
  EXPECT_EQ(wakes, 1);
  EXPECT_EQ(hub.take_dirty(0), std::vector<std::string>{PresenceHub::key(tenant_, "1001")});
  ASSERT_TRUE(apply("1001", "a", 3, {}, {"sip:a@198.51.100.7"}));
  EXPECT_EQ(wakes, 2);
  EXPECT_EQ(hub.take_dirty(0), std::vector<std::string>{PresenceHub::key(tenant_, "1001")});
  EXPECT_EQ(hub.registration_changes(), 3u);
  // An extension nobody watches leaves no entry behind.
  hub.unwatch(0, PresenceHub::key(tenant_, "1001"));
  hub.registration_changed(tenant_, "1001", true);
  EXPECT_EQ(hub.busy_extension_count(), 0u);
  EXPECT_TRUE(hub.take_dirty(0).empty());
}

}  // namespace
}  // namespace parley::sip
