#include "app/pickup_group_commands.hpp"

#include <cstdio>
#include <string>
#include <vector>

#include "app/cli_leaf.hpp"
#include "app/serve.hpp"
#include "store/pickup_group_store.hpp"

namespace parley::app {

struct PickupGroupFlags {
  std::string data_dir = "var";
  std::string address;  // NAME@DOMAIN
  std::string domain;   // list filter
  std::vector<std::string> members;
};

namespace {

Result<CliTarget> open_target(const PickupGroupFlags& flags) {
  return open_cli_target(flags.data_dir, flags.address, "sales@example.com", "NAME@DOMAIN",
                         store::check_pickup_group_name);
}

std::string joined(const std::vector<std::string>& members) {
  if (members.empty()) return "-";
  std::string text;
  for (const auto& member : members) {
    if (!text.empty()) text.push_back(',');
    text += member;
  }
  return text;
}

int group_add(const PickupGroupFlags& flags) {
  auto target = open_target(flags);
  if (!target) return cli_fail(target.error().message);
  if (auto added = target->db->add_pickup_group(target->tenant.id, target->number); !added) {
    return cli_fail(added.error().message);
  }
  if (!flags.members.empty()) {
    auto set =
        target->db->set_pickup_group_members(target->tenant.id, target->number, flags.members);
    if (!set) {
      // Nothing half-made stays behind: the group goes again.
      (void)target->db->remove_pickup_group(target->tenant.id, target->number);
      return cli_fail(set.error().message);
    }
  }
  std::printf("pickup group %s@%s added, members %s\n", target->number.c_str(),
              target->tenant.domain.c_str(), joined(flags.members).c_str());
  return kExitOk;
}

int group_members(const PickupGroupFlags& flags) {
  auto target = open_target(flags);
  if (!target) return cli_fail(target.error().message);
  auto set = target->db->set_pickup_group_members(target->tenant.id, target->number, flags.members);
  if (!set) return cli_fail(set.error().message);
  std::printf("pickup group %s@%s members: %s\n", target->number.c_str(),
              target->tenant.domain.c_str(), joined(flags.members).c_str());
  return kExitOk;
}

int group_list(const PickupGroupFlags& flags) {
  return list_per_tenant(
      flags.data_dir, flags.domain,
      [](store::sqlite::SqliteStore& db, const store::Tenant& tenant) {
        return db.list_pickup_groups(tenant.id);
      },
      [&](const store::Tenant& tenant, const auto& group) {
        std::printf("%s@%s\t%s\n", group.name.c_str(), tenant.domain.c_str(),
                    joined(group.members).c_str());
      });
}

int group_rm(const PickupGroupFlags& flags) {
  auto target = open_target(flags);
  if (!target) return cli_fail(target.error().message);
  if (auto removed = target->db->remove_pickup_group(target->tenant.id, target->number); !removed) {
    return cli_fail(removed.error().message);
  }
  std::printf("pickup group %s@%s removed\n", target->number.c_str(),
              target->tenant.domain.c_str());
  return kExitOk;
}

}  // namespace

PickupGroupCommands::~PickupGroupCommands() = default;

PickupGroupCommands::PickupGroupCommands(CLI::App& app)
    : flags_(std::make_unique<PickupGroupFlags>()) {
  PickupGroupFlags* flags = flags_.get();
  int* exit_code = &exit_code_;
  bool* ran = &ran_;
  CLI::App* group = app.add_subcommand("pickupgroup", "Manage call pickup groups (*8)");
  group->require_subcommand(1);
  CLI::App* add = leaf(*group, "add", "Add a pickup group", *flags, exit_code, ran, group_add);
  add->add_option("ADDRESS", flags->address, "NAME@DOMAIN, e.g. sales@example.com")->required();
  add->add_option("--members", flags->members, "Member extensions")->delimiter(',');
  CLI::App* members = leaf(*group, "members", "Replace a pickup group's member extensions", *flags,
                           exit_code, ran, group_members);
  members->add_option("ADDRESS", flags->address, "NAME@DOMAIN")->required();
  members->add_option("EXTENSIONS", flags->members, "Member extensions");
  leaf(*group, "list", "List pickup groups: name and members", *flags, exit_code, ran, group_list)
      ->add_option("DOMAIN", flags->domain, "Only this tenant");
  leaf(*group, "rm", "Remove a pickup group", *flags, exit_code, ran, group_rm)
      ->add_option("ADDRESS", flags->address, "NAME@DOMAIN")
      ->required();
}

}  // namespace parley::app
