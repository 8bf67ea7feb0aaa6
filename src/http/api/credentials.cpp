#include "http/api/credentials.hpp"

#include <sodium.h>

#include <array>
#include <vector>

namespace parley::http::api {

namespace {

constexpr unsigned long long kOpsLimit = 2;
constexpr std::size_t kMemLimit = std::size_t{19} * 1024 * 1024;

void ensure_sodium() {
  // sodium_init is thread-safe and idempotent; a failure means no usable random source, which
  // the server cannot run without.
  static const int initialised = sodium_init();
  (void)initialised;
}

}  // namespace

Result<std::string> hash_password(std::string_view password) {
  ensure_sodium();
  std::array<char, crypto_pwhash_argon2id_STRBYTES> out{};
  if (crypto_pwhash_argon2id_str(out.data(), password.data(), password.size(), kOpsLimit,
                                 kMemLimit) != 0) {
    return make_error(500, "not enough memory to hash a password");
  }
  return std::string(out.data());
}

bool verify_password(std::string_view hash, std::string_view password) {
  ensure_sodium();
  if (hash.empty() || hash.size() >= crypto_pwhash_argon2id_STRBYTES) return false;
  std::array<char, crypto_pwhash_argon2id_STRBYTES> terminated{};
  std::copy(hash.begin(), hash.end(), terminated.begin());
  return crypto_pwhash_argon2id_str_verify(terminated.data(), password.data(), password.size()) ==
         0;
}

std::string random_token(std::size_t bytes) {
  ensure_sodium();
  std::vector<unsigned char> raw(bytes);
  randombytes_buf(raw.data(), raw.size());
  std::string text(sodium_base64_ENCODED_LEN(bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                   '\0');
  sodium_bin2base64(text.data(), text.size(), raw.data(), raw.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  sodium_memzero(raw.data(), raw.size());
  text.resize(text.find('\0'));
  return text;
}

std::string new_api_token() {
  return "prly_" + random_token(32);
}

std::string generate_password() {
  ensure_sodium();
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
  std::string password;
  for (int i = 0; i < 20; ++i) {
    password.push_back(
        kAlphabet[randombytes_uniform(static_cast<std::uint32_t>(kAlphabet.size()))]);
  }
  return password;
}

std::string secret_digest(std::string_view secret) {
  ensure_sodium();
  std::array<unsigned char, crypto_hash_sha256_BYTES> hash{};
  crypto_hash_sha256(hash.data(), reinterpret_cast<const unsigned char*>(secret.data()),
                     secret.size());
  std::string hex(hash.size() * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), hash.data(), hash.size());
  hex.pop_back();
  return hex;
}

bool equal_secrets(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char difference = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    difference |= static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return difference == 0;
}

}  // namespace parley::http::api
