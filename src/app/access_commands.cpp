#include "app/access_commands.hpp"

#include <cstdio>
#include <optional>
#include <string>

#include "app/cli_leaf.hpp"
#include "app/serve.hpp"
#include "http/api/credentials.hpp"
#include "store/admin_store.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace parley::app {

struct AccessFlags {
  std::string data_dir = "var";
  std::string name;
  std::string tenant;
  std::string role;
  std::optional<std::string> password;
};

namespace {

constexpr std::size_t kMinAdminPasswordLength = 12;

// A request the command line got wrong: the error line with the usage exit code.
int usage_fail(const std::string& message) {
  cli_fail(message);
  return kExitUsage;
}

// The password to set: the one given (checked) or a generated one, which is then printed.
Result<std::string> chosen_password(const AccessFlags& flags) {
  if (!flags.password) return http::api::generate_password();
  if (flags.password->size() < kMinAdminPasswordLength) {
    return make_error(kExitRuntimeError, "an admin password needs at least 12 characters");
  }
  return *flags.password;
}

int admin_add(const AccessFlags& flags) {
  std::string role = flags.role;
  if (role.empty()) role = flags.tenant.empty() ? "system" : "tenant";
  if (role != "system" && role != "tenant") {
    return usage_fail("--role must be system or tenant");
  }
  if ((role == "tenant") == flags.tenant.empty()) {
    return usage_fail(role == "tenant" ? "a tenant admin needs --tenant DOMAIN"
                                       : "a system admin has no --tenant");
  }
  if (auto valid = store::check_admin_name(flags.name); !valid)
    return cli_fail(valid.error().message);
  auto password = chosen_password(flags);
  if (!password) return cli_fail(password.error().message);
  auto db = open_cli_store(flags.data_dir);
  if (!db) return cli_fail(db.error().message);
  store::NewAdminAccount admin;
  admin.name = flags.name;
  admin.role = role == "system" ? store::AdminRole::kSystemAdmin : store::AdminRole::kTenantAdmin;
  if (!flags.tenant.empty()) {
    auto tenant = (*db)->get_tenant_by_domain(flags.tenant);
    if (!tenant) return cli_fail(tenant.error().message);
    admin.tenant_id = tenant->id;
  }
  auto hash = http::api::hash_password(*password);
  if (!hash) return cli_fail(hash.error().message);
  admin.password_hash = std::move(hash).value();
  auto added = (*db)->add_admin(admin);
  if (!added) return cli_fail(added.error().message);
  std::printf("admin %s added (%s%s%s)\n", added->name.c_str(),
              std::string(store::to_text(added->role)).c_str(), flags.tenant.empty() ? "" : " of ",
              flags.tenant.c_str());
  if (!flags.password) std::printf("password: %s\n", password->c_str());
  return kExitOk;
}

int admin_list(const AccessFlags& flags) {
  auto db = open_cli_store(flags.data_dir);
  if (!db) return cli_fail(db.error().message);
  auto admins = (*db)->list_admins();
  if (!admins) return cli_fail(admins.error().message);
  for (const auto& admin : *admins) {
    std::string tenant;
    if (admin.tenant_id) {
      auto found = (*db)->get_tenant(*admin.tenant_id);
      tenant = found ? found->domain : "?";
    }
    std::printf("%s\t%s%s%s\n", admin.name.c_str(), std::string(store::to_text(admin.role)).c_str(),
                tenant.empty() ? "" : "\t", tenant.c_str());
  }
  return kExitOk;
}

int admin_passwd(const AccessFlags& flags) {
  auto password = chosen_password(flags);
  if (!password) return cli_fail(password.error().message);
  auto db = open_cli_store(flags.data_dir);
  if (!db) return cli_fail(db.error().message);
  auto hash = http::api::hash_password(*password);
  if (!hash) return cli_fail(hash.error().message);
  if (auto set = (*db)->set_admin_password_hash(flags.name, *hash); !set) {
    return cli_fail(set.error().message);
  }
  std::printf("password of admin %s changed; its sessions ended\n", flags.name.c_str());
  if (!flags.password) std::printf("password: %s\n", password->c_str());
  return kExitOk;
}

int admin_rm(const AccessFlags& flags) {
  auto db = open_cli_store(flags.data_dir);
  if (!db) return cli_fail(db.error().message);
  if (auto removed = (*db)->remove_admin(flags.name); !removed) {
    return cli_fail(removed.error().message);
  }
  std::printf("admin %s removed\n", flags.name.c_str());
  return kExitOk;
}

int token_add(const AccessFlags& flags) {
  auto db = open_cli_store(flags.data_dir);
  if (!db) return cli_fail(db.error().message);
  auto tenant = (*db)->get_tenant_by_domain(flags.tenant);
  if (!tenant) return cli_fail(tenant.error().message);
  const std::string token = http::api::new_api_token();
  auto added = (*db)->add_api_token(
      store::NewApiToken{http::api::secret_digest(token), tenant->id, flags.name});
  if (!added) return cli_fail(added.error().message);
  std::printf("token %s added for tenant %s (shown once; keep it secret)\n", added->name.c_str(),
              tenant->domain.c_str());
  std::printf("token: %s\n", token.c_str());
  return kExitOk;
}

int token_list(const AccessFlags& flags) {
  auto db = open_cli_store(flags.data_dir);
  if (!db) return cli_fail(db.error().message);
  auto tenant = (*db)->get_tenant_by_domain(flags.tenant);
  if (!tenant) return cli_fail(tenant.error().message);
  auto tokens = (*db)->list_api_tokens(tenant->id);
  if (!tokens) return cli_fail(tokens.error().message);
  for (const auto& token : *tokens) {
    std::printf("%s\tcreated %lld\tlast used %s\n", token.name.c_str(),
                static_cast<long long>(token.created_at),
                token.last_used_at ? std::to_string(*token.last_used_at).c_str() : "never");
  }
  return kExitOk;
}

}  // namespace

AccessCommands::~AccessCommands() = default;

AccessCommands::AccessCommands(CLI::App& app) : flags_(std::make_unique<AccessFlags>()) {
  AccessFlags* flags = flags_.get();
  int* exit_code = &exit_code_;
  bool* ran = &ran_;

  CLI::App* admin = app.add_subcommand("admin", "Manage web admin accounts");
  admin->require_subcommand(1);
  CLI::App* add = leaf(*admin, "add", "Add an admin; prints a generated password", *flags,
                       exit_code, ran, admin_add);
  add->add_option("NAME", flags->name, "Sign-in name (letters, digits, . _ -)")->required();
  add->add_option("--tenant", flags->tenant, "Tenant domain this admin manages (tenant admin)");
  add->add_option("--role", flags->role, "system or tenant (default: tenant with --tenant)")
      ->check(CLI::IsMember({"system", "tenant"}));
  add->add_option("--password", flags->password,
                  "Password, at least 12 characters (default: generate and print)");
  leaf(*admin, "list", "List admins", *flags, exit_code, ran, admin_list);
  CLI::App* passwd = leaf(*admin, "passwd", "Set a new password; ends the admin's sessions", *flags,
                          exit_code, ran, admin_passwd);
  passwd->add_option("NAME", flags->name, "Admin name")->required();
  passwd->add_option("--password", flags->password, "Password (default: generate and print)");
  leaf(*admin, "rm", "Remove an admin", *flags, exit_code, ran, admin_rm)
      ->add_option("NAME", flags->name, "Admin name")
      ->required();

  CLI::App* token = app.add_subcommand("token", "Manage API tokens (tenant-scoped)");
  token->require_subcommand(1);
  CLI::App* token_add_command =
      leaf(*token, "add", "Add a token; prints it once", *flags, exit_code, ran, token_add);
  token_add_command->add_option("--tenant", flags->tenant, "Tenant domain")->required();
  token_add_command->add_option("--name", flags->name, "Token name, unique in the tenant")
      ->required();
  leaf(*token, "list", "List a tenant's tokens", *flags, exit_code, ran, token_list)
      ->add_option("--tenant", flags->tenant, "Tenant domain")
      ->required();
}

}  // namespace parley::app
