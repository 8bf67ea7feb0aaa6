#pragma once
// Wires the REST API (http/api) into `parley serve`: its own connection to the data folder's
// database (so a long CSV export never holds the SIP side's store lock), the PbxCore hooks that
// make API changes reach the running registrar before the answer leaves, the live bindings
// from the location table, the live calls from LiveCalls, and hanging one up through the
// SipService (posted to the worker that owns the call).
//
// Lifetime: create after PbxCore and the SipService and before HttpServer::listen; destroy
// after the server (the router keeps a reference to the API) and before the SipService.

#include <filesystem>
#include <memory>

#include "base/clock.hpp"
#include "base/result.hpp"
#include "http/api/rest_api.hpp"
#include "http/router.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace parley::chat {
class ChatAttachments;
}

namespace parley::app {

class PbxCore;
class SipService;
class VoicemailService;

class WebApi {
 public:
  // Opens the database in `data_dir` and installs the API on `router`.
  // `chat_attachments` (may be null) carries the chat file routes; it must outlive the API.
  // `conferences` (may be null: no media) steers the running conference rooms; the same.
  // `voicemail` (may be null: no media) writes greetings uploaded over the API; the same.
  static Result<std::unique_ptr<WebApi>> open(const std::filesystem::path& data_dir, PbxCore& core,
                                              SipService& sip, http::Router& router,
                                              chat::ChatAttachments* chat_attachments = nullptr,
                                              http::api::ConferenceControl* conferences = nullptr,
                                              VoicemailService* voicemail = nullptr);
  ~WebApi();
  WebApi(const WebApi&) = delete;
  WebApi& operator=(const WebApi&) = delete;

  WebApi(std::unique_ptr<store::sqlite::SqliteStore> store, PbxCore& core, SipService& sip,
         chat::ChatAttachments* chat_attachments = nullptr,
         http::api::ConferenceControl* conferences = nullptr,
         VoicemailService* voicemail = nullptr);

 private:
  SteadyClock clock_;
  std::unique_ptr<store::sqlite::SqliteStore> store_;
  std::unique_ptr<http::api::RestApi> api_;
};

}  // namespace parley::app
