// libFuzzer target: the SDES a=crypto attribute (RFC 4568). Beyond "no crash":
//  - a refusal is a 400 with a message;
//  - an accepted attribute respects the header's limits and key lengths of its suite;
//  - its serialisation parses again to the same serialisation (canonical form is stable);
//  - base64 of any bytes decodes back to them.

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>

#include "fuzz_require.hpp"
#include "protocol/sdp/crypto_attribute.hpp"

namespace sdp = parley::protocol::sdp;

namespace {

void check_accepted(const sdp::CryptoAttribute& attribute) {
  fuzz::require(!attribute.keys.empty() && attribute.keys.size() <= sdp::kMaxCryptoKeys);
  fuzz::require(attribute.session_params.size() <= sdp::kMaxCryptoSessionParams);
  fuzz::require(attribute.tag <= 999999999U);
  const std::size_t wanted =
      sdp::crypto_key_bytes(attribute.suite) + sdp::crypto_salt_bytes(attribute.suite);
  for (const auto& key : attribute.keys) {
    fuzz::require(key.size == wanted);
    fuzz::require(
        key.master_key(attribute.suite).size() + key.master_salt(attribute.suite).size() == wanted);
    if (key.lifetime)
      fuzz::require(*key.lifetime >= 1 && *key.lifetime <= (std::uint64_t{1} << 48));
    if (key.mki) fuzz::require(key.mki_length >= 1 && key.mki_length <= 128);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = sdp::parse_crypto(text);
  if (!parsed.ok()) {
    fuzz::require(parsed.error().code == 400);
    fuzz::require(!parsed.error().message.empty());
  } else {
    check_accepted(*parsed);
    const std::string once = sdp::serialise_crypto(*parsed);
    auto again = sdp::parse_crypto(once);
    fuzz::require(again.ok());
    check_accepted(*again);
    fuzz::require(sdp::serialise_crypto(*again) == once);
  }

  const auto bytes = std::span<const std::uint8_t>(data, std::min<std::size_t>(size, 256));
  const std::string encoded = sdp::encode_base64(bytes);
  std::array<std::uint8_t, 256> decoded{};
  auto length = sdp::decode_base64(encoded, decoded);
  fuzz::require(length.ok() && *length == bytes.size());
  fuzz::require(std::equal(bytes.begin(), bytes.end(), decoded.begin()));
  (void)sdp::decode_base64(text, decoded);  // arbitrary text: an error or bytes, never a crash
  return 0;
}
