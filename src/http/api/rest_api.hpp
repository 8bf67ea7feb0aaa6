#pragma once
// The REST API under /api/v1 (docs/api.md; OpenAPI document at /api/v1/openapi.json): sign-in
// with session cookies and CSRF tokens, bearer API tokens, tenants, extensions, the directory,
// live registrations, live calls, call records (JSON pages and CSV), status, ring groups and the
// extensions' forwarding and do-not-disturb, conference rooms, call queues, and call recordings
// (list, and the audio with byte ranges).
//
// Roles: a system admin sees everything; a tenant admin (an admin account with a tenant, or an
// API token) only its own tenant, and another tenant's resources answer 404 exactly as missing
// ones do, so names do not leak; a user (an extension signed in with its SIP password) sees only
// the directory of its tenant and its own calls.
//
// Errors are RFC 9457 problem documents; a "field" member names the input at fault. Every
// change is one store transaction; after a tenant or extension change the `directory_changed`
// hook runs before the answer leaves, so the registrar already knows the change.
//
// Thread-safety: after construction handle() may be called from every HTTP worker at once; the
// store, the throttle and the hooks must be thread-safe (SqliteStore, sip::AuthThrottle and the
// PbxCore hooks are). Handlers block on the store and on argon2id (login only).
// Ownership: borrows the stores and the clock, which must outlive it.

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.hpp"
#include "base/result.hpp"
#include "http/message.hpp"
#include "http/router.hpp"
#include "sip/auth_throttle.hpp"
#include "store/admin_store.hpp"
#include "store/call_feature_store.hpp"
#include "store/call_queue_store.hpp"
#include "store/conference_store.hpp"
#include "store/device_store.hpp"
#include "store/ivr_store.hpp"
#include "store/recording_store.hpp"
#include "store/store.hpp"
#include "store/voicemail_store.hpp"

namespace parley::chat {
class ChatAttachments;
}

namespace parley::http::api {

class ConferenceControl;  // conference_control.hpp

// A call in progress as the running server's B2BUAs report it (GET /api/v1/calls/live).
struct LiveCallInfo {
  std::string id;  // opaque, unique for the server's life
  std::string caller;
  std::string callee;
  std::string call_id;  // the caller's SIP Call-ID
  bool answered = false;
  store::UnixMillis started_ms = 0;
  std::optional<store::UnixMillis> answered_ms;
};

// What a hang-up request came to.
enum class HangUpOutcome : std::uint8_t { kEnding, kNotFound };

struct RestApiOptions {
  std::string version = "0.0.0";
  std::chrono::seconds session_ttl{std::chrono::hours(8)};
  // Sign-in failures per source address and per name (see sip/auth_throttle.hpp); a refused
  // attempt is answered 429 with Retry-After = ban_duration.
  sip::AuthThrottleOptions login_throttle = [] {
    sip::AuthThrottleOptions options;
    options.max_failures_per_ip = 10;
    options.max_failures_per_user = 10;
    options.ip_window = std::chrono::minutes(5);
    options.user_window = std::chrono::minutes(5);
    options.ban_duration = std::chrono::minutes(1);
    return options;
  }();
  // Wall clock for session expiry and token use; empty = the system clock.
  std::function<store::UnixSeconds()> wall_clock;
  // Runs after the API changed tenants or extensions (the running registrar reloads).
  std::function<void()> directory_changed;
  // Live bindings of one extension as the running server knows them; empty = read the store.
  std::function<std::vector<store::Binding>(store::TenantId, std::string_view)> live_bindings;
  // Ends one live binding now (an admin's DELETE /registrations/{id}): the running server drops
  // it from its location service and the store, as an unregistering REGISTER would. Answers
  // whether the binding was there. Empty = unregistering is not available (501).
  std::function<bool(const store::BindingKey&)> unregister;
  // Calls in progress of one tenant, oldest first; empty = none known (an API without a server).
  std::function<std::vector<LiveCallInfo>(store::TenantId)> live_calls;
  // Ends the tenant's call `id` from any thread (the owning worker sends the BYEs or CANCEL);
  // empty = hanging up is not available and DELETE /calls/live/{id} answers 501.
  std::function<HangUpOutcome(store::TenantId, std::string_view)> hang_up;
  // Chat attachments (upload and download under /api/v1/chat/); null = those routes answer 503.
  // Borrowed: must outlive the API. Its max_bytes becomes the upload route's body limit.
  chat::ChatAttachments* chat_attachments = nullptr;
  // Forwarding, do-not-disturb and ring groups (/tenants/{domain}/ring-groups, the extensions'
  // call-features and forwards); null = those routes answer 503. Borrowed, thread-safe.
  store::CallFeatureStore* call_features = nullptr;
  // Conference rooms (/tenants/{domain}/conference-rooms); null = those routes answer 503.
  store::ConferenceStore* conference_rooms = nullptr;
  // The people in the running rooms (/conference-rooms/{number}/participants); null = those
  // routes answer 503. Borrowed, thread-safe.
  ConferenceControl* conference_control = nullptr;
  // Devices assigned to extensions (/tenants/{domain}/devices); null = those routes answer 503.
  store::DeviceStore* devices = nullptr;
  // Call queues (/tenants/{domain}/queues); null = those routes answer 503.
  store::CallQueueStore* call_queues = nullptr;
  // Call recordings (/tenants/{domain}/recordings and their audio); null or an empty folder =
  // those routes answer 503. A file is served only when it resolves to one inside
  // recordings_dir (<data>/recordings).
  store::RecordingStore* recordings = nullptr;
  std::filesystem::path recordings_dir;
  // IVR menus and schedules (/tenants/{domain}/ivrs, /schedules); null = those routes answer
  // 503. A schedule's time zone must be a file under zoneinfo_dir.
  store::IvrStore* ivr = nullptr;
  std::filesystem::path zoneinfo_dir = "/usr/share/zoneinfo";
  // Voicemail boxes and their messages (/tenants/{domain}/voicemail-boxes); null or an empty
  // folder = those routes answer 503. A message's audio is served and deleted only when its
  // file resolves to one inside voicemail_dir (<data>/voicemail).
  store::VoicemailStore* voicemail = nullptr;
  std::filesystem::path voicemail_dir;
  // Writes a box's recorded greeting (mono 16-bit samples at `rate` Hz) where the voicemail
  // player reads it, atomically, and records it in the store (app/'s VoicemailService). Empty =
  // greeting uploads answer 503. Called off the loops; may block.
  std::function<Result<void>(store::TenantId, const std::string& box,
                             std::span<const std::int16_t> samples, int rate)>
      save_greeting;
  // The largest greeting upload (a WAV body); larger ones are refused with 413 before they are
  // read whole. 4 MiB holds two minutes of 16 kHz audio.
  std::size_t max_greeting_bytes = std::size_t{4} * 1024 * 1024;
};

// One method on one path template ("/api/v1/tenants/{domain}"), as the OpenAPI document lists.
struct RouteInfo {
  std::string_view method;
  std::string_view path;
};

class RestApi {
 public:
  static constexpr std::string_view kPrefix = "/api/v1/";

  RestApi(store::Store& store, store::AdminStore& admin_store, const Clock& clock,
          RestApiOptions options);
  ~RestApi();
  RestApi(const RestApi&) = delete;
  RestApi& operator=(const RestApi&) = delete;

  // Registers the API on `router` (every path under kPrefix).
  void install(Router& router) const;
  Response handle(const Request& request) const;

  // Every route the API answers, in table order: the OpenAPI test compares them with the
  // document.
  static std::vector<RouteInfo> routes();
  // The OpenAPI 3.1 document served at /api/v1/openapi.json (embedded at build time).
  static std::string_view openapi_document();

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace parley::http::api
