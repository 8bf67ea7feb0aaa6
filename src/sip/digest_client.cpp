#include "sip/digest_client.hpp"

#include <algorithm>
#include <cstdio>
#include <optional>

#include "base/ascii.hpp"
#include "protocol/sip/headers.hpp"

namespace parley::sip {
namespace {

namespace psip = protocol::sip;
using psip::DigestAlgorithm;

using base::iequals;

// Quoted values come from the header parser with their backslash escapes kept.
std::string unescape(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (value[i] == '\\' && i + 1 < value.size()) ++i;
    out.push_back(value[i]);
  }
  return out;
}

// A quoted-string with '"' and '\' escaped (RFC 3261 §25.1).
void append_quoted(std::string& out, std::string_view value) {
  out.push_back('"');
  for (char c : value) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
}

// Higher is stronger (RFC 8760 §2.4 ranks SHA-256 above MD5). The -sess variants protect the
// same password with the same hash, so they rank just below their plain form.
int strength(DigestAlgorithm algorithm) {
  switch (algorithm) {
    case DigestAlgorithm::kSha256:
      return 4;
    case DigestAlgorithm::kSha256Sess:
      return 3;
    case DigestAlgorithm::kMd5:
      return 2;
    case DigestAlgorithm::kMd5Sess:
      return 1;
  }
  return 0;
}

// A folded header line keeps its CRLF inside the value; echoing that into our request would let
// the provider write header lines of ours.
bool has_control_char(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

bool offers_qop_auth(std::string_view qop_list) {
  for (std::string_view token : psip::split_tokens(qop_list)) {
    if (iequals(token, "auth")) return true;
  }
  return false;
}

// Why one field cannot be answered, or the challenge it holds.
Result<DigestChallenge> read_challenge(std::string_view value, bool proxy,
                                       std::string_view required_realm) {
  auto parsed = psip::parse_auth(value);
  if (!parsed) return make_error(0, "unparsable challenge: " + parsed.error().message);
  if (!iequals(parsed->scheme, "Digest")) return make_error(0, "not a Digest challenge");
  DigestChallenge challenge;
  challenge.proxy = proxy;
  if (const auto algorithm = parsed->get("algorithm")) {
    const auto known = psip::parse_digest_algorithm(*algorithm);
    if (!known) return make_error(0, "unsupported algorithm " + std::string(*algorithm));
    challenge.algorithm = *known;
    challenge.algorithm_named = true;
  }
  if (const auto qop = parsed->get("qop")) {
    if (!offers_qop_auth(*qop)) return make_error(0, "qop offers no \"auth\"");
    challenge.qop_auth = true;
  }
  const auto nonce = parsed->get("nonce");
  if (!nonce || nonce->empty()) return make_error(0, "challenge without a nonce");
  challenge.nonce = unescape(*nonce);
  challenge.realm = unescape(parsed->get("realm").value_or(""));
  if (!required_realm.empty() && challenge.realm != required_realm) {
    return make_error(0, "realm \"" + challenge.realm + "\" is not the configured one");
  }
  if (const auto opaque = parsed->get("opaque")) {
    challenge.opaque = unescape(*opaque);
    challenge.has_opaque = true;
  }
  if (has_control_char(challenge.nonce) || has_control_char(challenge.realm) ||
      has_control_char(challenge.opaque)) {
    return make_error(0, "control characters in the challenge");
  }
  if (const auto stale = parsed->get("stale")) challenge.stale = iequals(*stale, "true");
  return challenge;
}

}  // namespace

Result<DigestChallenge> pick_challenge(const psip::Message& response,
                                       std::string_view required_realm) {
  const int status = response.is_request() ? 0 : response.status_code();
  if (status != 401 && status != 407) return make_error(400, "not a 401 or 407 response");
  const bool proxy = status == 407;
  const psip::HeaderId wanted =
      proxy ? psip::HeaderId::kProxyAuthenticate : psip::HeaderId::kWwwAuthenticate;
  std::optional<DigestChallenge> best;
  std::string last_reason = "no challenge";
  for (const psip::HeaderField& field : response.headers()) {
    if (field.id != wanted) continue;
    auto challenge = read_challenge(response.value(field), proxy, required_realm);
    if (!challenge) {
      last_reason = challenge.error().message;
      continue;
    }
    if (!best || strength(challenge->algorithm) > strength(best->algorithm)) {
      best = std::move(challenge).value();
    }
  }
  if (!best) return make_error(status, "no usable digest challenge (" + last_reason + ")");
  return std::move(*best);
}

std::string_view authorization_header(const DigestChallenge& challenge) {
  return challenge.proxy ? "Proxy-Authorization" : "Authorization";
}

std::string nc_text(std::uint32_t nc) {
  char buffer[9];
  std::snprintf(buffer, sizeof buffer, "%08x", static_cast<unsigned>(nc));
  return std::string(buffer, 8);
}

std::string authorization_value(const DigestChallenge& challenge, const DigestAnswer& answer) {
  const std::string ha1 = psip::ha1(psip::base_algorithm(challenge.algorithm), answer.username,
                                    challenge.realm, answer.password);
  if (ha1.empty()) return {};
  const std::string nc = challenge.qop_auth ? nc_text(answer.nc) : std::string();
  const std::string_view cnonce = challenge.qop_auth ? answer.cnonce : std::string_view();
  const std::string_view qop = challenge.qop_auth ? "auth" : "";
  // The -sess algorithms hash the cnonce into HA1, so they need one even without qop.
  const std::string_view sess_cnonce =
      psip::is_session_algorithm(challenge.algorithm) ? answer.cnonce : cnonce;
  const std::string response =
      psip::expected_response(challenge.algorithm, ha1, answer.method, answer.digest_uri,
                              challenge.nonce, nc, sess_cnonce, qop);
  if (response.empty()) return {};

  std::string out = "Digest username=";
  append_quoted(out, answer.username);
  out.append(", realm=");
  append_quoted(out, challenge.realm);
  out.append(", nonce=");
  append_quoted(out, challenge.nonce);
  out.append(", uri=");
  append_quoted(out, answer.digest_uri);
  out.append(", response=\"").append(response).append("\"");
  if (challenge.algorithm_named) out.append(", algorithm=").append(to_text(challenge.algorithm));
  if (challenge.qop_auth || psip::is_session_algorithm(challenge.algorithm)) {
    out.append(", cnonce=");
    append_quoted(out, answer.cnonce);
  }
  if (challenge.qop_auth) out.append(", qop=auth, nc=").append(nc);
  if (challenge.has_opaque) {
    out.append(", opaque=");
    append_quoted(out, challenge.opaque);
  }
  return out;
}

}  // namespace parley::sip
