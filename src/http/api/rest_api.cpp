#include "http/api/rest_api.hpp"

#include <spdlog/spdlog.h>

#include <array>

#include "chat/chat_attachments.hpp"
#include "http/api/api_impl.hpp"
#include "http/api/credentials.hpp"

namespace parley::http::api {

namespace {

using I = RestApi::Impl;

// The one list of routes: dispatch and the OpenAPI test both read it.
constexpr std::array kRoutes{
    Route{"GET", "/api/v1/openapi.json", Access::kPublic, &I::openapi},
    Route{"POST", "/api/v1/session", Access::kPublic, &I::login},
    Route{"GET", "/api/v1/session", Access::kSignedIn, &I::whoami},
    Route{"DELETE", "/api/v1/session", Access::kSignedIn, &I::logout},
    Route{"GET", "/api/v1/status", Access::kAdmin, &I::status},
    Route{"GET", "/api/v1/directory", Access::kSignedIn, &I::directory},
    Route{"GET", "/api/v1/me/call-records", Access::kSignedIn, &I::my_call_records},
    Route{"GET", "/api/v1/tenants", Access::kAdmin, &I::list_tenants},
    Route{"POST", "/api/v1/tenants", Access::kSystemAdmin, &I::create_tenant},
    Route{"GET", "/api/v1/tenants/{domain}", Access::kAdmin, &I::get_tenant},
    Route{"PATCH", "/api/v1/tenants/{domain}", Access::kAdmin, &I::patch_tenant},
    Route{"DELETE", "/api/v1/tenants/{domain}", Access::kAdmin, &I::delete_tenant},
    Route{"GET", "/api/v1/tenants/{domain}/extensions", Access::kAdmin, &I::list_extensions},
    Route{"POST", "/api/v1/tenants/{domain}/extensions", Access::kAdmin, &I::create_extension},
    Route{"GET", "/api/v1/tenants/{domain}/extensions/{number}", Access::kAdmin, &I::get_extension},
    Route{"PATCH", "/api/v1/tenants/{domain}/extensions/{number}", Access::kAdmin,
          &I::patch_extension},
    Route{"DELETE", "/api/v1/tenants/{domain}/extensions/{number}", Access::kAdmin,
          &I::delete_extension},
    Route{"GET", "/api/v1/tenants/{domain}/registrations", Access::kAdmin, &I::registrations},
    Route{"DELETE", "/api/v1/tenants/{domain}/registrations/{id}", Access::kAdmin, &I::unregister},
    Route{"GET", "/api/v1/tenants/{domain}/devices", Access::kAdmin, &I::list_devices},
    Route{"POST", "/api/v1/tenants/{domain}/devices", Access::kAdmin, &I::create_device},
    Route{"GET", "/api/v1/tenants/{domain}/devices/{id}", Access::kAdmin, &I::get_device},
    Route{"PATCH", "/api/v1/tenants/{domain}/devices/{id}", Access::kAdmin, &I::patch_device},
    Route{"DELETE", "/api/v1/tenants/{domain}/devices/{id}", Access::kAdmin, &I::delete_device},
    Route{"GET", "/api/v1/tenants/{domain}/ring-groups", Access::kAdmin, &I::list_ring_groups},
    Route{"POST", "/api/v1/tenants/{domain}/ring-groups", Access::kAdmin, &I::create_ring_group},
    Route{"GET", "/api/v1/tenants/{domain}/ring-groups/{number}", Access::kAdmin,
          &I::get_ring_group},
    Route{"PATCH", "/api/v1/tenants/{domain}/ring-groups/{number}", Access::kAdmin,
          &I::patch_ring_group},
    Route{"DELETE", "/api/v1/tenants/{domain}/ring-groups/{number}", Access::kAdmin,
          &I::delete_ring_group},
    // Signed-in: a user sets their own forwarding and do-not-disturb (own_extension_only).
    Route{"GET", "/api/v1/tenants/{domain}/extensions/{number}/call-features", Access::kSignedIn,
          &I::get_call_features},
    Route{"PATCH", "/api/v1/tenants/{domain}/extensions/{number}/call-features", Access::kSignedIn,
          &I::patch_call_features},
    Route{"PUT", "/api/v1/tenants/{domain}/extensions/{number}/forwards/{condition}",
          Access::kSignedIn, &I::put_forward},
    Route{"DELETE", "/api/v1/tenants/{domain}/extensions/{number}/forwards/{condition}",
          Access::kSignedIn, &I::delete_forward},
    Route{"GET", "/api/v1/tenants/{domain}/conference-rooms", Access::kAdmin,
          &I::list_conference_rooms},
    Route{"POST", "/api/v1/tenants/{domain}/conference-rooms", Access::kAdmin,
          &I::create_conference_room},
    Route{"GET", "/api/v1/tenants/{domain}/conference-rooms/{number}", Access::kAdmin,
          &I::get_conference_room},
    Route{"PATCH", "/api/v1/tenants/{domain}/conference-rooms/{number}", Access::kAdmin,
          &I::patch_conference_room},
    Route{"DELETE", "/api/v1/tenants/{domain}/conference-rooms/{number}", Access::kAdmin,
          &I::delete_conference_room},
    // Signed-in: a tenant admin, or an extension user who moderates the room right now.
    Route{"GET", "/api/v1/tenants/{domain}/conference-rooms/{number}/participants",
          Access::kSignedIn, &I::list_conference_participants},
    Route{"POST", "/api/v1/tenants/{domain}/conference-rooms/{number}/participants/{id}/mute",
          Access::kSignedIn, &I::mute_conference_participant},
    Route{"POST", "/api/v1/tenants/{domain}/conference-rooms/{number}/participants/{id}/unmute",
          Access::kSignedIn, &I::unmute_conference_participant},
    Route{"DELETE", "/api/v1/tenants/{domain}/conference-rooms/{number}/participants/{id}",
          Access::kSignedIn, &I::remove_conference_participant},
    Route{"GET", "/api/v1/tenants/{domain}/queues", Access::kAdmin, &I::list_call_queues},
    Route{"POST", "/api/v1/tenants/{domain}/queues", Access::kAdmin, &I::create_call_queue},
    Route{"GET", "/api/v1/tenants/{domain}/queues/{number}", Access::kAdmin, &I::get_call_queue},
    Route{"PATCH", "/api/v1/tenants/{domain}/queues/{number}", Access::kAdmin,
          &I::patch_call_queue},
    Route{"DELETE", "/api/v1/tenants/{domain}/queues/{number}", Access::kAdmin,
          &I::delete_call_queue},
    Route{"GET", "/api/v1/tenants/{domain}/ivrs", Access::kAdmin, &I::list_ivr_menus},
    Route{"POST", "/api/v1/tenants/{domain}/ivrs", Access::kAdmin, &I::create_ivr_menu},
    Route{"GET", "/api/v1/tenants/{domain}/ivrs/{name}", Access::kAdmin, &I::get_ivr_menu},
    Route{"PATCH", "/api/v1/tenants/{domain}/ivrs/{name}", Access::kAdmin, &I::patch_ivr_menu},
    Route{"DELETE", "/api/v1/tenants/{domain}/ivrs/{name}", Access::kAdmin, &I::delete_ivr_menu},
    Route{"GET", "/api/v1/tenants/{domain}/schedules", Access::kAdmin, &I::list_schedules},
    Route{"POST", "/api/v1/tenants/{domain}/schedules", Access::kAdmin, &I::create_schedule},
    Route{"GET", "/api/v1/tenants/{domain}/schedules/{name}", Access::kAdmin, &I::get_schedule},
    Route{"PATCH", "/api/v1/tenants/{domain}/schedules/{name}", Access::kAdmin, &I::patch_schedule},
    Route{"DELETE", "/api/v1/tenants/{domain}/schedules/{name}", Access::kAdmin,
          &I::delete_schedule},
    // Signed-in: a user reaches only their own box (own_extension_only).
    Route{"GET", "/api/v1/tenants/{domain}/voicemail-boxes", Access::kAdmin,
          &I::list_voicemail_boxes},
    Route{"GET", "/api/v1/tenants/{domain}/voicemail-boxes/{box}", Access::kSignedIn,
          &I::get_voicemail_box},
    Route{"PATCH", "/api/v1/tenants/{domain}/voicemail-boxes/{box}", Access::kSignedIn,
          &I::patch_voicemail_box},
    Route{"GET", "/api/v1/tenants/{domain}/voicemail-boxes/{box}/messages", Access::kSignedIn,
          &I::list_voicemail_messages},
    Route{"PATCH", "/api/v1/tenants/{domain}/voicemail-boxes/{box}/messages/{id}",
          Access::kSignedIn, &I::patch_voicemail_message},
    Route{"DELETE", "/api/v1/tenants/{domain}/voicemail-boxes/{box}/messages/{id}",
          Access::kSignedIn, &I::delete_voicemail_message},
    Route{"GET", "/api/v1/tenants/{domain}/voicemail-boxes/{box}/messages/{id}/audio",
          Access::kSignedIn, &I::voicemail_audio},
    Route{"PUT", "/api/v1/tenants/{domain}/voicemail-boxes/{box}/greeting", Access::kSignedIn,
          &I::put_voicemail_greeting},
    Route{"DELETE", "/api/v1/tenants/{domain}/voicemail-boxes/{box}/greeting", Access::kSignedIn,
          &I::delete_voicemail_greeting},
    Route{"GET", "/api/v1/tenants/{domain}/recordings", Access::kAdmin, &I::list_recordings},
    Route{"GET", "/api/v1/tenants/{domain}/recordings/{id}/audio", Access::kAdmin,
          &I::recording_audio},
    Route{"GET", "/api/v1/tenants/{domain}/call-records", Access::kAdmin, &I::tenant_call_records},
    Route{"GET", "/api/v1/calls/live", Access::kAdmin, &I::live_calls},
    Route{"DELETE", "/api/v1/calls/live/{id}", Access::kAdmin, &I::hang_up},
    Route{"POST", "/api/v1/chat/conversations/{id}/attachments", Access::kSignedIn,
          &I::upload_chat_attachment},
    Route{"GET", "/api/v1/chat/messages/{message}/attachments/{attachment}", Access::kSignedIn,
          &I::download_chat_attachment},
};

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> segments;
  std::size_t start = 1;  // after the leading '/'
  while (start <= path.size()) {
    const std::size_t end = std::min(path.find('/', start), path.size());
    segments.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return segments;
}

// The parameters when `path` fits `pattern`, else nullopt.
std::optional<std::vector<std::string>> match(std::string_view pattern, std::string_view path) {
  const auto want = split_path(pattern);
  const auto have = split_path(path);
  if (want.size() != have.size()) return std::nullopt;
  std::vector<std::string> params;
  for (std::size_t i = 0; i < want.size(); ++i) {
    if (want[i].starts_with('{')) {
      if (have[i].empty()) return std::nullopt;
      params.emplace_back(have[i]);
    } else if (want[i] != have[i]) {
      return std::nullopt;
    }
  }
  return params;
}

bool is_safe_method(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "OPTIONS";
}

store::UnixSeconds system_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%' && i + 2 < text.size() + 0 && hex_value(text[i + 1]) >= 0 &&
               hex_value(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

}  // namespace

std::span<const Route> route_table() {
  return kRoutes;
}

std::string_view to_text(Role role) {
  switch (role) {
    case Role::kSystemAdmin:
      return "system_admin";
    case Role::kTenantAdmin:
      return "tenant_admin";
    case Role::kUser:
      return "user";
  }
  return "user";
}

// --- responses ---------------------------------------------------------------------------------

Response json_response(int status, const nlohmann::json& document) {
  Response response = Response::make(status, "application/json", dump(document));
  response.headers.set("Cache-Control", "no-store");
  return response;
}

Response problem(int status, std::string_view detail, std::string_view field) {
  nlohmann::json document = {{"type", "about:blank"},
                             {"title", std::string(status_reason(status))},
                             {"status", status},
                             {"detail", std::string(detail)}};
  if (!field.empty()) document["field"] = std::string(field);
  Response response = Response::make(status, "application/problem+json", dump(document));
  response.headers.set("Cache-Control", "no-store");
  return response;
}

Response store_problem(const Error& error) {
  switch (error.code) {
    case static_cast<int>(store::StoreError::kInvalidInput):
    case static_cast<int>(store::StoreError::kNotFound):
    case static_cast<int>(store::StoreError::kConflict):
    case static_cast<int>(store::StoreError::kBusy):
      return problem(error.code, error.message);
    default:
      spdlog::error("api: {}", error.message);
      return problem(500, "the database failed; the server log has the details");
  }
}

Response body_problem(const BodyError& error) {
  return problem(400, error.detail, error.field);
}

std::optional<JsonBody> read_body(const Request& request, std::span<const std::string_view> allowed,
                                  Response& failure) {
  const auto type = request.headers.find("Content-Type");
  const std::string_view media = type ? type->substr(0, type->find(';')) : std::string_view();
  if (!iequals(media, "application/json")) {
    failure = problem(415, "send the body as application/json");
    return std::nullopt;
  }
  BodyError error;
  auto body = JsonBody::parse(request.body, allowed, error);
  if (!body) failure = body_problem(error);
  return body;
}

std::optional<std::string> query_param(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const std::size_t eq = pair.find('=');
    if (pair.substr(0, eq) == name) {
      return eq == std::string_view::npos ? std::string() : percent_decode(pair.substr(eq + 1));
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

std::optional<Page> read_page(const Request& request, std::size_t fallback, std::size_t max,
                              Response& failure) {
  Page page{fallback, query_param(request.query, "cursor").value_or("")};
  if (const auto limit = query_param(request.query, "limit")) {
    std::size_t value = 0;
    bool digits = !limit->empty() && limit->size() <= 6;
    for (const char c : *limit) {
      digits = digits && c >= '0' && c <= '9';
      if (digits) value = value * 10 + static_cast<std::size_t>(c - '0');
    }
    if (!digits || value == 0 || value > max) {
      failure =
          problem(400, "limit must be a whole number from 1 to " + std::to_string(max), "limit");
      return std::nullopt;
    }
    page.limit = value;
  }
  return page;
}

// --- the API -----------------------------------------------------------------------------------

RestApi::Impl::Impl(store::Store& store, store::AdminStore& admin_store, const Clock& clock,
                    RestApiOptions options)
    : store_(store),
      admin_store_(admin_store),
      options_(std::move(options)),
      started_(std::chrono::steady_clock::now()),
      dummy_hash_(hash_password(random_token()).value()),
      throttle_(clock, options_.login_throttle) {
  if (!options_.wall_clock) options_.wall_clock = system_seconds;
}

store::UnixSeconds RestApi::Impl::now() const {
  return options_.wall_clock();
}

void RestApi::Impl::directory_changed() const {
  if (options_.directory_changed) options_.directory_changed();
}

Response RestApi::Impl::handle(const Request& request) const {
  const Route* found = nullptr;
  std::vector<std::string> params;
  std::string allow;
  for (const Route& route : kRoutes) {
    auto matched = match(route.path, request.path);
    if (!matched) continue;
    if (route.method == request.method) {
      found = &route;
      params = std::move(matched).value();
      break;
    }
    allow += allow.empty() ? "" : ", ";
    allow += route.method;
  }
  if (found == nullptr) {
    if (allow.empty()) return problem(404, "no API resource at this path");
    Response response = problem(405, "this resource answers only " + allow);
    response.headers.set("Allow", allow);
    return response;
  }
  if (found->access == Access::kPublic) return (this->*found->handler)({request, nullptr, params});

  Response failure;
  const auto principal = authenticate(request, failure);
  if (!principal) return failure;
  if (principal->via_cookie && !is_safe_method(request.method)) {
    const auto sent = request.headers.find("X-CSRF-Token");
    if (!sent || !equal_secrets(*sent, principal->csrf_token)) {
      return problem(403,
                     "a request that changes something must carry the session's "
                     "X-CSRF-Token header");
    }
  }
  const bool admin = principal->role != Role::kUser;
  if ((found->access == Access::kAdmin && !admin) ||
      (found->access == Access::kSystemAdmin && principal->role != Role::kSystemAdmin)) {
    return problem(403, found->access == Access::kSystemAdmin ? "only a system admin may do this"
                                                              : "only an admin may do this");
  }
  return (this->*found->handler)({request, &*principal, params});
}

std::optional<store::Tenant> RestApi::Impl::visible_tenant(const Principal& principal,
                                                           std::string_view domain,
                                                           Response& failure) const {
  auto tenant = store_.get_tenant_by_domain(domain);
  const bool hidden =
      tenant && principal.role != Role::kSystemAdmin && principal.tenant_id != tenant->id;
  if (hidden || (!tenant && (store::is_error(tenant.error(), store::StoreError::kNotFound) ||
                             store::is_error(tenant.error(), store::StoreError::kInvalidInput)))) {
    failure = problem(404, "no tenant " + std::string(domain).substr(0, 253));
    return std::nullopt;
  }
  if (!tenant) {
    failure = store_problem(tenant.error());
    return std::nullopt;
  }
  return std::move(tenant).value();
}

// --- RestApi -----------------------------------------------------------------------------------

RestApi::RestApi(store::Store& store, store::AdminStore& admin_store, const Clock& clock,
                 RestApiOptions options)
    : impl_(std::make_unique<Impl>(store, admin_store, clock, std::move(options))) {}

RestApi::~RestApi() = default;

void RestApi::install(Router& router) const {
  if (impl_->chat_attachments() != nullptr) {
    // Uploads only; every other path keeps the server's small default body limit.
    router.add_body_limit("/api/v1/chat/conversations/", "/attachments",
                          impl_->chat_attachments()->options().max_bytes);
  }
  if (impl_->greeting_uploads()) {
    router.add_body_limit("/api/v1/tenants/", "/greeting", impl_->max_greeting_bytes());
  }
  // SQLite and argon2id block: never on the loops that carry SIP and RTP.
  router.add_prefix(
      std::string(kPrefix), [this](const Request& request) { return handle(request); },
      Execution::kOffLoop);
  router.add_exact(
      "/api/v1", [this](const Request& request) { return handle(request); }, Execution::kOffLoop);
}

Response RestApi::handle(const Request& request) const {
  return impl_->handle(request);
}

std::vector<RouteInfo> RestApi::routes() {
  std::vector<RouteInfo> out;
  for (const Route& route : kRoutes) out.push_back({route.method, route.path});
  return out;
}

}  // namespace parley::http::api
