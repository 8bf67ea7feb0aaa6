// TrunkTlsStore (schema migration 19, decision 0048) against a real SQLite file: a trunk's
// client-certificate requirement is set, replaced, listed, cleared and removed with its trunk,
// and every change moves the change counter (the trunk service reloads on it).

#include <gtest/gtest.h>

#include "store/trunk_store.hpp"
#include "store/trunk_tls_store.hpp"
#include "store_fixture.hpp"

namespace parley::store::sqlite {
namespace {

class TrunkTlsStoreTest : public StoreFixture {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(open_with_tenants(/*with_other=*/false));
    Trunk row;
    row.tenant_id = tenant_.id;
    row.name = "main";
    row.host = "sbc.provider.test";
    row.transport = "tls";
    auto id = store_->add_trunk(row);
    ASSERT_TRUE(id.ok()) << id.error().message;
    trunk_ = *id;
  }
  TrunkId trunk_ = 0;
};

TEST_F(TrunkTlsStoreTest, SetReplaceListAndClear) {
  EXPECT_GE(store_->schema_version(), 20);
  auto none = store_->list_trunk_client_tls();
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());

  auto before = counter();
  ASSERT_TRUE(store_->set_trunk_client_tls({trunk_, "/etc/parley/provider-ca.pem", ""}).ok());
  EXPECT_GT(counter(), before);
  before = counter();
  ASSERT_TRUE(
      store_->set_trunk_client_tls({trunk_, "/etc/parley/other-ca.pem", "sbc.provider.test"}).ok());
  EXPECT_GT(counter(), before);
  auto listed = store_->list_trunk_client_tls();
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1U) << "one requirement per trunk, replaced";
  EXPECT_EQ(listed->at(0).trunk_id, trunk_);
  EXPECT_EQ(listed->at(0).ca_file, "/etc/parley/other-ca.pem");
  EXPECT_EQ(listed->at(0).expected_name, "sbc.provider.test");

  before = counter();
  ASSERT_TRUE(store_->clear_trunk_client_tls(trunk_).ok());
  EXPECT_GT(counter(), before);
  EXPECT_TRUE(store_->list_trunk_client_tls()->empty());
  EXPECT_TRUE(store_->clear_trunk_client_tls(trunk_).ok()) << "clearing nothing is no error";
}

TEST_F(TrunkTlsStoreTest, RefusesAnEmptyCaFileAndAnUnknownTrunk) {
  auto empty = store_->set_trunk_client_tls({trunk_, "", ""});
  ASSERT_FALSE(empty.ok());
  EXPECT_TRUE(is_error(empty.error(), StoreError::kInvalidInput));
  auto unknown = store_->set_trunk_client_tls({trunk_ + 100, "/ca.pem", ""});
  ASSERT_FALSE(unknown.ok());
  EXPECT_TRUE(is_error(unknown.error(), StoreError::kNotFound));
  EXPECT_TRUE(store_->list_trunk_client_tls()->empty());
}

TEST_F(TrunkTlsStoreTest, GoesWithItsTrunk) {
  ASSERT_TRUE(store_->set_trunk_client_tls({trunk_, "/ca.pem", ""}).ok());
  ASSERT_TRUE(store_->remove_trunk(tenant_.id, "main").ok());
  EXPECT_TRUE(store_->list_trunk_client_tls()->empty());
}

}  // namespace
}  // namespace parley::store::sqlite
