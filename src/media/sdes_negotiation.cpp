#include "media/sdes_negotiation.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <string>

#include "media/sdes_leg.hpp"

namespace parley::media {
namespace {

namespace sdp = protocol::sdp;

constexpr std::string_view kCrypto = "crypto";
constexpr std::string_view kUsable =
    "no a=crypto line Parley can use (AES_CM_128_HMAC_SHA1_80, AES_CM_128_HMAC_SHA1_32 or "
    "AEAD_AES_128_GCM with one inline key, no MKI, no session parameters)";

bool usable(const sdp::CryptoAttribute& line) {
  return line.keys.size() == 1 && !line.keys.front().mki && line.session_params.empty();
}

bool same_bytes(const sdp::CryptoKey& a, const sdp::CryptoKey& b) {
  return a.size == b.size && CRYPTO_memcmp(a.key_salt.data(), b.key_salt.data(), a.size) == 0;
}

Result<sdp::CryptoKey> fresh_key(sdp::CryptoSuite suite) {
  sdp::CryptoKey key;
  key.size = sdp::crypto_key_bytes(suite) + sdp::crypto_salt_bytes(suite);
  if (RAND_bytes(key.key_salt.data(), static_cast<int>(key.size)) != 1) {
    return Error{500, "RAND_bytes failed: no SRTP key"};
  }
  return key;
}

// The a=crypto lines of a stream that parse, in order; refused ones are skipped (an offer may
// list suites Parley does not know before or after ones it does).
std::vector<sdp::CryptoAttribute> crypto_lines(const sdp::Media& media) {
  std::vector<sdp::CryptoAttribute> lines;
  for (const sdp::Attribute& attribute : media.attributes) {
    if (attribute.name != kCrypto) continue;
    auto parsed = sdp::parse_crypto(attribute.value);
    if (parsed.ok()) lines.push_back(std::move(parsed).value());
  }
  return lines;
}

void wipe_all(std::vector<sdp::CryptoAttribute>& lines) {
  for (auto& line : lines) line.wipe();
}

}  // namespace

// Protocol and attribute names are case-sensitive (RFC 8866 §5.14, §8.2.2), as call_media.cpp
// compares them.
bool is_sdes_protocol(std::string_view protocol) {
  return protocol == "RTP/SAVP" || protocol == "RTP/SAVPF";
}

SrtpProfile srtp_profile_of(sdp::CryptoSuite suite) {
  switch (suite) {
    case sdp::CryptoSuite::kAesCm128HmacSha1_32:
      return SrtpProfile::kAes128CmHmacSha1_32;
    case sdp::CryptoSuite::kAeadAes128Gcm:
      return SrtpProfile::kAeadAes128Gcm;
    case sdp::CryptoSuite::kAesCm128HmacSha1_80:
      break;
  }
  return SrtpProfile::kAes128CmHmacSha1_80;
}

bool same_keys(const SdesKeys& a, const SdesKeys& b) {
  return a.tag == b.tag && a.suite == b.suite && same_bytes(a.remote, b.remote) &&
         same_bytes(a.local, b.local);
}

SdesKeys::~SdesKeys() {
  OPENSSL_cleanse(remote.key_salt.data(), remote.key_salt.size());
  OPENSSL_cleanse(local.key_salt.data(), local.key_salt.size());
}

sdp::Attribute SdesKeys::local_attribute() const {
  sdp::CryptoAttribute line;
  line.tag = tag;
  line.suite = suite;
  line.keys.push_back(local);
  sdp::Attribute attribute{std::string(kCrypto), sdp::serialise_crypto(line), true};
  line.wipe();
  return attribute;
}

Result<std::unique_ptr<SecureLeg>> SdesKeys::make_leg() const {
  SdesLegKeys keys;
  keys.profile = srtp_profile_of(suite);
  keys.inbound_key = remote.master_key(suite);
  keys.inbound_salt = remote.master_salt(suite);
  keys.outbound_key = local.master_key(suite);
  keys.outbound_salt = local.master_salt(suite);
  auto leg = SdesLeg::create(keys);
  if (!leg.ok()) return Error{500, leg.error().message};
  return std::unique_ptr<SecureLeg>(std::move(leg).value());
}

SdesOffer::~SdesOffer() {
  wipe_all(lines);
}

Result<SdesOffer> SdesOffer::fresh() {
  SdesOffer offer;
  std::uint32_t tag = 1;
  // Strongest authentication first; SHA1_32 for phones that save the bandwidth (RFC 4568 §6.2).
  for (const auto suite :
       {sdp::CryptoSuite::kAesCm128HmacSha1_80, sdp::CryptoSuite::kAesCm128HmacSha1_32}) {
    auto key = fresh_key(suite);
    if (!key.ok()) return key.error();
    sdp::CryptoAttribute line;
    line.tag = tag++;
    line.suite = suite;
    line.keys.push_back(*key);
    OPENSSL_cleanse(key->key_salt.data(), key->key_salt.size());
    offer.lines.push_back(std::move(line));
  }
  return offer;
}

std::vector<sdp::Attribute> SdesOffer::attributes() const {
  std::vector<sdp::Attribute> out;
  out.reserve(lines.size());
  for (const auto& line : lines) {
    out.push_back({std::string(kCrypto), sdp::serialise_crypto(line), true});
  }
  return out;
}

Result<SdesKeys> answer_sdes(const sdp::Media& offered, const SdesKeys* current) {
  auto lines = crypto_lines(offered);
  for (const auto& line : lines) {
    if (!usable(line)) continue;
    if (current != nullptr && current->tag == line.tag && current->suite == line.suite &&
        same_bytes(current->remote, line.keys.front())) {
      wipe_all(lines);
      return *current;
    }
    auto local = fresh_key(line.suite);
    if (!local.ok()) {
      wipe_all(lines);
      return local.error();
    }
    SdesKeys keys;
    keys.tag = line.tag;
    keys.suite = line.suite;
    keys.remote = line.keys.front();
    keys.local = *local;
    OPENSSL_cleanse(local->key_salt.data(), local->key_salt.size());
    wipe_all(lines);
    return keys;
  }
  wipe_all(lines);
  return Error{488, std::string(kUsable)};
}

Result<SdesKeys> accept_sdes_answer(const SdesOffer& offer, const sdp::Media& answered) {
  const auto count =
      std::count_if(answered.attributes.begin(), answered.attributes.end(),
                    [](const sdp::Attribute& attribute) { return attribute.name == kCrypto; });
  if (count != 1) return Error{488, "an SRTP answer must carry exactly one a=crypto line"};
  auto lines = crypto_lines(answered);
  if (lines.empty()) return Error{488, "the answer's a=crypto line is malformed"};
  const sdp::CryptoAttribute& chosen = lines.front();
  const auto ours = std::find_if(
      offer.lines.begin(), offer.lines.end(),
      [&chosen](const auto& line) { return line.tag == chosen.tag && line.suite == chosen.suite; });
  if (ours == offer.lines.end() || !usable(chosen)) {
    wipe_all(lines);
    return Error{488, "the answer's a=crypto line matches none Parley offered"};
  }
  SdesKeys keys;
  keys.tag = chosen.tag;
  keys.suite = chosen.suite;
  keys.remote = chosen.keys.front();
  keys.local = ours->keys.front();
  wipe_all(lines);
  return keys;
}

}  // namespace parley::media
