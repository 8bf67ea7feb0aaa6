#include "trust/signing.hpp"

#include <gtest/gtest.h>

#include <string>

namespace parley::trust {
namespace {

const std::string kManifest = "{\n  \"format\": \"parley-release-manifest/1\"\n}\n";

TEST(Signing, SignatureVerifiesWithTheMatchingPublicKey) {
  const SecretKey key = SecretKey::generate();
  const std::string signature = sign_manifest(key, kManifest);
  EXPECT_TRUE(verify_manifest_signature(key.public_key(), kManifest, signature));
}

TEST(Signing, ChangedManifestFailsTheSignature) {
  const SecretKey key = SecretKey::generate();
  const std::string signature = sign_manifest(key, kManifest);
  std::string changed = kManifest;
  changed[changed.size() / 2] ^= 0x01;
  auto result = verify_manifest_signature(key.public_key(), changed, signature);
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message.find("does not match"), std::string::npos);
  EXPECT_FALSE(verify_manifest_signature(key.public_key(), kManifest + " ", signature));
}

TEST(Signing, AnotherKeyIsNamedAsSuch) {
  const SecretKey signer = SecretKey::generate();
  const SecretKey trusted = SecretKey::generate();
  auto result =
      verify_manifest_signature(trusted.public_key(), kManifest, sign_manifest(signer, kManifest));
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message.find(signer.public_key().id()), std::string::npos);
}

TEST(Signing, MalformedSignatureFilesAreRejected) {
  const SecretKey key = SecretKey::generate();
  for (const char* bad :
       {"", "not json", R"({"format":"parley-signature/1","algorithm":"rsa","signature":"AA=="})",
        R"({"format":"parley-signature/1","algorithm":"ed25519","signature":"AAAA"})"}) {
    EXPECT_FALSE(verify_manifest_signature(key.public_key(), kManifest, bad)) << bad;
  }
}

TEST(Signing, KeyFilesRoundTrip) {
  const SecretKey key = SecretKey::generate();
  const std::string secret_text = format_secret_key(key);
  const std::string public_text = format_public_key(key.public_key());
  EXPECT_EQ(secret_text.rfind("parley-release-secret-key ed25519 ", 0), 0u);
  auto secret = parse_secret_key(secret_text);
  auto public_key = parse_public_key(public_text);
  ASSERT_TRUE(secret);
  ASSERT_TRUE(public_key);
  EXPECT_EQ(secret->bytes(), key.bytes());
  EXPECT_EQ(*public_key, key.public_key());
  EXPECT_EQ(public_key->id().size(), 16u);
  EXPECT_FALSE(parse_public_key(secret_text));
  EXPECT_FALSE(parse_secret_key(public_text));
  EXPECT_FALSE(parse_public_key("parley-release-public-key ed25519 AAAA\n"));
}

// RFC 8032 §7.1 TEST 1: the seed's public key and the signature of the empty message, which
// ties our libsodium use to the standard (our manifests sign a prefixed message instead).
TEST(Signing, SeedDerivationMatchesRfc8032) {
  const std::array<std::uint8_t, 32> seed = {0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60,
                                             0xba, 0x84, 0x4a, 0xf4, 0x92, 0xec, 0x2c, 0xc4,
                                             0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32, 0x69, 0x19,
                                             0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60};
  const std::array<std::uint8_t, 32> expected = {0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7,
                                                 0xd5, 0x4b, 0xfe, 0xd3, 0xc9, 0x64, 0x07, 0x3a,
                                                 0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6, 0x23, 0x25,
                                                 0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07, 0x51, 0x1a};
  EXPECT_EQ(SecretKey::from_seed(seed).public_key().bytes, expected);
}

}  // namespace
}  // namespace parley::trust
