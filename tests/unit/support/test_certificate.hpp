#pragma once
// A throwaway self-signed certificate for TLS tests: an EC P-256 key and a certificate for
// CN=`common_name` with SAN DNS:localhost and IP:127.0.0.1, written as PEM files into a folder.
// The certificate doubles as its own trust anchor (pass it as the CA file).

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "base/check.hpp"

namespace parley::test {

struct TestCertificate {
  std::filesystem::path certificate;
  std::filesystem::path key;
};

inline TestCertificate make_test_certificate(const std::filesystem::path& folder,
                                             const std::string& common_name) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  PARLEY_CHECK(key != nullptr);
  std::unique_ptr<X509, decltype(&X509_free)> certificate(X509_new(), X509_free);
  PARLEY_CHECK(certificate != nullptr);
  X509_set_version(certificate.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(certificate.get()),
                   static_cast<long>(std::hash<std::string>{}(common_name)&0x7FFFFFFF));
  X509_gmtime_adj(X509_getm_notBefore(certificate.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(certificate.get()), 86400);
  X509_NAME* name = X509_get_subject_name(certificate.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()),  // NOLINT
                             -1, -1, 0);
  X509_set_issuer_name(certificate.get(), name);
  X509_set_pubkey(certificate.get(), key.get());
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, certificate.get(), certificate.get(), nullptr, nullptr, 0);
  X509_EXTENSION* san =
      X509V3_EXT_conf_nid(nullptr, &context, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
  PARLEY_CHECK(san != nullptr);
  X509_add_ext(certificate.get(), san, -1);
  X509_EXTENSION_free(san);
  PARLEY_CHECK(X509_sign(certificate.get(), key.get(), EVP_sha256()) != 0);

  TestCertificate files{folder / (common_name + "-cert.pem"), folder / (common_name + "-key.pem")};
  FILE* out = std::fopen(files.certificate.c_str(), "w");
  PARLEY_CHECK(out != nullptr);
  PEM_write_X509(out, certificate.get());
  std::fclose(out);
  out = std::fopen(files.key.c_str(), "w");
  PARLEY_CHECK(out != nullptr);
  PEM_write_PrivateKey(out, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(out);
  return files;
}

}  // namespace parley::test
