// Sign-in, sessions, CSRF tokens and bearer tokens.

#include <spdlog/spdlog.h>

#include <array>

#include "http/api/api_impl.hpp"
#include "http/api/credentials.hpp"
#include "protocol/sip/digest.hpp"

namespace parley::http::api {

namespace {

constexpr std::string_view kCookieName = "parley_session";
constexpr std::string_view kThrottleRealm = "web-login";
constexpr std::size_t kMaxUsernameLength = 300;
constexpr std::size_t kMaxPasswordLength = 1024;

// The value of cookie `name` in a Cookie header ("a=1; parley_session=xyz").
std::optional<std::string_view> cookie_value(const Request& request, std::string_view name) {
  const auto header = request.headers.find("Cookie");
  if (!header) return std::nullopt;
  std::string_view rest = *header;
  while (!rest.empty()) {
    const std::size_t end = rest.find(';');
    std::string_view pair = rest.substr(0, end);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    const std::size_t eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name) return pair.substr(eq + 1);
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end + 1);
  }
  return std::nullopt;
}

std::string session_cookie(std::string_view value, std::int64_t max_age) {
  return std::string(kCookieName) + "=" + std::string(value) +
         "; Path=/; Max-Age=" + std::to_string(max_age) + "; HttpOnly; Secure; SameSite=Strict";
}

nlohmann::json describe(const Principal& principal) {
  nlohmann::json document = {
      {"role", std::string(to_text(principal.role))},
      {"username", principal.username},
      {"tenant",
       principal.tenant_id ? nlohmann::json(principal.tenant_domain) : nlohmann::json(nullptr)}};
  if (principal.role == Role::kUser) document["extension"] = principal.extension;
  if (principal.via_cookie) document["csrf_token"] = principal.csrf_token;
  return document;
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

Response unauthorized(std::string_view detail) {
  Response response = problem(401, detail);
  response.headers.set("WWW-Authenticate", "Bearer realm=\"parley\"");
  return response;
}

// True when `password` is the SIP password whose HA1 the extension keeps.
bool sip_password_matches(const store::Extension& extension, std::string_view domain,
                          std::string_view password) {
  using protocol::sip::DigestAlgorithm;
  const bool sha = !extension.credentials.ha1_sha256.empty();
  const std::string& stored =
      sha ? extension.credentials.ha1_sha256 : extension.credentials.ha1_md5;
  const std::string computed = protocol::sip::ha1(
      sha ? DigestAlgorithm::kSha256 : DigestAlgorithm::kMd5, extension.number, domain, password);
  return !computed.empty() && protocol::sip::constant_time_equal(computed, stored);
}

}  // namespace

Response RestApi::Impl::login(const Call& call) const {
  static constexpr std::array<std::string_view, 2> kFields{"username", "password"};
  Response failure;
  auto body = read_body(call.request, kFields, failure);
  if (!body) return failure;
  BodyError error;
  const auto username = body->string("username", error);
  const auto password = body->string("password", error);
  if (!error.detail.empty()) return body_problem(error);
  if (!username || username->empty() || username->size() > kMaxUsernameLength) {
    return problem(400, "username is required (an admin name or EXT@DOMAIN)", "username");
  }
  if (!password || password->size() > kMaxPasswordLength) {
    return problem(400, "password is required", "password");
  }

  const std::string source = call.request.remote.ip();
  const std::string name_key = lower(*username);
  const auto retry_after =
      std::chrono::duration_cast<std::chrono::seconds>(options_.login_throttle.ban_duration)
          .count();
  if (throttle_.is_banned(source, kThrottleRealm, name_key)) {
    Response response = problem(429, "too many failed sign-ins; wait and try again");
    response.headers.set("Retry-After", std::to_string(std::max<std::int64_t>(1, retry_after)));
    return response;
  }

  Principal principal;
  principal.via_cookie = true;
  bool verified = false;
  store::WebSession session;
  if (const std::size_t at = username->find('@'); at != std::string::npos) {
    // An extension with its SIP password: compare the HA1 the store keeps. The argon2id run
    // against the dummy hash makes this path cost what an admin sign-in costs.
    (void)verify_password(dummy_hash_, *password);
    const std::string number = username->substr(0, at);
    auto tenant = store_.get_tenant_by_domain(std::string_view(*username).substr(at + 1));
    if (tenant) {
      auto extension = store_.get_extension(tenant->id, number);
      if (extension && sip_password_matches(*extension, tenant->domain, *password)) {
        verified = true;
        principal.role = Role::kUser;
        principal.username = extension->number + "@" + tenant->domain;
        principal.tenant_id = tenant->id;
        principal.tenant_domain = tenant->domain;
        principal.extension = extension->number;
        session.tenant_id = tenant->id;
        session.extension = extension->number;
      } else if (!extension && store::is_error(extension.error(), store::StoreError::kBackend)) {
        return store_problem(extension.error());
      }
    } else if (store::is_error(tenant.error(), store::StoreError::kBackend)) {
      return store_problem(tenant.error());
    }
  } else {
    auto admin = admin_store_.get_admin_by_name(*username);
    if (admin) {
      verified = verify_password(admin->password_hash, *password);
      if (verified) {
        principal.role =
            admin->role == store::AdminRole::kSystemAdmin ? Role::kSystemAdmin : Role::kTenantAdmin;
        principal.username = admin->name;
        session.admin_id = admin->id;
        if (admin->tenant_id) {
          auto tenant = store_.get_tenant(*admin->tenant_id);
          if (!tenant) return store_problem(tenant.error());
          principal.tenant_id = tenant->id;
          principal.tenant_domain = tenant->domain;
        }
      }
    } else {
      (void)verify_password(dummy_hash_, *password);
      if (store::is_error(admin.error(), store::StoreError::kBackend)) {
        return store_problem(admin.error());
      }
    }
  }
  if (!verified) {
    throttle_.record_failure(source, kThrottleRealm, name_key);
    spdlog::info("api: failed sign-in for '{}' from {}", name_key.substr(0, 64), source);
    return problem(401, "wrong user name or password");
  }
  throttle_.record_success(source, kThrottleRealm, name_key);

  const std::string cookie = random_token();
  principal.session_digest = secret_digest(cookie);
  principal.csrf_token = random_token();
  session.id_digest = principal.session_digest;
  session.csrf_token = principal.csrf_token;
  session.created_at = now();
  session.expires_at = session.created_at + options_.session_ttl.count();
  if (auto purged = admin_store_.purge_expired_web_sessions(session.created_at); !purged) {
    spdlog::warn("api: cannot purge expired sessions: {}", purged.error().message);
  }
  if (auto added = admin_store_.add_web_session(session); !added) {
    return store_problem(added.error());
  }
  Response response = json_response(200, describe(principal));
  response.headers.set("Set-Cookie", session_cookie(cookie, options_.session_ttl.count()));
  return response;
}

Response RestApi::Impl::whoami(const Call& call) const {
  return json_response(200, describe(*call.principal));
}

Response RestApi::Impl::logout(const Call& call) const {
  if (call.principal->via_cookie) {
    if (auto removed = admin_store_.remove_web_session(call.principal->session_digest); !removed) {
      return store_problem(removed.error());
    }
  }
  Response response;
  response.status = 204;
  response.headers.set("Cache-Control", "no-store");
  response.headers.set("Set-Cookie", session_cookie("", 0));
  return response;
}

std::optional<Principal> RestApi::Impl::authenticate(const Request& request,
                                                     Response& failure) const {
  Principal principal;
  if (const auto authorization = request.headers.find("Authorization")) {
    constexpr std::string_view kScheme = "Bearer ";
    if (authorization->size() <= kScheme.size() ||
        !iequals(authorization->substr(0, kScheme.size()), kScheme)) {
      failure = unauthorized("Authorization must be 'Bearer <token>'");
      return std::nullopt;
    }
    auto token = admin_store_.find_api_token(secret_digest(authorization->substr(kScheme.size())));
    if (!token) {
      failure = store::is_error(token.error(), store::StoreError::kBackend)
                    ? store_problem(token.error())
                    : unauthorized("the API token is unknown or was revoked");
      return std::nullopt;
    }
    auto tenant = store_.get_tenant(token->tenant_id);
    if (!tenant) {
      failure = unauthorized("the API token is unknown or was revoked");
      return std::nullopt;
    }
    // The store records a use at most once a minute; asking it only then keeps a write
    // transaction (and the database write lock) off every other request.
    const bool stale = !token->last_used_at || *token->last_used_at <= now() - 60;
    if (auto touched = stale ? admin_store_.touch_api_token(token->id, now()) : Result<void>{};
        !touched) {
      spdlog::warn("api: cannot record a token use: {}", touched.error().message);
    }
    principal.role = Role::kTenantAdmin;
    principal.username = "token:" + token->name;
    principal.tenant_id = tenant->id;
    principal.tenant_domain = tenant->domain;
    return principal;
  }

  const auto cookie = cookie_value(request, kCookieName);
  if (!cookie || cookie->empty()) {
    failure = unauthorized("sign in first (POST /api/v1/session) or send a bearer token");
    return std::nullopt;
  }
  const std::string digest = secret_digest(*cookie);
  auto session = admin_store_.get_web_session(digest, now());
  if (!session) {
    failure = store::is_error(session.error(), store::StoreError::kBackend)
                  ? store_problem(session.error())
                  : unauthorized("the session has expired or was ended; sign in again");
    return std::nullopt;
  }
  principal.via_cookie = true;
  principal.session_digest = digest;
  principal.csrf_token = session->csrf_token;
  if (session->admin_id) {
    auto admin = admin_store_.get_admin(*session->admin_id);
    if (!admin) {
      failure = unauthorized("the session has expired or was ended; sign in again");
      return std::nullopt;
    }
    principal.role =
        admin->role == store::AdminRole::kSystemAdmin ? Role::kSystemAdmin : Role::kTenantAdmin;
    principal.username = admin->name;
    if (admin->tenant_id) principal.tenant_id = admin->tenant_id;
  } else {
    principal.role = Role::kUser;
    principal.tenant_id = session->tenant_id;
    principal.extension = session->extension;
  }
  if (principal.tenant_id) {
    auto tenant = store_.get_tenant(*principal.tenant_id);
    if (!tenant) {
      failure = unauthorized("the session has expired or was ended; sign in again");
      return std::nullopt;
    }
    principal.tenant_domain = tenant->domain;
    if (principal.role == Role::kUser) {
      principal.username = principal.extension + "@" + tenant->domain;
    }
  }
  return principal;
}

}  // namespace parley::http::api
