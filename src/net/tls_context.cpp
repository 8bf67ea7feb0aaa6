#include "net/tls_context.hpp"

#include "net/tls_internal.hpp"  // first among ours: Asio

#include <openssl/ssl.h>

#include <cerrno>
#include <string>

namespace parley::net {
namespace ssl = boost::asio::ssl;

TlsContext::TlsContext(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TlsContext::~TlsContext() = default;

TlsContext::Role TlsContext::role() const {
  return impl_->role;
}

bool TlsContext::verify_peer() const {
  return impl_->verify_peer;
}

Result<std::unique_ptr<TlsContext>> TlsContext::create(Role role,
                                                       const TlsContextOptions& options) {
  auto impl = std::make_unique<Impl>(role);
  ssl::context& context = impl->context;
  SSL_CTX_set_min_proto_version(context.native_handle(), TLS1_2_VERSION);
  context.set_options(ssl::context::default_workarounds | ssl::context::no_compression |
                      SSL_OP_NO_RENEGOTIATION |
                      (role == Role::kServer ? SSL_OP_CIPHER_SERVER_PREFERENCE : 0));
  // Idle connections give their read and write buffers back (about 34 KiB each): a server with
  // thousands of registered phones keeps most of them quiet between re-registrations.
  SSL_CTX_set_mode(context.native_handle(), SSL_MODE_RELEASE_BUFFERS);

  const bool has_certificate = !options.certificate_file.empty();
  if (has_certificate != !options.key_file.empty()) {
    return make_error(EINVAL, "TLS: a certificate file needs a key file and the other way round");
  }
  if (role == Role::kServer && !has_certificate) {
    return make_error(EINVAL, "TLS: a server needs a certificate and a key");
  }
  boost::system::error_code error;
  if (has_certificate) {
    context.use_certificate_chain_file(options.certificate_file.string(), error);
    if (error) {
      return make_error(
          EINVAL, "TLS certificate " + options.certificate_file.string() + ": " + error.message());
    }
    context.use_private_key_file(options.key_file.string(), ssl::context::pem, error);
    if (error) {
      return make_error(EINVAL,
                        "TLS private key " + options.key_file.string() + ": " + error.message());
    }
    if (SSL_CTX_check_private_key(context.native_handle()) != 1) {
      return make_error(EINVAL, "TLS private key " + options.key_file.string() +
                                    " does not belong to " + options.certificate_file.string());
    }
  }
  if (!options.ca_file.empty()) {
    context.load_verify_file(options.ca_file.string(), error);
    if (error) {
      return make_error(EINVAL, "TLS CA file " + options.ca_file.string() + ": " + error.message());
    }
  } else if (role == Role::kClient) {
    context.set_default_verify_paths(error);  // a missing system store only fails verification
  }
  impl->verify_peer = options.verify_peer;
  if (options.verify_peer) {
    // Server side: ask, but do not insist (no SSL_VERIFY_FAIL_IF_NO_PEER_CERT); a certificate
    // that is sent must verify. Client side: the server's must.
    context.set_verify_mode(ssl::verify_peer);
  } else if (role == Role::kServer && options.request_client_certificate) {
    // Judged later, per peer: the handshake itself accepts any certificate, and none.
    SSL_CTX_set_verify(context.native_handle(), SSL_VERIFY_PEER,
                       [](int /*preverified*/, X509_STORE_CTX* /*store*/) { return 1; });
  } else {
    context.set_verify_mode(ssl::verify_none);
  }
  return std::unique_ptr<TlsContext>(new TlsContext(std::move(impl)));  // private constructor
}

}  // namespace parley::net
