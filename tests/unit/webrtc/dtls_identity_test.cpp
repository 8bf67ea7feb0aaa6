#include "webrtc/dtls_identity.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cctype>
#include <string>

namespace parley::webrtc {
namespace {

TEST(DtlsIdentity, FingerprintIsTheSha256OfItsCertificateInSdpForm) {
  auto identity = DtlsIdentity::generate();
  ASSERT_TRUE(identity.ok()) << identity.error().message;
  const std::string& text = (*identity)->fingerprint();
  ASSERT_EQ(text.size(), 8 + 32 * 3 - 1);
  EXPECT_EQ(text.substr(0, 8), "sha-256 ");
  for (std::size_t i = 8; i < text.size(); ++i) {
    if ((i - 8) % 3 == 2) {
      EXPECT_EQ(text[i], ':');
    } else {
      EXPECT_TRUE(std::isxdigit(static_cast<unsigned char>(text[i])) &&
                  !std::islower(static_cast<unsigned char>(text[i])));
    }
  }

  // Recompute from the PEM with OpenSSL directly.
  const std::string pem = (*identity)->certificate_pem();
  ASSERT_NE(pem.find("BEGIN CERTIFICATE"), std::string::npos);
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* certificate = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  ASSERT_NE(certificate, nullptr);
  CertificateDigest digest{};
  unsigned int length = 0;
  ASSERT_EQ(X509_digest(certificate, EVP_sha256(), digest.data(), &length), 1);
  EXPECT_EQ(digest, (*identity)->digest());
  EXPECT_EQ(format_fingerprint(digest), text);
  // EC P-256 key, self-signed.
  EVP_PKEY* key = X509_get0_pubkey(certificate);
  EXPECT_EQ(EVP_PKEY_get_base_id(key), EVP_PKEY_EC);
  EXPECT_EQ(EVP_PKEY_get_bits(key), 256);
  EXPECT_EQ(X509_verify(certificate, key), 1);
  X509_free(certificate);
  BIO_free(bio);
}

TEST(DtlsIdentity, EachIdentityHasItsOwnKey) {
  auto a = DtlsIdentity::generate();
  auto b = DtlsIdentity::generate();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE((*a)->fingerprint(), (*b)->fingerprint());
}

TEST(Fingerprint, ParsesWhatItFormatsAndBrowserVariants) {
  CertificateDigest digest{};
  for (std::size_t i = 0; i < digest.size(); ++i) digest[i] = static_cast<std::uint8_t>(i * 7 + 3);
  const std::string text = format_fingerprint(digest);
  auto parsed = parse_fingerprint(text);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(*parsed, digest);

  std::string lower = text;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  EXPECT_TRUE(parse_fingerprint(lower).ok());
  EXPECT_TRUE(parse_fingerprint("SHA-256  " + text.substr(8) + "\r\n").ok());
}

TEST(Fingerprint, RefusesOtherHashesAndMalformedValues) {
  const std::string pairs = format_fingerprint(CertificateDigest{}).substr(8);
  EXPECT_FALSE(parse_fingerprint("sha-1 " + pairs).ok());
  EXPECT_FALSE(parse_fingerprint(pairs).ok());
  EXPECT_FALSE(parse_fingerprint("sha-256 " + pairs.substr(3)).ok());
  EXPECT_FALSE(parse_fingerprint("sha-256 " + pairs + ":00").ok());
  std::string bad = "sha-256 " + pairs;
  bad[20] = 'G';
  EXPECT_FALSE(parse_fingerprint(bad).ok());
  std::string no_colon = "sha-256 " + pairs;
  no_colon[10] = '-';
  EXPECT_FALSE(parse_fingerprint(no_colon).ok());
  EXPECT_FALSE(parse_fingerprint("").ok());
}

}  // namespace
}  // namespace parley::webrtc
