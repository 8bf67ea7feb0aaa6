#include "webrtc/dtls_identity.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <cctype>

#include "webrtc/dtls_internal.hpp"

namespace parley::webrtc {

namespace {

// Our key is ECDSA, so only ECDHE-ECDSA suites can be chosen when we are the server; as a client
// we offer the same list, which is what browsers accept with their ECDSA certificates.
constexpr const char* kCipherList =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA";
constexpr const char* kGroups = "X25519:P-256:P-384";

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

struct BnFree {
  void operator()(BIGNUM* p) const { BN_free(p); }
};
struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};

Result<UniqueX509> self_signed_certificate(EVP_PKEY* key, const DtlsIdentityOptions& options) {
  UniqueX509 certificate(X509_new());
  if (!certificate) return make_error(0, take_openssl_error("X509_new failed"));
  X509* x = certificate.get();

  // A random positive 63-bit serial: browsers do not care, but two restarts of the server must
  // not present different certificates with the same issuer and serial.
  std::unique_ptr<BIGNUM, BnFree> serial(BN_new());
  if (!serial || BN_rand(serial.get(), 63, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
      BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(x)) == nullptr) {
    return make_error(0, take_openssl_error("certificate serial failed"));
  }
  const long validity_seconds =
      static_cast<long>(std::chrono::duration_cast<std::chrono::seconds>(options.validity).count());
  // Starts a day early so that a peer whose clock is behind ours still accepts it.
  constexpr long kOneDay = 24L * 60 * 60;
  X509_NAME* name = X509_get_subject_name(x);
  const auto* common_name = reinterpret_cast<const unsigned char*>(options.common_name.c_str());
  if (X509_set_version(x, 2) != 1 || X509_gmtime_adj(X509_getm_notBefore(x), -kOneDay) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(x), validity_seconds) == nullptr ||
      X509_set_pubkey(x, key) != 1 ||
      X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, common_name, -1, -1, 0) != 1 ||
      X509_set_issuer_name(x, name) != 1 || X509_sign(x, key, EVP_sha256()) <= 0) {
    return make_error(0, take_openssl_error("self-signed certificate failed"));
  }
  return certificate;
}

Result<UniqueSslCtx> dtls_context(X509* certificate, EVP_PKEY* key) {
  UniqueSslCtx context(SSL_CTX_new(DTLS_method()));
  SSL_CTX* ctx = context.get();
  if (ctx == nullptr || SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(ctx, DTLS1_2_VERSION) != 1 ||
      SSL_CTX_use_certificate(ctx, certificate) != 1 || SSL_CTX_use_PrivateKey(ctx, key) != 1 ||
      SSL_CTX_check_private_key(ctx) != 1 || SSL_CTX_set_cipher_list(ctx, kCipherList) != 1 ||
      SSL_CTX_set1_groups_list(ctx, kGroups) != 1) {
    return make_error(0, take_openssl_error("DTLS context set-up failed"));
  }
  // Each side proves its certificate; the fingerprint check replaces chain building.
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  SSL_CTX_set_cert_verify_callback(ctx, verify_peer_fingerprint, nullptr);
  // No resumption between calls: every handshake is full and bound to its own SDP, and the
  // context stays free of shared mutable state.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_QUERY_MTU | SSL_OP_NO_RENEGOTIATION |
                               SSL_OP_CIPHER_SERVER_PREFERENCE);
  return context;
}

}  // namespace

std::string take_openssl_error(const std::string& fallback) {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return fallback;
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return fallback + ": " + text;
}

bool certificate_digest(X509* certificate, CertificateDigest& out) {
  unsigned int length = 0;
  return certificate != nullptr &&
         X509_digest(certificate, EVP_sha256(), out.data(), &length) == 1 && length == out.size();
}

std::string format_fingerprint(const CertificateDigest& digest) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string text = "sha-256 ";
  text.reserve(text.size() + digest.size() * 3);
  for (std::size_t i = 0; i < digest.size(); ++i) {
    if (i != 0) text += ':';
    text += kHex[digest[i] >> 4];
    text += kHex[digest[i] & 0x0F];
  }
  return text;
}

Result<CertificateDigest> parse_fingerprint(std::string_view value) {
  const auto space = value.find(' ');
  if (space == std::string_view::npos) {
    return make_error(0, "fingerprint needs a hash name and a value");
  }
  if (!equals_ignoring_case(value.substr(0, space), "sha-256")) {
    return make_error(0, "only sha-256 fingerprints are supported");
  }
  std::string_view hex = value.substr(space);
  while (!hex.empty() && hex.front() == ' ') hex.remove_prefix(1);
  while (!hex.empty() && (hex.back() == ' ' || hex.back() == '\r' || hex.back() == '\n')) {
    hex.remove_suffix(1);
  }
  constexpr std::size_t kTextBytes = kSha256Bytes * 3 - 1;
  if (hex.size() != kTextBytes) return make_error(0, "sha-256 fingerprint must be 32 hex pairs");
  CertificateDigest digest{};
  for (std::size_t i = 0; i < kSha256Bytes; ++i) {
    const std::size_t at = i * 3;
    const int high = hex_value(hex[at]);
    const int low = hex_value(hex[at + 1]);
    if (high < 0 || low < 0 || (i + 1 < kSha256Bytes && hex[at + 2] != ':')) {
      return make_error(0, "fingerprint is not colon-separated hex pairs");
    }
    digest[i] = static_cast<std::uint8_t>(high << 4 | low);
  }
  return digest;
}

Result<std::shared_ptr<const DtlsIdentity>> DtlsIdentity::generate(
    const DtlsIdentityOptions& options) {
  ERR_clear_error();
  auto impl = std::make_unique<Impl>();
  impl->key.reset(EVP_EC_gen("P-256"));
  if (!impl->key) return make_error(0, take_openssl_error("EC P-256 key generation failed"));
  auto certificate = self_signed_certificate(impl->key.get(), options);
  if (!certificate) return certificate.error();
  impl->certificate = std::move(*certificate);
  auto context = dtls_context(impl->certificate.get(), impl->key.get());
  if (!context) return context.error();
  impl->context = std::move(*context);

  CertificateDigest digest{};
  if (!certificate_digest(impl->certificate.get(), digest)) {
    return make_error(0, take_openssl_error("certificate digest failed"));
  }
  return std::shared_ptr<const DtlsIdentity>(
      std::make_shared<DtlsIdentity>(Key{}, std::move(impl), digest));
}

DtlsIdentity::DtlsIdentity(Key, std::unique_ptr<Impl> impl, const CertificateDigest& digest)
    : impl_(std::move(impl)), digest_(digest), fingerprint_(format_fingerprint(digest)) {}
DtlsIdentity::~DtlsIdentity() = default;

std::string DtlsIdentity::certificate_pem() const {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), impl_->certificate.get()) != 1) return {};
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  return length > 0 ? std::string(data, static_cast<std::size_t>(length)) : std::string{};
}

}  // namespace parley::webrtc
