// a=crypto (RFC 4568 §9.1): the RFC's own examples, round trips, and every kind of refusal.

#include "protocol/sdp/crypto_attribute.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace parley::protocol::sdp {
namespace {

// RFC 4568 §4 and §9.1 example key: 40 base64 characters, 30 bytes.
constexpr std::string_view kRfcKey = "PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR";

TEST(CryptoAttribute, ParsesTheRfcExample) {
  auto parsed =
      parse_crypto("1 AES_CM_128_HMAC_SHA1_80 inline:" + std::string(kRfcKey) + "|2^20|1:4");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->tag, 1U);
  EXPECT_EQ(parsed->suite, CryptoSuite::kAesCm128HmacSha1_80);
  ASSERT_EQ(parsed->keys.size(), 1U);
  const CryptoKey& key = parsed->keys.front();
  ASSERT_EQ(key.size, 30U);
  EXPECT_EQ(key.key_salt[0], 0x3D);  // 'P' 'S' '1' 'u' -> 3D 2D 6E
  EXPECT_EQ(key.key_salt[1], 0x2D);
  EXPECT_EQ(key.key_salt[2], 0x6E);
  EXPECT_EQ(key.lifetime, std::uint64_t{1} << 20);
  EXPECT_EQ(key.mki, 1U);
  EXPECT_EQ(key.mki_length, 4);
  EXPECT_EQ(key.master_key(parsed->suite).size(), 16U);
  EXPECT_EQ(key.master_salt(parsed->suite).size(), 14U);
  EXPECT_EQ(key.master_salt(parsed->suite).data(), key.key_salt.data() + 16);
  EXPECT_EQ(serialise_crypto(*parsed),
            "1 AES_CM_128_HMAC_SHA1_80 inline:" + std::string(kRfcKey) + "|2^20|1:4");
}

TEST(CryptoAttribute, ParsesEverySupportedSuite) {
  auto sha32 = parse_crypto("7 AES_CM_128_HMAC_SHA1_32 inline:" + std::string(kRfcKey));
  ASSERT_TRUE(sha32.ok()) << sha32.error().message;
  EXPECT_EQ(sha32->suite, CryptoSuite::kAesCm128HmacSha1_32);
  EXPECT_EQ(sha32->tag, 7U);
  EXPECT_FALSE(sha32->keys.front().lifetime);
  EXPECT_FALSE(sha32->keys.front().mki);

  // GCM: 16-byte key and 12-byte salt, 28 bytes, which base64 pads.
  std::vector<std::uint8_t> gcm_key(28);
  for (std::size_t i = 0; i < gcm_key.size(); ++i) gcm_key[i] = static_cast<std::uint8_t>(i);
  const std::string text = encode_base64(gcm_key);
  EXPECT_EQ(text.size(), 40U);
  EXPECT_EQ(text.substr(38), "==");
  auto gcm = parse_crypto("2 AEAD_AES_128_GCM inline:" + text);
  ASSERT_TRUE(gcm.ok()) << gcm.error().message;
  EXPECT_EQ(gcm->keys.front().size, 28U);
  EXPECT_EQ(gcm->keys.front().master_salt(CryptoSuite::kAeadAes128Gcm).size(), 12U);
  // Unpadded base64 is accepted too (some phones drop the padding).
  EXPECT_TRUE(parse_crypto("2 AEAD_AES_128_GCM inline:" + text.substr(0, 38)).ok());
}

TEST(CryptoAttribute, KeepsSessionParametersAndDecimalLifetimes) {
  auto parsed = parse_crypto("3 AES_CM_128_HMAC_SHA1_80 inline:" + std::string(kRfcKey) +
                             "|1000  UNENCRYPTED_SRTCP KDR=1");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->keys.front().lifetime, 1000U);
  EXPECT_EQ(parsed->session_params, (std::vector<std::string>{"UNENCRYPTED_SRTCP", "KDR=1"}));
  EXPECT_EQ(serialise_crypto(*parsed), "3 AES_CM_128_HMAC_SHA1_80 inline:" + std::string(kRfcKey) +
                                           "|1000 UNENCRYPTED_SRTCP KDR=1");
}

TEST(CryptoAttribute, SeveralKeysNeedMkis) {
  const std::string key = "inline:" + std::string(kRfcKey);
  auto two = parse_crypto("1 AES_CM_128_HMAC_SHA1_80 " + key + "|2^20|1:4;" + key + "|2^20|2:4");
  ASSERT_TRUE(two.ok()) << two.error().message;
  EXPECT_EQ(two->keys.size(), 2U);
  EXPECT_EQ(two->keys[1].mki, 2U);
  EXPECT_FALSE(parse_crypto("1 AES_CM_128_HMAC_SHA1_80 " + key + ";" + key).ok());
  EXPECT_FALSE(parse_crypto("1 AES_CM_128_HMAC_SHA1_80 " + key + "|1:4;" + key + "|2:2").ok());
}

TEST(CryptoAttribute, RefusesBadInputWithAClearMessage) {
  const std::string key = std::string(kRfcKey);
  struct Case {
    std::string value;
    std::string says;
  };
  const std::vector<Case> cases = {
      {"", "expected"},
      {"1 AES_CM_128_HMAC_SHA1_80", "expected"},
      {"x AES_CM_128_HMAC_SHA1_80 inline:" + key, "tag"},
      {"1234567890 AES_CM_128_HMAC_SHA1_80 inline:" + key, "tag"},
      {"1 AES_256_CM_HMAC_SHA1_80 inline:" + key, "unsupported crypto-suite"},
      {"1 AES-CM inline:" + key, "malformed crypto-suite"},
      {"1 AES_CM_128_HMAC_SHA1_80 uri:" + key, "inline"},
      {"1 AES_CM_128_HMAC_SHA1_80 inline:" + key.substr(0, 36), "must be 30 bytes"},
      {"1 AES_CM_128_HMAC_SHA1_80 inline:" + key + "AAAA", "must be 30 bytes"},
      {"1 AEAD_AES_128_GCM inline:" + key, "must be 28 bytes"},
      {"1 AES_CM_128_HMAC_SHA1_80 inline:" + key.substr(0, 39) + "!", "not base64"},
      {"1 AES_CM_128_HMAC_SHA1_80 inline:" + key.substr(0, 39), "not base64"},
      {"1 AES_CM_128_HMAC_SHA1_80 inline:" + key + "|2^49", "lifetime"},
      {"1 AES_CM_128_HMAC_SHA1_80 inline:" + key + "|0", "lifetime"},
      {"1 AES_CM_128_HMAC_SHA1_80 inline:" + key + "|281474976710657", "lifetime"},
      {"1 AES_CM_128_HMAC_SHA1_80 inline:" + key + "|1:0", "MKI"},
      {"1 AES_CM_128_HMAC_SHA1_80 inline:" + key + "|1:129", "MKI"},
      {"1 AES_CM_128_HMAC_SHA1_80 inline:" + key + "|256:1", "fit"},
      {"1 AES_CM_128_HMAC_SHA1_80 inline:" + key + "|1:4|2^20", "before"},
      {"1 AES_CM_128_HMAC_SHA1_80 inline:" + key + "|1|2|3", "too many"},
      {"1 AES_CM_128_HMAC_SHA1_80 inline:" + key + " \x01", "invisible"},
      {std::string(3000, '1'), "too long"},
  };
  for (const auto& c : cases) {
    auto parsed = parse_crypto(c.value);
    ASSERT_FALSE(parsed.ok()) << c.value;
    EXPECT_EQ(parsed.error().code, 400);
    EXPECT_NE(parsed.error().message.find(c.says), std::string::npos)
        << c.value << " -> " << parsed.error().message;
    // Key material never appears in an error message.
    EXPECT_EQ(parsed.error().message.find(key.substr(0, 12)), std::string::npos);
  }
}

TEST(CryptoAttribute, WipeClearsKeys) {
  auto parsed = parse_crypto("1 AES_CM_128_HMAC_SHA1_80 inline:" + std::string(kRfcKey));
  ASSERT_TRUE(parsed.ok());
  parsed->wipe();
  for (const auto byte : parsed->keys.front().key_salt) EXPECT_EQ(byte, 0);
  EXPECT_EQ(parsed->keys.front().size, 0U);
}

TEST(Base64, RoundTripsEveryLengthAndRefusesNonCanonicalInput) {
  std::vector<std::uint8_t> bytes;
  std::array<std::uint8_t, 64> out{};
  for (std::size_t length = 0; length < 40; ++length) {
    const std::string text = encode_base64(bytes);
    EXPECT_EQ(text.size() % 4, 0U);
    auto decoded = decode_base64(text, out);
    ASSERT_TRUE(decoded.ok()) << text;
    EXPECT_EQ(std::vector<std::uint8_t>(out.begin(), out.begin() + *decoded), bytes);
    bytes.push_back(static_cast<std::uint8_t>(length * 37 + 11));
  }
  EXPECT_EQ(encode_base64(std::vector<std::uint8_t>{'M', 'a', 'n'}), "TWFu");  // RFC 4648 §4
  EXPECT_FALSE(decode_base64("TWF=", out).ok());   // stray bits before the padding
  EXPECT_FALSE(decode_base64("TW=u", out).ok());   // padding inside
  EXPECT_FALSE(decode_base64("TWFuT", out).ok());  // impossible length
  EXPECT_FALSE(decode_base64("TQ=", out).ok());    // half padding
  std::array<std::uint8_t, 2> small{};
  EXPECT_FALSE(decode_base64("TWFu", small).ok());
}

}  // namespace
}  // namespace parley::protocol::sdp
