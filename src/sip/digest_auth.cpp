#include "sip/digest_auth.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sodium.h>

#include <algorithm>
#include <array>
#include <memory>
#include <span>
#include <utility>

#include "base/ascii.hpp"
#include "base/check.hpp"
#include "protocol/sip/headers.hpp"
#include "protocol/sip/uri.hpp"

namespace parley::sip {
namespace {

namespace psip = protocol::sip;

// Nonce layout (36 bytes, base64url without padding = 48 characters):
//   [0]      version, kNonceVersion
//   [1..5)   epoch tag: names DigestAuthOptions::clock_epoch
//   [5..13)  issue time, whole seconds of the Clock, big-endian
//   [13..20) unique bytes (a keyed stream of a counter), so two challenges in the same second
//            never share a nonce (and so an nc history)
//   [20..36) MAC(nonce key, bytes [0..20) || realm), 16 bytes: keyed BLAKE2b (RFC 7693, through
//            libsodium) in version 2; HMAC-SHA256 truncated in version 1, still verified so that
//            nonces issued before an upgrade stay good for their lifetime (decision 0061).
constexpr unsigned char kNonceVersion = 2;
constexpr unsigned char kHmacNonceVersion = 1;
constexpr std::size_t kEpochOffset = 1;
constexpr std::size_t kTimeOffset = 5;
constexpr std::size_t kRandomOffset = 13;
constexpr std::size_t kMacOffset = 20;
constexpr std::size_t kMacBytes = 16;
constexpr std::size_t kNonceBytes = kMacOffset + kMacBytes;
constexpr std::size_t kNonceChars = kNonceBytes / 3 * 4;
static_assert(kNonceBytes % 3 == 0, "nonce encodes without a partial base64 group");

constexpr std::size_t kOpaqueBytes = 12;
// A nonce issued this far in the future is from another time base, not clock jitter.
constexpr std::uint64_t kFutureToleranceSeconds = 5;
constexpr std::size_t kMaxUsernameBytes = 256;
constexpr std::size_t kMaxCnonceBytes = 256;
constexpr std::size_t kMaxUriBytes = 4096;

using Mac = std::array<unsigned char, 32>;

// SHA-256 fetched once for the process: OpenSSL 3 looks the implementation up again on every
// digest otherwise. Immutable once made; OpenSSL frees it at exit.
const EVP_MD* sha256() {
  static const EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

// HMAC-SHA256 (RFC 2104) over the fetched digest. OpenSSL 3's HMAC() fetches and configures a
// MAC object on every call, ~20,000 instructions per nonce, two nonces per authenticated call
// (docs/performance.md, decision 0049). False when OpenSSL cannot compute it; callers then fail
// closed.
bool hmac_sha256(std::string_view key, std::string_view data, Mac& out) {
  constexpr std::size_t kBlock = 64;
  const EVP_MD* md = sha256();
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(),
                                                                  &EVP_MD_CTX_free);
  if (md == nullptr || context == nullptr) return false;
  std::array<unsigned char, kBlock> pad{};
  if (key.size() > kBlock) {
    if (EVP_DigestInit_ex2(context.get(), md, nullptr) != 1 ||
        EVP_DigestUpdate(context.get(), key.data(), key.size()) != 1 ||
        EVP_DigestFinal_ex(context.get(), pad.data(), nullptr) != 1) {
      return false;
    }
  } else {
    std::copy(key.begin(), key.end(), pad.begin());
  }
  std::array<unsigned char, 32> inner{};
  for (unsigned char& byte : pad) byte ^= 0x36;
  bool ok = EVP_DigestInit_ex2(context.get(), md, nullptr) == 1 &&
            EVP_DigestUpdate(context.get(), pad.data(), pad.size()) == 1 &&
            EVP_DigestUpdate(context.get(), data.data(), data.size()) == 1 &&
            EVP_DigestFinal_ex(context.get(), inner.data(), nullptr) == 1;
  for (unsigned char& byte : pad) byte ^= 0x36 ^ 0x5c;
  ok = ok && EVP_DigestInit_ex2(context.get(), md, nullptr) == 1 &&
       EVP_DigestUpdate(context.get(), pad.data(), pad.size()) == 1 &&
       EVP_DigestUpdate(context.get(), inner.data(), inner.size()) == 1 &&
       EVP_DigestFinal_ex(context.get(), out.data(), nullptr) == 1;
  OPENSSL_cleanse(pad.data(), pad.size());
  return ok;
}

std::string mac_key(std::string_view secret, std::string_view purpose) {
  Mac mac{};
  PARLEY_CHECK(hmac_sha256(secret, purpose, mac));
  return std::string(reinterpret_cast<const char*>(mac.data()), mac.size());
}

// The MAC of a nonce's first kMacOffset bytes and the realm, by the nonce's version. Keyed
// BLAKE2b is two compressions with no allocation; HMAC-SHA256 through OpenSSL was four plus a
// context allocated per call (~10,000 instructions per nonce, two nonces per authenticated
// REGISTER or call). False when it cannot be computed: callers fail closed.
bool nonce_mac(unsigned char version, std::string_view key,
               std::span<const unsigned char, kMacOffset> head, std::string_view realm,
               std::array<unsigned char, kMacBytes>& out) {
  if (version == kHmacNonceVersion) {
    std::string signed_part(reinterpret_cast<const char*>(head.data()), head.size());
    signed_part.append(realm);
    Mac mac{};
    if (!hmac_sha256(key, signed_part, mac)) return false;
    std::copy_n(mac.begin(), kMacBytes, out.begin());
    return true;
  }
  crypto_generichash_state state;
  const auto* key_bytes = reinterpret_cast<const unsigned char*>(key.data());
  return crypto_generichash_init(&state, key_bytes, key.size(), out.size()) == 0 &&
         crypto_generichash_update(&state, head.data(), head.size()) == 0 &&
         crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(realm.data()),
                                   realm.size()) == 0 &&
         crypto_generichash_final(&state, out.data(), out.size()) == 0;
}

constexpr char kBase64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string base64url(std::span<const unsigned char> bytes) {
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t v =
        (std::uint32_t{bytes[i]} << 16) | (std::uint32_t{bytes[i + 1]} << 8) | bytes[i + 2];
    out += kBase64Url[(v >> 18) & 63];
    out += kBase64Url[(v >> 12) & 63];
    out += kBase64Url[(v >> 6) & 63];
    out += kBase64Url[v & 63];
  }
  const std::size_t rest = bytes.size() - i;
  if (rest == 1) {
    const std::uint32_t v = std::uint32_t{bytes[i]} << 16;
    out += kBase64Url[(v >> 18) & 63];
    out += kBase64Url[(v >> 12) & 63];
  } else if (rest == 2) {
    const std::uint32_t v = (std::uint32_t{bytes[i]} << 16) | (std::uint32_t{bytes[i + 1]} << 8);
    out += kBase64Url[(v >> 18) & 63];
    out += kBase64Url[(v >> 12) & 63];
    out += kBase64Url[(v >> 6) & 63];
  }
  return out;
}

int base64url_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

// Decodes exactly out.size() bytes from whole 4-character groups; false on any other input.
bool base64url_decode_exact(std::string_view text, std::span<unsigned char> out) {
  if (out.size() % 3 != 0 || text.size() != out.size() / 3 * 4) return false;
  for (std::size_t g = 0; g < text.size() / 4; ++g) {
    std::uint32_t v = 0;
    for (std::size_t k = 0; k < 4; ++k) {
      const int d = base64url_value(text[4 * g + k]);
      if (d < 0) return false;
      v = (v << 6) | static_cast<std::uint32_t>(d);
    }
    out[3 * g] = static_cast<unsigned char>(v >> 16);
    out[3 * g + 1] = static_cast<unsigned char>(v >> 8);
    out[3 * g + 2] = static_cast<unsigned char>(v);
  }
  return true;
}

using base::ascii_lower;
using base::iequals;

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// Writes `hex` lowercased into `out` when it is exactly `length` hex digits.
bool normalise_hex(std::string_view hex, std::size_t length, std::string& out) {
  if (hex.size() != length) return false;
  out.resize(length);
  for (std::size_t i = 0; i < length; ++i) {
    if (!is_hex(hex[i])) return false;
    out[i] = ascii_lower(hex[i]);
  }
  return true;
}

// The value of a quoted-string with its backslash escapes resolved (RFC 3261 §25.1). The
// header parser returns views with the escapes kept; most values have none, so no copy then.
std::string_view unq(std::string_view value, std::string& storage) {
  if (value.find('\\') == std::string_view::npos) return value;
  storage.clear();
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (value[i] == '\\' && i + 1 < value.size()) ++i;
    storage += value[i];
  }
  return storage;
}

bool has_control_char(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

// nc-value: RFC 7616 says exactly 8 hex digits; shorter forms are accepted, zero is not.
std::optional<std::uint32_t> parse_nc(std::string_view text) {
  if (text.empty() || text.size() > 8) return std::nullopt;
  std::uint32_t value = 0;
  for (char c : text) {
    if (!is_hex(c)) return std::nullopt;
    const char l = ascii_lower(c);
    const std::uint32_t digit =
        l <= '9' ? static_cast<std::uint32_t>(l - '0') : static_cast<std::uint32_t>(l - 'a' + 10);
    value = (value << 4) | digit;
  }
  if (value == 0) return std::nullopt;
  return value;
}

// The credentials' `uri` must name the Request-URI (RFC 7616 §3.4.6). Identical text passes;
// otherwise scheme, user, host and port must agree, since some UAs drop or reorder URI
// parameters when they copy the Request-URI into the digest.
bool same_target(std::string_view digest_uri, std::string_view request_uri) {
  if (digest_uri == request_uri) return true;
  auto a = psip::parse_uri(digest_uri);
  auto b = psip::parse_uri(request_uri);
  if (!a || !b) return false;
  return a->scheme == b->scheme && a->user == b->user && iequals(a->host, b->host) &&
         a->port == b->port;
}

// Parameters whose repetition would make the credentials ambiguous: refuse rather than guess
// which copy an upstream element read.
constexpr std::array<std::string_view, 12> kSingleParams = {
    "username", "realm",  "nonce", "uri", "response", "algorithm",
    "cnonce",   "opaque", "qop",   "nc",  "userhash", "username*"};

bool has_duplicate_param(const psip::AuthParams& params) {
  unsigned seen = 0;
  for (const auto& [name, value] : params.params) {
    for (std::size_t i = 0; i < kSingleParams.size(); ++i) {
      if (!iequals(name, kSingleParams[i])) continue;
      if ((seen & (1U << i)) != 0) return true;
      seen |= 1U << i;
    }
  }
  return false;
}

// Quotes a realm for a challenge. Control characters are dropped so a bad realm cannot break
// the header line; configuration should refuse such realms before they get here.
std::string quote(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) continue;
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

std::uint64_t read_be64(const unsigned char* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}

void write_be64(unsigned char* p, std::uint64_t v) {
  for (int i = 7; i >= 0; --i) {
    p[i] = static_cast<unsigned char>(v);
    v >>= 8;
  }
}

AuthResult fail(AuthResult result, std::string_view detail) {
  result.outcome = AuthOutcome::kBadCredentials;
  result.detail = detail;
  return result;
}

}  // namespace

std::string_view to_text(AuthOutcome outcome) {
  switch (outcome) {
    case AuthOutcome::kOk:
      return "ok";
    case AuthOutcome::kNoCredentials:
      return "no-credentials";
    case AuthOutcome::kStale:
      return "stale";
    case AuthOutcome::kBadCredentials:
      return "bad-credentials";
    case AuthOutcome::kReplay:
      return "replay";
  }
  return "";
}

DigestAuthenticator::DigestAuthenticator(const Clock& clock, CredentialLookup lookup,
                                         DigestAuthOptions options)
    : clock_(clock), lookup_(std::move(lookup)), options_(std::move(options)) {
  PARLEY_CHECK(options_.secret.size() >= 16);
  PARLEY_CHECK(!options_.algorithms.empty());
  PARLEY_CHECK(static_cast<bool>(lookup_));
  // Idempotent and thread-safe; picks libsodium's fastest BLAKE2b for this CPU.
  PARLEY_CHECK(sodium_init() >= 0);
  options_.max_tracked_nonces = std::max<std::size_t>(options_.max_tracked_nonces, 1);
  nonce_key_ = mac_key(options_.secret, "parley digest nonce v1");
  opaque_key_ = mac_key(options_.secret, "parley digest opaque v1");
  epoch_tag_ = mac_key(nonce_key_, "epoch:" + options_.clock_epoch).substr(0, 4);
  const std::string dummy_password = mac_key(options_.secret, "parley digest dummy v1");
  dummy_ha1_md5_ = psip::digest_hex(DigestAlgorithm::kMd5, dummy_password);
  dummy_ha1_sha256_ = psip::digest_hex(DigestAlgorithm::kSha256, dummy_password);
  // Drawn, not derived from the secret: a restarted server must not repeat the last one's
  // sequence (its counter starts again).
  randombytes_buf(uniqueness_key_.data(), uniqueness_key_.size());
}

std::uint64_t DigestAuthenticator::now_seconds() const {
  const auto seconds =
      std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count();
  return seconds < 0 ? 0 : static_cast<std::uint64_t>(seconds);
}

std::string DigestAuthenticator::make_nonce(std::string_view realm,
                                            std::uint64_t issued_seconds) const {
  std::array<unsigned char, kNonceBytes> raw{};
  raw[0] = kNonceVersion;
  std::copy(epoch_tag_.begin(), epoch_tag_.end(), raw.begin() + kEpochOffset);
  write_be64(raw.data() + kTimeOffset, issued_seconds);
  // The counter in the first 8 bytes of ChaCha20's 12-byte IETF nonce, little-endian.
  std::array<unsigned char, crypto_stream_chacha20_ietf_NONCEBYTES> block{};
  std::uint64_t counter = nonce_counter_.fetch_add(1, std::memory_order_relaxed);
  for (std::size_t i = 0; i < sizeof counter; ++i, counter >>= 8U) {
    block[i] = static_cast<unsigned char>(counter);
  }
  crypto_stream_chacha20_ietf(raw.data() + kRandomOffset, kMacOffset - kRandomOffset, block.data(),
                              uniqueness_key_.data());
  std::array<unsigned char, kMacBytes> mac{};
  // Without a MAC the nonce keeps zeros there and never verifies: failing closed.
  if (!nonce_mac(kNonceVersion, nonce_key_, std::span(raw).first<kMacOffset>(), realm, mac)) {
    PARLEY_BUG("nonce MAC failed");
  }
  std::copy(mac.begin(), mac.end(), raw.begin() + kMacOffset);
  return base64url(raw);
}

std::optional<DigestAuthenticator::DecodedNonce> DigestAuthenticator::decode_nonce(
    std::string_view nonce, std::string_view realm) const {
  if (nonce.size() != kNonceChars) return std::nullopt;
  std::array<unsigned char, kNonceBytes> raw{};
  if (!base64url_decode_exact(nonce, raw)) return std::nullopt;
  if (raw[0] != kNonceVersion && raw[0] != kHmacNonceVersion) return std::nullopt;
  std::array<unsigned char, kMacBytes> mac{};
  if (!nonce_mac(raw[0], nonce_key_, std::span<const unsigned char>(raw).first<kMacOffset>(), realm,
                 mac)) {
    return std::nullopt;
  }
  if (CRYPTO_memcmp(mac.data(), raw.data() + kMacOffset, kMacBytes) != 0) return std::nullopt;
  DecodedNonce decoded;
  decoded.issued_seconds = read_be64(raw.data() + kTimeOffset);
  decoded.tag = read_be64(raw.data() + kMacOffset);
  decoded.same_epoch = std::equal(epoch_tag_.begin(), epoch_tag_.end(),
                                  reinterpret_cast<const char*>(raw.data() + kEpochOffset));
  return decoded;
}

std::string DigestAuthenticator::opaque_for(std::string_view realm) const {
  constexpr std::size_t kMaxCachedRealms = 4096;
  {
    std::lock_guard lock(opaque_mutex_);
    if (auto it = opaques_.find(realm); it != opaques_.end()) return it->second;
  }
  Mac mac{};
  if (!hmac_sha256(opaque_key_, realm, mac)) return {};
  std::string opaque = base64url(std::span<const unsigned char>(mac.data(), kOpaqueBytes));
  std::lock_guard lock(opaque_mutex_);
  if (opaques_.size() < kMaxCachedRealms) opaques_.emplace(std::string(realm), opaque);
  return opaque;
}

std::vector<std::string> DigestAuthenticator::challenge(std::string_view realm, bool stale) const {
  const std::string nonce = make_nonce(realm, now_seconds());
  const std::string opaque = opaque_for(realm);
  const std::string quoted_realm = quote(realm);
  std::vector<std::string> values;
  values.reserve(options_.algorithms.size());
  for (DigestAlgorithm algorithm : options_.algorithms) {
    std::string v = "Digest realm=";
    v += quoted_realm;
    v += ", qop=\"auth\", algorithm=";
    v += psip::to_text(algorithm);
    v += ", nonce=\"";
    v += nonce;
    v += "\", opaque=\"";
    v += opaque;
    v += "\", stale=";
    v += stale ? "TRUE" : "FALSE";
    values.push_back(std::move(v));
  }
  return values;
}

DigestAuthenticator::NcVerdict DigestAuthenticator::check_nc(const DecodedNonce& nonce,
                                                             std::uint32_t nc, std::uint64_t now) {
  const auto lifetime = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(options_.nonce_lifetime).count());
  std::lock_guard<std::mutex> lock(mutex_);
  // Entries of expired nonces are dead weight: such nonces are stale before they get here.
  while (!nc_cache_.empty() && nc_cache_.begin()->first.issued_seconds + lifetime < now) {
    nc_cache_.erase(nc_cache_.begin());
  }
  const NonceKey key{nonce.issued_seconds, nonce.tag};
  auto it = nc_cache_.find(key);
  if (it == nc_cache_.end()) {
    if (forgotten_up_to_ && key.issued_seconds <= *forgotten_up_to_) return NcVerdict::kForgotten;
    nc_cache_.emplace(key, NcWindow{nc, 1});
    while (nc_cache_.size() > options_.max_tracked_nonces) {
      const std::uint64_t issued = nc_cache_.begin()->first.issued_seconds;
      forgotten_up_to_ = std::max(forgotten_up_to_.value_or(0), issued);
      nc_cache_.erase(nc_cache_.begin());
    }
    return NcVerdict::kFresh;
  }
  NcWindow& window = it->second;
  if (nc > window.highest) {
    const std::uint32_t shift = nc - window.highest;
    window.seen = shift >= 64 ? 0 : window.seen << shift;
    window.seen |= 1;
    window.highest = nc;
    return NcVerdict::kFresh;
  }
  const std::uint32_t back = window.highest - nc;
  if (back >= 64) return NcVerdict::kReplay;
  const std::uint64_t bit = std::uint64_t{1} << back;
  if ((window.seen & bit) != 0) return NcVerdict::kReplay;
  window.seen |= bit;
  return NcVerdict::kFresh;
}

std::size_t DigestAuthenticator::tracked_nonces() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return nc_cache_.size();
}

DigestAuthenticator::Credentials DigestAuthenticator::find_credentials(const psip::Message& request,
                                                                       std::string_view realm,
                                                                       bool proxy) {
  Credentials found;
  if (!request.is_request()) return found;
  // Pick the Digest credentials for our realm among possibly several (one per realm).
  const psip::HeaderId wanted =
      proxy ? psip::HeaderId::kProxyAuthorization : psip::HeaderId::kAuthorization;
  std::string scratch;
  for (const psip::HeaderField& field : request.headers()) {
    if (field.id != wanted) continue;
    auto parsed = psip::parse_auth(request.value(field));
    if (!parsed) {
      found.present = true;  // unreadable: cannot tell its scheme, so treat it as an attempt
      continue;
    }
    if (!iequals(parsed->scheme, "Digest")) continue;
    found.present = true;
    const auto their_realm = parsed->get("realm");
    if (their_realm && unq(*their_realm, scratch) == realm) {
      found.chosen = std::move(parsed).value();
      break;
    }
  }
  return found;
}

std::string DigestAuthenticator::claimed_username(const Credentials& credentials) {
  if (!credentials.chosen) return {};
  return std::string(credentials.chosen->get("username").value_or(""));
}

AuthResult DigestAuthenticator::verify(const psip::Message& request, std::string_view realm,
                                       bool proxy) {
  return verify(request, realm, find_credentials(request, realm, proxy));
}

AuthResult DigestAuthenticator::verify(const psip::Message& request, std::string_view realm,
                                       const Credentials& credentials) {
  AuthResult result;
  if (!request.is_request()) return fail(std::move(result), "not a request");
  const std::optional<psip::AuthParams>& chosen = credentials.chosen;
  if (!chosen) {
    if (!credentials.present) {
      result.outcome = AuthOutcome::kNoCredentials;
      result.detail = "no credentials";
      return result;
    }
    return fail(std::move(result), "no readable credentials for this realm");
  }
  const psip::AuthParams& creds = *chosen;
  if (has_duplicate_param(creds)) return fail(std::move(result), "duplicate parameter");

  std::string username_storage;
  const auto username_raw = creds.get("username");
  if (!username_raw) return fail(std::move(result), "no username");
  const std::string_view username = unq(*username_raw, username_storage);
  if (username.empty() || username.size() > kMaxUsernameBytes || has_control_char(username)) {
    return fail(std::move(result), "unusable username");
  }
  result.username = std::string(username);
  if (const auto userhash = creds.get("userhash"); userhash && iequals(*userhash, "true")) {
    return fail(std::move(result), "userhash not offered");
  }

  const auto algorithm_text = creds.get("algorithm");
  const auto algorithm = algorithm_text ? psip::parse_digest_algorithm(*algorithm_text)
                                        : std::optional<DigestAlgorithm>(DigestAlgorithm::kMd5);
  if (!algorithm) return fail(std::move(result), "unknown algorithm");
  result.algorithm = algorithm;
  if (std::find(options_.algorithms.begin(), options_.algorithms.end(), *algorithm) ==
      options_.algorithms.end()) {
    return fail(std::move(result), "algorithm not offered");
  }

  // qop=auth is required: without it there is no nc, so no replay protection (RFC 2069 form).
  const auto qop = creds.get("qop");
  if (!qop || !iequals(*qop, "auth")) return fail(std::move(result), "qop=auth missing");
  const auto nc_text = creds.get("nc");
  const auto nc = nc_text ? parse_nc(*nc_text) : std::nullopt;
  if (!nc) return fail(std::move(result), "bad nc");
  std::string cnonce_storage;
  const auto cnonce_raw = creds.get("cnonce");
  const std::string_view cnonce = cnonce_raw ? unq(*cnonce_raw, cnonce_storage) : "";
  if (cnonce.empty() || cnonce.size() > kMaxCnonceBytes)
    return fail(std::move(result), "bad cnonce");

  std::string uri_storage;
  const auto uri_raw = creds.get("uri");
  if (!uri_raw) return fail(std::move(result), "no uri");
  const std::string_view uri = unq(*uri_raw, uri_storage);
  if (uri.empty() || uri.size() > kMaxUriBytes) return fail(std::move(result), "bad uri");
  if (!same_target(uri, request.request_uri())) {
    return fail(std::move(result), "uri does not match the Request-URI");
  }

  std::string response;
  const auto response_raw = creds.get("response");
  if (!response_raw || !normalise_hex(*response_raw, psip::hex_length(*algorithm), response)) {
    return fail(std::move(result), "bad response field");
  }

  if (const auto opaque = creds.get("opaque")) {
    std::string opaque_storage;
    if (unq(*opaque, opaque_storage) != opaque_for(realm)) {
      return fail(std::move(result), "opaque mismatch");
    }
  }

  std::string nonce_storage;
  const auto nonce_raw = creds.get("nonce");
  if (!nonce_raw) return fail(std::move(result), "no nonce");
  const std::string_view nonce = unq(*nonce_raw, nonce_storage);
  const auto decoded = decode_nonce(nonce, realm);
  if (!decoded) return fail(std::move(result), "nonce not issued here");

  // Unknown users are checked against a dummy HA1 so the work, and its timing, match a known
  // user with a wrong password.
  const DigestAlgorithm base = psip::base_algorithm(*algorithm);
  const std::optional<std::string> stored = lookup_(realm, username, base);
  std::string ha1;
  bool known = stored.has_value();
  if (known && !normalise_hex(*stored, psip::hex_length(base), ha1)) {
    PARLEY_BUG("credential lookup returned a malformed HA1");
    known = false;
  }
  if (!known) ha1 = base == DigestAlgorithm::kMd5 ? dummy_ha1_md5_ : dummy_ha1_sha256_;
  const std::string expected = psip::expected_response(
      *algorithm, ha1,
      psip::DigestChallengeResponse{request.method_text(), uri, nonce, *nc_text, cnonce, *qop});
  const bool match = !expected.empty() && psip::constant_time_equal(expected, response);
  if (!known) return fail(std::move(result), "unknown user");
  if (expected.empty()) return fail(std::move(result), "hash unavailable");
  if (!match) return fail(std::move(result), "wrong password");

  // Stale only after the digest proved the password (RFC 7616 §3.3), so a stale answer never
  // tells a guesser anything.
  const std::uint64_t now = now_seconds();
  const auto lifetime = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(options_.nonce_lifetime).count());
  const bool from_future = decoded->issued_seconds > now + kFutureToleranceSeconds;
  const bool expired = decoded->issued_seconds <= now && now - decoded->issued_seconds > lifetime;
  if (!decoded->same_epoch || from_future || expired) {
    result.outcome = AuthOutcome::kStale;
    result.detail = "nonce expired";
    return result;
  }

  switch (check_nc(*decoded, *nc, now)) {
    case NcVerdict::kReplay:
      result.outcome = AuthOutcome::kReplay;
      result.detail = "nonce count already used";
      return result;
    case NcVerdict::kForgotten:
      result.outcome = AuthOutcome::kStale;
      result.detail = "nonce history evicted";
      return result;
    case NcVerdict::kFresh:
      break;
  }
  result.outcome = AuthOutcome::kOk;
  result.detail = "ok";
  return result;
}

}  // namespace parley::sip
