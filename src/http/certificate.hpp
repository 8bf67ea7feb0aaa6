#pragma once
// The HTTPS server's certificate: the operator's files when configured, otherwise a self-signed
// one that Parley makes on first start and keeps in the data folder.

#include <filesystem>
#include <string>

#include "base/result.hpp"

namespace parley::http {

struct CertificateFiles {
  std::filesystem::path certificate;  // PEM, the leaf first, then any chain
  std::filesystem::path private_key;  // PEM
  std::string
      fingerprint;  // SHA-256 of the leaf's DER, "AB:CD:..." (as `openssl x509 -fingerprint`)
  bool generated = false;  // made just now (first start)
};

// File names of the self-signed pair inside the data folder.
inline constexpr const char* kSelfSignedCertificateFile = "https-certificate.pem";
inline constexpr const char* kSelfSignedKeyFile = "https-key.pem";

// With both `certificate_file` and `key_file` set, loads them and checks that the key belongs to
// the certificate. With neither set, uses `data_dir`/https-certificate.pem and https-key.pem,
// creating them when either is missing: an EC P-256 key (file mode 0600) and a certificate for
// CN=parley with SAN DNS:localhost, IP:127.0.0.1, IP:::1, valid 825 days, written atomically.
// Setting only one of the two files is an error. Errors name the file and the reason.
// Blocking file I/O: call at start-up, not on a worker loop.
Result<CertificateFiles> load_or_create_certificate(const std::filesystem::path& data_dir,
                                                    const std::filesystem::path& certificate_file,
                                                    const std::filesystem::path& key_file);

}  // namespace parley::http
