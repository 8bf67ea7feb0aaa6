#include "app/web_api.hpp"

#include "app/pbx_core.hpp"
#include "app/serve.hpp"

namespace parley::app {

WebApi::WebApi(std::unique_ptr<store::sqlite::SqliteStore> store, PbxCore& core)
    : store_(std::move(store)) {
  http::api::RestApiOptions options;
  options.version = std::string(version());
  options.directory_changed = [&core] { core.reload_directory(); };
  options.live_bindings = [&core](store::TenantId tenant, std::string_view number) {
    return core.location().lookup(tenant, number);
  };
  api_ = std::make_unique<http::api::RestApi>(*store_, *store_, clock_, std::move(options));
}

WebApi::~WebApi() = default;

Result<std::unique_ptr<WebApi>> WebApi::open(const std::filesystem::path& data_dir, PbxCore& core,
                                             http::Router& router) {
  store::sqlite::SqliteStoreOptions options;
  options.data_dir = data_dir;
  options.create_if_missing = false;  // PbxCore made it
  auto store = store::sqlite::SqliteStore::open(options);
  if (!store) return store.error();
  auto api = std::make_unique<WebApi>(std::move(store).value(), core);
  api->api_->install(router);
  return api;
}

}  // namespace parley::app
