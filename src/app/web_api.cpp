#include "app/web_api.hpp"

#include "app/pbx_core.hpp"
#include "app/serve.hpp"
#include "app/sip_service.hpp"
#include "app/voicemail_service.hpp"
#include "sip/location_table.hpp"

namespace parley::app {

WebApi::WebApi(std::unique_ptr<store::sqlite::SqliteStore> store, PbxCore& core, SipService& sip,
               chat::ChatAttachments* chat_attachments, http::api::ConferenceControl* conferences,
               VoicemailService* voicemail)
    : store_(std::move(store)) {
  http::api::RestApiOptions options;
  options.conference_control = conferences;
  options.chat_attachments = chat_attachments;
  options.call_features = store_.get();
  options.conference_rooms = store_.get();
  options.call_queues = store_.get();
  options.recordings = store_.get();
  options.devices = store_.get();
  // Where serve.cpp's RecordingWriter puts the files: <data>/recordings.
  std::error_code absolute_error;
  options.recordings_dir =
      std::filesystem::absolute(store_->path().parent_path(), absolute_error) / "recordings";
  options.ivr = store_.get();
  options.voicemail = store_.get();
  // Where VoicemailService keeps the messages: <data>/voicemail.
  options.voicemail_dir =
      std::filesystem::absolute(store_->path().parent_path(), absolute_error) / "voicemail";
  if (voicemail != nullptr) {
    options.save_greeting = [voicemail](store::TenantId tenant, const std::string& box,
                                        std::span<const std::int16_t> samples, int rate) {
      return voicemail->save_greeting(tenant, box, samples, rate);
    };
  }
  options.version = std::string(version());
  options.directory_changed = [&core] { core.reload_directory(); };
  options.live_bindings = [&core](store::TenantId tenant, std::string_view number) {
    return core.location().lookup(tenant, number);
  };
  options.live_calls = [&core](store::TenantId tenant) {
    std::vector<http::api::LiveCallInfo> out;
    for (LiveCall& call : core.live_calls().list(tenant)) {
      out.push_back({.id = std::move(call.id),
                     .caller = std::move(call.caller),
                     .callee = std::move(call.callee),
                     .call_id = std::move(call.call_id),
                     .answered = call.answered,
                     .started_ms = call.started_ms,
                     .answered_ms = call.answered_ms});
    }
    return out;
  };
  // An admin ending a registration makes the change an unregistering REGISTER would (expires 0
  // for that binding), under a Call-ID of its own so that it is never out of order with the
  // phone's; the location table queues the store's removal.
  options.unregister = [&core](const store::BindingKey& key) {
    sip::RegistrationChange change;
    change.tenant_id = key.tenant_id;
    change.extension = key.extension;
    change.call_id = "parley-api-unregister";
    change.cseq = 1;
    sip::ContactChange contact;
    contact.binding.tenant_id = key.tenant_id;
    contact.binding.extension = key.extension;
    contact.binding.contact_uri = key.contact_uri;
    contact.binding.instance = key.instance;
    contact.binding.reg_id = key.reg_id;
    contact.remove = true;
    change.contacts.push_back(std::move(contact));
    return !core.location().apply(change).refusal.has_value();
  };
  // The id is our tag on the caller's leg; the caller's Call-ID names the worker that owns the
  // call. The answer does not wait for that worker: the call leaves LiveCalls when its B2BUA
  // reports it over, and one that ended in between is simply not found there.
  options.hang_up = [&core, &sip](store::TenantId tenant, std::string_view id) {
    auto call = core.live_calls().find(tenant, id);
    if (!call) return http::api::HangUpOutcome::kNotFound;
    sip.end_call(std::move(call->call_id), std::move(call->id));
    return http::api::HangUpOutcome::kEnding;
  };
  api_ = std::make_unique<http::api::RestApi>(*store_, *store_, clock_, std::move(options));
}

WebApi::~WebApi() = default;

Result<std::unique_ptr<WebApi>> WebApi::open(const std::filesystem::path& data_dir, PbxCore& core,
                                             SipService& sip, http::Router& router,
                                             chat::ChatAttachments* chat_attachments,
                                             http::api::ConferenceControl* conferences,
                                             VoicemailService* voicemail) {
  store::sqlite::SqliteStoreOptions options;
  options.data_dir = data_dir;
  options.create_if_missing = false;  // PbxCore made it
  auto store = store::sqlite::SqliteStore::open(options);
  if (!store) return store.error();
  auto api = std::make_unique<WebApi>(std::move(store).value(), core, sip, chat_attachments,
                                      conferences, voicemail);
  api->api_->install(router);
  return api;
}

}  // namespace parley::app
