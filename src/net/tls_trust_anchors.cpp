#include "net/tls_trust_anchors.hpp"

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <cstring>

namespace parley::net {
namespace {

struct X509Free {
  void operator()(X509* certificate) const { X509_free(certificate); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;

struct ChainFree {
  void operator()(STACK_OF(X509) * chain) const { sk_X509_pop_free(chain, X509_free); }
};

struct StoreContextFree {
  void operator()(X509_STORE_CTX* context) const { X509_STORE_CTX_free(context); }
};

X509Ptr parse_der(const std::string& der) {
  const auto* in = reinterpret_cast<const unsigned char*>(der.data());  // NOLINT: OpenSSL's API
  return X509Ptr(d2i_X509(nullptr, &in, static_cast<long>(der.size())));
}

bool has_uri_name(X509* certificate, std::string_view expected) {
  auto* names = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(certificate, NID_subject_alt_name, nullptr, nullptr));
  if (names == nullptr) return false;
  bool found = false;
  for (int i = 0; i < sk_GENERAL_NAME_num(names) && !found; ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    if (name->type != GEN_URI) continue;
    const ASN1_IA5STRING* uri = name->d.uniformResourceIdentifier;
    found = std::string_view(
                reinterpret_cast<const char*>(ASN1_STRING_get0_data(uri)),  // NOLINT: OpenSSL
                static_cast<std::size_t>(ASN1_STRING_length(uri))) == expected;
  }
  GENERAL_NAMES_free(names);
  return found;
}

}  // namespace

struct TlsTrustAnchors::Impl {
  ~Impl() { X509_STORE_free(store); }
  X509_STORE* store = X509_STORE_new();
};

TlsTrustAnchors::TlsTrustAnchors(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TlsTrustAnchors::~TlsTrustAnchors() = default;

Result<std::shared_ptr<const TlsTrustAnchors>> TlsTrustAnchors::load(
    const std::filesystem::path& ca_file) {
  auto impl = std::make_unique<Impl>();
  if (impl->store == nullptr) return make_error(ENOMEM, "TLS: no memory for a certificate store");
  ERR_clear_error();
  if (X509_STORE_load_file(impl->store, ca_file.c_str()) != 1) {
    const unsigned long error = ERR_get_error();
    const char* text = error != 0 ? ERR_reason_error_string(error) : nullptr;
    std::string reason = text != nullptr ? text : "no certificate in it (or unreadable)";
    ERR_clear_error();
    return make_error(EINVAL, "TLS CA file " + ca_file.string() + ": " + reason);
  }
  return std::shared_ptr<const TlsTrustAnchors>(new TlsTrustAnchors(std::move(impl)));  // NOLINT
}

Result<void> TlsTrustAnchors::verify(const std::vector<std::string>& chain,
                                     std::string_view expected_name) const {
  if (chain.empty()) return make_error(EACCES, "no client certificate");
  X509Ptr own = parse_der(chain.front());
  if (!own) return make_error(EINVAL, "the client certificate does not parse");
  std::unique_ptr<STACK_OF(X509), ChainFree> intermediates(sk_X509_new_null());
  if (!intermediates) return make_error(ENOMEM, "TLS: no memory");
  for (std::size_t i = 1; i < chain.size(); ++i) {
    X509Ptr next = parse_der(chain[i]);
    if (!next) return make_error(EINVAL, "a certificate of the client's chain does not parse");
    if (sk_X509_push(intermediates.get(), next.get()) <= 0)
      return make_error(ENOMEM, "TLS: no memory");
    static_cast<void>(next.release());  // the stack owns it now
  }
  std::unique_ptr<X509_STORE_CTX, StoreContextFree> context(X509_STORE_CTX_new());
  if (!context ||
      X509_STORE_CTX_init(context.get(), impl_->store, own.get(), intermediates.get()) != 1) {
    return make_error(ENOMEM, "TLS: cannot set up a verification");
  }
  X509_STORE_CTX_set_purpose(context.get(), X509_PURPOSE_SSL_CLIENT);
  if (X509_verify_cert(context.get()) != 1) {
    const int error = X509_STORE_CTX_get_error(context.get());
    return make_error(EACCES, std::string("the client certificate does not verify: ") +
                                  X509_verify_cert_error_string(error));
  }
  if (expected_name.empty()) return {};
  const std::string name(expected_name);
  if (X509_check_host(own.get(), name.c_str(), name.size(), 0, nullptr) == 1 ||
      has_uri_name(own.get(), expected_name)) {
    return {};
  }
  return make_error(EACCES, "the client certificate does not name " + name);
}

}  // namespace parley::net
