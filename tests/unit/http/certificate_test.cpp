#include "http/certificate.hpp"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "support/temp_dir.hpp"

namespace parley::http {
namespace {

X509* read_pem(const std::filesystem::path& path) {
  FILE* file = std::fopen(path.c_str(), "r");
  if (file == nullptr) return nullptr;
  X509* certificate = PEM_read_X509(file, nullptr, nullptr, nullptr);
  std::fclose(file);
  return certificate;
}

TEST(Certificate, SelfSignedIsCreatedOnceThenReused) {
  test::TempDir data("parley-cert-test");
  const auto first = load_or_create_certificate(data.path() / "sub", {}, {});
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_TRUE(first->generated);
  EXPECT_EQ(first->certificate, data.path() / "sub" / kSelfSignedCertificateFile);
  EXPECT_EQ(first->fingerprint.size(), 32U * 3 - 1);  // "AB:" x 32, no trailing colon

  struct stat key_info {};
  ASSERT_EQ(::stat(first->private_key.c_str(), &key_info), 0);
  EXPECT_EQ(key_info.st_mode & 0777U, 0600U);

  const auto second = load_or_create_certificate(data.path() / "sub", {}, {});
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_FALSE(second->generated);
  EXPECT_EQ(second->fingerprint, first->fingerprint);

  // Half a pair (a crash, a careless delete) is replaced by a fresh pair.
  std::filesystem::remove(first->private_key);
  const auto third = load_or_create_certificate(data.path() / "sub", {}, {});
  ASSERT_TRUE(third.ok()) << third.error().message;
  EXPECT_TRUE(third->generated);
  EXPECT_NE(third->fingerprint, first->fingerprint);
}

TEST(Certificate, SelfSignedHasTheNamesKeyAndLifetime) {
  test::TempDir data("parley-cert-test");
  const auto made = load_or_create_certificate(data.path(), {}, {});
  ASSERT_TRUE(made.ok()) << made.error().message;
  X509* certificate = read_pem(made->certificate);
  ASSERT_NE(certificate, nullptr);

  char common_name[64] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(certificate), NID_commonName, common_name,
                            sizeof common_name);
  EXPECT_STREQ(common_name, "parley");
  EXPECT_EQ(X509_check_host(certificate, "localhost", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(certificate, "127.0.0.1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(certificate, "::1", 0), 1);
  EXPECT_NE(X509_check_host(certificate, "example.com", 0, 0, nullptr), 1);

  EVP_PKEY* key = X509_get0_pubkey(certificate);
  ASSERT_NE(key, nullptr);
  EXPECT_EQ(EVP_PKEY_get_base_id(key), EVP_PKEY_EC);
  char group[32] = {};
  std::size_t group_length = 0;
  EVP_PKEY_get_group_name(key, group, sizeof group, &group_length);
  EXPECT_STREQ(group, "prime256v1");

  int days = 0;
  int seconds = 0;
  ASSERT_EQ(ASN1_TIME_diff(&days, &seconds, X509_get0_notBefore(certificate),
                           X509_get0_notAfter(certificate)),
            1);
  EXPECT_EQ(days, 825);                         // plus the hour of clock-skew margin before now
  EXPECT_EQ(X509_verify(certificate, key), 1);  // self-signed
  X509_free(certificate);
}

TEST(Certificate, ConfiguredFilesAreLoadedAndChecked) {
  test::TempDir data("parley-cert-test");
  const auto a = load_or_create_certificate(data.path() / "a", {}, {});
  const auto b = load_or_create_certificate(data.path() / "b", {}, {});
  ASSERT_TRUE(a.ok() && b.ok());

  const auto configured = load_or_create_certificate(data.path(), a->certificate, a->private_key);
  ASSERT_TRUE(configured.ok()) << configured.error().message;
  EXPECT_FALSE(configured->generated);
  EXPECT_EQ(configured->fingerprint, a->fingerprint);
  EXPECT_FALSE(std::filesystem::exists(data.path() / kSelfSignedCertificateFile));

  const auto mismatched = load_or_create_certificate(data.path(), a->certificate, b->private_key);
  ASSERT_FALSE(mismatched.ok());
  EXPECT_NE(mismatched.error().message.find("does not belong"), std::string::npos)
      << mismatched.error().message;

  const auto half = load_or_create_certificate(data.path(), a->certificate, {});
  ASSERT_FALSE(half.ok());
  EXPECT_NE(half.error().message.find("both"), std::string::npos);

  const auto missing =
      load_or_create_certificate(data.path(), data.path() / "nope.pem", a->private_key);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("nope.pem"), std::string::npos);

  std::ofstream(data.path() / "junk.pem") << "not a certificate";
  const auto junk =
      load_or_create_certificate(data.path(), data.path() / "junk.pem", a->private_key);
  ASSERT_FALSE(junk.ok());
  EXPECT_NE(junk.error().message.find("junk.pem"), std::string::npos);
}

}  // namespace
}  // namespace parley::http
