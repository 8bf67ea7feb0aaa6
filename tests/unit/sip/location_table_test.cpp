// LocationTable: bindings in memory, written through to a real SQLite store by the writer thread,
// reloaded from it on open; plus a memory measurement with 100,000 bindings against an in-memory
// fake store.

#include "sip/location_table.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/check.hpp"
#include "store/sqlite/sqlite_store.hpp"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PARLEY_TEST_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define PARLEY_TEST_ASAN 1
#endif
#ifdef PARLEY_TEST_ASAN
#include <sanitizer/allocator_interface.h>
#else
#include <malloc.h>
#endif

namespace parley::sip {
namespace {

namespace fs = std::filesystem;
constexpr store::UnixSeconds kStart = 1'700'000'000;

using TempDir = test::TempDir;

store::Binding make_binding(std::string contact, std::uint16_t q = 1000, std::string instance = "",
                            std::uint32_t reg_id = 0) {
  store::Binding b;
  b.contact_uri = std::move(contact);
  b.instance = std::move(instance);
  b.reg_id = reg_id;
  b.q_per_mille = q;
  b.expires_at = kStart + 3600;
  b.received = {"UDP", "198.51.100.7", 40000};
  b.local_socket = {"UDP", "192.0.2.1", 5060};
  b.user_agent = "TestPhone 1.0";
  return b;
}

ContactChange upsert(store::Binding binding, std::uint64_t connection_id = 0) {
  return ContactChange{std::move(binding), false, connection_id};
}

ContactChange removal(std::string contact, std::string instance = "", std::uint32_t reg_id = 0) {
  return ContactChange{make_binding(std::move(contact), 1000, std::move(instance), reg_id), true,
                       0};
}

std::vector<std::string> contacts_of(const std::vector<store::Binding>& bindings) {
  std::vector<std::string> out;
  for (const auto& b : bindings) out.push_back(b.contact_uri);
  return out;
}

class LocationTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = open_store();
    ASSERT_NE(store_, nullptr);
    auto tenant = store_->add_tenant({"example.com", "Example", true});
    ASSERT_TRUE(tenant.ok());
    tenant_ = tenant->id;
    for (const char* number : {"1001", "1002"}) {
      ASSERT_TRUE(
          store_->add_extension({tenant_, number, "", {"0123456789abcdef0123456789abcdef", ""}})
              .ok());
    }
    table_ = open_table();
  }

  std::unique_ptr<store::sqlite::SqliteStore> open_store() {
    store::sqlite::SqliteStoreOptions options;
    options.data_dir = dir_.path();
    auto opened = store::sqlite::SqliteStore::open(std::move(options));
    EXPECT_TRUE(opened.ok()) << (opened ? "" : opened.error().message);
    return opened ? std::move(opened).value() : nullptr;
  }

  std::unique_ptr<LocationTable> open_table() {
    LocationTableOptions options;
    options.wall_clock = [this] { return now_; };
    options.shards = 4;
    auto opened = LocationTable::open(*store_, std::move(options));
    EXPECT_TRUE(opened.ok()) << (opened ? "" : opened.error().message);
    return opened ? std::move(opened).value() : nullptr;
  }

  RegistrationChange change(std::string call_id, std::uint32_t cseq,
                            std::vector<ContactChange> contacts, std::string extension = "1001") {
    RegistrationChange c;
    c.tenant_id = tenant_;
    c.extension = std::move(extension);
    c.call_id = std::move(call_id);
    c.cseq = cseq;
    c.contacts = std::move(contacts);
    return c;
  }

  std::vector<store::Binding> stored(std::string_view extension = "1001") {
    table_->flush();
    auto bindings = store_->list_bindings(tenant_, extension, now_);
    EXPECT_TRUE(bindings.ok());
    return bindings ? *bindings : std::vector<store::Binding>{};
  }

  TempDir dir_;
  store::UnixSeconds now_ = kStart;
  std::unique_ptr<store::sqlite::SqliteStore> store_;
  store::TenantId tenant_ = 0;
  std::unique_ptr<LocationTable> table_;
};

TEST_F(LocationTableTest, OrdersByQThenMostRecent) {
  ASSERT_FALSE(
      table_->apply(change("a", 1, {upsert(make_binding("sip:a@198.51.100.7", 500))})).refusal);
  ASSERT_FALSE(
      table_->apply(change("b", 1, {upsert(make_binding("sip:b@198.51.100.8", 1000))})).refusal);
  auto result = table_->apply(change("c", 1, {upsert(make_binding("sip:c@198.51.100.9", 500))}));
  ASSERT_FALSE(result.refusal);
  ASSERT_EQ(result.bindings.size(), 3u);
  const std::vector<std::string> expected{"sip:b@198.51.100.8", "sip:c@198.51.100.9",
                                          "sip:a@198.51.100.7"};
  EXPECT_EQ(contacts_of(table_->lookup(tenant_, "1001")), expected);
  EXPECT_EQ(result.bindings[0].binding.contact_uri, expected[0]);
  EXPECT_TRUE(table_->lookup(tenant_, "1002").empty());
}

TEST_F(LocationTableTest, WritesThroughAndKeepsEveryField) {
  store::Binding binding = make_binding("sip:1001@198.51.100.7:5062;transport=tcp", 700,
                                        "<urn:uuid:00000000-0000-1000-8000-000000000001>", 2);
  binding.path = "<sip:edge.example.com;lr>";
  binding.received = {"TCP", "2001:db8::7", 40001};
  binding.local_socket = {"TCP", "2001:db8::1", 5060};
  ASSERT_FALSE(table_->apply(change("call-1", 7, {upsert(binding, 42)})).refusal);

  auto contacts = table_->lookup_contacts(tenant_, "1001");
  ASSERT_EQ(contacts.size(), 1u);
  EXPECT_EQ(contacts[0].connection_id, 42u);
  const store::Binding& memory = contacts[0].binding;
  EXPECT_EQ(memory.contact_uri, binding.contact_uri);
  EXPECT_EQ(memory.instance, binding.instance);
  EXPECT_EQ(memory.reg_id, 2u);
  EXPECT_EQ(memory.path, binding.path);
  EXPECT_EQ(memory.q_per_mille, 700);
  EXPECT_EQ(memory.call_id, "call-1");
  EXPECT_EQ(memory.cseq, 7u);
  EXPECT_EQ(memory.received.ip, "2001:db8::7");
  EXPECT_EQ(memory.received.transport, "TCP");
  EXPECT_EQ(memory.received.port, 40001);
  EXPECT_EQ(memory.local_socket.ip, "2001:db8::1");
  EXPECT_EQ(memory.user_agent, "TestPhone 1.0");

  auto rows = stored();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].contact_uri, memory.contact_uri);
  EXPECT_EQ(rows[0].instance, memory.instance);
  EXPECT_EQ(rows[0].path, memory.path);
  EXPECT_EQ(rows[0].call_id, "call-1");
  EXPECT_EQ(rows[0].cseq, 7u);
  EXPECT_EQ(rows[0].expires_at, memory.expires_at);
  EXPECT_EQ(rows[0].received.ip, "2001:db8::7");
  EXPECT_EQ(table_->stats().writer.written, 1u);
  EXPECT_EQ(table_->stats().writer.failed, 0u);
}

TEST_F(LocationTableTest, BindingsSurviveARestart) {
  ASSERT_FALSE(table_
                   ->apply(change("a", 1,
                                  {upsert(make_binding("sip:a@198.51.100.7", 300)),
                                   upsert(make_binding("sip:b@198.51.100.8", 900))}))
                   .refusal);
  ASSERT_FALSE(
      table_->apply(change("c", 1, {upsert(make_binding("sip:c@198.51.100.9"))}, "1002")).refusal);
  const auto before = contacts_of(table_->lookup(tenant_, "1001"));
  table_.reset();  // the destructor writes whatever is queued
  table_ = open_table();
  ASSERT_NE(table_, nullptr);
  EXPECT_EQ(contacts_of(table_->lookup(tenant_, "1001")), before);
  EXPECT_EQ(contacts_of(table_->lookup(tenant_, "1002")),
            std::vector<std::string>{"sip:c@198.51.100.9"});
  EXPECT_EQ(table_->stats().bindings, 3u);
  EXPECT_EQ(table_->stats().aors, 2u);
  // The reloaded binding still obeys the Call-ID/CSeq rule.
  EXPECT_EQ(table_->apply(change("a", 1, {upsert(make_binding("sip:a@198.51.100.7"))})).refusal,
            ChangeRefusal::kOutOfOrder);
}

TEST_F(LocationTableTest, SameCallIdNeedsAHigherCSeq) {
  ASSERT_FALSE(table_->apply(change("a", 5, {upsert(make_binding("sip:a@198.51.100.7"))})).refusal);
  EXPECT_EQ(table_->apply(change("a", 5, {upsert(make_binding("sip:a@198.51.100.7"))})).refusal,
            ChangeRefusal::kOutOfOrder);
  EXPECT_EQ(table_->apply(change("a", 4, {removal("sip:a@198.51.100.7")})).refusal,
            ChangeRefusal::kOutOfOrder);
  // Another Call-ID may touch it with any CSeq (§10.3 step 7), and a higher CSeq may too.
  EXPECT_FALSE(table_->apply(change("b", 1, {upsert(make_binding("sip:a@198.51.100.7"))})).refusal);
  EXPECT_FALSE(table_->apply(change("b", 2, {upsert(make_binding("sip:a@198.51.100.7"))})).refusal);
  // A refused change left nothing behind, not even a new contact listed beside the bad one.
  EXPECT_EQ(table_
                ->apply(change("b", 2,
                               {upsert(make_binding("sip:new@198.51.100.9")),
                                upsert(make_binding("sip:a@198.51.100.7"))}))
                .refusal,
            ChangeRefusal::kOutOfOrder);
  EXPECT_EQ(contacts_of(table_->lookup(tenant_, "1001")),
            std::vector<std::string>{"sip:a@198.51.100.7"});
  EXPECT_EQ(stored().size(), 1u);
}

TEST_F(LocationTableTest, CapRefusesGrowthButNotRefreshes) {
  std::vector<ContactChange> three;
  for (int i = 0; i < 3; ++i) {
    three.push_back(upsert(make_binding("sip:p" + std::to_string(i) + "@198.51.100.7")));
  }
  RegistrationChange c = change("a", 1, three);
  c.max_bindings = 3;
  ASSERT_FALSE(table_->apply(c).refusal);
  RegistrationChange more = change("b", 1, {upsert(make_binding("sip:p9@198.51.100.7"))});
  more.max_bindings = 3;
  EXPECT_EQ(table_->apply(more).refusal, ChangeRefusal::kTooManyBindings);
  // Refreshing all three stays at the cap, even when the cap was lowered below it.
  c.cseq = 2;
  c.max_bindings = 2;
  EXPECT_FALSE(table_->apply(c).refusal);
  // Replacing one by another keeps the count.
  RegistrationChange swap =
      change("c", 1, {removal("sip:p0@198.51.100.7"), upsert(make_binding("sip:p9@198.51.100.7"))});
  swap.max_bindings = 3;
  EXPECT_FALSE(swap.contacts.empty());
  EXPECT_FALSE(table_->apply(swap).refusal);
  EXPECT_EQ(table_->lookup(tenant_, "1001").size(), 3u);
  EXPECT_EQ(stored().size(), 3u);
}

TEST_F(LocationTableTest, InstanceAndRegIdReplaceAcrossAddresses) {
  const std::string instance = "<urn:uuid:00000000-0000-1000-8000-00000000000a>";
  ASSERT_FALSE(
      table_->apply(change("a", 1, {upsert(make_binding("sip:1001@198.51.100.7:5060"))})).refusal);
  // The same device now registers with outbound parameters: the instance-less binding goes.
  ASSERT_FALSE(
      table_
          ->apply(change("b", 1,
                         {upsert(make_binding("sip:1001@198.51.100.7:5060", 1000, instance, 1))}))
          .refusal);
  ASSERT_EQ(table_->lookup(tenant_, "1001").size(), 1u);
  // After a reboot behind another NAT address, same instance and reg-id: replaced.
  ASSERT_FALSE(
      table_
          ->apply(change("c", 1,
                         {upsert(make_binding("sip:1001@203.0.113.50:6000", 1000, instance, 1))}))
          .refusal);
  // A second flow (reg-id 2) is another binding.
  ASSERT_FALSE(
      table_
          ->apply(change("d", 1,
                         {upsert(make_binding("sip:1001@203.0.113.50:6001", 1000, instance, 2))}))
          .refusal);
  auto bindings = table_->lookup(tenant_, "1001");
  ASSERT_EQ(bindings.size(), 2u);
  EXPECT_EQ(bindings[0].contact_uri, "sip:1001@203.0.113.50:6001");
  EXPECT_EQ(bindings[1].contact_uri, "sip:1001@203.0.113.50:6000");
  EXPECT_EQ(stored().size(), 2u);
  // Removal by instance and reg-id, whatever the contact says.
  ASSERT_FALSE(table_->apply(change("e", 1, {removal("sip:whatever@x", instance, 1)})).refusal);
  EXPECT_EQ(contacts_of(table_->lookup(tenant_, "1001")),
            std::vector<std::string>{"sip:1001@203.0.113.50:6001"});
  EXPECT_EQ(contacts_of(stored()), std::vector<std::string>{"sip:1001@203.0.113.50:6001"});
}

TEST_F(LocationTableTest, RemoveAllAndRemoveOne) {
  ASSERT_FALSE(table_
                   ->apply(change("a", 1,
                                  {upsert(make_binding("sip:a@198.51.100.7")),
                                   upsert(make_binding("sip:b@198.51.100.7"))}))
                   .refusal);
  ASSERT_FALSE(table_->apply(change("a", 2, {removal("sip:a@198.51.100.7")})).refusal);
  EXPECT_EQ(contacts_of(table_->lookup(tenant_, "1001")),
            std::vector<std::string>{"sip:b@198.51.100.7"});
  RegistrationChange all = change("z", 1, {});
  all.remove_all = true;
  auto result = table_->apply(all);
  ASSERT_FALSE(result.refusal);
  EXPECT_TRUE(result.bindings.empty());
  EXPECT_TRUE(table_->lookup(tenant_, "1001").empty());
  EXPECT_TRUE(stored().empty());
  EXPECT_EQ(table_->stats().aors, 0u);
}

TEST_F(LocationTableTest, RemoveAllObeysCSeqOfTheSameCallId) {
  ASSERT_FALSE(table_->apply(change("a", 9, {upsert(make_binding("sip:a@198.51.100.7"))})).refusal);
  RegistrationChange all = change("a", 9, {});
  all.remove_all = true;
  EXPECT_EQ(table_->apply(all).refusal, ChangeRefusal::kOutOfOrder);
  EXPECT_EQ(table_->lookup(tenant_, "1001").size(), 1u);
}

TEST_F(LocationTableTest, ExpiredBindingsVanishAndArePurged) {
  store::Binding shortlived = make_binding("sip:short@198.51.100.7");
  shortlived.expires_at = kStart + 60;
  ASSERT_FALSE(table_
                   ->apply(change(
                       "a", 1, {upsert(shortlived), upsert(make_binding("sip:long@198.51.100.7"))}))
                   .refusal);
  table_->flush();
  now_ = kStart + 60;  // expires_at <= now: gone
  EXPECT_EQ(contacts_of(table_->lookup(tenant_, "1001")),
            std::vector<std::string>{"sip:long@198.51.100.7"});
  EXPECT_EQ(table_->stats().bindings, 2u);  // still in memory until purged
  EXPECT_EQ(table_->purge_expired(), 1u);
  EXPECT_EQ(table_->stats().bindings, 1u);
  table_->flush();
  auto all_rows = store_->list_bindings(tenant_, "1001", 0);  // expired rows too
  ASSERT_TRUE(all_rows.ok());
  EXPECT_EQ(contacts_of(*all_rows), std::vector<std::string>{"sip:long@198.51.100.7"});
  now_ = kStart + 3600;
  EXPECT_TRUE(table_->lookup(tenant_, "1001").empty());
  EXPECT_EQ(table_->purge_expired(), 1u);
  EXPECT_EQ(table_->stats().aors, 0u);
}

TEST_F(LocationTableTest, ReloadSkipsExpiredBindings) {
  store::Binding shortlived = make_binding("sip:short@198.51.100.7");
  shortlived.expires_at = kStart + 60;
  ASSERT_FALSE(table_->apply(change("a", 1, {upsert(shortlived)})).refusal);
  table_.reset();
  now_ = kStart + 61;
  table_ = open_table();
  EXPECT_TRUE(table_->lookup(tenant_, "1001").empty());
  EXPECT_EQ(table_->stats().bindings, 0u);
}

TEST_F(LocationTableTest, RetainExtensionsDropsRemovedOnes) {
  ASSERT_FALSE(table_->apply(change("a", 1, {upsert(make_binding("sip:a@198.51.100.7"))})).refusal);
  ASSERT_FALSE(
      table_->apply(change("b", 1, {upsert(make_binding("sip:b@198.51.100.7"))}, "1002")).refusal);
  EXPECT_EQ(table_->retain_extensions(
                [](store::TenantId, std::string_view number) { return number != "1002"; }),
            1u);
  EXPECT_EQ(table_->lookup(tenant_, "1001").size(), 1u);
  EXPECT_TRUE(table_->lookup(tenant_, "1002").empty());
}

TEST_F(LocationTableTest, ClosedConnectionTakesItsBindingsAlong) {
  store::Binding ws = make_binding("sip:k3b@abc.invalid;transport=ws");
  ws.received = {"WSS", "198.51.100.7", 50000};
  ws.local_socket = {"WSS", "192.0.2.1", 8443};
  store::Binding moved = make_binding("sip:m@abc.invalid;transport=ws");
  moved.received = ws.received;
  moved.local_socket = ws.local_socket;
  ASSERT_FALSE(table_
                   ->apply(change("a", 1,
                                  {upsert(ws, 7), upsert(make_binding("sip:udp@198.51.100.8")),
                                   upsert(moved, 7)}))
                   .refusal);
  ASSERT_FALSE(table_->apply(change("b", 1, {upsert(make_binding("sip:b@abc.invalid"), 7)}, "1002"))
                   .refusal);
  // The device behind `moved` reconnected: its binding now lives on connection 8.
  ASSERT_FALSE(table_->apply(change("c", 1, {upsert(moved, 8)})).refusal);

  EXPECT_EQ(table_->remove_connection(7), 2u);
  const std::vector<std::string> left{"sip:m@abc.invalid;transport=ws", "sip:udp@198.51.100.8"};
  EXPECT_EQ(contacts_of(table_->lookup(tenant_, "1001")), left);
  EXPECT_TRUE(table_->lookup(tenant_, "1002").empty());
  auto rows = contacts_of(stored());
  std::sort(rows.begin(), rows.end());
  EXPECT_EQ(rows, left);
  EXPECT_TRUE(stored("1002").empty());
  // Once is enough; 0 is "no connection" and never matches the UDP binding.
  EXPECT_EQ(table_->remove_connection(7), 0u);
  EXPECT_EQ(table_->remove_connection(0), 0u);
  EXPECT_EQ(table_->remove_connection(8), 1u);
  EXPECT_EQ(contacts_of(table_->lookup(tenant_, "1001")),
            std::vector<std::string>{"sip:udp@198.51.100.8"});
}

TEST_F(LocationTableTest, WriteFailuresAreCountedNotFatal) {
  // The extension disappears from the store (CLI) while memory still accepts the REGISTER.
  ASSERT_TRUE(store_->remove_extension(tenant_, "1002").ok());
  ASSERT_FALSE(
      table_->apply(change("a", 1, {upsert(make_binding("sip:a@198.51.100.7"))}, "1002")).refusal);
  table_->flush();
  EXPECT_EQ(table_->stats().writer.failed, 0u);  // kNotFound is expected, not a failure
  EXPECT_EQ(table_->stats().writer.queued, 0u);
}

// A Store that keeps nothing: upserts can be held at a gate, and list_live_bindings returns a
// generated population. Everything else reports kBackend.
class FakeStore final : public store::Store {
 public:
  Result<store::Tenant> add_tenant(const store::NewTenant&) override { return fail(); }
  Result<std::vector<store::Tenant>> list_tenants() override { return fail(); }
  Result<store::Tenant> get_tenant(store::TenantId) override { return fail(); }
  Result<store::Tenant> get_tenant_by_domain(std::string_view) override { return fail(); }
  Result<store::Tenant> get_default_tenant() override { return fail(); }
  Result<void> set_default_tenant(store::TenantId) override { return fail(); }
  Result<void> remove_tenant(store::TenantId) override { return fail(); }
  Result<store::Extension> add_extension(const store::NewExtension&) override { return fail(); }
  Result<std::vector<store::Extension>> list_extensions(store::TenantId) override { return fail(); }
  Result<store::Extension> get_extension(store::TenantId, std::string_view) override {
    return fail();
  }
  Result<void> set_credentials(store::TenantId, std::string_view,
                               const store::Credentials&) override {
    return fail();
  }
  Result<void> remove_extension(store::TenantId, std::string_view) override { return fail(); }
  Result<void> upsert_binding(const store::Binding&) override {
    std::unique_lock lock(mutex_);
    ++entered_;
    changed_.notify_all();
    changed_.wait(lock, [this] { return open_; });
    return {};
  }
  Result<std::vector<store::Binding>> list_bindings(store::TenantId, std::string_view,
                                                    store::UnixSeconds) override {
    return fail();
  }
  Result<bool> remove_binding(const store::BindingKey&) override { return true; }
  Result<std::size_t> remove_bindings(store::TenantId, std::string_view) override {
    return std::size_t{0};
  }
  Result<std::size_t> purge_expired_bindings(store::UnixSeconds) override { return std::size_t{0}; }
  Result<std::vector<store::Binding>> list_live_bindings(store::UnixSeconds) override {
    return population;  // a copy, freed by the caller: the original stays for the baseline
  }
  Result<store::CallRecordId> insert_call_record(const store::CallRecord&) override {
    return fail();
  }
  Result<std::vector<store::CallRecord>> list_recent_call_records(store::TenantId,
                                                                  std::size_t) override {
    return fail();
  }
  Result<std::uint64_t> change_counter() override { return std::uint64_t{0}; }
  Result<void> write_batch(const std::function<void()>& body) override {
    body();
    return {};
  }

  void close_gate() {
    std::lock_guard lock(mutex_);
    open_ = false;
  }
  void open_gate() {
    std::lock_guard lock(mutex_);
    open_ = true;
    changed_.notify_all();
  }
  void wait_entered(int n) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return entered_ >= n; });
  }

  std::vector<store::Binding> population;

 private:
  static Error fail() { return store::make_store_error(store::StoreError::kBackend, "fake"); }
  std::mutex mutex_;
  std::condition_variable changed_;
  bool open_ = true;
  int entered_ = 0;
};

TEST(LocationTableOverloadTest, FullWriterQueueRefusesWithoutChangingMemory) {
  FakeStore store;
  store.close_gate();
  store::UnixSeconds now = kStart;
  LocationTableOptions options;
  options.wall_clock = [&] { return now; };
  options.writer.capacity = 2;
  auto table = LocationTable::open(store, options);
  ASSERT_TRUE(table.ok());
  auto apply = [&](const std::string& contact) {
    RegistrationChange c;
    c.tenant_id = 1;
    c.extension = "1001";
    c.call_id = contact;
    c.cseq = 1;
    c.contacts.push_back(upsert(make_binding(contact)));
    return (*table)->apply(c).refusal;
  };
  EXPECT_FALSE(apply("sip:a@198.51.100.1"));
  store.wait_entered(1);  // the writer holds the first one at the gate
  EXPECT_FALSE(apply("sip:b@198.51.100.1"));
  EXPECT_FALSE(apply("sip:c@198.51.100.1"));
  EXPECT_EQ(apply("sip:d@198.51.100.1"), ChangeRefusal::kOverloaded);
  EXPECT_EQ((*table)->lookup(1, "1001").size(), 3u);
  EXPECT_EQ((*table)->stats().writer.refused, 1u);
  store.open_gate();
  (*table)->flush();
  EXPECT_EQ((*table)->stats().writer.written, 3u);
  EXPECT_FALSE(apply("sip:d@198.51.100.1"));
}

std::size_t heap_bytes() {
#ifdef PARLEY_TEST_ASAN
  return __sanitizer_get_current_allocated_bytes();
#else
  return mallinfo2().uordblks;
#endif
}

// Goal from the design brief: at most 1 KiB per binding beyond the baseline with 100,000.
TEST(LocationTableMemoryTest, HundredThousandBindingsStayUnderOneKibibyteEach) {
  constexpr std::size_t kBindings = 100000;
  FakeStore store;
  store.population.reserve(kBindings);
  for (std::size_t i = 0; i < kBindings; ++i) {
    const std::string number = std::to_string(100000 + i / 2);
    store::Binding b = make_binding("sip:" + number + "@203.0.113." + std::to_string(i % 250) +
                                    ":" + std::to_string(20000 + i % 40000) +
                                    ";transport=udp;rinstance=0123456789abcdef");
    b.tenant_id = 1;
    b.extension = number;
    b.call_id = "3c26700f1a2b-" + std::to_string(i) + "@192.168.1.23";
    b.cseq = 1234;
    b.user_agent = "Yealink SIP-T46S 66.86.0.15";
    if (i % 2 == 0) {
      b.instance = "<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c9" + std::to_string(100000 + i) + ">";
      b.reg_id = 1;
    }
    store.population.push_back(std::move(b));
  }
  const std::size_t baseline = heap_bytes();
  store::UnixSeconds now = kStart;
  LocationTableOptions options;
  options.wall_clock = [&] { return now; };
  auto table = LocationTable::open(store, options);
  ASSERT_TRUE(table.ok());
  ASSERT_EQ((*table)->stats().bindings, kBindings);
  const std::size_t after = heap_bytes();
  const double per_binding =
      after > baseline ? static_cast<double>(after - baseline) / kBindings : 0.0;
  RecordProperty("bytes_per_binding", std::to_string(per_binding));
  std::printf("heap bytes per binding: %.1f (estimate %.1f)\n", per_binding,
              static_cast<double>((*table)->memory_bytes()) / kBindings);
  EXPECT_GT(per_binding, 100.0);  // the measurement sees the table at all
  EXPECT_LE(per_binding, 1024.0);
  EXPECT_EQ((*table)->lookup(1, "100000").size(), 2u);
}

}  // namespace
}  // namespace parley::sip
