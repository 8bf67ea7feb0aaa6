#pragma once
// The DER bytes of a PEM certificate file, as net::StreamConnection::peer_certificates() gives
// them: for tests of client-certificate checks without a handshake.

#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "base/check.hpp"

namespace parley::test {

inline std::string certificate_der(const std::filesystem::path& pem) {
  FILE* in = std::fopen(pem.c_str(), "r");
  PARLEY_CHECK(in != nullptr);
  std::unique_ptr<X509, decltype(&X509_free)> certificate(
      PEM_read_X509(in, nullptr, nullptr, nullptr), X509_free);
  std::fclose(in);
  PARLEY_CHECK(certificate != nullptr);
  const int size = i2d_X509(certificate.get(), nullptr);
  PARLEY_CHECK(size > 0);
  std::string der(static_cast<std::size_t>(size), '\0');
  auto* out = reinterpret_cast<unsigned char*>(der.data());  // NOLINT: OpenSSL's API
  PARLEY_CHECK(i2d_X509(certificate.get(), &out) == size);
  return der;
}

}  // namespace parley::test
