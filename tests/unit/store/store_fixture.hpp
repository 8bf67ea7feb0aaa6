#pragma once
// The set-up the SqliteStore test files share: a store on a fresh data folder, the tenant
// example.com (and, when a test wants a second one, other.org), their extensions, and the change
// counter that every write must move.

#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <utility>

#include "store/sqlite/sqlite_store.hpp"
#include "support/temp_dir.hpp"

namespace parley::store::sqlite {

// A well-formed SHA-256 digest for extensions' stored credentials; its value never matters.
inline const std::string kSha256(64, 'a');

class StoreFixture : public ::testing::Test {
 protected:
  // A store on the fixture's folder: the first one, or the same file again after
  // `store_.reset()`. Null after a failed expectation when it cannot be opened.
  std::unique_ptr<SqliteStore> open_store() {
    SqliteStoreOptions options;
    options.data_dir = dir_.path() / "data";
    auto opened = SqliteStore::open(std::move(options));
    EXPECT_TRUE(opened.ok()) << opened.error().message;
    return opened.ok() ? std::move(opened).value() : nullptr;
  }

  // Opens `store_` and adds `tenant_` (example.com) and, with `with_other`, `other_`
  // (other.org). Call it through ASSERT_NO_FATAL_FAILURE.
  void open_with_tenants(bool with_other) {
    store_ = open_store();
    ASSERT_NE(store_, nullptr);
    auto tenant = store_->add_tenant(NewTenant{"example.com", "Example", false});
    ASSERT_TRUE(tenant.ok());
    tenant_ = *tenant;
    if (!with_other) return;
    auto other = store_->add_tenant(NewTenant{"other.org", "Other", false});
    ASSERT_TRUE(other.ok());
    other_ = *other;
  }

  // Adds extensions given as {number, display name} to `tenant`, stopping at the first refusal.
  // Call it through ASSERT_NO_FATAL_FAILURE.
  void add_extensions(TenantId tenant,
                      std::initializer_list<std::pair<const char*, const char*>> extensions) {
    for (const auto& [number, name] : extensions) {
      auto added = store_->add_extension(NewExtension{tenant, number, name, {"", kSha256}});
      ASSERT_TRUE(added.ok()) << number << ": " << added.error().message;
    }
  }

  std::uint64_t counter() {
    auto value = store_->change_counter();
    EXPECT_TRUE(value.ok());
    return value.ok() ? *value : 0;
  }

  test::TempDir dir_;
  std::unique_ptr<SqliteStore> store_;
  Tenant tenant_;
  Tenant other_;  // set only by open_with_tenants(true)
};

}  // namespace parley::store::sqlite
