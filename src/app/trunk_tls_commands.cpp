#include "app/trunk_tls_commands.hpp"

#include <cstdio>
#include <filesystem>
#include <string>

#include "app/cli_leaf.hpp"
#include "app/serve.hpp"
#include "net/tls_trust_anchors.hpp"
#include "store/trunk_tls_store.hpp"

namespace parley::app {

struct TrunkTlsFlags {
  std::string data_dir = "var";
  std::string address;  // NAME@DOMAIN
  std::string ca_file;
  std::string name;
  bool off = false;
};

namespace {

void print_setting(const std::string& address, const store::TrunkClientTls* tls) {
  if (tls == nullptr) {
    std::printf("trunk %s: no client certificate required\n", address.c_str());
  } else {
    std::printf("trunk %s: client certificate required, CA %s, name %s\n", address.c_str(),
                tls->ca_file.c_str(),
                tls->expected_name.empty() ? "(any)" : tls->expected_name.c_str());
  }
}

int client_tls(const TrunkTlsFlags& flags) {
  if (flags.off && (!flags.ca_file.empty() || !flags.name.empty())) {
    return cli_fail("--off takes no --ca or --name");
  }
  if (!flags.name.empty() && flags.ca_file.empty()) return cli_fail("--name needs --ca");
  auto target = open_cli_target(flags.data_dir, flags.address, "main@example.com", "NAME@DOMAIN",
                                [](std::string_view) -> Result<void> { return {}; });
  if (!target) return cli_fail(target.error().message);
  store::sqlite::SqliteStore& db = *target->db;
  auto trunk = db.find_trunk(target->tenant.id, target->number);
  if (!trunk) return cli_fail(trunk.error().message);
  if (!*trunk) {
    return cli_fail("no trunk " + target->number + " in tenant " + target->tenant.domain);
  }
  const store::TrunkId id = (*trunk)->id;
  if (flags.off) {
    if (auto cleared = db.clear_trunk_client_tls(id); !cleared) {
      return cli_fail(cleared.error().message);
    }
    print_setting(flags.address, nullptr);
    return kExitOk;
  }
  if (!flags.ca_file.empty()) {
    // The server reads it later from its own working folder: keep the absolute path, checked
    // now so that a typo is said at once rather than logged by the server.
    std::error_code error;
    const std::filesystem::path ca = std::filesystem::absolute(flags.ca_file, error);
    if (auto anchors = net::TlsTrustAnchors::load(ca); !anchors) {
      return cli_fail(anchors.error().message);
    }
    const store::TrunkClientTls wanted{id, ca.string(), flags.name};
    if (auto set = db.set_trunk_client_tls(wanted); !set) return cli_fail(set.error().message);
    print_setting(flags.address, &wanted);
    return kExitOk;
  }
  auto all = db.list_trunk_client_tls();
  if (!all) return cli_fail(all.error().message);
  for (const store::TrunkClientTls& tls : *all) {
    if (tls.trunk_id == id) {
      print_setting(flags.address, &tls);
      return kExitOk;
    }
  }
  print_setting(flags.address, nullptr);
  return kExitOk;
}

}  // namespace

TrunkTlsCommands::~TrunkTlsCommands() = default;

TrunkTlsCommands::TrunkTlsCommands(CLI::App& app) : flags_(std::make_unique<TrunkTlsFlags>()) {
  CLI::App* trunk = app.get_subcommand("trunk");
  CLI::App* command =
      leaf(*trunk, "client-tls",
           "Require the provider's client certificate on its TLS connections (mutual TLS), show "
           "or turn off the requirement",
           *flags_, &exit_code_, &ran_, client_tls);
  command->add_option("ADDRESS", flags_->address, "NAME@DOMAIN")->required();
  command->add_option("--ca", flags_->ca_file, "PEM file of the CA(s) the certificate must lead to")
      ->type_name("FILE");
  command->add_option("--name", flags_->name,
                      "A DNS or URI subjectAltName (or common name) the certificate must carry");
  command->add_flag("--off", flags_->off, "No client certificate required any more");
}

}  // namespace parley::app
