#pragma once
// TlsTrustAnchors: the authorities one peer's certificates must lead to, and the check of a
// chain a connection presented (StreamConnection::peer_certificates) against them. Used for
// mutual TLS with provider trunks (decision 0048): each trunk names its own CA file, so the
// listener's handshake accepts any client certificate and this judges it per trunk.
//
// Loading reads a file: do it off the event loops. Thread-safety: immutable once loaded;
// verify() may run on several threads at once (each call has its own verification context).

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace parley::net {

class TlsTrustAnchors {
 public:
  // A PEM bundle of one or more CA certificates. Errors name the file and the reason.
  static Result<std::shared_ptr<const TlsTrustAnchors>> load(const std::filesystem::path& ca_file);
  ~TlsTrustAnchors();
  TlsTrustAnchors(const TlsTrustAnchors&) = delete;
  TlsTrustAnchors& operator=(const TlsTrustAnchors&) = delete;

  // Whether `chain` (DER, the peer's own certificate first, then intermediates) verifies to
  // one of the anchors now (signatures, validity dates, CA constraints, purpose "TLS client")
  // and, when `expected_name` is not empty, whether the peer's certificate carries it: a DNS
  // subjectAltName matching it (wildcards as RFC 6125), a URI subjectAltName equal to it, or,
  // without DNS names, its subject common name. The error says why not, for a log line.
  Result<void> verify(const std::vector<std::string>& chain, std::string_view expected_name) const;

  struct Impl;

 private:
  explicit TlsTrustAnchors(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace parley::net
