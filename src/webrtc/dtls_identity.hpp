#pragma once
// The certificate and key this server shows in every DTLS handshake, and the SDP fingerprints
// (RFC 8122 §5) that tie a handshake to the signalling.
//
// A DtlsIdentity is an EC P-256 key with a self-signed certificate, made once at start-up and
// shared (std::shared_ptr<const DtlsIdentity>) by every call on every worker: WebRTC peers
// authenticate it by the a=fingerprint in our SDP, never by a CA. It also owns the OpenSSL
// context (DTLS 1.2 only, ECDHE-ECDSA suites, no session cache) from which each DtlsEndpoint
// makes its connection.
//
// Thread-safety: immutable after generate(); safe to share between threads.

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace parley::webrtc {

inline constexpr std::size_t kSha256Bytes = 32;
using CertificateDigest = std::array<std::uint8_t, kSha256Bytes>;

// "sha-256 AB:CD:...:EF", the value of an SDP a=fingerprint attribute.
std::string format_fingerprint(const CertificateDigest& digest);

// Reads an a=fingerprint value: the hash name (case-insensitive), one or more spaces, then 32
// colon-separated hex pairs (either case). Only sha-256 is accepted: every browser sends it, and
// RFC 8122 §5 forbids weaker hashes than the certificate's signature uses.
Result<CertificateDigest> parse_fingerprint(std::string_view value);

struct DtlsIdentityOptions {
  std::string common_name = "parley";
  // Browsers check only the fingerprint, but a certificate that has expired is refused by some
  // other stacks; a year outlasts any server process.
  std::chrono::hours validity{24 * 365};
};

class DtlsIdentity {
 public:
  static Result<std::shared_ptr<const DtlsIdentity>> generate(
      const DtlsIdentityOptions& options = {});

  DtlsIdentity(const DtlsIdentity&) = delete;
  DtlsIdentity& operator=(const DtlsIdentity&) = delete;
  ~DtlsIdentity();

  // "sha-256 AB:CD:..." for our SDP's a=fingerprint.
  const std::string& fingerprint() const { return fingerprint_; }
  const CertificateDigest& digest() const { return digest_; }
  // The certificate in PEM, for tools and tests that talk to us (the key never leaves).
  std::string certificate_pem() const;

  struct Impl;  // OpenSSL handles; defined in dtls_internal.hpp for DtlsEndpoint only.
  const Impl& impl() const { return *impl_; }

  // Only generate() can name a Key, so only it can construct (through std::make_shared).
  class Key {
    friend class DtlsIdentity;
    Key() = default;
  };
  DtlsIdentity(Key, std::unique_ptr<Impl> impl, const CertificateDigest& digest);

 private:
  std::unique_ptr<Impl> impl_;
  CertificateDigest digest_{};
  std::string fingerprint_;
};

}  // namespace parley::webrtc
