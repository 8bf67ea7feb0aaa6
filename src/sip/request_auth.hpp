#pragma once
// Checking an out-of-dialog request that only our own users may send (SUBSCRIBE, PUBLISH), the
// way REGISTER is checked: From and Request-URI must parse as SIP URIs (400); the From host names
// the tenant and so the digest realm (403 when it names none); a sender the brute-force throttle
// has banned is refused before verification (403), keyed by the username its credentials claim,
// or the From user when there are none; then digest authentication (RFC 7616: 401 with fresh
// challenges, stale=TRUE for an expired nonce), a wrong password counted in the throttle; and the
// authenticated user must be the From user (403). What the Request-URI names is the caller's to
// judge: the result says which tenant and user it is.
//
// Thread-safety: as the directory, authenticator and throttle it is given (shared, internally
// locked).

#include <memory>
#include <string>
#include <string_view>
#include <variant>

#include "protocol/sip/message.hpp"
#include "protocol/sip/response.hpp"
#include "sip/auth_throttle.hpp"
#include "sip/digest_auth.hpp"
#include "sip/directory.hpp"

namespace parley::sip {

// What the check works with; all owned by the caller.
struct RequestAuthContext {
  const Directory& directory;
  DigestAuthenticator& authenticator;
  AuthThrottle& throttle;
};

// A request that passed. The tenant pointers point into `directory`, the snapshot all of the
// check's lookups were made in; the caller makes its own lookups there too.
struct AuthenticatedRequest {
  std::shared_ptr<const DirectorySnapshot> directory;
  const TenantInfo* tenant = nullptr;  // the sender's
  std::string username;                // the sender's, authenticated
  // The Request-URI's tenant (the sender's own when its host is an address literal); null when
  // it names a domain we do not serve.
  const TenantInfo* target_tenant = nullptr;
  std::string target_user;  // unescaped; empty when an escape is malformed
};

// A request that did not pass, and its answer: 401 with the WWW-Authenticate values in `extra`,
// or a refusal with `reason` (a literal; empty for the standard phrase).
struct RequestRefusal {
  int status = 0;
  std::string_view reason;
  protocol::sip::ExtraHeaders extra;
  bool is_challenge() const { return status == 401; }
};

std::variant<AuthenticatedRequest, RequestRefusal> authenticate_request(
    const protocol::sip::Message& request, std::string_view source_ip,
    const RequestAuthContext& context);

}  // namespace parley::sip
