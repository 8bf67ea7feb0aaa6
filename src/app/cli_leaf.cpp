#include "app/cli_leaf.hpp"

#include <cstdio>
#include <utility>

#include "app/serve.hpp"
#include "store/validation.hpp"

namespace parley::app {

int cli_fail(const std::string& message) {
  std::fprintf(stderr, "parley: %s\n", message.c_str());
  return kExitRuntimeError;
}

Result<std::unique_ptr<store::sqlite::SqliteStore>> open_cli_store(const std::string& data_dir) {
  store::sqlite::SqliteStoreOptions options;
  options.data_dir = data_dir;
  return store::sqlite::SqliteStore::open(options);
}

Result<CliTarget> open_cli_target(const std::string& data_dir, const std::string& address,
                                  std::string_view example) {
  return open_cli_target(data_dir, address, example, "NUMBER@DOMAIN",
                         store::check_extension_number);
}

Result<CliTarget> open_cli_target(const std::string& data_dir, const std::string& address,
                                  std::string_view example, std::string_view form,
                                  CliAddressCheck check) {
  const auto at = address.find('@');
  if (at == std::string::npos || at == 0 || at + 1 == address.size()) {
    return make_error(kExitRuntimeError, "'" + address + "' is not " + std::string(form) +
                                             " (e.g. " + std::string(example) + ")");
  }
  std::string number = address.substr(0, at);
  if (auto valid = check(number); !valid) return valid.error();
  auto db = open_cli_store(data_dir);
  if (!db) return db.error();
  auto tenant = (*db)->get_tenant_by_domain(address.substr(at + 1));
  if (!tenant) return tenant.error();
  return CliTarget{std::move(db).value(), std::move(tenant).value(), std::move(number)};
}

Result<std::vector<store::Tenant>> cli_tenants(store::sqlite::SqliteStore& db,
                                               const std::string& domain) {
  if (domain.empty()) return db.list_tenants();
  auto tenant = db.get_tenant_by_domain(domain);
  if (!tenant) return tenant.error();
  return std::vector<store::Tenant>{std::move(tenant).value()};
}

}  // namespace parley::app
