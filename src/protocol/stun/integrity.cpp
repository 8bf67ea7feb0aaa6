#include "protocol/stun/integrity.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <memory>

#include "protocol/stun/wire.hpp"

namespace parley::protocol::stun {
namespace {

struct MacDeleter {
  void operator()(EVP_MAC* mac) const { EVP_MAC_free(mac); }
};
struct MacContextDeleter {
  void operator()(EVP_MAC_CTX* context) const { EVP_MAC_CTX_free(context); }
};
struct DigestContextDeleter {
  void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
};

constexpr std::array<std::uint32_t, 256> make_crc_table() {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t n = 0; n < 256; ++n) {
    std::uint32_t c = n;
    for (int k = 0; k < 8; ++k) c = (c & 1U) != 0 ? 0xEDB88320U ^ (c >> 1U) : c >> 1U;
    table[n] = c;
  }
  return table;
}
constexpr auto kCrcTable = make_crc_table();

std::uint32_t crc_update(std::uint32_t crc, std::span<const std::uint8_t> bytes) {
  for (const std::uint8_t byte : bytes) crc = kCrcTable[(crc ^ byte) & 0xFFU] ^ (crc >> 8U);
  return crc;
}

// The first four header bytes with the length field replaced: the integrity and fingerprint
// inputs differ from the wire bytes only there.
std::array<std::uint8_t, 4> patched_type_and_length(std::span<const std::uint8_t> prefix,
                                                    std::uint16_t length_field) {
  std::array<std::uint8_t, 4> head{prefix[0], prefix[1], 0, 0};
  wire::write16(head, 2, length_field);
  return head;
}

}  // namespace

std::uint32_t crc32(std::span<const std::uint8_t> bytes) {
  return crc_update(0xFFFFFFFFU, bytes) ^ 0xFFFFFFFFU;
}

std::uint32_t compute_fingerprint(std::span<const std::uint8_t> prefix,
                                  std::uint16_t length_field) {
  if (prefix.size() < kHeaderBytes) return 0;
  const auto head = patched_type_and_length(prefix, length_field);
  std::uint32_t crc = crc_update(0xFFFFFFFFU, head);
  crc = crc_update(crc, prefix.subspan(4));
  return (crc ^ 0xFFFFFFFFU) ^ kFingerprintXor;
}

bool compute_message_integrity(std::span<const std::uint8_t> prefix, std::uint16_t length_field,
                               std::span<const std::uint8_t> key,
                               std::span<std::uint8_t, kMessageIntegrityBytes> out) {
  if (prefix.size() < kHeaderBytes) return false;
  const std::unique_ptr<EVP_MAC, MacDeleter> mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
  if (!mac) return false;
  const std::unique_ptr<EVP_MAC_CTX, MacContextDeleter> context(EVP_MAC_CTX_new(mac.get()));
  if (!context) return false;
  char digest[] = "SHA1";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_end(),
  };
  // A null key would mean "keep the previous key" to OpenSSL; an empty password is a key of
  // length zero, so always pass a valid pointer.
  static constexpr std::uint8_t kNoKey = 0;
  const std::uint8_t* key_bytes = key.empty() ? &kNoKey : key.data();
  if (EVP_MAC_init(context.get(), key_bytes, key.size(), params) != 1) return false;
  const auto head = patched_type_and_length(prefix, length_field);
  if (EVP_MAC_update(context.get(), head.data(), head.size()) != 1) return false;
  const auto rest = prefix.subspan(4);
  if (EVP_MAC_update(context.get(), rest.data(), rest.size()) != 1) return false;
  std::size_t written = 0;
  if (EVP_MAC_final(context.get(), out.data(), &written, out.size()) != 1) return false;
  return written == kMessageIntegrityBytes;
}

bool verify_message_integrity(const MessageView& message, std::span<const std::uint8_t> key) {
  if (!message.message_integrity_at) return false;
  const std::size_t at = *message.message_integrity_at;
  if (at + kAttributeHeaderBytes + kMessageIntegrityBytes > message.bytes.size()) return false;
  const auto length = static_cast<std::uint16_t>(at + kAttributeHeaderBytes +
                                                 kMessageIntegrityBytes - kHeaderBytes);
  std::array<std::uint8_t, kMessageIntegrityBytes> expected{};
  if (!compute_message_integrity(message.bytes.first(at), length, key, expected)) return false;
  const auto received = message.bytes.subspan(at + kAttributeHeaderBytes, kMessageIntegrityBytes);
  return CRYPTO_memcmp(expected.data(), received.data(), expected.size()) == 0;
}

bool verify_fingerprint(const MessageView& message) {
  if (!message.fingerprint_at) return false;
  const std::size_t at = *message.fingerprint_at;
  if (at + kAttributeHeaderBytes + kFingerprintBytes > message.bytes.size()) return false;
  const auto length =
      static_cast<std::uint16_t>(at + kAttributeHeaderBytes + kFingerprintBytes - kHeaderBytes);
  return compute_fingerprint(message.bytes.first(at), length) ==
         wire::read32(message.bytes, at + kAttributeHeaderBytes);
}

std::optional<std::array<std::uint8_t, 16>> long_term_key(std::string_view username,
                                                          std::string_view realm,
                                                          std::string_view password) {
  const std::unique_ptr<EVP_MD_CTX, DigestContextDeleter> context(EVP_MD_CTX_new());
  if (!context || EVP_DigestInit_ex(context.get(), EVP_md5(), nullptr) != 1) return std::nullopt;
  const auto feed = [&](std::string_view text) {
    return EVP_DigestUpdate(context.get(), text.data(), text.size()) == 1;
  };
  if (!feed(username) || !feed(":") || !feed(realm) || !feed(":") || !feed(password)) {
    return std::nullopt;
  }
  std::array<std::uint8_t, 16> key{};
  unsigned int written = 0;
  if (EVP_DigestFinal_ex(context.get(), key.data(), &written) != 1 || written != key.size()) {
    return std::nullopt;
  }
  return key;
}

}  // namespace parley::protocol::stun
