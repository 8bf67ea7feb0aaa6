#include "sip/request_auth.hpp"

#include <algorithm>
#include <cctype>
#include <utility>

#include "base/ascii.hpp"
#include "protocol/sip/headers.hpp"
#include "protocol/sip/uri.hpp"

namespace parley::sip {
namespace {

namespace psip = protocol::sip;

using base::iequals;

// A host that names no domain: an IPv6 reference or a dotted IPv4 literal.
bool names_no_domain(std::string_view host) {
  if (host.empty() || host.front() == '[') return true;
  return std::all_of(host.begin(), host.end(), [](char c) {
    return c == '.' || std::isdigit(static_cast<unsigned char>(c));
  });
}

std::string unescaped(std::string_view text) {
  auto decoded = psip::unescape(text);
  return decoded.ok() ? std::move(decoded).value() : std::string();
}

RequestRefusal challenge(DigestAuthenticator& authenticator, std::string_view realm, bool stale) {
  RequestRefusal refusal{401, {}, {}};
  for (auto& value : authenticator.challenge(realm, stale)) {
    refusal.extra.emplace_back("WWW-Authenticate", std::move(value));
  }
  return refusal;
}

}  // namespace

std::variant<AuthenticatedRequest, RequestRefusal> authenticate_request(
    const psip::Message& request, std::string_view source_ip, const RequestAuthContext& context) {
  auto from = psip::parse_name_addr(request.first(psip::HeaderId::kFrom));
  auto target = psip::parse_uri(request.request_uri());
  if (!from || from->is_star || from->opaque_uri || !target ||
      target->scheme == psip::UriScheme::kTel) {
    return RequestRefusal{400, "Bad From or Request-URI", {}};
  }
  AuthenticatedRequest checked;
  checked.directory = context.directory.snapshot();
  checked.tenant = checked.directory->tenant_for_host(from->uri.host);
  if (checked.tenant == nullptr) return RequestRefusal{403, "Unknown Domain", {}};
  const std::string_view realm = checked.tenant->domain;
  const std::string sender = unescaped(from->uri.user);
  // Parsed once: the throttle keys the claimed user before verification.
  const auto credentials = DigestAuthenticator::find_credentials(request, realm, /*proxy=*/false);
  std::string claimed = DigestAuthenticator::claimed_username(credentials);
  if (claimed.empty()) claimed = sender;
  if (context.throttle.is_banned(source_ip, realm, claimed)) return RequestRefusal{403, {}, {}};
  const AuthResult auth = context.authenticator.verify(request, realm, credentials);
  switch (auth.outcome) {
    case AuthOutcome::kNoCredentials:
    case AuthOutcome::kReplay:
      return challenge(context.authenticator, realm, false);
    case AuthOutcome::kStale:
      return challenge(context.authenticator, realm, true);
    case AuthOutcome::kBadCredentials:
      context.throttle.record_failure(source_ip, realm,
                                      auth.username.empty() ? claimed : auth.username);
      return challenge(context.authenticator, realm, false);
    case AuthOutcome::kOk:
      break;
  }
  if (auth.username != sender) return RequestRefusal{403, "From Does Not Match Credentials", {}};
  context.throttle.record_success(source_ip, realm, auth.username);
  checked.username = auth.username;
  checked.target_tenant = names_no_domain(target->host)
                              ? checked.tenant
                              : checked.directory->tenant_for_host(target->host);
  checked.target_user = unescaped(target->user);
  return checked;
}

}  // namespace parley::sip
