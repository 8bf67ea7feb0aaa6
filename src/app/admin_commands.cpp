#include "app/admin_commands.hpp"

#include <sys/random.h>

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "app/cli_leaf.hpp"
#include "app/serve.hpp"
#include "protocol/sip/digest.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/store.hpp"
#include "store/validation.hpp"

namespace parley::app {

struct AdminFlags {
  std::string data_dir = "var";
  std::string domain;
  std::string name;
  bool make_default = false;
  std::string address;  // EXT@DOMAIN
  std::optional<std::string> password;
};

namespace {

using protocol::sip::DigestAlgorithm;

int fail(const std::string& message) {
  std::fprintf(stderr, "parley: %s\n", message.c_str());
  return kExitRuntimeError;
}

Result<std::unique_ptr<store::sqlite::SqliteStore>> open_store(const AdminFlags& flags) {
  store::sqlite::SqliteStoreOptions options;
  options.data_dir = flags.data_dir;
  return store::sqlite::SqliteStore::open(options);
}

struct ExtensionAddress {
  std::string number;
  std::string domain;
};

Result<ExtensionAddress> split_address(std::string_view text) {
  const auto at = text.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == text.size()) {
    return make_error(kExitUsage,
                      "'" + std::string(text) + "' is not EXT@DOMAIN (e.g. 1001@example.com)");
  }
  auto domain = store::normalize_domain(text.substr(at + 1));
  if (!domain) return domain.error();
  return ExtensionAddress{std::string(text.substr(0, at)), std::move(domain.value())};
}

// The data folder, tenant and extension number an `EXT@DOMAIN` argument names.
struct UserTarget {
  std::unique_ptr<store::sqlite::SqliteStore> db;
  store::Tenant tenant;
  std::string number;
};

Result<UserTarget> open_user(const AdminFlags& flags) {
  auto address = split_address(flags.address);
  if (!address) return address.error();
  auto db = open_store(flags);
  if (!db) return db.error();
  auto tenant = (*db)->get_tenant_by_domain(address->domain);
  if (!tenant) return tenant.error();
  return UserTarget{std::move(db.value()), std::move(tenant.value()), std::move(address->number)};
}

store::Credentials credentials_for(std::string_view number, std::string_view domain,
                                   std::string_view password) {
  return store::Credentials{protocol::sip::ha1(DigestAlgorithm::kMd5, number, domain, password),
                            protocol::sip::ha1(DigestAlgorithm::kSha256, number, domain, password)};
}

int tenant_add(const AdminFlags& flags) {
  auto db = open_store(flags);
  if (!db) return fail(db.error().message);
  auto added = (*db)->add_tenant(store::NewTenant{flags.domain, flags.name, flags.make_default});
  if (!added) return fail(added.error().message);
  std::printf("tenant %s added%s\n", added->domain.c_str(), added->is_default ? " (default)" : "");
  return kExitOk;
}

int tenant_list(const AdminFlags& flags) {
  auto db = open_store(flags);
  if (!db) return fail(db.error().message);
  auto tenants = (*db)->list_tenants();
  if (!tenants) return fail(tenants.error().message);
  for (const auto& tenant : *tenants) {
    std::printf("%s\t%s%s\n", tenant.domain.c_str(), tenant.display_name.c_str(),
                tenant.is_default ? "\t(default)" : "");
  }
  return kExitOk;
}

int tenant_rm(const AdminFlags& flags) {
  auto db = open_store(flags);
  if (!db) return fail(db.error().message);
  auto tenant = (*db)->get_tenant_by_domain(flags.domain);
  if (!tenant) return fail(tenant.error().message);
  if (auto removed = (*db)->remove_tenant(tenant->id); !removed) {
    return fail(removed.error().message);
  }
  std::printf("tenant %s removed\n", tenant->domain.c_str());
  return kExitOk;
}

int user_add(const AdminFlags& flags) {
  auto target = open_user(flags);
  if (!target) return fail(target.error().message);
  const std::string password = flags.password.value_or(generate_password());
  if (password.empty()) return fail("the password must not be empty");
  const store::Tenant& tenant = target->tenant;
  auto added = target->db->add_extension(
      store::NewExtension{tenant.id, target->number, flags.name,
                          credentials_for(target->number, tenant.domain, password)});
  if (!added) return fail(added.error().message);
  std::printf("user %s@%s added\n", added->number.c_str(), tenant.domain.c_str());
  if (!flags.password) std::printf("password: %s\n", password.c_str());
  return kExitOk;
}

int user_list(const AdminFlags& flags) {
  auto db = open_store(flags);
  if (!db) return fail(db.error().message);
  std::vector<store::Tenant> tenants;
  if (flags.domain.empty()) {
    auto all = (*db)->list_tenants();
    if (!all) return fail(all.error().message);
    tenants = std::move(all.value());
  } else {
    auto one = (*db)->get_tenant_by_domain(flags.domain);
    if (!one) return fail(one.error().message);
    tenants.push_back(std::move(one.value()));
  }
  for (const auto& tenant : tenants) {
    auto extensions = (*db)->list_extensions(tenant.id);
    if (!extensions) return fail(extensions.error().message);
    for (const auto& extension : *extensions) {
      std::printf("%s@%s\t%s\n", extension.number.c_str(), tenant.domain.c_str(),
                  extension.display_name.c_str());
    }
  }
  return kExitOk;
}

int user_passwd(const AdminFlags& flags) {
  auto target = open_user(flags);
  if (!target) return fail(target.error().message);
  const std::string password = flags.password.value_or(generate_password());
  if (password.empty()) return fail("the password must not be empty");
  const store::Tenant& tenant = target->tenant;
  if (auto set = target->db->set_credentials(
          tenant.id, target->number, credentials_for(target->number, tenant.domain, password));
      !set) {
    return fail(set.error().message);
  }
  std::printf("password of %s@%s changed\n", target->number.c_str(), tenant.domain.c_str());
  if (!flags.password) std::printf("password: %s\n", password.c_str());
  return kExitOk;
}

int user_rm(const AdminFlags& flags) {
  auto target = open_user(flags);
  if (!target) return fail(target.error().message);
  if (auto removed = target->db->remove_extension(target->tenant.id, target->number); !removed) {
    return fail(removed.error().message);
  }
  std::printf("user %s@%s removed\n", target->number.c_str(), target->tenant.domain.c_str());
  return kExitOk;
}

}  // namespace

std::string generate_password() {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
  std::string password;
  std::array<unsigned char, 64> random{};
  std::size_t used = random.size();
  while (password.size() < 20) {
    if (used == random.size()) {
      if (getrandom(random.data(), random.size(), 0) != static_cast<ssize_t>(random.size())) {
        return {};
      }
      used = 0;
    }
    const unsigned char byte = random[used++];
    // Rejection sampling keeps every letter equally likely.
    const unsigned limit = 256 - (256 % kAlphabet.size());
    if (byte < limit) password.push_back(kAlphabet[byte % kAlphabet.size()]);
  }
  return password;
}

AdminCommands::~AdminCommands() = default;

AdminCommands::AdminCommands(CLI::App& app) : flags_(std::make_unique<AdminFlags>()) {
  AdminFlags* flags = flags_.get();
  int* exit_code = &exit_code_;
  bool* ran = &ran_;

  CLI::App* tenant = app.add_subcommand("tenant", "Manage tenants (SIP domains)");
  tenant->require_subcommand(1);
  CLI::App* add = leaf(*tenant, "add", "Add a tenant", *flags, exit_code, ran, tenant_add);
  add->add_option("DOMAIN", flags->domain, "SIP domain, e.g. example.com")->required();
  add->add_option("--name", flags->name, "Display name");
  add->add_flag("--default", flags->make_default,
                "Answer requests addressed to this server's own IP addresses");
  leaf(*tenant, "list", "List tenants", *flags, exit_code, ran, tenant_list);
  leaf(*tenant, "rm", "Remove a tenant with its users and registrations", *flags, exit_code, ran,
       tenant_rm)
      ->add_option("DOMAIN", flags->domain, "SIP domain")
      ->required();

  CLI::App* user = app.add_subcommand("user", "Manage users (extensions)");
  user->require_subcommand(1);
  CLI::App* user_add_command = leaf(*user, "add", "Add an extension; prints a generated password",
                                    *flags, exit_code, ran, user_add);
  user_add_command->add_option("ADDRESS", flags->address, "EXT@DOMAIN, e.g. 1001@example.com")
      ->required();
  user_add_command->add_option("--name", flags->name, "Display name, e.g. \"Alice Example\"");
  user_add_command->add_option("--password", flags->password,
                               "Password (default: generate a strong one and print it once)");
  leaf(*user, "list", "List extensions", *flags, exit_code, ran, user_list)
      ->add_option("DOMAIN", flags->domain, "Only this tenant");
  CLI::App* passwd = leaf(*user, "passwd", "Set a new password; prints a generated one", *flags,
                          exit_code, ran, user_passwd);
  passwd->add_option("ADDRESS", flags->address, "EXT@DOMAIN")->required();
  passwd->add_option("--password", flags->password, "Password (default: generate and print)");
  leaf(*user, "rm", "Remove an extension and its registrations", *flags, exit_code, ran, user_rm)
      ->add_option("ADDRESS", flags->address, "EXT@DOMAIN")
      ->required();
}

}  // namespace parley::app
