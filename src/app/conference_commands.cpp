#include "app/conference_commands.hpp"

#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "app/cli_leaf.hpp"
#include "app/serve.hpp"
#include "store/conference_store.hpp"
#include "store/validation.hpp"

namespace parley::app {

struct ConferenceFlags {
  std::string data_dir = "var";
  std::string address;  // NUMBER@DOMAIN
  std::string domain;   // list filter
  std::string name;
  std::string pin;
  std::string moderator_pin;
  std::uint32_t max = store::kDefaultRoomParticipants;
  // conference set: only what is given changes ("" removes a PIN)
  std::optional<std::string> new_name;
  std::optional<std::string> new_pin;
  std::optional<std::string> new_moderator_pin;
  std::optional<std::uint32_t> new_max;
};

namespace {

constexpr std::string_view kRoomExample = "800@example.com";

void print_room(std::string_view verb, const store::ConferenceRoom& room,
                const std::string& domain) {
  std::printf("conference room %s@%s %.*s: %s, %s, up to %u participants\n", room.number.c_str(),
              domain.c_str(), static_cast<int>(verb.size()), verb.data(),
              room.pin.empty() ? "no PIN" : "with a PIN",
              room.moderator_pin.empty() ? "no moderator" : "with a moderator PIN",
              room.max_participants);
}

int conference_add(const ConferenceFlags& flags) {
  // Checked before the store opens: a typo in the PIN must not create a data folder.
  if (auto valid = store::check_room_pin(flags.pin); !valid) return cli_fail(valid.error().message);
  if (auto valid = store::check_moderator_pin(flags.moderator_pin, flags.pin); !valid) {
    return cli_fail(valid.error().message);
  }
  auto target = open_cli_target(flags.data_dir, flags.address, kRoomExample);
  if (!target) return cli_fail(target.error().message);
  store::ConferenceRoom room;
  room.tenant_id = target->tenant.id;
  room.number = target->number;
  room.name = flags.name;
  room.pin = flags.pin;
  room.moderator_pin = flags.moderator_pin;
  room.max_participants = flags.max;
  auto added = target->db->add_conference_room(room);
  if (!added) return cli_fail(added.error().message);
  print_room("added", *added, target->tenant.domain);
  return kExitOk;
}

// Changes the given settings of a room in one store call (decision 0054); the next caller meets
// them, callers already in the room stay.
int conference_set(const ConferenceFlags& flags) {
  if (!flags.new_name && !flags.new_pin && !flags.new_moderator_pin && !flags.new_max) {
    return cli_fail("nothing to change: give --name, --pin, --moderator-pin or --max");
  }
  auto target = open_cli_target(flags.data_dir, flags.address, kRoomExample);
  if (!target) return cli_fail(target.error().message);
  auto rooms = target->db->list_conference_rooms(target->tenant.id);
  if (!rooms) return cli_fail(rooms.error().message);
  store::ConferenceRoom* room = nullptr;
  for (auto& candidate : *rooms) {
    if (candidate.number == target->number) room = &candidate;
  }
  if (room == nullptr) {
    return cli_fail("no conference room " + target->number + "@" + target->tenant.domain);
  }
  if (flags.new_name) room->name = *flags.new_name;
  if (flags.new_pin) room->pin = *flags.new_pin;
  if (flags.new_moderator_pin) room->moderator_pin = *flags.new_moderator_pin;
  if (flags.new_max) room->max_participants = *flags.new_max;
  auto updated = target->db->update_conference_room(*room);
  if (!updated) return cli_fail(updated.error().message);
  print_room("changed", *updated, target->tenant.domain);
  return kExitOk;
}

int conference_list(const ConferenceFlags& flags) {
  return list_per_tenant(
      flags.data_dir, flags.domain,
      [](store::sqlite::SqliteStore& db, const store::Tenant& tenant) {
        return db.list_conference_rooms(tenant.id);
      },
      [&](const store::Tenant& tenant, const auto& room) {
        std::printf("%s@%s\t%s\t%s\t%u\n", room.number.c_str(), tenant.domain.c_str(),
                    room.name.c_str(), room.pin.empty() ? "-" : "pin", room.max_participants);
      });
}

int conference_rm(const ConferenceFlags& flags) {
  auto target = open_cli_target(flags.data_dir, flags.address, kRoomExample);
  if (!target) return cli_fail(target.error().message);
  if (auto removed = target->db->remove_conference_room(target->tenant.id, target->number);
      !removed) {
    return cli_fail(removed.error().message);
  }
  std::printf("conference room %s@%s removed\n", target->number.c_str(),
              target->tenant.domain.c_str());
  return kExitOk;
}

}  // namespace

ConferenceCommands::~ConferenceCommands() = default;

ConferenceCommands::ConferenceCommands(CLI::App& app)
    : flags_(std::make_unique<ConferenceFlags>()) {
  ConferenceFlags* flags = flags_.get();
  int* exit_code = &exit_code_;
  bool* ran = &ran_;
  CLI::App* conference = app.add_subcommand("conference", "Manage conference rooms");
  conference->require_subcommand(1);
  CLI::App* add =
      leaf(*conference, "add", "Add a conference room", *flags, exit_code, ran, conference_add);
  add->add_option("ADDRESS", flags->address, "NUMBER@DOMAIN, e.g. 800@example.com")->required();
  add->add_option("--name", flags->name, "Display name");
  add->add_option("--pin", flags->pin, "4 to 8 digits callers key, ended with # (default: none)")
      ->type_name("DIGITS");
  add->add_option("--moderator-pin", flags->moderator_pin,
                  "4 to 8 digits that make the caller the room's moderator (not the --pin)")
      ->type_name("DIGITS");
  add->add_option("--max", flags->max, "Most participants at once, 2 to 128 (default: 50)")
      ->type_name("N");
  leaf(*conference, "list", "List conference rooms: number, name, pin or -, max participants",
       *flags, exit_code, ran, conference_list)
      ->add_option("DOMAIN", flags->domain, "Only this tenant");
  leaf(*conference, "rm", "Remove a conference room", *flags, exit_code, ran, conference_rm)
      ->add_option("ADDRESS", flags->address, "NUMBER@DOMAIN")
      ->required();
  CLI::App* set = leaf(*conference, "set", "Change settings of a conference room (the rest stay)",
                       *flags, exit_code, ran, conference_set);
  set->add_option("ADDRESS", flags->address, "NUMBER@DOMAIN")->required();
  set->add_option("--name", flags->new_name, "Display name (\"\" for none)");
  set->add_option("--pin", flags->new_pin, "4 to 8 digits, or \"\" for none")->type_name("DIGITS");
  set->add_option("--moderator-pin", flags->new_moderator_pin, "4 to 8 digits, or \"\" for none")
      ->type_name("DIGITS");
  set->add_option("--max", flags->new_max, "Most participants at once, 2 to 128")->type_name("N");
}

}  // namespace parley::app
