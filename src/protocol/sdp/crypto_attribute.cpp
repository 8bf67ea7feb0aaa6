#include "protocol/sdp/crypto_attribute.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cctype>
#include <charconv>
#include <string>

#include "base/ascii.hpp"

namespace parley::protocol::sdp {
namespace {

constexpr std::size_t kMaxTagDigits = 9;
constexpr std::size_t kMaxSuiteNameBytes = 64;
constexpr std::uint64_t kMaxSrtpLifetime = std::uint64_t{1} << 48;  // RFC 4568 §6.2
constexpr unsigned kMaxLifetimeExponent = 48;
constexpr unsigned kMaxMkiLength = 128;  // bytes, RFC 4568 §9.1
constexpr std::string_view kInline = "inline:";
constexpr std::string_view kBase64Alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

Error refused(std::string what) {
  return Error{400, "a=crypto: " + std::move(what)};
}

bool all_digits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) != 0;
  });
}

std::optional<std::uint64_t> decimal(std::string_view text, std::size_t max_digits) {
  if (!all_digits(text) || text.size() > max_digits) return std::nullopt;
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

using base::iequals;

// Splits on single spaces or tabs, skipping runs of them (RFC 4568 says SP; phones vary).
std::vector<std::string_view> words_of(std::string_view text) {
  std::vector<std::string_view> words;
  std::size_t at = 0;
  while (at < text.size()) {
    while (at < text.size() && (text[at] == ' ' || text[at] == '\t')) ++at;
    std::size_t end = at;
    while (end < text.size() && text[end] != ' ' && text[end] != '\t') ++end;
    if (end > at) words.push_back(text.substr(at, end - at));
    at = end;
  }
  return words;
}

void wipe_bytes(std::span<std::uint8_t> bytes) {
  volatile std::uint8_t* p = bytes.data();
  for (std::size_t i = 0; i < bytes.size(); ++i) p[i] = 0;
}

int base64_value(char c) {
  const auto at = kBase64Alphabet.find(c);
  return at == std::string_view::npos ? -1 : static_cast<int>(at);
}

// "2^n" or a decimal packet count, at most 2^48.
Result<std::uint64_t> parse_lifetime(std::string_view text) {
  if (text.starts_with("2^")) {
    const auto exponent = decimal(text.substr(2), 2);
    if (!exponent || *exponent > kMaxLifetimeExponent) {
      return refused("key lifetime must be 2^0..2^48 packets");
    }
    return std::uint64_t{1} << *exponent;
  }
  const auto packets = decimal(text, 15);
  if (!packets || *packets == 0 || *packets > kMaxSrtpLifetime) {
    return refused("key lifetime must be 1..2^48 packets");
  }
  return *packets;
}

Result<void> parse_mki(std::string_view text, CryptoKey& key) {
  const auto colon = text.find(':');
  const auto value = decimal(text.substr(0, colon), 10);
  const auto length = decimal(text.substr(colon + 1), 3);
  if (!value || !length || *length == 0 || *length > kMaxMkiLength) {
    return refused("MKI must be <value>:<length> with a length of 1..128 bytes");
  }
  if (*value > 0xFFFFFFFFU || (*length < 4 && *value >> (8U * *length) != 0)) {
    return refused("MKI value does not fit its length");
  }
  key.mki = static_cast<std::uint32_t>(*value);
  key.mki_length = static_cast<std::uint8_t>(*length);
  return {};
}

Result<CryptoKey> parse_key(std::string_view text, CryptoSuite suite) {
  if (text.size() < kInline.size() || !iequals(text.substr(0, kInline.size()), kInline)) {
    return refused("only the inline key method is supported");
  }
  text.remove_prefix(kInline.size());
  std::array<std::string_view, 3> fields{};
  std::size_t count = 0;
  for (std::size_t at = 0;;) {
    if (count == fields.size()) return refused("too many '|' fields in a key");
    const auto bar = text.find('|', at);
    fields[count++] = text.substr(at, bar == std::string_view::npos ? bar : bar - at);
    if (bar == std::string_view::npos) break;
    at = bar + 1;
  }
  CryptoKey key;
  const std::size_t wanted = crypto_key_bytes(suite) + crypto_salt_bytes(suite);
  // Room for any key the attribute's length allows, so that an overlong one is reported as such.
  std::array<std::uint8_t, kMaxCryptoAttributeBytes> decoded{};
  const auto size = decode_base64(fields[0], decoded);
  if (!size.ok()) return refused("key is not base64");
  if (*size != wanted) {
    wipe_bytes(decoded);
    return refused("key and salt must be " + std::to_string(wanted) + " bytes for " +
                   std::string(to_string(suite)) + ", not " + std::to_string(*size));
  }
  std::copy_n(decoded.begin(), wanted, key.key_salt.begin());
  wipe_bytes(decoded);
  key.size = wanted;
  for (std::size_t i = 1; i < count; ++i) {
    const bool is_mki = fields[i].find(':') != std::string_view::npos;
    if (is_mki) {
      if (key.mki) return refused("a key has two MKIs");
      if (auto mki = parse_mki(fields[i], key); !mki.ok()) return mki.error();
    } else {
      if (key.lifetime || key.mki) return refused("a key's lifetime must come before its MKI");
      auto lifetime = parse_lifetime(fields[i]);
      if (!lifetime.ok()) return lifetime.error();
      key.lifetime = *lifetime;
    }
  }
  return key;
}

}  // namespace

std::string_view to_string(CryptoSuite suite) {
  switch (suite) {
    case CryptoSuite::kAesCm128HmacSha1_80:
      return "AES_CM_128_HMAC_SHA1_80";
    case CryptoSuite::kAesCm128HmacSha1_32:
      return "AES_CM_128_HMAC_SHA1_32";
    case CryptoSuite::kAeadAes128Gcm:
      return "AEAD_AES_128_GCM";
  }
  return "unknown";
}

std::optional<CryptoSuite> crypto_suite_named(std::string_view name) {
  for (const auto suite : {CryptoSuite::kAesCm128HmacSha1_80, CryptoSuite::kAesCm128HmacSha1_32,
                           CryptoSuite::kAeadAes128Gcm}) {
    if (name == to_string(suite)) return suite;
  }
  return std::nullopt;
}

std::size_t crypto_key_bytes(CryptoSuite) {
  return 16;
}

std::size_t crypto_salt_bytes(CryptoSuite suite) {
  return suite == CryptoSuite::kAeadAes128Gcm ? 12 : 14;
}

std::span<const std::uint8_t> CryptoKey::master_key(CryptoSuite suite) const {
  return bytes().first(std::min(size, crypto_key_bytes(suite)));
}

std::span<const std::uint8_t> CryptoKey::master_salt(CryptoSuite suite) const {
  const std::size_t key = std::min(size, crypto_key_bytes(suite));
  return bytes().subspan(key, std::min(size - key, crypto_salt_bytes(suite)));
}

void CryptoAttribute::wipe() {
  for (CryptoKey& key : keys) {
    wipe_bytes(key.key_salt);
    key.size = 0;
  }
}

Result<CryptoAttribute> parse_crypto(std::string_view value) {
  if (value.size() > kMaxCryptoAttributeBytes) return refused("attribute too long");
  const auto words = words_of(value);
  if (words.size() < 3) return refused("expected <tag> <crypto-suite> <key-params>");
  CryptoAttribute attribute;
  const auto tag = decimal(words[0], kMaxTagDigits);
  if (!tag) return refused("tag must be 1 to 9 digits");
  attribute.tag = static_cast<std::uint32_t>(*tag);
  const std::string_view name = words[1];
  const bool name_ok =
      name.size() <= kMaxSuiteNameBytes && std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
      });
  if (!name_ok) return refused("malformed crypto-suite");
  const auto suite = crypto_suite_named(name);
  if (!suite) return refused("unsupported crypto-suite " + std::string(name));
  attribute.suite = *suite;

  std::string_view params = words[2];
  while (true) {
    if (attribute.keys.size() == kMaxCryptoKeys) return refused("too many keys");
    const auto semicolon = params.find(';');
    auto key = parse_key(params.substr(0, semicolon), *suite);
    if (!key.ok()) {
      attribute.wipe();
      return key.error();
    }
    attribute.keys.push_back(*key);
    wipe_bytes(key->key_salt);
    if (semicolon == std::string_view::npos) break;
    params.remove_prefix(semicolon + 1);
  }
  // RFC 4568 §6.1: several master keys are told apart only by their MKIs.
  if (attribute.keys.size() > 1) {
    const std::uint8_t length = attribute.keys.front().mki_length;
    const bool all_mki =
        std::all_of(attribute.keys.begin(), attribute.keys.end(),
                    [length](const CryptoKey& key) { return key.mki && key.mki_length == length; });
    if (!all_mki) {
      attribute.wipe();
      return refused("several keys need MKIs of one length");
    }
  }
  if (words.size() - 3 > kMaxCryptoSessionParams) {
    attribute.wipe();
    return refused("too many session parameters");
  }
  for (std::size_t i = 3; i < words.size(); ++i) {
    const bool visible =
        std::all_of(words[i].begin(), words[i].end(), [](char c) { return c > ' ' && c < 0x7F; });
    if (!visible) {
      attribute.wipe();
      return refused("session parameter with invisible characters");
    }
    attribute.session_params.emplace_back(words[i]);
  }
  return attribute;
}

std::string serialise_crypto(const CryptoAttribute& attribute) {
  std::string out = std::to_string(attribute.tag);
  out += ' ';
  out += to_string(attribute.suite);
  out += ' ';
  for (std::size_t i = 0; i < attribute.keys.size(); ++i) {
    const CryptoKey& key = attribute.keys[i];
    if (i > 0) out += ';';
    out += kInline;
    out += encode_base64(key.bytes());
    if (key.lifetime) {
      out += '|';
      const std::uint64_t lifetime = *key.lifetime;
      if (lifetime != 0 && (lifetime & (lifetime - 1)) == 0) {
        out += "2^" + std::to_string(std::countr_zero(lifetime));
      } else {
        out += std::to_string(lifetime);
      }
    }
    if (key.mki) {
      out += '|' + std::to_string(*key.mki) + ':' + std::to_string(key.mki_length);
    }
  }
  for (const auto& param : attribute.session_params) {
    out += ' ';
    out += param;
  }
  return out;
}

std::string encode_base64(std::span<const std::uint8_t> bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (std::size_t at = 0; at < bytes.size(); at += 3) {
    const std::size_t left = std::min<std::size_t>(3, bytes.size() - at);
    std::uint32_t group = std::uint32_t{bytes[at]} << 16U;
    if (left > 1) group |= std::uint32_t{bytes[at + 1]} << 8U;
    if (left > 2) group |= bytes[at + 2];
    for (std::size_t i = 0; i < 4; ++i) {
      out += i <= left ? kBase64Alphabet[(group >> (18 - 6 * i)) & 0x3FU] : '=';
    }
  }
  return out;
}

Result<std::size_t> decode_base64(std::string_view text, std::span<std::uint8_t> out) {
  std::size_t padding = 0;
  while (!text.empty() && text.back() == '=' && padding < 2) {
    text.remove_suffix(1);
    ++padding;
  }
  // Padding, when present, completes the last group of four.
  if (padding != 0 && (text.size() + padding) % 4 != 0) return Error{400, "bad base64 padding"};
  if (text.size() % 4 == 1) return Error{400, "base64 length is impossible"};
  const std::size_t size = text.size() / 4 * 3 + (text.size() % 4 == 0 ? 0 : text.size() % 4 - 1);
  if (size > out.size()) return Error{400, "base64 value too long"};
  std::uint32_t group = 0;
  std::size_t bits = 0;
  std::size_t written = 0;
  for (const char c : text) {
    const int value = base64_value(c);
    if (value < 0) return Error{400, "not a base64 character"};
    group = (group << 6U) | static_cast<std::uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[written++] = static_cast<std::uint8_t>((group >> bits) & 0xFFU);
    }
  }
  // The bits left over after the last byte must be zero (RFC 4648 §3.5 canonical encoding).
  if ((group & ((1U << bits) - 1U)) != 0) return Error{400, "base64 has stray bits"};
  return written;
}

}  // namespace parley::protocol::sdp
