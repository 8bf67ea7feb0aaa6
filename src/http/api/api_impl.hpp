#pragma once
// Internals of RestApi shared by its .cpp files: who is asking (Principal), the route table, and
// the handlers, one member function per method and path. Not a public header.

#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "chat/chat_service.hpp"
#include "http/api/conference_control.hpp"
#include "http/api/json_body.hpp"
#include "http/api/rest_api.hpp"

namespace parley::http::api {

enum class Role : std::uint8_t { kSystemAdmin, kTenantAdmin, kUser };
std::string_view to_text(Role role);  // "system_admin", "tenant_admin", "user"

// The signed-in party of one request.
struct Principal {
  Role role = Role::kUser;
  std::string username;  // admin name, "1001@example.com", or "token:NAME"
  std::optional<store::TenantId> tenant_id;
  std::string tenant_domain;
  std::string extension;  // users only
  bool via_cookie = false;
  std::string session_digest;  // cookie sessions
  std::string csrf_token;      // cookie sessions
};

// Who may call a route. Checked after authentication; tenant scope is checked by the handler.
enum class Access : std::uint8_t { kPublic, kSignedIn, kAdmin, kSystemAdmin };

// One request as a handler sees it: the path's {parameters} in order, and the principal (null
// on public routes).
struct Call {
  const Request& request;
  const Principal* principal;
  std::vector<std::string> params;
};

class RestApi::Impl {
 public:
  Impl(store::Store& store, store::AdminStore& admin_store, const Clock& clock,
       RestApiOptions options);

  Response handle(const Request& request) const;

  // --- sessions (session_routes.cpp) ---
  Response login(const Call& call) const;
  Response whoami(const Call& call) const;
  Response logout(const Call& call) const;
  // Bearer token or session cookie; nullopt with `failure` set when neither is valid.
  std::optional<Principal> authenticate(const Request& request, Response& failure) const;

  // --- tenants, extensions, directory, registrations (tenant_routes.cpp) ---
  Response list_tenants(const Call& call) const;
  Response create_tenant(const Call& call) const;
  Response get_tenant(const Call& call) const;
  Response patch_tenant(const Call& call) const;
  Response delete_tenant(const Call& call) const;
  Response list_extensions(const Call& call) const;
  Response create_extension(const Call& call) const;
  Response get_extension(const Call& call) const;
  Response patch_extension(const Call& call) const;
  Response delete_extension(const Call& call) const;
  Response directory(const Call& call) const;
  Response registrations(const Call& call) const;

  // --- devices and live registrations (device_routes.cpp) ---
  Response list_devices(const Call& call) const;
  Response create_device(const Call& call) const;
  Response get_device(const Call& call) const;
  Response patch_device(const Call& call) const;
  Response delete_device(const Call& call) const;
  Response unregister(const Call& call) const;
  // The tenant's device whose id is `id_text`; nullopt with `failure` set (404 when none).
  std::optional<store::Device> find_device(const store::Tenant& tenant, std::string_view id_text,
                                           Response& failure) const;
  // One device as the API shows it, with the live registrations it matches; nullopt with
  // `failure` set.
  std::optional<nlohmann::json> device_document(const store::Tenant& tenant,
                                                const store::Device& device,
                                                Response& failure) const;
  // Every unexpired binding of the tenant's extensions, by extension, as the running server
  // knows them (or the store without one); nullopt with `failure` set.
  std::optional<std::vector<store::Binding>> live_bindings_of(const store::Tenant& tenant,
                                                              store::UnixSeconds at,
                                                              Response& failure) const;

  // --- ring groups, forwarding, do-not-disturb (call_feature_routes.cpp) ---
  Response list_ring_groups(const Call& call) const;
  Response create_ring_group(const Call& call) const;
  Response get_ring_group(const Call& call) const;
  Response patch_ring_group(const Call& call) const;
  Response delete_ring_group(const Call& call) const;
  Response get_call_features(const Call& call) const;
  Response patch_call_features(const Call& call) const;
  Response put_forward(const Call& call) const;
  Response delete_forward(const Call& call) const;

  // --- conference rooms (conference_routes.cpp) ---
  Response list_conference_rooms(const Call& call) const;
  Response create_conference_room(const Call& call) const;
  Response get_conference_room(const Call& call) const;
  Response patch_conference_room(const Call& call) const;
  Response delete_conference_room(const Call& call) const;
  Response list_conference_participants(const Call& call) const;
  Response mute_conference_participant(const Call& call) const;
  Response unmute_conference_participant(const Call& call) const;
  Response remove_conference_participant(const Call& call) const;

  // --- call queues (call_queue_routes.cpp) ---
  Response list_call_queues(const Call& call) const;
  Response create_call_queue(const Call& call) const;
  Response get_call_queue(const Call& call) const;
  Response patch_call_queue(const Call& call) const;
  Response delete_call_queue(const Call& call) const;

  // --- IVR menus and schedules (ivr_routes.cpp) ---
  Response list_ivr_menus(const Call& call) const;
  Response create_ivr_menu(const Call& call) const;
  Response get_ivr_menu(const Call& call) const;
  Response patch_ivr_menu(const Call& call) const;
  Response delete_ivr_menu(const Call& call) const;
  Response list_schedules(const Call& call) const;
  Response create_schedule(const Call& call) const;
  Response get_schedule(const Call& call) const;
  Response patch_schedule(const Call& call) const;
  Response delete_schedule(const Call& call) const;

  // --- voicemail boxes and messages (voicemail_routes.cpp) ---
  Response list_voicemail_boxes(const Call& call) const;
  Response get_voicemail_box(const Call& call) const;
  Response patch_voicemail_box(const Call& call) const;
  Response list_voicemail_messages(const Call& call) const;
  Response patch_voicemail_message(const Call& call) const;
  Response delete_voicemail_message(const Call& call) const;
  Response voicemail_audio(const Call& call) const;
  // A box's recorded greeting uploaded as WAV, and back to the default (greeting_routes.cpp).
  Response put_voicemail_greeting(const Call& call) const;
  Response delete_voicemail_greeting(const Call& call) const;
  std::size_t max_greeting_bytes() const { return options_.max_greeting_bytes; }
  bool greeting_uploads() const { return static_cast<bool>(options_.save_greeting); }

  // --- call recordings (recording_routes.cpp) ---
  Response list_recordings(const Call& call) const;
  Response recording_audio(const Call& call) const;

  // --- call records and status (report_routes.cpp) ---
  Response tenant_call_records(const Call& call) const;
  Response my_call_records(const Call& call) const;
  Response status(const Call& call) const;

  // --- live calls (live_routes.cpp) ---
  Response live_calls(const Call& call) const;
  Response hang_up(const Call& call) const;
  Response openapi(const Call& call) const;

  // --- chat attachments (chat_routes.cpp) ---
  Response upload_chat_attachment(const Call& call) const;
  Response download_chat_attachment(const Call& call) const;
  // The extension user of a chat request; nullopt with `failure` set for admins and when chat
  // is not running.
  std::optional<chat::ChatUser> chat_user(const Call& call, Response& failure) const;

  // The tenant `domain` as `principal` may see it: another tenant's answer is the same 404 as a
  // missing tenant's. `failure` is set when nullopt.
  std::optional<store::Tenant> visible_tenant(const Principal& principal, std::string_view domain,
                                              Response& failure) const;
  // visible_tenant() of call.params[0], when `backend` (the resource's store) is wired in: else
  // nullopt with `failure` a 503 naming `resources`.
  std::optional<store::Tenant> resource_tenant(const Call& call, const void* backend,
                                               std::string_view resources, Response& failure) const;
  store::UnixSeconds now() const;
  void directory_changed() const;
  chat::ChatAttachments* chat_attachments() const { return options_.chat_attachments; }

 private:
  Response call_records(const Call& call, const store::Tenant& tenant,
                        const std::string& own_extension) const;
  std::optional<std::vector<store::Tenant>> live_scope(const Call& call, Response& failure) const;
  // The tenant's queue `number`; nullopt with `failure` set (404 when there is none).
  std::optional<store::CallQueueConfig> find_call_queue(const store::Tenant& tenant,
                                                        std::string_view number,
                                                        Response& failure) const;
  // The room of a participants route (params: domain, number) as its caller may steer it: a
  // tenant admin any room of the tenant, an extension user one it moderates now; nullopt with
  // `failure` set otherwise (404 as for a missing room, 503 without a running server).
  struct SteeredRoom {
    store::Tenant tenant;
    std::string number;
    std::vector<ConferenceParticipant> participants;
  };
  std::optional<SteeredRoom> steered_room(const Call& call, Response& failure) const;
  Response set_participant_muted(const Call& call, bool muted) const;
  // Saves `menu` and replaces its options by `options` (nullopt keeps them), all or nothing:
  // should a later step fail, `before` (nullopt: the menu did not exist) is written back.
  std::optional<Response> save_menu_with_options(
      const store::IvrMenu& menu, const std::optional<std::vector<store::IvrOption>>& options,
      const std::optional<store::IvrMenu>& before) const;
  // resource_tenant() for the voicemail routes, where a user reaches only their own box
  // (params[1]); nullopt with `failure` set.
  std::optional<store::Tenant> voicemail_tenant(const Call& call, Response& failure) const;
  // The voicemail message `id` of the box (params[1]); nullopt with `failure` set.
  std::optional<store::VoicemailMessage> find_voicemail(const store::Tenant& tenant,
                                                        const Call& call, Response& failure) const;
  // A 400 naming "members" unless each is an extension of the tenant, listed once.
  std::optional<Response> check_queue_members(const store::Tenant& tenant,
                                              const std::vector<std::string>& members) const;

  store::Store& store_;
  store::AdminStore& admin_store_;
  RestApiOptions options_;
  std::chrono::steady_clock::time_point started_;
  std::string dummy_hash_;  // verified against on unknown names, so they cost as much as known
  mutable sip::AuthThrottle throttle_;
};

using RouteHandler = Response (RestApi::Impl::*)(const Call&) const;

struct Route {
  std::string_view method;
  std::string_view path;  // template, "{name}" segments are parameters
  Access access;
  RouteHandler handler;
};

std::span<const Route> route_table();

// --- responses ---
// A problem document (RFC 9457) with Cache-Control: no-store; `field` names the input at fault.
Response problem(int status, std::string_view detail, std::string_view field = {});
// The problem document for a store failure: its code passes through for 400/404/409/503;
// anything else is a 500 whose detail points at the log (which gets the real message).
Response store_problem(const Error& error);
Response body_problem(const BodyError& error);
Response json_response(int status, const nlohmann::json& document);
// Parses a JSON object body after checking Content-Type; nullopt with `failure` set otherwise.
std::optional<JsonBody> read_body(const Request& request, std::span<const std::string_view> allowed,
                                  Response& failure);

// --- shared by the tenant resources' routes (resource_responses.cpp) ---
Response no_content();
// 503 "<resources> are not available on this server" (a store the server was built without).
Response resources_unavailable(std::string_view resources);
// 404 "no <what> <key> in <domain>": missing and another tenant's look the same.
Response not_in_tenant(std::string_view what, std::string_view key, const store::Tenant& tenant);
// 201 with `document` and Location /api/v1/tenants/<domain>/<collection>/<key>.
Response created(const nlohmann::json& document, const store::Tenant& tenant,
                 std::string_view collection, std::string_view key);
// A store's refusal of a write: kInvalidInput (400) and kConflict (409) beside `field`, the
// rest as store_problem.
Response write_refused(const Error& error, std::string_view field);
// The "number" (required, an extension-style number) and optional "name" (a display name) that
// every numbered resource takes; a 400 naming the input at fault, else nullopt.
std::optional<Response> check_number_and_name(const std::optional<std::string>& number,
                                              const std::optional<std::string>& name);

// The value of query parameter `name` (percent-decoded), or nullopt.
std::optional<std::string> query_param(std::string_view query, std::string_view name);

// Pagination shared by list endpoints: limit (1..max, default `fallback`) and opaque cursor.
struct Page {
  std::size_t limit = 0;
  std::string cursor;
};
std::optional<Page> read_page(const Request& request, std::size_t fallback, std::size_t max,
                              Response& failure);

// One page of `items` (sorted by key_of(item), which is the cursor) as
// {"items": [...], "next_cursor": key-or-null}; `to_json` renders one item.
template <typename Item, typename KeyOf, typename ToJson>
nlohmann::json page_by_key(const std::vector<Item>& all, const Page& page, KeyOf key_of,
                           ToJson to_json) {
  nlohmann::json items = nlohmann::json::array();
  std::string last;
  bool more = false;
  for (const Item& item : all) {
    if (!page.cursor.empty() && key_of(item) <= page.cursor) continue;
    if (items.size() == page.limit) {
      more = true;
      break;
    }
    items.push_back(to_json(item));
    last = key_of(item);
  }
  return {{"items", std::move(items)},
          {"next_cursor", more ? nlohmann::json(last) : nlohmann::json()}};
}

// page_by_key over items whose `number` is the key.
template <typename Item, typename ToJson>
nlohmann::json page_by_number(const std::vector<Item>& all, const Page& page, ToJson to_json) {
  return page_by_key(
      all, page, [](const Item& item) -> const std::string& { return item.number; }, to_json);
}

// One live binding as the registrations and devices routes show it. Its "id" (registration_id)
// names the binding for DELETE /registrations/{id}: a digest of its identity (extension,
// instance and reg-id, or contact), stable across refreshes, revealing nothing.
nlohmann::json registration_json(const store::Binding& binding, store::UnixSeconds at);
std::string registration_id(const store::Binding& binding);

// Refuses a user (extension) principal any extension but its own with 403; admins pass (their
// tenant scope is the handler's visible_tenant check).
std::optional<Response> own_extension_only(const Call& call, std::string_view number);

}  // namespace parley::http::api
