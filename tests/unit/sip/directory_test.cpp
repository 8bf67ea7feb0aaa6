// Directory against a real SQLite store in a temporary folder, including a second store instance
// on the same folder standing in for `parley user add` in another process.

#include "sip/directory.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include "base/check.hpp"
#include "protocol/sip/digest.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace parley::sip {
namespace {

namespace fs = std::filesystem;
namespace psip = protocol::sip;

using TempDir = test::TempDir;

std::unique_ptr<store::sqlite::SqliteStore> open_store(const fs::path& dir) {
  store::sqlite::SqliteStoreOptions options;
  options.data_dir = dir;
  auto opened = store::sqlite::SqliteStore::open(std::move(options));
  EXPECT_TRUE(opened.ok()) << (opened ? "" : opened.error().message);
  return opened ? std::move(opened).value() : nullptr;
}

store::Credentials credentials(std::string_view user, std::string_view realm,
                               std::string_view password) {
  return {psip::ha1(psip::DigestAlgorithm::kMd5, user, realm, password),
          psip::ha1(psip::DigestAlgorithm::kSha256, user, realm, password)};
}

class DirectoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = open_store(dir_.path());
    ASSERT_NE(store_, nullptr);
    auto main = store_->add_tenant({"example.com", "Example", true});
    ASSERT_TRUE(main.ok());
    main_ = main->id;
    auto other = store_->add_tenant({"other.example.org", "Other", false});
    ASSERT_TRUE(other.ok());
    other_ = other->id;
    ASSERT_TRUE(
        store_->add_extension({main_, "1001", "Alice", credentials("1001", "example.com", "pw1")})
            .ok());
  }

  std::unique_ptr<Directory> open(DirectoryOptions options = {}) {
    auto directory = Directory::open(*store_, std::move(options));
    EXPECT_TRUE(directory.ok()) << (directory ? "" : directory.error().message);
    return directory ? std::move(directory).value() : nullptr;
  }

  TempDir dir_;
  std::unique_ptr<store::sqlite::SqliteStore> store_;
  store::TenantId main_ = 0;
  store::TenantId other_ = 0;
};

TEST_F(DirectoryTest, ResolvesDomainsCaseInsensitively) {
  auto directory = open();
  auto snapshot = directory->snapshot();
  ASSERT_NE(snapshot->tenant_for_host("example.com"), nullptr);
  EXPECT_EQ(snapshot->tenant_for_host("EXAMPLE.Com")->id, main_);
  EXPECT_EQ(snapshot->tenant_for_host("example.com.")->id, main_);
  EXPECT_EQ(snapshot->tenant_for_host("Other.Example.org")->id, other_);
  EXPECT_EQ(snapshot->tenant_count(), 2u);
  EXPECT_EQ(snapshot->extension_count(), 1u);
}

TEST_F(DirectoryTest, IpLiteralsBelongToTheDefaultTenant) {
  auto directory = open();
  auto snapshot = directory->snapshot();
  ASSERT_NE(snapshot->tenant_for_host("203.0.113.9"), nullptr);
  EXPECT_EQ(snapshot->tenant_for_host("203.0.113.9")->id, main_);
  EXPECT_EQ(snapshot->tenant_for_host("[2001:db8::1]")->id, main_);
  EXPECT_EQ(snapshot->tenant_for_host("unknown.example.net"), nullptr);
}

TEST_F(DirectoryTest, OnlyOwnAddressesWhenAnyIpIsOff) {
  DirectoryOptions options;
  options.own_hosts = {"192.0.2.1", "[2001:DB8::0:5]", "PBX.Local"};
  options.default_tenant_for_any_ip = false;
  auto directory = open(options);
  auto snapshot = directory->snapshot();
  ASSERT_NE(snapshot->tenant_for_host("192.0.2.1"), nullptr);
  EXPECT_EQ(snapshot->tenant_for_host("192.0.2.1")->id, main_);
  ASSERT_NE(snapshot->tenant_for_host("[2001:db8::5]"), nullptr);  // canonical form compared
  ASSERT_NE(snapshot->tenant_for_host("pbx.local"), nullptr);
  EXPECT_EQ(snapshot->tenant_for_host("192.0.2.2"), nullptr);
  EXPECT_EQ(snapshot->tenant_for_host("other.host"), nullptr);
}

TEST_F(DirectoryTest, NoDefaultTenantMeansNoFallback) {
  ASSERT_TRUE(store_->remove_tenant(main_).ok());
  auto directory = open();
  auto snapshot = directory->snapshot();
  EXPECT_EQ(snapshot->tenant_for_host("192.0.2.1"), nullptr);
  EXPECT_NE(snapshot->tenant_for_host("other.example.org"), nullptr);
}

TEST_F(DirectoryTest, CredentialLookupAnswersFromTheSnapshot) {
  auto directory = open();
  const CredentialLookup lookup = directory->credential_lookup();
  EXPECT_EQ(lookup("example.com", "1001", DigestAlgorithm::kMd5),
            psip::ha1(DigestAlgorithm::kMd5, "1001", "example.com", "pw1"));
  EXPECT_EQ(lookup("example.com", "1001", DigestAlgorithm::kSha256),
            psip::ha1(DigestAlgorithm::kSha256, "1001", "example.com", "pw1"));
  EXPECT_EQ(lookup("example.com", "1002", DigestAlgorithm::kMd5), std::nullopt);
  EXPECT_EQ(lookup("other.example.org", "1001", DigestAlgorithm::kMd5), std::nullopt);
  EXPECT_EQ(lookup("nowhere", "1001", DigestAlgorithm::kMd5), std::nullopt);
}

TEST_F(DirectoryTest, ExtensionWithoutSha256HasNoSha256Credential) {
  ASSERT_TRUE(
      store_
          ->add_extension({main_,
                           "1003",
                           "Md5 only",
                           {psip::ha1(DigestAlgorithm::kMd5, "1003", "example.com", "x"), ""}})
          .ok());
  auto directory = open();
  const CredentialLookup lookup = directory->credential_lookup();
  EXPECT_TRUE(lookup("example.com", "1003", DigestAlgorithm::kMd5).has_value());
  EXPECT_EQ(lookup("example.com", "1003", DigestAlgorithm::kSha256), std::nullopt);
}

TEST_F(DirectoryTest, SeesAnExtensionAddedByAnotherStoreInstance) {
  auto directory = open();
  EXPECT_EQ(directory->snapshot()->extension(main_, "1002"), nullptr);
  auto unchanged = directory->refresh_if_changed();
  ASSERT_TRUE(unchanged.ok());
  EXPECT_FALSE(*unchanged);

  // Another process (the CLI) writes through its own connection to the same folder.
  auto cli = open_store(dir_.path());
  ASSERT_NE(cli, nullptr);
  ASSERT_TRUE(
      cli->add_extension({main_, "1002", "Bob", credentials("1002", "example.com", "pw2")}).ok());

  auto before = directory->snapshot();
  auto changed = directory->refresh_if_changed();
  ASSERT_TRUE(changed.ok());
  EXPECT_TRUE(*changed);
  const ExtensionInfo* bob = directory->snapshot()->extension(main_, "1002");
  ASSERT_NE(bob, nullptr);
  EXPECT_EQ(bob->display_name, "Bob");
  EXPECT_EQ(bob->ha1_md5, psip::ha1(DigestAlgorithm::kMd5, "1002", "example.com", "pw2"));
  EXPECT_TRUE(
      directory->credential_lookup()("example.com", "1002", DigestAlgorithm::kSha256).has_value());
  // A snapshot a reader held across the reload is unchanged.
  EXPECT_EQ(before->extension(main_, "1002"), nullptr);

  auto again = directory->refresh_if_changed();
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);
}

TEST_F(DirectoryTest, SeesRemovalsAndNewTenants) {
  auto directory = open();
  auto cli = open_store(dir_.path());
  ASSERT_TRUE(cli->remove_extension(main_, "1001").ok());
  ASSERT_TRUE(cli->add_tenant({"new.example", "New", false}).ok());
  ASSERT_TRUE(directory->refresh_if_changed().value());
  auto snapshot = directory->snapshot();
  EXPECT_EQ(snapshot->extension(main_, "1001"), nullptr);
  EXPECT_NE(snapshot->tenant_for_host("new.example"), nullptr);
}

TEST(DirectoryCanonicalIpTest, RecognisesLiteralsOnly) {
  EXPECT_EQ(canonical_ip("192.0.2.1"), "192.0.2.1");
  EXPECT_EQ(canonical_ip("[2001:db8:0::1]"), "2001:db8::1");
  EXPECT_EQ(canonical_ip("::1"), "::1");
  EXPECT_EQ(canonical_ip("192.0.2.1:5060"), std::nullopt);
  EXPECT_EQ(canonical_ip("example.com"), std::nullopt);
  EXPECT_EQ(canonical_ip(""), std::nullopt);
  EXPECT_EQ(canonical_ip("999.1.1.1"), std::nullopt);
}

}  // namespace
}  // namespace parley::sip
