// Voicemail boxes over the API (issue 9, on top of the voicemail of issue 7, decisions 0021 and
// 0029): each extension's box with its settings and counts, its messages, their audio with byte
// ranges, marking heard, and deleting.
//
// Admins of the tenant see every box; a user (an extension signed in) sees only their own box:
// any other answers 403. Box settings (on/off, message limit) are an admin's; the PIN of the
// voicemail menu may be reset by an admin or set by the box's owner, and is stored only as an
// argon2id hash (write-only here, as in the CLI). A message's file is read and deleted only
// when it resolves to one inside the voicemail folder. Every change moves the store's change
// counter, so the running server's message-waiting lights follow within a second.

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <filesystem>

#include "http/api/api_impl.hpp"
#include "http/api/audio_file.hpp"
#include "http/api/credentials.hpp"
#include "store/voicemail_store.hpp"

namespace parley::http::api {

namespace {

constexpr std::size_t kDefaultPage = 100;
constexpr std::size_t kMaxPage = 1000;
constexpr std::size_t kMinPinDigits = 4;
constexpr std::size_t kMaxPinDigits = 12;  // pbx::kMaxPinDigits, what the menu accepts
constexpr std::string_view kResources = "voicemail boxes";

std::string messages_path(const store::Tenant& tenant, std::string_view box) {
  return "/api/v1/tenants/" + tenant.domain + "/voicemail-boxes/" + std::string(box) + "/messages";
}

nlohmann::json box_json(const store::Extension& extension, const store::VoicemailSettings& settings,
                        const store::VoicemailCounts& counts) {
  return {{"box", extension.number},
          {"display_name", extension.display_name},
          {"enabled", settings.enabled},
          {"has_pin", !settings.pin_hash.empty()},
          {"has_greeting", !settings.greeting_path.empty()},
          {"max_messages", settings.max_messages},
          {"new_messages", counts.new_messages},
          {"saved_messages", counts.saved_messages}};
}

nlohmann::json message_json(const store::Tenant& tenant, const store::VoicemailMessage& message) {
  return {{"id", message.id},
          {"caller", message.caller},
          {"received_ms", message.received_at},
          {"duration_ms", message.duration_ms},
          {"size_bytes", message.size_bytes},
          {"state", std::string(store::to_text(message.state))},
          {"audio_url",
           messages_path(tenant, message.box) + "/" + std::to_string(message.id) + "/audio"}};
}

std::optional<store::VoicemailId> message_id(std::string_view text) {
  store::VoicemailId value = 0;
  if (text.empty() || text.size() > 18) return std::nullopt;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value <= 0) return std::nullopt;
  return value;
}

std::optional<Response> check_pin(std::string_view pin) {
  const bool digits =
      std::all_of(pin.begin(), pin.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (pin.empty() || (digits && pin.size() >= kMinPinDigits && pin.size() <= kMaxPinDigits)) {
    return std::nullopt;
  }
  return problem(400, "a PIN is 4 to 12 digits (empty removes it)", "pin");
}

// The box's document: its extension, settings and counts.
Result<nlohmann::json> read_box(store::VoicemailStore& voicemail,
                                const store::Extension& extension) {
  auto settings = voicemail.get_voicemail_settings(extension.tenant_id, extension.number);
  if (!settings) return settings.error();
  auto counts = voicemail.count_voicemail(extension.tenant_id, extension.number);
  if (!counts) return counts.error();
  return box_json(extension, *settings, *counts);
}

}  // namespace

std::optional<store::Tenant> RestApi::Impl::voicemail_tenant(const Call& call,
                                                             Response& failure) const {
  auto tenant = resource_tenant(call, options_.voicemail, kResources, failure);
  if (!tenant) return std::nullopt;
  // The boxes list has no box: users never reach it (the route is for admins).
  if (call.params.size() > 1) {
    if (auto refused = own_extension_only(call, call.params[1])) {
      failure = std::move(*refused);
      return std::nullopt;
    }
  }
  return tenant;
}

Response RestApi::Impl::list_voicemail_boxes(const Call& call) const {
  Response failure;
  const auto tenant = voicemail_tenant(call, failure);
  if (!tenant) return failure;
  const auto page = read_page(call.request, kDefaultPage, kMaxPage, failure);
  if (!page) return failure;
  auto extensions = store_.list_extensions(tenant->id);
  if (!extensions) return store_problem(extensions.error());
  std::optional<Error> failed;
  nlohmann::json document = page_by_number(*extensions, *page, [&](const store::Extension& e) {
    auto box = read_box(*options_.voicemail, e);
    if (!box) {
      failed = box.error();
      return nlohmann::json();
    }
    return std::move(box).value();
  });
  if (failed) return store_problem(*failed);
  return json_response(200, document);
}

Response RestApi::Impl::get_voicemail_box(const Call& call) const {
  Response failure;
  const auto tenant = voicemail_tenant(call, failure);
  if (!tenant) return failure;
  auto extension = store_.get_extension(tenant->id, call.params[1]);
  if (!extension) return not_in_tenant("voicemail box", call.params[1], *tenant);
  auto box = read_box(*options_.voicemail, *extension);
  if (!box) return store_problem(box.error());
  return json_response(200, *box);
}

Response RestApi::Impl::patch_voicemail_box(const Call& call) const {
  static constexpr std::array<std::string_view, 3> kFields{"enabled", "max_messages", "pin"};
  Response failure;
  const auto tenant = voicemail_tenant(call, failure);
  if (!tenant) return failure;
  auto body = read_body(call.request, kFields, failure);
  if (!body) return failure;
  BodyError error;
  const auto enabled = body->boolean("enabled", error);
  const auto limit = body->integer("max_messages", 1, store::kMaxVoicemailMaxMessages, error);
  const auto pin = body->string("pin", error);
  if (!error.detail.empty()) return body_problem(error);
  if (call.principal->role == Role::kUser && (enabled || limit)) {
    return problem(403, "only an admin may switch a box or change its message limit",
                   enabled ? "enabled" : "max_messages");
  }
  if (pin) {
    if (auto refused = check_pin(*pin)) return *refused;
  }
  auto extension = store_.get_extension(tenant->id, call.params[1]);
  if (!extension) return not_in_tenant("voicemail box", call.params[1], *tenant);
  std::string pin_hash;
  if (pin && !pin->empty()) {
    auto hashed = hash_password(*pin);
    if (!hashed) return problem(500, "hashing the PIN failed; the server log has the details");
    pin_hash = std::move(hashed).value();
  }
  // Each setting is its own store write: check everything above first, so that only a failing
  // database can leave a request half applied (and then the answer says so).
  store::VoicemailStore& voicemail = *options_.voicemail;
  if (enabled) {
    if (auto set = voicemail.set_voicemail_enabled(tenant->id, extension->number, *enabled); !set) {
      return store_problem(set.error());
    }
  }
  if (limit) {
    if (auto set = voicemail.set_voicemail_max_messages(tenant->id, extension->number,
                                                        static_cast<std::uint32_t>(*limit));
        !set) {
      return write_refused(set.error(), "max_messages");
    }
  }
  if (pin) {
    if (auto set = voicemail.set_voicemail_pin_hash(tenant->id, extension->number, pin_hash);
        !set) {
      return store_problem(set.error());
    }
  }
  directory_changed();
  auto box = read_box(voicemail, *extension);
  if (!box) return store_problem(box.error());
  return json_response(200, *box);
}

std::optional<store::VoicemailMessage> RestApi::Impl::find_voicemail(const store::Tenant& tenant,
                                                                     const Call& call,
                                                                     Response& failure) const {
  const auto id = message_id(call.params[2]);
  auto messages =
      id ? options_.voicemail->list_voicemail(tenant.id, call.params[1], store::kMaxVoicemailPage)
         : Result<std::vector<store::VoicemailMessage>>(std::vector<store::VoicemailMessage>{});
  if (!messages) {
    failure = store::is_error(messages.error(), store::StoreError::kNotFound) ||
                      store::is_error(messages.error(), store::StoreError::kInvalidInput)
                  ? not_in_tenant("voicemail box", call.params[1], tenant)
                  : store_problem(messages.error());
    return std::nullopt;
  }
  for (store::VoicemailMessage& message : *messages) {
    if (message.id == id) return std::move(message);
  }
  failure = problem(404, "voicemail box " + call.params[1].substr(0, 40) + " has no message " +
                             call.params[2].substr(0, 20));
  return std::nullopt;
}

Response RestApi::Impl::list_voicemail_messages(const Call& call) const {
  Response failure;
  const auto tenant = voicemail_tenant(call, failure);
  if (!tenant) return failure;
  const auto page = read_page(call.request, kDefaultPage, store::kMaxVoicemailPage, failure);
  if (!page) return failure;
  if (!page->cursor.empty()) {
    return problem(400, "messages are listed newest first without a cursor; use limit", "cursor");
  }
  if (auto extension = store_.get_extension(tenant->id, call.params[1]); !extension) {
    return not_in_tenant("voicemail box", call.params[1], *tenant);
  }
  auto messages = options_.voicemail->list_voicemail(tenant->id, call.params[1], page->limit);
  if (!messages) return store_problem(messages.error());
  nlohmann::json items = nlohmann::json::array();
  for (const store::VoicemailMessage& message : *messages) {
    items.push_back(message_json(*tenant, message));
  }
  return json_response(200, {{"items", items}, {"next_cursor", nullptr}});
}

Response RestApi::Impl::patch_voicemail_message(const Call& call) const {
  static constexpr std::array<std::string_view, 1> kFields{"state"};
  Response failure;
  const auto tenant = voicemail_tenant(call, failure);
  if (!tenant) return failure;
  auto body = read_body(call.request, kFields, failure);
  if (!body) return failure;
  BodyError error;
  const auto state_text = body->string("state", error);
  if (!error.detail.empty()) return body_problem(error);
  if (!state_text) return problem(400, "state is required", "state");
  const auto state = store::parse_voicemail_state(*state_text);
  if (!state) return problem(400, "state is new or saved", "state");
  auto message = find_voicemail(*tenant, call, failure);
  if (!message) return failure;
  if (auto set =
          options_.voicemail->set_voicemail_state(tenant->id, message->box, message->id, *state);
      !set) {
    return store_problem(set.error());
  }
  message->state = *state;
  return json_response(200, message_json(*tenant, *message));
}

Response RestApi::Impl::delete_voicemail_message(const Call& call) const {
  Response failure;
  const auto tenant = voicemail_tenant(call, failure);
  if (!tenant) return failure;
  auto message = find_voicemail(*tenant, call, failure);
  if (!message) return failure;
  auto removed = options_.voicemail->remove_voicemail(tenant->id, message->box, message->id);
  if (!removed) return store_problem(removed.error());
  // The row is gone (what every reader sees); the file goes after it, and only from inside the
  // voicemail folder. A file left behind is logged, never an error to the caller.
  std::error_code error;
  const auto root = std::filesystem::canonical(options_.voicemail_dir, error);
  const auto file =
      error ? std::filesystem::path() : std::filesystem::canonical(removed->path, error);
  const auto [root_end, file_at] =
      std::mismatch(root.begin(), root.end(), file.begin(), file.end());
  if (!error && root_end == root.end() && file_at != file.end()) {
    std::filesystem::remove(file, error);
  }
  if (error)
    spdlog::warn("api: voicemail file {} was not removed: {}", removed->path, error.message());
  return no_content();
}

Response RestApi::Impl::voicemail_audio(const Call& call) const {
  Response failure;
  const auto tenant = voicemail_tenant(call, failure);
  if (!tenant) return failure;
  if (options_.voicemail_dir.empty()) return resources_unavailable(kResources);
  auto message = find_voicemail(*tenant, call, failure);
  if (!message) return failure;
  auto answer = serve_audio_file(
      call.request, {options_.voicemail_dir, message->path,
                     "voicemail-" + message->box + "-" + std::to_string(message->id) + ".wav"});
  if (!answer) {
    return problem(404,
                   "the audio of voicemail message " + std::to_string(message->id) + " is missing");
  }
  return std::move(answer).value();
}

}  // namespace parley::http::api
