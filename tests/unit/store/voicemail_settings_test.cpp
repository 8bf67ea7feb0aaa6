// The voicemail menu's box settings in SqliteStore (migration 13, decision 0029) against a real
// SQLite file: PIN hash, greeting and message limit, their defaults, bad input, that they leave
// the other settings alone, and that they move the change counter.

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "store/sqlite/sqlite_store.hpp"
#include "store/voicemail_store.hpp"
#include "support/temp_dir.hpp"

namespace parley::store::sqlite {
namespace {

const std::string kSha256(64, 'a');
const std::string kHash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA";

class VoicemailSettingsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SqliteStoreOptions options;
    options.data_dir = dir_.path() / "data";
    auto opened = SqliteStore::open(std::move(options));
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    store_ = std::move(opened).value();
    auto tenant = store_->add_tenant(NewTenant{"example.com", "Example", false});
    ASSERT_TRUE(tenant.ok());
    tenant_ = *tenant;
    ASSERT_TRUE(
        store_->add_extension(NewExtension{tenant_.id, "1001", "Alice", Credentials{"", kSha256}}));
  }

  VoicemailSettings settings() {
    auto read = store_->get_voicemail_settings(tenant_.id, "1001");
    EXPECT_TRUE(read.ok()) << (read.ok() ? "" : read.error().message);
    return read.ok() ? *read : VoicemailSettings{};
  }

  std::uint64_t counter() {
    auto value = store_->change_counter();
    return value.ok() ? *value : 0;
  }

  test::TempDir dir_;
  std::unique_ptr<SqliteStore> store_;
  Tenant tenant_;
};

TEST_F(VoicemailSettingsTest, DefaultsAreNoPinNoGreetingAHundredMessages) {
  const VoicemailSettings read = settings();
  EXPECT_TRUE(read.enabled);
  EXPECT_EQ(read.pin_hash, "");
  EXPECT_EQ(read.greeting_path, "");
  EXPECT_EQ(read.max_messages, kDefaultVoicemailMaxMessages);
}

TEST_F(VoicemailSettingsTest, PinGreetingAndLimitAreKeptEachAlone) {
  const auto before = counter();
  ASSERT_TRUE(store_->set_voicemail_pin_hash(tenant_.id, "1001", kHash));
  EXPECT_GT(counter(), before) << "a PIN change moves the change counter";
  ASSERT_TRUE(store_->set_voicemail_greeting(tenant_.id, "1001", "/data/vm/1/1001/greeting.wav"));
  ASSERT_TRUE(store_->set_voicemail_max_messages(tenant_.id, "1001", 2));
  ASSERT_TRUE(store_->set_voicemail_enabled(tenant_.id, "1001", false));
  VoicemailSettings read = settings();
  EXPECT_EQ(read.pin_hash, kHash);
  EXPECT_EQ(read.greeting_path, "/data/vm/1/1001/greeting.wav");
  EXPECT_EQ(read.max_messages, 2U);
  EXPECT_FALSE(read.enabled);
  // Empty removes: back to the defaults, the others untouched.
  ASSERT_TRUE(store_->set_voicemail_pin_hash(tenant_.id, "1001", ""));
  ASSERT_TRUE(store_->set_voicemail_greeting(tenant_.id, "1001", ""));
  read = settings();
  EXPECT_EQ(read.pin_hash, "");
  EXPECT_EQ(read.greeting_path, "");
  EXPECT_EQ(read.max_messages, 2U);
  EXPECT_FALSE(read.enabled);
}

TEST_F(VoicemailSettingsTest, BadInputIsRefusedWithAClearError) {
  auto plain = store_->set_voicemail_pin_hash(tenant_.id, "1001", "1234");
  ASSERT_FALSE(plain.ok()) << "a PIN in the clear must never be stored";
  EXPECT_NE(plain.error().message.find("argon2"), std::string::npos);
  EXPECT_FALSE(store_->set_voicemail_greeting(tenant_.id, "1001", "relative.wav").ok());
  EXPECT_FALSE(store_->set_voicemail_max_messages(tenant_.id, "1001", 0).ok());
  EXPECT_FALSE(
      store_->set_voicemail_max_messages(tenant_.id, "1001", kMaxVoicemailMaxMessages + 1).ok());
  auto missing = store_->set_voicemail_pin_hash(tenant_.id, "1999", kHash);
  ASSERT_FALSE(missing.ok());
  EXPECT_FALSE(store_->set_voicemail_pin_hash(tenant_.id, "1' OR 1=1", kHash).ok());
  EXPECT_EQ(settings().pin_hash, "");
}

// Migration 16 (decision 0034): the address new messages are mailed to.
TEST_F(VoicemailSettingsTest, EmailAddressIsKeptClearedAndChecked) {
  EXPECT_EQ(settings().email, "");
  const auto before = counter();
  ASSERT_TRUE(store_->set_voicemail_email(tenant_.id, "1001", "alice@example.com").ok());
  EXPECT_EQ(settings().email, "alice@example.com");
  EXPECT_GT(counter(), before);
  EXPECT_TRUE(settings().enabled);  // the other settings stay
  ASSERT_TRUE(store_->set_voicemail_email(tenant_.id, "1001", "").ok());
  EXPECT_EQ(settings().email, "");

  for (const std::string& bad :
       {std::string("alice"), std::string("@example.com"), std::string("alice@"),
        std::string("a@b@c"), std::string("alice smith@example.com"),
        std::string("alice@example.com>\r\nRCPT TO:<x@y"), std::string("<alice@example.com>"),
        std::string("a,b@example.com"), std::string(250, 'a') + "@b.cd"}) {
    auto set = store_->set_voicemail_email(tenant_.id, "1001", bad);
    ASSERT_FALSE(set.ok()) << bad;
    EXPECT_TRUE(is_error(set.error(), StoreError::kInvalidInput)) << bad;
  }
  EXPECT_FALSE(store_->set_voicemail_email(tenant_.id, "1999", "alice@example.com").ok());
  EXPECT_EQ(settings().email, "");
}

}  // namespace
}  // namespace parley::store::sqlite
