#pragma once
// Wires the REST API (http/api) into `parley serve`: its own connection to the data folder's
// database (so a long CSV export never holds the SIP side's store lock), the PbxCore hooks that
// make API changes reach the running registrar before the answer leaves, and the live bindings
// from the location table.
//
// Lifetime: create after PbxCore and before HttpServer::listen; destroy after the server (the
// router keeps a reference to the API).

#include <filesystem>
#include <memory>

#include "base/clock.hpp"
#include "base/result.hpp"
#include "http/api/rest_api.hpp"
#include "http/router.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace parley::app {

class PbxCore;

class WebApi {
 public:
  // Opens the database in `data_dir` and installs the API on `router`.
  static Result<std::unique_ptr<WebApi>> open(const std::filesystem::path& data_dir, PbxCore& core,
                                              http::Router& router);
  ~WebApi();
  WebApi(const WebApi&) = delete;
  WebApi& operator=(const WebApi&) = delete;

  WebApi(std::unique_ptr<store::sqlite::SqliteStore> store, PbxCore& core);

 private:
  SteadyClock clock_;
  std::unique_ptr<store::sqlite::SqliteStore> store_;
  std::unique_ptr<http::api::RestApi> api_;
};

}  // namespace parley::app
