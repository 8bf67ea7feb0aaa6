#include "protocol/sip/digest.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <array>
#include <initializer_list>
#include <memory>

#include "base/ascii.hpp"

namespace parley::protocol::sip {
namespace {

using base::iequals;

// Fetched once: given the legacy EVP_md5()/EVP_sha256(), OpenSSL 3 looks the implementation up
// again on every EVP_DigestInit_ex (an implicit fetch, with its locks), which showed in the
// REGISTER profile. The fetched methods live as long as the process.
const EVP_MD* fetch_once(const char* name, const EVP_MD* legacy) {
  const EVP_MD* fetched = EVP_MD_fetch(nullptr, name, nullptr);
  return fetched != nullptr ? fetched : legacy;
}

const EVP_MD* evp_for(DigestAlgorithm algorithm) {
  static const EVP_MD* const kMd5 = fetch_once("MD5", EVP_md5());
  static const EVP_MD* const kSha256 = fetch_once("SHA256", EVP_sha256());
  switch (base_algorithm(algorithm)) {
    case DigestAlgorithm::kMd5:
      return kMd5;
    default:
      return kSha256;
  }
}

struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

// H(part0 ":" part1 ":" ...) as lowercase hex. One EVP context serves the digests of one
// response (each EVP_MD_CTX_new/free pair cost ~600 instructions), and a joined text that fits
// the stack goes in with one update (each EVP_DigestUpdate costs ~180 instructions before it
// hashes anything; a response digest has eleven parts and separators).
class JoinedHasher {
 public:
  std::string hex(DigestAlgorithm algorithm, std::initializer_list<std::string_view> parts) {
    const EVP_MD* md = evp_for(algorithm);
    if (md == nullptr || !ctx_ || EVP_DigestInit_ex(ctx_.get(), md, nullptr) != 1) return {};
    std::size_t total = parts.size() == 0 ? 0 : parts.size() - 1;
    for (std::string_view part : parts) total += part.size();
    if (total <= kStackBytes) {
      std::array<char, kStackBytes> joined;  // NOLINT(*-member-init): written before read
      std::size_t length = 0;
      bool first = true;
      for (std::string_view part : parts) {
        if (!first) joined[length++] = ':';
        first = false;
        part.copy(joined.data() + length, part.size());
        length += part.size();
      }
      if (EVP_DigestUpdate(ctx_.get(), joined.data(), length) != 1) return {};
    } else {
      bool first = true;
      for (std::string_view part : parts) {
        if (!first && EVP_DigestUpdate(ctx_.get(), ":", 1) != 1) return {};
        first = false;
        if (!part.empty() && EVP_DigestUpdate(ctx_.get(), part.data(), part.size()) != 1) return {};
      }
    }
    std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
    unsigned int length = 0;
    if (EVP_DigestFinal_ex(ctx_.get(), out.data(), &length) != 1) return {};
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex(std::size_t{length} * 2, '\0');
    for (std::size_t i = 0; i < length; ++i) {
      hex[2 * i] = kHex[out[i] >> 4];
      hex[2 * i + 1] = kHex[out[i] & 0x0f];
    }
    return hex;
  }

 private:
  static constexpr std::size_t kStackBytes = 1024;
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx_{EVP_MD_CTX_new()};
};

std::string hash_joined(DigestAlgorithm algorithm, std::initializer_list<std::string_view> parts) {
  return JoinedHasher().hex(algorithm, parts);
}

}  // namespace

std::optional<DigestAlgorithm> parse_digest_algorithm(std::string_view token) {
  for (DigestAlgorithm a : {DigestAlgorithm::kMd5, DigestAlgorithm::kMd5Sess,
                            DigestAlgorithm::kSha256, DigestAlgorithm::kSha256Sess}) {
    if (iequals(token, to_text(a))) return a;
  }
  return std::nullopt;
}

std::string_view to_text(DigestAlgorithm algorithm) {
  switch (algorithm) {
    case DigestAlgorithm::kMd5:
      return "MD5";
    case DigestAlgorithm::kMd5Sess:
      return "MD5-sess";
    case DigestAlgorithm::kSha256:
      return "SHA-256";
    case DigestAlgorithm::kSha256Sess:
      return "SHA-256-sess";
  }
  return "";
}

DigestAlgorithm base_algorithm(DigestAlgorithm algorithm) {
  switch (algorithm) {
    case DigestAlgorithm::kMd5:
    case DigestAlgorithm::kMd5Sess:
      return DigestAlgorithm::kMd5;
    case DigestAlgorithm::kSha256:
    case DigestAlgorithm::kSha256Sess:
      return DigestAlgorithm::kSha256;
  }
  return DigestAlgorithm::kSha256;
}

bool is_session_algorithm(DigestAlgorithm algorithm) {
  return algorithm == DigestAlgorithm::kMd5Sess || algorithm == DigestAlgorithm::kSha256Sess;
}

std::size_t hex_length(DigestAlgorithm algorithm) {
  return base_algorithm(algorithm) == DigestAlgorithm::kMd5 ? 32 : 64;
}

std::string digest_hex(DigestAlgorithm algorithm, std::string_view text) {
  return hash_joined(algorithm, {text});
}

std::string ha1(DigestAlgorithm algorithm, std::string_view username, std::string_view realm,
                std::string_view password) {
  return hash_joined(algorithm, {username, realm, password});
}

std::string session_ha1(DigestAlgorithm algorithm, std::string_view ha1_hex, std::string_view nonce,
                        std::string_view cnonce) {
  return hash_joined(algorithm, {ha1_hex, nonce, cnonce});
}

std::string expected_response(DigestAlgorithm algorithm, std::string_view ha1_hex,
                              const DigestChallengeResponse& input) {
  if (!input.qop.empty() && !iequals(input.qop, "auth")) return {};
  std::string session;
  if (is_session_algorithm(algorithm)) {
    session = session_ha1(algorithm, ha1_hex, input.nonce, input.cnonce);
    if (session.empty()) return {};
    ha1_hex = session;
  }
  JoinedHasher hasher;
  const std::string ha2 = hasher.hex(algorithm, {input.method, input.digest_uri});
  if (ha2.empty()) return {};
  if (input.qop.empty()) return hasher.hex(algorithm, {ha1_hex, input.nonce, ha2});
  return hasher.hex(algorithm, {ha1_hex, input.nonce, input.nc, input.cnonce, input.qop, ha2});
}

std::string expected_response(DigestAlgorithm algorithm, std::string_view ha1_hex,
                              std::string_view method, std::string_view digest_uri,
                              std::string_view nonce, std::string_view nc, std::string_view cnonce,
                              std::string_view qop) {
  return expected_response(algorithm, ha1_hex,
                           DigestChallengeResponse{method, digest_uri, nonce, nc, cnonce, qop});
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace parley::protocol::sip
