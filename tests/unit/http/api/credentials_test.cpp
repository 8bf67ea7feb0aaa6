// Password hashing (argon2id), random tokens and secret digests.

#include "http/api/credentials.hpp"

#include <gtest/gtest.h>

#include <set>

namespace parley::http::api {
namespace {

TEST(Credentials, HashVerifiesOnlyItsPassword) {
  auto hash = hash_password("correct horse battery");
  ASSERT_TRUE(hash.ok());
  EXPECT_TRUE(hash->starts_with("$argon2id$v=19$m=19456,t=2,p=1$")) << *hash;
  EXPECT_TRUE(verify_password(*hash, "correct horse battery"));
  EXPECT_FALSE(verify_password(*hash, "correct horse batterY"));
  EXPECT_FALSE(verify_password(*hash, ""));
  // Salted: the same password hashes differently each time.
  EXPECT_NE(*hash, *hash_password("correct horse battery"));
}

TEST(Credentials, MalformedHashesNeverVerify) {
  EXPECT_FALSE(verify_password("", "x"));
  EXPECT_FALSE(verify_password("$argon2id$garbage", "x"));
  EXPECT_FALSE(verify_password(std::string(1000, '$'), "x"));
}

TEST(Credentials, TokensAreRandomUrlSafeAndLongEnough) {
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    const std::string token = random_token();
    EXPECT_EQ(token.size(), 43U);
    EXPECT_EQ(
        token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
        std::string::npos);
    seen.insert(token);
  }
  EXPECT_EQ(seen.size(), 50U);
  EXPECT_TRUE(new_api_token().starts_with("prly_"));
  EXPECT_EQ(generate_password().size(), 20U);
  EXPECT_NE(generate_password(), generate_password());
}

TEST(Credentials, DigestIsSha256Hex) {
  // FIPS 180-2 test vector.
  EXPECT_EQ(secret_digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_TRUE(equal_secrets("abc", "abc"));
  EXPECT_FALSE(equal_secrets("abc", "abd"));
  EXPECT_FALSE(equal_secrets("abc", "abcd"));
}

}  // namespace
}  // namespace parley::http::api
