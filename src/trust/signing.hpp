#pragma once
// Ed25519 release keys (libsodium) and detached manifest signatures.
//
// Decision: the signature is a separate file beside the manifest (MANIFEST.sig), not an envelope
// around it. The manifest stays a plain JSON file that tools and people read as is, and the
// signature covers its exact bytes, so there is no canonicalisation step to get wrong.
//
// What is signed: the bytes "parley-release-manifest-v1\n" followed by the manifest file's bytes.
// The prefix binds the signature to this use: a release key signature made for anything else can
// never pass as a manifest signature.
//
// File formats (one line of text each, final newline):
//   secret key  "parley-release-secret-key ed25519 <base64 of the 32-byte seed>"   (mode 0600)
//   public key  "parley-release-public-key ed25519 <base64 of the 32-byte key>"
//   signature   JSON {"format": "parley-signature/1", "algorithm": "ed25519",
//                     "key_id": "<16 hex>", "signature": "<base64 of 64 bytes>"}
// The key id (first 8 bytes of SHA-256 of the public key, in hex) tells "signed with another key"
// apart from "manifest changed"; it is a hint, never trusted on its own.
//
// All functions are thread-safe.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace parley::trust {

struct PublicKey {
  std::array<std::uint8_t, 32> bytes{};

  // 16 lower-case hex digits identifying the key.
  std::string id() const;
  bool operator==(const PublicKey&) const = default;
};

// An Ed25519 secret key (libsodium's 64-byte form: seed then public key). Wiped on destruction.
class SecretKey {
 public:
  SecretKey() = default;
  ~SecretKey();
  SecretKey(const SecretKey&) = default;
  SecretKey& operator=(const SecretKey&) = default;

  // Derives the key pair from a 32-byte seed.
  static SecretKey from_seed(const std::array<std::uint8_t, 32>& seed);
  // A fresh key from the operating system's random source.
  static SecretKey generate();

  PublicKey public_key() const;
  const std::array<std::uint8_t, 64>& bytes() const { return bytes_; }

 private:
  std::array<std::uint8_t, 64> bytes_{};
};

std::string format_secret_key(const SecretKey& key);
Result<SecretKey> parse_secret_key(std::string_view text);
std::string format_public_key(const PublicKey& key);
Result<PublicKey> parse_public_key(std::string_view text);

// The signature file text for `manifest` (the manifest file's exact bytes).
std::string sign_manifest(const SecretKey& key, std::string_view manifest);

// Checks a signature file against the manifest bytes and the trusted public key. The error says
// whether the signature file is malformed, was made with another key, or does not match.
Result<void> verify_manifest_signature(const PublicKey& key, std::string_view manifest,
                                       std::string_view signature_file);

}  // namespace parley::trust
