#include "protocol/sip/digest.hpp"

#include <gtest/gtest.h>

namespace parley::protocol::sip {
namespace {

// RFC 7616 §3.9.1: the same credentials hashed with SHA-256 and with MD5.
constexpr std::string_view kRealm7616 = "http-auth@example.org";
constexpr std::string_view kNonce7616 = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
constexpr std::string_view kCnonce7616 = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";

TEST(Digest, Rfc7616Sha256Example) {
  const std::string h = ha1(DigestAlgorithm::kSha256, "Mufasa", kRealm7616, "Circle of Life");
  EXPECT_EQ(h.size(), 64U);
  EXPECT_EQ(expected_response(DigestAlgorithm::kSha256, h, "GET", "/dir/index.html", kNonce7616,
                              "00000001", kCnonce7616, "auth"),
            "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
}

TEST(Digest, Rfc7616Md5Example) {
  const std::string h = ha1(DigestAlgorithm::kMd5, "Mufasa", kRealm7616, "Circle of Life");
  EXPECT_EQ(h.size(), 32U);
  EXPECT_EQ(expected_response(DigestAlgorithm::kMd5, h, "GET", "/dir/index.html", kNonce7616,
                              "00000001", kCnonce7616, "auth"),
            "8ca523f5e9506fed4657c9700eebdbec");
}

// RFC 2617 §3.5 (note the capital O in the password).
TEST(Digest, Rfc2617Example) {
  const std::string h =
      ha1(DigestAlgorithm::kMd5, "Mufasa", "testrealm@host.com", "Circle Of Life");
  EXPECT_EQ(expected_response(DigestAlgorithm::kMd5, h, "GET", "/dir/index.html",
                              "dcd98b7102dd2f0e8b11d0f600bfb0c093", "00000001", "0a4f113b", "auth"),
            "6629fae49393a05397450978507c4ef1");
}

TEST(Digest, KnownHashes) {
  EXPECT_EQ(digest_hex(DigestAlgorithm::kMd5, ""), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(digest_hex(DigestAlgorithm::kSha256, "abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // -sess variants hash with their base algorithm.
  EXPECT_EQ(digest_hex(DigestAlgorithm::kSha256Sess, "abc"),
            digest_hex(DigestAlgorithm::kSha256, "abc"));
}

TEST(Digest, Rfc2069FormWithoutQop) {
  const std::string h =
      ha1(DigestAlgorithm::kMd5, "Mufasa", "testrealm@host.com", "Circle Of Life");
  const std::string ha2 = digest_hex(DigestAlgorithm::kMd5, "GET:/dir/index.html");
  const std::string want =
      digest_hex(DigestAlgorithm::kMd5, h + ":dcd98b7102dd2f0e8b11d0f600bfb0c093:" + ha2);
  EXPECT_EQ(expected_response(DigestAlgorithm::kMd5, h, "GET", "/dir/index.html",
                              "dcd98b7102dd2f0e8b11d0f600bfb0c093", "", "", ""),
            want);
}

TEST(Digest, SessionVariantHashesNonceAndCnonceIntoHa1) {
  const std::string h = ha1(DigestAlgorithm::kSha256, "alice", "example.com", "secret");
  const std::string sess = session_ha1(DigestAlgorithm::kSha256Sess, h, "n", "c");
  EXPECT_EQ(sess, digest_hex(DigestAlgorithm::kSha256, h + ":n:c"));
  const std::string ha2 = digest_hex(DigestAlgorithm::kSha256, "REGISTER:sip:example.com");
  EXPECT_EQ(expected_response(DigestAlgorithm::kSha256Sess, h, "REGISTER", "sip:example.com", "n",
                              "00000001", "c", "auth"),
            digest_hex(DigestAlgorithm::kSha256, sess + ":n:00000001:c:auth:" + ha2));
  EXPECT_NE(expected_response(DigestAlgorithm::kSha256Sess, h, "REGISTER", "sip:example.com", "n",
                              "00000001", "c", "auth"),
            expected_response(DigestAlgorithm::kSha256, h, "REGISTER", "sip:example.com", "n",
                              "00000001", "c", "auth"));
}

// Parts that do not fit the hasher's stack buffer together (a long Request-URI, a long cnonce)
// are hashed piece by piece: the same digest as the joined text, on both sides of the limit.
TEST(Digest, LongPartsHashTheSameAsTheirJoinedText) {
  const std::string h = ha1(DigestAlgorithm::kMd5, "alice", "example.com", "secret");
  for (std::size_t uri_length : {900U, 1000U, 1100U, 5000U}) {
    const std::string uri = "sip:" + std::string(uri_length, 'u') + "@example.com";
    const std::string cnonce(200, 'c');
    const std::string ha2 = digest_hex(DigestAlgorithm::kMd5, "INVITE:" + uri);
    EXPECT_EQ(
        expected_response(DigestAlgorithm::kMd5, h, "INVITE", uri, "n", "00000001", cnonce, "auth"),
        digest_hex(DigestAlgorithm::kMd5, h + ":n:00000001:" + cnonce + ":auth:" + ha2))
        << uri_length;
  }
}

TEST(Digest, UnsupportedQopGivesEmpty) {
  EXPECT_EQ(
      expected_response(DigestAlgorithm::kMd5, "00", "GET", "/", "n", "00000001", "c", "auth-int"),
      "");
}

TEST(Digest, AlgorithmNames) {
  EXPECT_EQ(parse_digest_algorithm("MD5"), DigestAlgorithm::kMd5);
  EXPECT_EQ(parse_digest_algorithm("md5-SESS"), DigestAlgorithm::kMd5Sess);
  EXPECT_EQ(parse_digest_algorithm("sha-256"), DigestAlgorithm::kSha256);
  EXPECT_EQ(parse_digest_algorithm("SHA-256-sess"), DigestAlgorithm::kSha256Sess);
  EXPECT_FALSE(parse_digest_algorithm("SHA-512-256").has_value());
  EXPECT_FALSE(parse_digest_algorithm("").has_value());
  EXPECT_FALSE(parse_digest_algorithm("SHA-2566").has_value());
  EXPECT_EQ(to_text(DigestAlgorithm::kSha256), "SHA-256");
  EXPECT_EQ(base_algorithm(DigestAlgorithm::kMd5Sess), DigestAlgorithm::kMd5);
  EXPECT_TRUE(is_session_algorithm(DigestAlgorithm::kSha256Sess));
  EXPECT_FALSE(is_session_algorithm(DigestAlgorithm::kSha256));
  EXPECT_EQ(hex_length(DigestAlgorithm::kMd5Sess), 32U);
  EXPECT_EQ(hex_length(DigestAlgorithm::kSha256), 64U);
}

TEST(Digest, ConstantTimeEqual) {
  EXPECT_TRUE(constant_time_equal("", ""));
  EXPECT_TRUE(constant_time_equal("abcdef", "abcdef"));
  EXPECT_FALSE(constant_time_equal("abcdef", "abcdeg"));
  EXPECT_FALSE(constant_time_equal("bbcdef", "abcdef"));
  EXPECT_FALSE(constant_time_equal("abc", "abcd"));
  EXPECT_FALSE(constant_time_equal("abcdef", "ABCDEF"));  // exact bytes; callers lowercase first
}

}  // namespace
}  // namespace parley::protocol::sip
