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

int fail(const std::string& message, int code = kExitRuntimeError) {
  std::fprintf(stderr, "parley: %s\n", message.c_str());
  return code;
}

Result<std::unique_ptr<store::sqlite::SqliteStore>> open_store(const AccessFlags& flags) {
  store::sqlite::SqliteStoreOptions options;
  options.data_dir = flags.data_dir;
  return store::sqlite::SqliteStore::open(options);
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
    return fail("--role must be system or tenant", kExitUsage);
  }
  if ((role == "tenant") == flags.tenant.empty()) {
    return fail(role == "tenant" ? "a tenant admin needs --tenant DOMAIN"
                                 : "a system admin has no --tenant",
                kExitUsage);
  }
  if (auto valid = store::check_admin_name(flags.name); !valid) return fail(valid.error().message);
  auto password = chosen_password(flags);
  if (!password) return fail(password.error().message);
  auto db = open_store(flags);
  if (!db) return fail(db.error().message);
  store::NewAdminAccount admin;
  admin.name = flags.name;
  admin.role = role == "system" ? store::AdminRole::kSystemAdmin : store::AdminRole::kTenantAdmin;
  if (!flags.tenant.empty()) {
    auto tenant = (*db)->get_tenant_by_domain(flags.tenant);
    if (!tenant) return fail(tenant.error().message);
    admin.tenant_id = tenant->id;
  }
  auto hash = http::api::hash_password(*password);
  if (!hash) return fail(hash.error().message);
  admin.password_hash = std::move(hash).value();
  auto added = (*db)->add_admin(admin);
  if (!added) return fail(added.error().message);
  std::printf("admin %s added (%s%s%s)\n", added->name.c_str(),
              std::string(store::to_text(added->role)).c_str(), flags.tenant.empty() ? "" : " of ",
              flags.tenant.c_str());
  if (!flags.password) std::printf("password: %s\n", password->c_str());
  return kExitOk;
}

int admin_list(const AccessFlags& flags) {
  auto db = open_store(flags);
  if (!db) return fail(db.error().message);
  auto admins = (*db)->list_admins();
  if (!admins) return fail(admins.error().message);
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
  if (!password) return fail(password.error().message);
  auto db = open_store(flags);
  if (!db) return fail(db.error().message);
  auto hash = http::api::hash_password(*password);
  if (!hash) return fail(hash.error().message);
  if (auto set = (*db)->set_admin_password_hash(flags.name, *hash); !set) {
    return fail(set.error().message);
  }
  std::printf("password of admin %s changed; its sessions ended\n", flags.name.c_str());
  if (!flags.password) std::printf("password: %s\n", password->c_str());
  return kExitOk;
}

int admin_rm(const AccessFlags& flags) {
  auto db = open_store(flags);
  if (!db) return fail(db.error().message);
  if (auto removed = (*db)->remove_admin(flags.name); !removed) {
    return fail(removed.error().message);
  }
  std::printf("admin %s removed\n", flags.name.c_str());
  return kExitOk;
}

int token_add(const AccessFlags& flags) {
  auto db = open_store(flags);
  if (!db) return fail(db.error().message);
  auto tenant = (*db)->get_tenant_by_domain(flags.tenant);
  if (!tenant) return fail(tenant.error().message);
  const std::string token = http::api::new_api_token();
  auto added = (*db)->add_api_token(
      store::NewApiToken{http::api::secret_digest(token), tenant->id, flags.name});
  if (!added) return fail(added.error().message);
  std::printf("token %s added for tenant %s (shown once; keep it secret)\n", added->name.c_str(),
              tenant->domain.c_str());
  std::printf("token: %s\n", token.c_str());
  return kExitOk;
}

int token_list(const AccessFlags& flags) {
  auto db = open_store(flags);
  if (!db) return fail(db.error().message);
  auto tenant = (*db)->get_tenant_by_domain(flags.tenant);
  if (!tenant) return fail(tenant.error().message);
  auto tokens = (*db)->list_api_tokens(tenant->id);
  if (!tokens) return fail(tokens.error().message);
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
