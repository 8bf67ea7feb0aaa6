#include "app/call_feature_commands.hpp"

#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "app/cli_leaf.hpp"
#include "app/serve.hpp"
#include "store/call_feature_store.hpp"
#include "store/validation.hpp"

namespace parley::app {

struct CallFeatureFlags {
  std::string data_dir = "var";
  std::string address;  // EXT@DOMAIN or NUMBER@DOMAIN
  std::string domain;   // ringgroup list filter
  // user forward
  std::optional<std::string> always;
  std::optional<std::string> busy;
  std::optional<std::string> no_answer;
  std::optional<std::string> unregistered;
  std::optional<std::uint32_t> after;
  std::optional<std::string> clear;
  // user dnd
  std::string mode;
  // ringgroup
  std::string name;
  std::string strategy;
  std::optional<std::string> members;
  std::uint32_t member_timeout = store::kDefaultMemberTimeoutSeconds;
  std::string final_destination = "hangup";
  // ringgroup set: only what is given changes
  std::optional<std::string> new_name;
  std::optional<std::string> new_strategy;
  std::optional<std::uint32_t> new_member_timeout;
  std::optional<std::string> new_final;
};

namespace {

constexpr std::string_view kExtensionExample = "1001@example.com";
constexpr std::string_view kRingGroupExample = "600@example.com";

Result<std::vector<std::string>> split_members(std::string_view text) {
  std::vector<std::string> members;
  if (text.empty()) return members;
  while (true) {
    const auto comma = text.find(',');
    std::string_view member = text.substr(0, comma);
    while (!member.empty() && member.front() == ' ') member.remove_prefix(1);
    while (!member.empty() && member.back() == ' ') member.remove_suffix(1);
    if (member.empty()) {
      return make_error(kExitRuntimeError,
                        "members must be extension numbers separated by commas, e.g. 1001,1002");
    }
    members.emplace_back(member);
    if (comma == std::string_view::npos) return members;
    text.remove_prefix(comma + 1);
  }
}

std::string join(const std::vector<std::string>& items) {
  std::string text;
  for (const auto& item : items) {
    if (!text.empty()) text += ',';
    text += item;
  }
  return text;
}

std::string describe(const store::CallForward& forward) {
  std::string text = store::to_text(forward.destination);
  if (forward.condition == store::ForwardCondition::kNoAnswer) {
    text += " after " + std::to_string(forward.no_answer_seconds) + "s";
  }
  return text;
}

int user_forward(const CallFeatureFlags& flags) {
  const std::pair<store::ForwardCondition, const std::optional<std::string>*> wanted[] = {
      {store::ForwardCondition::kAlways, &flags.always},
      {store::ForwardCondition::kBusy, &flags.busy},
      {store::ForwardCondition::kNoAnswer, &flags.no_answer},
      {store::ForwardCondition::kUnregistered, &flags.unregistered},
  };
  std::vector<store::CallForward> forwards;
  for (const auto& [condition, text] : wanted) {
    if (!text->has_value()) continue;
    auto destination = store::parse_destination(**text);
    if (!destination) return cli_fail(destination.error().message);
    forwards.push_back({condition, std::move(destination).value(),
                        flags.after.value_or(store::kDefaultNoAnswerSeconds)});
  }
  if (flags.clear.has_value() == !forwards.empty()) {
    return cli_fail(
        "give either --clear or at least one of --always, --busy, --no-answer, "
        "--unregistered");
  }
  if (flags.after && !flags.no_answer) return cli_fail("--after goes with --no-answer");
  std::optional<store::ForwardCondition> clear_condition;
  if (flags.clear && *flags.clear != "all" && !flags.clear->empty()) {
    clear_condition = store::parse_forward_condition(*flags.clear);
    if (!clear_condition) {
      return cli_fail("--clear takes always, busy, no-answer, unregistered or all, not '" +
                      *flags.clear + "'");
    }
  }
  auto target = open_cli_target(flags.data_dir, flags.address, kExtensionExample);
  if (!target) return cli_fail(target.error().message);
  auto& db = *target->db;
  const std::string who = target->number + "@" + target->tenant.domain;
  if (flags.clear) {
    auto removed = db.clear_forward(target->tenant.id, target->number, clear_condition);
    if (!removed) return cli_fail(removed.error().message);
    std::printf("user %s: %zu forwarding rule(s) cleared\n", who.c_str(), *removed);
    return kExitOk;
  }
  // One rule at a time, each checked by the store; on a failure the earlier ones stay set and
  // the message says which, rather than rolling back through an exception.
  std::string applied;
  for (const auto& forward : forwards) {
    if (auto set = db.set_forward(target->tenant.id, target->number, forward); !set) {
      return cli_fail(set.error().message +
                      (applied.empty() ? "" : " (already set: " + applied + ")"));
    }
    if (!applied.empty()) applied += ", ";
    applied += store::to_text(forward.condition);
  }
  // Print what was stored ("voicemail" became the extension's own box).
  auto stored = db.get_call_features(target->tenant.id, target->number);
  if (!stored) return cli_fail(stored.error().message);
  for (const auto& wanted_forward : forwards) {
    for (const auto& forward : stored->forwards) {
      if (forward.condition != wanted_forward.condition) continue;
      std::printf("user %s: forward %s to %s\n", who.c_str(),
                  std::string(store::to_text(forward.condition)).c_str(),
                  describe(forward).c_str());
    }
  }
  return kExitOk;
}

int user_dnd(const CallFeatureFlags& flags) {
  auto target = open_cli_target(flags.data_dir, flags.address, kExtensionExample);
  if (!target) return cli_fail(target.error().message);
  const bool on = flags.mode == "on";
  if (auto set = target->db->set_dnd(target->tenant.id, target->number, on); !set) {
    return cli_fail(set.error().message);
  }
  std::printf("user %s@%s: do-not-disturb %s\n", target->number.c_str(),
              target->tenant.domain.c_str(), on ? "on" : "off");
  return kExitOk;
}

int user_show(const CallFeatureFlags& flags) {
  auto target = open_cli_target(flags.data_dir, flags.address, kExtensionExample);
  if (!target) return cli_fail(target.error().message);
  auto& db = *target->db;
  auto extension = db.get_extension(target->tenant.id, target->number);
  if (!extension) return cli_fail(extension.error().message);
  auto features = db.get_call_features(target->tenant.id, target->number);
  if (!features) return cli_fail(features.error().message);
  auto groups = db.list_ring_groups(target->tenant.id);
  if (!groups) return cli_fail(groups.error().message);
  const auto line = [](std::string_view label, const std::string& value) {
    std::printf("%-22s %s\n", (std::string(label) + ":").c_str(), value.c_str());
  };
  line("extension", extension->number + "@" + target->tenant.domain);
  line("name", extension->display_name);
  line("do-not-disturb", features->dnd ? "on" : "off");
  for (const auto condition : store::kAllForwardConditions) {
    std::string value = "-";
    for (const auto& forward : features->forwards) {
      if (forward.condition == condition) value = describe(forward);
    }
    line("forward " + std::string(store::to_text(condition)), value);
  }
  std::vector<std::string> member_of;
  for (const auto& group : *groups) {
    for (const auto& member : group.members) {
      if (member == target->number) member_of.push_back(group.number);
    }
  }
  line("ring groups", member_of.empty() ? "-" : join(member_of));
  return kExitOk;
}

void print_ring_group(std::string_view verb, const store::RingGroup& group,
                      const std::string& domain) {
  std::printf("ring group %s@%s %.*s: %s, %us per member, members %s, then %s\n",
              group.number.c_str(), domain.c_str(), static_cast<int>(verb.size()), verb.data(),
              std::string(store::to_text(group.strategy)).c_str(), group.member_timeout_seconds,
              group.members.empty() ? "(none)" : join(group.members).c_str(),
              store::to_text(group.final_destination).c_str());
}

int ringgroup_add(const CallFeatureFlags& flags) {
  store::RingGroup group;
  const auto strategy = store::parse_ring_strategy(flags.strategy);
  if (!strategy) return cli_fail("--strategy must be ring-all or hunt");
  group.strategy = *strategy;
  group.name = flags.name;
  group.member_timeout_seconds = flags.member_timeout;
  auto members = split_members(flags.members.value_or(""));
  if (!members) return cli_fail(members.error().message);
  group.members = std::move(members).value();
  auto final_destination = store::parse_destination(flags.final_destination);
  if (!final_destination) return cli_fail(final_destination.error().message);
  group.final_destination = std::move(final_destination).value();
  auto target = open_cli_target(flags.data_dir, flags.address, kRingGroupExample);
  if (!target) return cli_fail(target.error().message);
  group.tenant_id = target->tenant.id;
  group.number = target->number;
  auto added = target->db->add_ring_group(group);
  if (!added) return cli_fail(added.error().message);
  print_ring_group("added", *added, target->tenant.domain);
  return kExitOk;
}

// Changes the given settings of a ring group in one store call (decision 0054); the members
// stay (`ringgroup members` replaces them).
int ringgroup_set(const CallFeatureFlags& flags) {
  if (!flags.new_name && !flags.new_strategy && !flags.new_member_timeout && !flags.new_final) {
    return cli_fail("nothing to change: give --name, --strategy, --member-timeout or --final");
  }
  std::optional<store::RingStrategy> strategy;
  if (flags.new_strategy) {
    strategy = store::parse_ring_strategy(*flags.new_strategy);
    if (!strategy) return cli_fail("--strategy must be ring-all or hunt");
  }
  std::optional<store::Destination> final_destination;
  if (flags.new_final) {
    auto parsed = store::parse_destination(*flags.new_final);
    if (!parsed) return cli_fail(parsed.error().message);
    final_destination = std::move(parsed).value();
  }
  auto target = open_cli_target(flags.data_dir, flags.address, kRingGroupExample);
  if (!target) return cli_fail(target.error().message);
  auto group = target->db->get_ring_group(target->tenant.id, target->number);
  if (!group) return cli_fail(group.error().message);
  if (flags.new_name) group->name = *flags.new_name;
  if (strategy) group->strategy = *strategy;
  if (flags.new_member_timeout) group->member_timeout_seconds = *flags.new_member_timeout;
  if (final_destination) group->final_destination = std::move(*final_destination);
  auto updated = target->db->update_ring_group(*group);
  if (!updated) return cli_fail(updated.error().message);
  print_ring_group("changed", *updated, target->tenant.domain);
  return kExitOk;
}

int ringgroup_list(const CallFeatureFlags& flags) {
  auto db = open_cli_store(flags.data_dir);
  if (!db) return cli_fail(db.error().message);
  auto tenants = cli_tenants(**db, flags.domain);
  if (!tenants) return cli_fail(tenants.error().message);
  for (const auto& tenant : *tenants) {
    auto groups = (*db)->list_ring_groups(tenant.id);
    if (!groups) return cli_fail(groups.error().message);
    for (const auto& group : *groups) {
      // number@domain, name, strategy, seconds per member, members, final: tab-separated.
      std::printf("%s@%s\t%s\t%s\t%u\t%s\t%s\n", group.number.c_str(), tenant.domain.c_str(),
                  group.name.c_str(), std::string(store::to_text(group.strategy)).c_str(),
                  group.member_timeout_seconds, join(group.members).c_str(),
                  store::to_text(group.final_destination).c_str());
    }
  }
  return kExitOk;
}

int ringgroup_rm(const CallFeatureFlags& flags) {
  auto target = open_cli_target(flags.data_dir, flags.address, kRingGroupExample);
  if (!target) return cli_fail(target.error().message);
  if (auto removed = target->db->remove_ring_group(target->tenant.id, target->number); !removed) {
    return cli_fail(removed.error().message);
  }
  std::printf("ring group %s@%s removed\n", target->number.c_str(), target->tenant.domain.c_str());
  return kExitOk;
}

int ringgroup_members(const CallFeatureFlags& flags) {
  auto members = split_members(flags.members.value_or(""));
  if (!members) return cli_fail(members.error().message);
  auto target = open_cli_target(flags.data_dir, flags.address, kRingGroupExample);
  if (!target) return cli_fail(target.error().message);
  if (auto set = target->db->set_ring_group_members(target->tenant.id, target->number, *members);
      !set) {
    return cli_fail(set.error().message);
  }
  std::printf("ring group %s@%s members: %s\n", target->number.c_str(),
              target->tenant.domain.c_str(), members->empty() ? "(none)" : join(*members).c_str());
  return kExitOk;
}

}  // namespace

CallFeatureCommands::~CallFeatureCommands() = default;

CallFeatureCommands::CallFeatureCommands(CLI::App& app)
    : flags_(std::make_unique<CallFeatureFlags>()) {
  CallFeatureFlags* flags = flags_.get();
  int* exit_code = &exit_code_;
  bool* ran = &ran_;
  const char* destination_help =
      "1001 (extension or ring group), voicemail, voicemail:1001, +4930123456 or external:DIGITS";

  CLI::App* user = app.get_subcommand("user");  // AdminCommands made it
  CLI::App* forward = leaf(*user, "forward", "Set or clear call forwarding of an extension", *flags,
                           exit_code, ran, user_forward);
  forward->add_option("ADDRESS", flags->address, "EXT@DOMAIN")->required();
  forward->add_option("--always", flags->always, destination_help)->type_name("X");
  forward->add_option("--busy", flags->busy, "When busy or on do-not-disturb: X")->type_name("X");
  forward->add_option("--no-answer", flags->no_answer, "When not answered in time: X")
      ->type_name("X");
  forward
      ->add_option("--after", flags->after,
                   "Seconds to ring before --no-answer applies (default: 20)")
      ->type_name("S");
  forward->add_option("--unregistered", flags->unregistered, "When no phone is registered: X")
      ->type_name("X");
  forward
      ->add_option("--clear", flags->clear,
                   "Clear always, busy, no-answer, unregistered or all (default: all)")
      ->expected(0, 1)
      ->type_name("WHICH");

  CLI::App* dnd = leaf(*user, "dnd", "Turn do-not-disturb of an extension on or off", *flags,
                       exit_code, ran, user_dnd);
  dnd->add_option("ADDRESS", flags->address, "EXT@DOMAIN")->required();
  dnd->add_option("MODE", flags->mode, "on or off")
      ->required()
      ->check(CLI::IsMember({"on", "off"}));

  leaf(*user, "show", "Show an extension's forwarding, do-not-disturb and ring groups", *flags,
       exit_code, ran, user_show)
      ->add_option("ADDRESS", flags->address, "EXT@DOMAIN")
      ->required();

  CLI::App* ringgroup = app.add_subcommand("ringgroup", "Manage ring groups");
  ringgroup->require_subcommand(1);
  CLI::App* add =
      leaf(*ringgroup, "add", "Add a ring group", *flags, exit_code, ran, ringgroup_add);
  add->add_option("ADDRESS", flags->address, "NUMBER@DOMAIN, e.g. 600@example.com")->required();
  add->add_option("--name", flags->name, "Display name");
  add->add_option("--strategy", flags->strategy, "ring-all (everyone at once) or hunt (in order)")
      ->required()
      ->type_name("S");
  add->add_option("--members", flags->members, "Extensions in hunt order, e.g. 1001,1002")
      ->type_name("LIST");
  add->add_option("--member-timeout", flags->member_timeout,
                  "Seconds each member (hunt) or everyone (ring-all) rings (default: 15)")
      ->type_name("S");
  add->add_option("--final", flags->final_destination,
                  "When nobody answers: hangup (default) or a destination like --always's")
      ->type_name("X");
  leaf(*ringgroup, "list", "List ring groups: number, name, strategy, seconds, members, final",
       *flags, exit_code, ran, ringgroup_list)
      ->add_option("DOMAIN", flags->domain, "Only this tenant");
  leaf(*ringgroup, "rm", "Remove a ring group", *flags, exit_code, ran, ringgroup_rm)
      ->add_option("ADDRESS", flags->address, "NUMBER@DOMAIN")
      ->required();
  CLI::App* members = leaf(*ringgroup, "members", "Replace the members of a ring group", *flags,
                           exit_code, ran, ringgroup_members);
  members->add_option("ADDRESS", flags->address, "NUMBER@DOMAIN")->required();
  members->add_option("MEMBERS", flags->members, "Extensions in hunt order, e.g. 1001,1003")
      ->required();
  CLI::App* set = leaf(*ringgroup, "set", "Change settings of a ring group (the rest stay)", *flags,
                       exit_code, ran, ringgroup_set);
  set->add_option("ADDRESS", flags->address, "NUMBER@DOMAIN")->required();
  set->add_option("--name", flags->new_name, "Display name (\"\" for none)");
  set->add_option("--strategy", flags->new_strategy, "ring-all or hunt")->type_name("S");
  set->add_option("--member-timeout", flags->new_member_timeout,
                  "Seconds each member (hunt) or everyone (ring-all) rings")
      ->type_name("S");
  set->add_option("--final", flags->new_final, "When nobody answers: hangup or a destination")
      ->type_name("X");
}

}  // namespace parley::app
