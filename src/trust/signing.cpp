#include "trust/signing.hpp"

#include <sodium.h>

#include <nlohmann/json.hpp>
#include <vector>

#include "base/check.hpp"
#include "trust/digest.hpp"
#include "trust/json_util.hpp"

namespace parley::trust {
namespace {

constexpr std::string_view kSignedPrefix = "parley-release-manifest-v1\n";
constexpr std::string_view kSecretKeyTag = "parley-release-secret-key ed25519 ";
constexpr std::string_view kPublicKeyTag = "parley-release-public-key ed25519 ";
constexpr std::string_view kSignatureFormat = "parley-signature/1";

void init_sodium() {
  // Idempotent and thread-safe; -1 means no usable random source, which nothing here survives.
  PARLEY_CHECK(sodium_init() >= 0);
}

std::vector<std::uint8_t> signed_message(std::string_view manifest) {
  std::vector<std::uint8_t> message(kSignedPrefix.begin(), kSignedPrefix.end());
  message.insert(message.end(), manifest.begin(), manifest.end());
  return message;
}

// The base64 payload of a one-line key file that starts with `tag`, decoded to `size` bytes.
Result<std::vector<std::uint8_t>> parse_key_line(std::string_view text, std::string_view tag,
                                                 std::size_t size, const char* what) {
  if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  if (text.substr(0, tag.size()) != tag) {
    return make_error(
        0, std::string("not a Parley ") + what + " (expected '" + std::string(tag) + "<base64>')");
  }
  auto bytes = from_base64(text.substr(tag.size()));
  if (!bytes || bytes->size() != size) {
    return make_error(
        0, std::string("the ") + what + " is not " + std::to_string(size) + " bytes of base64");
  }
  return bytes;
}

}  // namespace

std::string PublicKey::id() const {
  return sha256_hex(std::span<const std::uint8_t>(bytes)).substr(0, 16);
}

SecretKey::~SecretKey() {
  sodium_memzero(bytes_.data(), bytes_.size());
}

SecretKey SecretKey::from_seed(const std::array<std::uint8_t, 32>& seed) {
  init_sodium();
  SecretKey key;
  std::array<std::uint8_t, crypto_sign_PUBLICKEYBYTES> public_key{};
  crypto_sign_seed_keypair(public_key.data(), key.bytes_.data(), seed.data());
  return key;
}

SecretKey SecretKey::generate() {
  init_sodium();
  std::array<std::uint8_t, 32> seed{};
  randombytes_buf(seed.data(), seed.size());
  SecretKey key = from_seed(seed);
  sodium_memzero(seed.data(), seed.size());
  return key;
}

PublicKey SecretKey::public_key() const {
  PublicKey key;
  crypto_sign_ed25519_sk_to_pk(key.bytes.data(), bytes_.data());
  return key;
}

std::string format_secret_key(const SecretKey& key) {
  std::array<std::uint8_t, 32> seed{};
  crypto_sign_ed25519_sk_to_seed(seed.data(), key.bytes().data());
  std::string text = std::string(kSecretKeyTag) + to_base64(seed) + "\n";
  sodium_memzero(seed.data(), seed.size());
  return text;
}

Result<SecretKey> parse_secret_key(std::string_view text) {
  auto bytes = parse_key_line(text, kSecretKeyTag, 32, "secret key");
  if (!bytes) return bytes.error();
  std::array<std::uint8_t, 32> seed{};
  std::copy(bytes->begin(), bytes->end(), seed.begin());
  sodium_memzero(bytes->data(), bytes->size());
  SecretKey key = SecretKey::from_seed(seed);
  sodium_memzero(seed.data(), seed.size());
  return key;
}

std::string format_public_key(const PublicKey& key) {
  return std::string(kPublicKeyTag) + to_base64(key.bytes) + "\n";
}

Result<PublicKey> parse_public_key(std::string_view text) {
  auto bytes = parse_key_line(text, kPublicKeyTag, 32, "public key");
  if (!bytes) return bytes.error();
  PublicKey key;
  std::copy(bytes->begin(), bytes->end(), key.bytes.begin());
  return key;
}

std::string sign_manifest(const SecretKey& key, std::string_view manifest) {
  init_sodium();
  const std::vector<std::uint8_t> message = signed_message(manifest);
  std::array<std::uint8_t, crypto_sign_BYTES> signature{};
  crypto_sign_detached(signature.data(), nullptr, message.data(), message.size(),
                       key.bytes().data());
  nlohmann::ordered_json document;
  document["format"] = kSignatureFormat;
  document["algorithm"] = "ed25519";
  document["key_id"] = key.public_key().id();
  document["signature"] = to_base64(signature);
  return document.dump(2) + "\n";  // ASCII only: cannot fail
}

Result<void> verify_manifest_signature(const PublicKey& key, std::string_view manifest,
                                       std::string_view signature_file) {
  init_sodium();
  const auto document = nlohmann::json::parse(signature_file, nullptr, false);
  if (document.is_discarded() || !document.is_object()) {
    return make_error(0, "the signature file is not JSON");
  }
  auto format = json_string(document, "format");
  auto algorithm = json_string(document, "algorithm");
  if (!format || *format != kSignatureFormat || !algorithm || *algorithm != "ed25519") {
    return make_error(0, "the signature file is not a parley-signature/1 ed25519 signature");
  }
  auto encoded = json_string(document, "signature");
  if (!encoded) return make_error(0, "the signature file has no signature");
  auto signature = from_base64(*encoded);
  if (!signature || signature->size() != crypto_sign_BYTES) {
    return make_error(0, "the signature is not 64 bytes of base64");
  }
  const std::vector<std::uint8_t> message = signed_message(manifest);
  if (crypto_sign_verify_detached(signature->data(), message.data(), message.size(),
                                  key.bytes.data()) == 0) {
    return {};
  }
  auto key_id = json_string(document, "key_id");
  if (key_id && *key_id != key.id()) {
    return make_error(0, "the manifest was signed with key " + *key_id +
                             ", not with the trusted key " + key.id());
  }
  return make_error(0,
                    "the signature does not match the manifest (the manifest or the "
                    "signature was changed after signing)");
}

}  // namespace parley::trust
