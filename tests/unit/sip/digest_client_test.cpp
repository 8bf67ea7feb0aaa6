#include "sip/digest_client.hpp"

#include <gtest/gtest.h>

#include <string>

#include "protocol/sip/headers.hpp"
#include "protocol/sip/message.hpp"

namespace parley::sip {
namespace {

using protocol::sip::DigestAlgorithm;
using protocol::sip::Message;

// RFC 7616 §3.9.1 (the password has a lower-case "of", erratum 4495).
constexpr std::string_view kRealm = "http-auth@example.org";
constexpr std::string_view kNonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
constexpr std::string_view kCnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
constexpr std::string_view kOpaque = "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS";

Message response(int status, const std::string& auth_lines) {
  const std::string reason = status == 407 ? "Proxy Authentication Required" : "Unauthorized";
  const std::string text = "SIP/2.0 " + std::to_string(status) + " " + reason +
                           "\r\n"
                           "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKabc\r\n"
                           "From: <sip:bob@example.org>;tag=1\r\n"
                           "To: <sip:bob@example.org>;tag=2\r\n"
                           "Call-ID: c1\r\n"
                           "CSeq: 1 REGISTER\r\n" +
                           auth_lines + "Content-Length: 0\r\n\r\n";
  auto parsed = protocol::sip::parse_message(text);
  EXPECT_TRUE(parsed.ok()) << text;
  return std::move(parsed).value();
}

std::string rfc7616_challenge(std::string_view algorithm) {
  return "WWW-Authenticate: Digest realm=\"" + std::string(kRealm) +
         "\", qop=\"auth, auth-int\", algorithm=" + std::string(algorithm) + ", nonce=\"" +
         std::string(kNonce) + "\", opaque=\"" + std::string(kOpaque) + "\"\r\n";
}

std::string param(const std::string& header_value, std::string_view name) {
  auto parsed = protocol::sip::parse_auth(header_value);
  EXPECT_TRUE(parsed.ok()) << header_value;
  if (!parsed) return {};
  return std::string(parsed->get(name).value_or("<absent>"));
}

DigestAnswer rfc7616_answer() {
  return DigestAnswer{.username = "Mufasa",
                      .password = "Circle of Life",
                      .method = "GET",
                      .digest_uri = "/dir/index.html",
                      .nc = 1,
                      .cnonce = kCnonce};
}

TEST(DigestClient, Rfc7616Sha256Example) {
  const Message challenge_response =
      response(401, rfc7616_challenge("MD5") + rfc7616_challenge("SHA-256"));
  auto challenge = pick_challenge(challenge_response, "");
  ASSERT_TRUE(challenge.ok()) << challenge.error().message;
  EXPECT_EQ(challenge->algorithm, DigestAlgorithm::kSha256);  // strongest, though listed second
  EXPECT_FALSE(challenge->proxy);
  EXPECT_TRUE(challenge->qop_auth);
  EXPECT_EQ(challenge->realm, kRealm);
  EXPECT_EQ(challenge->nonce, kNonce);

  const std::string value = authorization_value(*challenge, rfc7616_answer());
  EXPECT_EQ(authorization_header(*challenge), "Authorization");
  EXPECT_EQ(param(value, "response"),
            "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
  EXPECT_EQ(param(value, "username"), "Mufasa");
  EXPECT_EQ(param(value, "realm"), kRealm);
  EXPECT_EQ(param(value, "uri"), "/dir/index.html");
  EXPECT_EQ(param(value, "algorithm"), "SHA-256");
  EXPECT_EQ(param(value, "qop"), "auth");
  EXPECT_EQ(param(value, "nc"), "00000001");
  EXPECT_EQ(param(value, "cnonce"), kCnonce);
  EXPECT_EQ(param(value, "opaque"), kOpaque);
}

TEST(DigestClient, Rfc7616Md5Example) {
  auto challenge = pick_challenge(response(401, rfc7616_challenge("MD5")), "");
  ASSERT_TRUE(challenge.ok()) << challenge.error().message;
  EXPECT_EQ(challenge->algorithm, DigestAlgorithm::kMd5);
  const std::string value = authorization_value(*challenge, rfc7616_answer());
  EXPECT_EQ(param(value, "response"), "8ca523f5e9506fed4657c9700eebdbec");
  EXPECT_EQ(param(value, "algorithm"), "MD5");
}

TEST(DigestClient, NonceCountIsEightHexDigits) {
  EXPECT_EQ(nc_text(1), "00000001");
  EXPECT_EQ(nc_text(255), "000000ff");
  auto challenge = pick_challenge(response(401, rfc7616_challenge("MD5")), "");
  ASSERT_TRUE(challenge.ok());
  DigestAnswer answer = rfc7616_answer();
  answer.nc = 2;
  const std::string second = authorization_value(*challenge, answer);
  EXPECT_EQ(param(second, "nc"), "00000002");
  EXPECT_NE(param(second, "response"), "8ca523f5e9506fed4657c9700eebdbec");
}

TEST(DigestClient, ProxyChallengeAnswersWithProxyAuthorization) {
  const Message challenge_response = response(
      407, "Proxy-Authenticate: Digest realm=\"sip.example\", nonce=\"abc\", algorithm=MD5\r\n");
  auto challenge = pick_challenge(challenge_response, "");
  ASSERT_TRUE(challenge.ok()) << challenge.error().message;
  EXPECT_TRUE(challenge->proxy);
  EXPECT_FALSE(challenge->qop_auth);
  EXPECT_EQ(authorization_header(*challenge), "Proxy-Authorization");
  // RFC 2069 form without qop: no cnonce, nc or qop, response = H(HA1:nonce:HA2).
  const std::string value = authorization_value(*challenge, {.username = "bob",
                                                             .password = "pw",
                                                             .method = "INVITE",
                                                             .digest_uri = "sip:x",
                                                             .nc = 1,
                                                             .cnonce = "ignored"});
  EXPECT_EQ(param(value, "qop"), "<absent>");
  EXPECT_EQ(param(value, "cnonce"), "<absent>");
  const std::string ha1 = protocol::sip::ha1(DigestAlgorithm::kMd5, "bob", "sip.example", "pw");
  const std::string ha2 = protocol::sip::digest_hex(DigestAlgorithm::kMd5, "INVITE:sip:x");
  EXPECT_EQ(param(value, "response"),
            protocol::sip::digest_hex(DigestAlgorithm::kMd5, ha1 + ":abc:" + ha2));
}

TEST(DigestClient, MissingAlgorithmMeansMd5AndIsNotEchoed) {
  auto challenge =
      pick_challenge(response(401, "WWW-Authenticate: Digest realm=\"r\", nonce=\"n\"\r\n"), "");
  ASSERT_TRUE(challenge.ok());
  EXPECT_EQ(challenge->algorithm, DigestAlgorithm::kMd5);
  const std::string value = authorization_value(*challenge, {.username = "u",
                                                             .password = "p",
                                                             .method = "REGISTER",
                                                             .digest_uri = "sip:r",
                                                             .nc = 1,
                                                             .cnonce = "c"});
  EXPECT_EQ(param(value, "algorithm"), "<absent>");
}

TEST(DigestClient, RefusesWhatItCannotAnswer) {
  // Only auth-int, an unknown algorithm, another scheme, no nonce.
  EXPECT_FALSE(pick_challenge(response(401,
                                       "WWW-Authenticate: Digest realm=\"r\", nonce=\"n\", "
                                       "qop=\"auth-int\"\r\n"),
                              "")
                   .ok());
  EXPECT_FALSE(pick_challenge(response(401,
                                       "WWW-Authenticate: Digest realm=\"r\", nonce=\"n\", "
                                       "algorithm=SHA-512-256\r\n"),
                              "")
                   .ok());
  EXPECT_FALSE(pick_challenge(response(401, "WWW-Authenticate: Basic realm=\"r\"\r\n"), "").ok());
  EXPECT_FALSE(pick_challenge(response(401, "WWW-Authenticate: Digest realm=\"r\"\r\n"), "").ok());
  EXPECT_FALSE(pick_challenge(response(401, ""), "").ok());
  EXPECT_FALSE(pick_challenge(response(401,
                                       "WWW-Authenticate: Digest realm=\"r\", nonce=\"n\", "
                                       "algorithm=\r\n"),
                              "")
                   .ok());
  // A folded line leaves CRLF inside the quoted realm: never echoed into our request.
  EXPECT_FALSE(pick_challenge(response(401,
                                       "WWW-Authenticate: Digest realm=\"a\r\n b\", "
                                       "nonce=\"n\"\r\n"),
                              "")
                   .ok());
  // A usable field next to unusable ones is still found.
  auto mixed = pick_challenge(
      response(401,
               "WWW-Authenticate: Digest realm=\"r\", nonce=\"n\", algorithm=SHA-512-256\r\n"
               "WWW-Authenticate: Digest realm=\"r\", nonce=\"m\", algorithm=SHA-256-sess, "
               "qop=\"auth\"\r\n"),
      "");
  ASSERT_TRUE(mixed.ok());
  EXPECT_EQ(mixed->algorithm, DigestAlgorithm::kSha256Sess);
  EXPECT_EQ(mixed->nonce, "m");
}

TEST(DigestClient, ConfiguredRealmFiltersChallenges) {
  const Message two = response(401,
                               "WWW-Authenticate: Digest realm=\"evil\", nonce=\"a\", "
                               "algorithm=SHA-256\r\n"
                               "WWW-Authenticate: Digest realm=\"good\", nonce=\"b\"\r\n");
  auto any = pick_challenge(two, "");
  ASSERT_TRUE(any.ok());
  EXPECT_EQ(any->realm, "evil");
  auto good = pick_challenge(two, "good");
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(good->realm, "good");
  EXPECT_FALSE(pick_challenge(two, "other").ok());
}

TEST(DigestClient, QuotesAndStaleAreHandled) {
  auto challenge = pick_challenge(
      response(401,
               "WWW-Authenticate: Digest realm=\"a \\\"q\\\" b\", nonce=\"n\", stale=TRUE\r\n"),
      "");
  ASSERT_TRUE(challenge.ok());
  EXPECT_EQ(challenge->realm, "a \"q\" b");
  EXPECT_TRUE(challenge->stale);
  const std::string value = authorization_value(*challenge, {.username = "we\"ird",
                                                             .password = "p",
                                                             .method = "REGISTER",
                                                             .digest_uri = "sip:r",
                                                             .nc = 1,
                                                             .cnonce = "c"});
  EXPECT_NE(value.find("username=\"we\\\"ird\""), std::string::npos) << value;
  EXPECT_NE(value.find("realm=\"a \\\"q\\\" b\""), std::string::npos) << value;
}

TEST(DigestClient, NotAChallengeResponse) {
  auto ok = protocol::sip::parse_message(
      "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKa\r\nFrom: <sip:a@b>;tag=1\r\n"
      "To: <sip:a@b>\r\nCall-ID: x\r\nCSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n");
  ASSERT_TRUE(ok.ok());
  auto challenge = pick_challenge(*ok, "");
  ASSERT_FALSE(challenge.ok());
  EXPECT_EQ(challenge.error().code, 400);
}

}  // namespace
}  // namespace parley::sip
