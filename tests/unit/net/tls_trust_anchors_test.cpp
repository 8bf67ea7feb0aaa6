// TlsTrustAnchors (decision 0048): a client's certificate chain judged against one trunk's CA
// file and the name it must carry, with real OpenSSL certificates made for the test.

#include "net/tls_trust_anchors.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "support/certificate_der.hpp"
#include "support/temp_dir.hpp"
#include "support/test_certificate.hpp"

namespace parley::net {
namespace {

struct Certificates {
  test::TempDir folder{"parley-anchors"};
  // Self-signed, so each is its own authority; both carry SAN DNS:localhost.
  test::TestCertificate provider = test::make_test_certificate(folder.path(), "sbc.provider.test");
  test::TestCertificate stranger = test::make_test_certificate(folder.path(), "stranger");
};

TEST(TlsTrustAnchors, AChainThatLeadsToTheCaVerifies) {
  Certificates files;
  auto anchors = TlsTrustAnchors::load(files.provider.certificate);
  ASSERT_TRUE(anchors.ok()) << anchors.error().message;
  const std::vector<std::string> chain{test::certificate_der(files.provider.certificate)};
  EXPECT_TRUE((*anchors)->verify(chain, "").ok());
  EXPECT_TRUE((*anchors)->verify(chain, "localhost").ok()) << "a DNS subjectAltName";
}

TEST(TlsTrustAnchors, AnotherAuthoritysCertificateDoesNot) {
  Certificates files;
  auto anchors = TlsTrustAnchors::load(files.provider.certificate);
  ASSERT_TRUE(anchors.ok());
  auto refused = (*anchors)->verify({test::certificate_der(files.stranger.certificate)}, "");
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("does not verify"), std::string::npos)
      << refused.error().message;
}

TEST(TlsTrustAnchors, TheExpectedNameMustBeCarried) {
  Certificates files;
  auto anchors = TlsTrustAnchors::load(files.provider.certificate);
  ASSERT_TRUE(anchors.ok());
  const std::vector<std::string> chain{test::certificate_der(files.provider.certificate)};
  auto refused = (*anchors)->verify(chain, "other.provider.test");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().message, "the client certificate does not name other.provider.test");
  EXPECT_FALSE((*anchors)->verify(chain, "sbc.provider.test").ok())
      << "with DNS names, the common name is not looked at (RFC 6125)";
}

TEST(TlsTrustAnchors, NothingOrGarbageIsAClearRefusal) {
  Certificates files;
  auto anchors = TlsTrustAnchors::load(files.provider.certificate);
  ASSERT_TRUE(anchors.ok());
  auto none = (*anchors)->verify({}, "");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().message, "no client certificate");
  auto garbage = (*anchors)->verify({std::string("\x30\x03\x02\x01", 4)}, "");
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.error().message, "the client certificate does not parse");
  std::string good = test::certificate_der(files.provider.certificate);
  auto bad_intermediate = (*anchors)->verify({good, "not DER"}, "");
  ASSERT_FALSE(bad_intermediate.ok());
}

TEST(TlsTrustAnchors, ACaFileThatIsMissingOrNotPemFailsToLoad) {
  Certificates files;
  auto missing = TlsTrustAnchors::load(files.folder.path() / "nope.pem");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("nope.pem"), std::string::npos);
  const auto text = files.folder.path() / "text.pem";
  std::ofstream(text) << "not a certificate\n";
  EXPECT_FALSE(TlsTrustAnchors::load(text).ok());
  EXPECT_FALSE(TlsTrustAnchors::load(files.provider.key).ok()) << "a key is no authority";
}

}  // namespace
}  // namespace parley::net
