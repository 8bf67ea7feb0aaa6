// Feeds arbitrary bytes as Authorization header values through DigestAuthenticator::verify,
// inside an otherwise valid REGISTER, and the claimed usernames through AuthThrottle.
//
// The first input byte picks a mode:
//   even: the rest is the whole header value;
//   odd:  the rest is split at '\n' into field values (an empty one keeps the default)
//         substituted into a credential that is otherwise valid (a real nonce from this
//         authenticator), so mutations reach the nonce, nc-window and response checks instead
//         of dying in the parameter parser.

#include <spdlog/spdlog.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.hpp"
#include "protocol/sip/digest.hpp"
#include "protocol/sip/headers.hpp"
#include "protocol/sip/message.hpp"
#include "sip/auth_throttle.hpp"
#include "sip/digest_auth.hpp"

namespace {

namespace psip = parley::protocol::sip;
using parley::sip::AuthOutcome;

constexpr std::string_view kRealm = "example.com";

struct Harness {
  Harness() {
    spdlog::set_level(spdlog::level::off);  // ban logs would drown the fuzzer's output
    parley::sip::DigestAuthOptions options;
    options.secret = "fuzzing secret, at least sixteen bytes";
    options.max_tracked_nonces = 64;
    options.algorithms = {psip::DigestAlgorithm::kSha256, psip::DigestAlgorithm::kMd5,
                          psip::DigestAlgorithm::kSha256Sess};
    auth = std::make_unique<parley::sip::DigestAuthenticator>(
        clock,
        [](std::string_view realm, std::string_view user,
           psip::DigestAlgorithm algorithm) -> std::optional<std::string> {
          if (user != "alice") return std::nullopt;
          return psip::ha1(algorithm, user, realm, "secret");
        },
        options);
    parley::sip::AuthThrottleOptions throttle_options;
    throttle_options.max_tracked_ips = 64;
    throttle_options.max_tracked_users = 64;
    throttle_options.max_tracked_pairs = 64;
    throttle = std::make_unique<parley::sip::AuthThrottle>(clock, throttle_options);
    const std::string value = auth->challenge(kRealm, false).front();
    const auto challenge = psip::parse_auth(value);
    nonce = std::string(challenge->get("nonce").value_or(""));
    opaque = std::string(challenge->get("opaque").value_or(""));
  }

  parley::ManualClock clock;
  std::unique_ptr<parley::sip::DigestAuthenticator> auth;
  std::unique_ptr<parley::sip::AuthThrottle> throttle;
  std::string nonce;
  std::string opaque;
};

std::string templated_value(const Harness& h, std::string_view input) {
  std::vector<std::string_view> fields;
  while (fields.size() < 8) {
    const std::size_t nl = input.find('\n');
    fields.push_back(input.substr(0, nl));
    if (nl == std::string_view::npos) break;
    input.remove_prefix(nl + 1);
  }
  auto field = [&](std::size_t i, std::string_view fallback) {
    return std::string(i < fields.size() && !fields[i].empty() ? fields[i] : fallback);
  };
  const std::string username = field(0, "alice");
  const std::string algorithm = field(1, "SHA-256");
  const std::string uri = field(2, "sip:example.com");
  const std::string nc = field(3, "00000001");
  const std::string cnonce = field(4, "c");
  const std::string nonce = field(5, h.nonce);
  // A correct response for the fields as given when the algorithm is known, so the nonce and nc
  // checks see valid digests; field 6 replaces it with fuzz bytes.
  std::string response;
  if (const auto a = psip::parse_digest_algorithm(algorithm)) {
    const std::string h1 = psip::ha1(psip::base_algorithm(*a), username, kRealm, "secret");
    response = psip::expected_response(*a, h1, "REGISTER", uri, nonce, nc, cnonce, "auth");
  }
  response = field(6, response);
  return "Digest username=\"" + username + "\", realm=\"example.com\", nonce=\"" + nonce +
         "\", uri=\"" + uri + "\", response=\"" + response + "\", algorithm=" + algorithm +
         ", qop=auth, nc=" + nc + ", cnonce=\"" + cnonce + "\", opaque=\"" + h.opaque + "\"" +
         field(7, "");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Harness harness;
  if (size == 0) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::string value =
      (data[0] & 1) != 0 ? templated_value(harness, input) : std::string(input);

  std::string text =
      "REGISTER sip:example.com SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-74bf9\r\n"
      "Max-Forwards: 70\r\n"
      "From: <sip:alice@example.com>;tag=9fxced76sl\r\n"
      "To: <sip:alice@example.com>\r\n"
      "Call-ID: 3848276298220188511@192.0.2.10\r\n"
      "CSeq: 2 REGISTER\r\n";
  text += (data[0] & 2) != 0 ? "Proxy-Authorization: " : "Authorization: ";
  text += value;
  text += "\r\nContent-Length: 0\r\n\r\n";
  auto message = psip::parse_message(text);
  if (!message) return 0;

  const bool proxy = (data[0] & 2) != 0;
  const auto result = harness.auth->verify(*message, kRealm, proxy);
  if (result.outcome == AuthOutcome::kBadCredentials) {
    harness.throttle->record_failure("192.0.2.10", kRealm, result.username);
  } else if (result.outcome == AuthOutcome::kOk) {
    harness.throttle->record_success("192.0.2.10", kRealm, result.username);
  }
  (void)harness.throttle->is_banned("192.0.2.10", kRealm, result.username);
  if ((data[0] & 4) != 0) harness.clock.advance(std::chrono::seconds(data[0] >> 3));
  return 0;
}
