#pragma once
// Private to webrtc/: the OpenSSL handles behind DtlsIdentity, shared with dtls_endpoint.cpp.
// Nothing outside this folder includes it, so OpenSSL stays out of the public headers.

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

#include "webrtc/dtls_identity.hpp"

namespace parley::webrtc {

struct OpensslFree {
  void operator()(SSL_CTX* p) const { SSL_CTX_free(p); }
  void operator()(SSL* p) const { SSL_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};

using UniqueSslCtx = std::unique_ptr<SSL_CTX, OpensslFree>;
using UniqueSsl = std::unique_ptr<SSL, OpensslFree>;
using UniqueX509 = std::unique_ptr<X509, OpensslFree>;
using UniqueKey = std::unique_ptr<EVP_PKEY, OpensslFree>;

struct DtlsIdentity::Impl {
  UniqueKey key;
  UniqueX509 certificate;
  // Configured once in generate() and never changed after, so SSL_new() on it is safe from
  // every worker at once.
  UniqueSslCtx context;
};

// Replaces OpenSSL's chain verification for every connection made from an identity's context:
// the peer's leaf certificate is accepted when its SHA-256 digest is the one the remote SDP
// announced, whatever its issuer or dates. Defined in dtls_endpoint.cpp.
int verify_peer_fingerprint(X509_STORE_CTX* store, void* unused);

// The SHA-256 digest of a certificate's DER encoding (RFC 8122 §5).
bool certificate_digest(X509* certificate, CertificateDigest& out);

// The oldest queued OpenSSL error as text (and clears the queue), or `fallback` if none.
std::string take_openssl_error(const std::string& fallback);

}  // namespace parley::webrtc
