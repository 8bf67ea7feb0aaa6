#pragma once
// The TLS settings stream connections share: our certificate and key, whom we trust, and
// whether the other side must prove itself. One context serves many connections; it is made at
// start-up (it reads files) and must outlive every server and connection that uses it.
//
// Both roles speak TLS 1.2 and 1.3 only, without renegotiation (a CPU-exhaustion vector) or
// compression (CRIME).
//
// Thread-safety: immutable once created; connections on any worker may use it at once.

#include <filesystem>
#include <memory>

#include "base/result.hpp"

namespace parley::net {

struct TlsContextOptions {
  // PEM, the leaf first, then any chain; with `key_file`. A server needs both; a client may
  // leave both empty (then it has no certificate to show when a server asks: no mutual TLS).
  std::filesystem::path certificate_file;
  std::filesystem::path key_file;
  // PEM bundle of the authorities we trust for the peer's certificate. Empty: the system's
  // default store (clients); a server without one cannot check client certificates.
  std::filesystem::path ca_file;
  // Client: check the server's chain and that it names the host we connect to; fail the
  // handshake otherwise. Server: ask for a client certificate and refuse one that does not
  // verify (a client that sends none is still accepted: phones rarely have one).
  bool verify_peer = false;
  // Server without verify_peer: ask every client for a certificate and take whatever comes
  // (or nothing) without judging it; the layer above checks it against what it trusts for that
  // peer (a trunk's own CA, decision 0048) through StreamConnection::peer_certificates().
  bool request_client_certificate = false;
};

class TlsContext {
 public:
  enum class Role { kServer, kClient };

  // Errors name the file and the reason (unreadable, not PEM, key does not match).
  static Result<std::unique_ptr<TlsContext>> create(Role role, const TlsContextOptions& options);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  Role role() const;
  bool verify_peer() const;

  struct Impl;  // defined in net/tls_internal.hpp, for net/'s own sources
  Impl& impl() { return *impl_; }

 private:
  explicit TlsContext(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace parley::net
