#include "app/ivr_commands.hpp"

#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "app/audio_import.hpp"
#include "app/cli_leaf.hpp"
#include "app/serve.hpp"
#include "store/ivr_store.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace parley::app {

struct IvrFlags {
  std::string data_dir = "var";
  std::string address;  // NAME@DOMAIN
  std::string domain;   // list filter
  std::optional<std::string> number;
  std::optional<std::string> greeting;
  std::optional<std::string> wav;
  std::optional<std::uint32_t> timeout;
  std::optional<std::uint32_t> attempts;
  std::optional<std::string> fallback;
  bool direct_dial = false;
  bool no_direct_dial = false;
  std::string digit;
  std::string destination;
  std::optional<std::string> zone;
  std::optional<std::string> hours;
  std::optional<std::string> holidays;
  std::optional<std::string> open;
  std::optional<std::string> closed;
};

namespace {

using store::sqlite::SqliteStore;

// Menus and schedules are both named NAME@DOMAIN.
Result<CliTarget> open_target(const IvrFlags& flags) {
  return open_cli_target(flags.data_dir, flags.address, "main@example.com", "NAME@DOMAIN",
                         store::check_ivr_name);
}

std::optional<store::IvrMenu> find_menu(SqliteStore& db, store::TenantId tenant,
                                        const std::string& name) {
  auto menus = db.list_ivr_menus(tenant);
  if (!menus) return std::nullopt;
  for (auto& menu : *menus) {
    if (menu.name == name) return std::move(menu);
  }
  return std::nullopt;
}

int ivr_save(const IvrFlags& flags, bool adding) {
  auto target = open_target(flags);
  if (!target) return cli_fail(target.error().message);
  auto existing = find_menu(*target->db, target->tenant.id, target->number);
  if (adding && existing)
    return cli_fail("menu " + flags.address + " exists; use `parley ivr set`");
  if (!adding && !existing) return cli_fail("no menu " + flags.address);
  store::IvrMenu menu = existing.value_or(store::IvrMenu{});
  menu.tenant_id = target->tenant.id;
  menu.name = target->number;
  if (flags.number) menu.number = *flags.number;
  if (flags.greeting) menu.greeting_text = *flags.greeting;
  if (flags.wav && flags.wav->empty()) menu.greeting_wav.clear();
  if (flags.wav && !flags.wav->empty()) {
    // Checked and converted now, so a bad file is this command's error, not a warning in the
    // server's log, and the menu keeps playing after the original moves.
    const std::string name = "ivr-" + target->tenant.domain + "-" + target->number;
    auto imported = import_audio(flags.data_dir, name, *flags.wav);
    if (!imported) return cli_fail("greeting: " + imported.error().message);
    menu.greeting_wav = imported->path;
  }
  if (flags.timeout) menu.timeout_seconds = *flags.timeout;
  if (flags.attempts) menu.max_attempts = *flags.attempts;
  if (flags.fallback) menu.fallback = *flags.fallback;
  if (flags.direct_dial) menu.direct_dial = true;
  if (flags.no_direct_dial) menu.direct_dial = false;
  if (auto saved = target->db->save_ivr_menu(menu); !saved) return cli_fail(saved.error().message);
  std::printf("menu %s@%s %s\n", menu.name.c_str(), target->tenant.domain.c_str(),
              adding ? "added" : "updated");
  return kExitOk;
}

int ivr_add(const IvrFlags& flags) {
  return ivr_save(flags, true);
}
int ivr_set(const IvrFlags& flags) {
  return ivr_save(flags, false);
}

int ivr_option(const IvrFlags& flags) {
  if (flags.digit.size() != 1) return cli_fail("DIGIT is one of 0-9, * or #");
  auto target = open_target(flags);
  if (!target) return cli_fail(target.error().message);
  const char digit = flags.digit[0];
  if (flags.destination == "-") {
    if (auto removed = target->db->remove_ivr_option(target->tenant.id, target->number, digit);
        !removed) {
      return cli_fail(removed.error().message);
    }
    std::printf("menu %s: option %c removed\n", flags.address.c_str(), digit);
    return kExitOk;
  }
  if (auto set =
          target->db->set_ivr_option(target->tenant.id, target->number, digit, flags.destination);
      !set) {
    return cli_fail(set.error().message);
  }
  std::printf("menu %s: %c -> %s\n", flags.address.c_str(), digit, flags.destination.c_str());
  return kExitOk;
}

int ivr_list(const IvrFlags& flags) {
  return list_per_tenant(
      flags.data_dir, flags.domain,
      [](store::sqlite::SqliteStore& db, const store::Tenant& tenant) {
        return db.list_ivr_menus(tenant.id);
      },
      [&](const store::Tenant& tenant, const auto& menu) {
        std::string options;
        for (const auto& option : menu.options) {
          if (!options.empty()) options += ' ';
          options += std::string(1, option.digit) + "=" + option.destination;
        }
        std::printf(
            "%s@%s\t%s\t%us\t%u\t%s\t%s\t%s\t%s\n", menu.name.c_str(), tenant.domain.c_str(),
            menu.number.empty() ? "-" : menu.number.c_str(), menu.timeout_seconds,
            menu.max_attempts, menu.fallback.c_str(), menu.direct_dial ? "direct-dial" : "-",
            options.c_str(),
            menu.greeting_wav.empty() ? menu.greeting_text.c_str() : menu.greeting_wav.c_str());
      });
}

int ivr_rm(const IvrFlags& flags) {
  auto target = open_target(flags);
  if (!target) return cli_fail(target.error().message);
  if (auto removed = target->db->remove_ivr_menu(target->tenant.id, target->number); !removed) {
    return cli_fail(removed.error().message);
  }
  std::printf("menu %s removed\n", flags.address.c_str());
  return kExitOk;
}

int schedule_save(const IvrFlags& flags, bool adding) {
  auto target = open_target(flags);
  if (!target) return cli_fail(target.error().message);
  auto all = target->db->list_schedules(target->tenant.id);
  if (!all) return cli_fail(all.error().message);
  std::optional<store::Schedule> existing;
  for (auto& schedule : *all) {
    if (schedule.name == target->number) existing = std::move(schedule);
  }
  if (adding && existing) {
    return cli_fail("schedule " + flags.address + " exists; use `parley schedule set`");
  }
  if (!adding && !existing) return cli_fail("no schedule " + flags.address);
  if (adding && (!flags.open || !flags.closed)) return cli_fail("--open and --closed are required");
  store::Schedule schedule = existing.value_or(store::Schedule{});
  schedule.tenant_id = target->tenant.id;
  schedule.name = target->number;
  if (flags.number) schedule.number = *flags.number;
  if (flags.zone) schedule.time_zone = *flags.zone;
  if (flags.hours) schedule.hours = *flags.hours;
  if (flags.holidays) schedule.holidays = *flags.holidays;
  if (flags.open) schedule.open_destination = *flags.open;
  if (flags.closed) schedule.closed_destination = *flags.closed;
  if (!schedule.time_zone.empty() &&
      !std::filesystem::exists(std::filesystem::path("/usr/share/zoneinfo") / schedule.time_zone)) {
    if (auto valid = store::check_time_zone_name(schedule.time_zone); !valid) {
      return cli_fail(valid.error().message);
    }
    return cli_fail("no time zone " + schedule.time_zone + " in /usr/share/zoneinfo");
  }
  if (auto saved = target->db->save_schedule(schedule); !saved)
    return cli_fail(saved.error().message);
  std::printf("schedule %s@%s %s\n", schedule.name.c_str(), target->tenant.domain.c_str(),
              adding ? "added" : "updated");
  return kExitOk;
}

int schedule_add(const IvrFlags& flags) {
  return schedule_save(flags, true);
}
int schedule_set(const IvrFlags& flags) {
  return schedule_save(flags, false);
}

int schedule_list(const IvrFlags& flags) {
  return list_per_tenant(
      flags.data_dir, flags.domain,
      [](store::sqlite::SqliteStore& db, const store::Tenant& tenant) {
        return db.list_schedules(tenant.id);
      },
      [&](const store::Tenant& tenant, const auto& s) {
        std::printf("%s@%s\t%s\t%s\t%s\t%s\topen=%s\tclosed=%s\n", s.name.c_str(),
                    tenant.domain.c_str(), s.number.empty() ? "-" : s.number.c_str(),
                    s.time_zone.empty() ? "UTC" : s.time_zone.c_str(), s.hours.c_str(),
                    s.holidays.empty() ? "-" : s.holidays.c_str(), s.open_destination.c_str(),
                    s.closed_destination.c_str());
      });
}

int schedule_rm(const IvrFlags& flags) {
  auto target = open_target(flags);
  if (!target) return cli_fail(target.error().message);
  if (auto removed = target->db->remove_schedule(target->tenant.id, target->number); !removed) {
    return cli_fail(removed.error().message);
  }
  std::printf("schedule %s removed\n", flags.address.c_str());
  return kExitOk;
}

void menu_options(CLI::App* command, IvrFlags* flags, bool setting) {
  command->add_option("ADDRESS", flags->address, "NAME@DOMAIN, e.g. main@example.com")->required();
  command->add_option("--number", flags->number, "Number callers dial (empty: none)");
  command->add_option("--greeting", flags->greeting, "Greeting text, spoken by espeak-ng");
  command
      ->add_option("--audio,--wav", flags->wav,
                   "Greeting recording instead of the text: WAV (PCM 16-bit mono, 8/16/48 kHz) "
                   "or Ogg/Opus, checked and copied into the data folder (empty: none)")
      ->type_name("PATH");
  command->add_option("--timeout", flags->timeout, "Seconds to wait for a key (1-60, default 5)");
  command->add_option("--attempts", flags->attempts,
                      "Timeouts or invalid keys before the fallback (1-10, default 3)");
  command->add_option("--fallback", flags->fallback, "Where callers go then (default: hangup)")
      ->type_name("DEST");
  command->add_flag("--direct-dial", flags->direct_dial, "Callers may key an extension number");
  if (setting) {
    command->add_flag("--no-direct-dial", flags->no_direct_dial, "Switch direct dial off");
  }
}

void schedule_options(CLI::App* command, IvrFlags* flags) {
  command->add_option("ADDRESS", flags->address, "NAME@DOMAIN, e.g. hours@example.com")->required();
  command->add_option("--number", flags->number, "Number callers dial (empty: none)");
  command->add_option("--zone", flags->zone, "IANA time zone, e.g. Europe/Berlin (default: UTC)");
  command->add_option("--hours", flags->hours,
                      "Open hours, e.g. \"mon-fri 09:00-17:00, sat 10:00-12:00\"");
  command->add_option("--holidays", flags->holidays,
                      "Closed dates, e.g. \"2026-12-25, 2027-01-01\"");
  command->add_option("--open", flags->open, "Destination while open")->type_name("DEST");
  command->add_option("--closed", flags->closed, "Destination while closed")->type_name("DEST");
}

}  // namespace

IvrCommands::~IvrCommands() = default;

IvrCommands::IvrCommands(CLI::App& app) : flags_(std::make_unique<IvrFlags>()) {
  IvrFlags* flags = flags_.get();
  int* exit_code = &exit_code_;
  bool* ran = &ran_;
  CLI::App* ivr = app.add_subcommand("ivr", "Manage IVR (auto attendant) menus");
  ivr->require_subcommand(1);
  menu_options(leaf(*ivr, "add", "Add a menu", *flags, exit_code, ran, ivr_add), flags, false);
  menu_options(leaf(*ivr, "set", "Change a menu", *flags, exit_code, ran, ivr_set), flags, true);
  CLI::App* option = leaf(*ivr, "option", "Set where a digit goes (DEST - removes it)", *flags,
                          exit_code, ran, ivr_option);
  option->add_option("ADDRESS", flags->address, "NAME@DOMAIN")->required();
  option->add_option("DIGIT", flags->digit, "0-9, * or #")->required();
  option
      ->add_option("DEST", flags->destination,
                   "A number, menu:NAME, schedule:NAME, voicemail:BOX, hangup, or -")
      ->required();
  leaf(*ivr, "list",
       "List menus: name, number, timeout, attempts, fallback, direct dial, options, greeting",
       *flags, exit_code, ran, ivr_list)
      ->add_option("DOMAIN", flags->domain, "Only this tenant");
  leaf(*ivr, "rm", "Remove a menu", *flags, exit_code, ran, ivr_rm)
      ->add_option("ADDRESS", flags->address, "NAME@DOMAIN")
      ->required();

  CLI::App* schedule = app.add_subcommand("schedule", "Manage time schedules (business hours)");
  schedule->require_subcommand(1);
  schedule_options(leaf(*schedule, "add", "Add a schedule", *flags, exit_code, ran, schedule_add),
                   flags);
  schedule_options(
      leaf(*schedule, "set", "Change a schedule", *flags, exit_code, ran, schedule_set), flags);
  leaf(*schedule, "list", "List schedules: name, number, zone, hours, holidays, destinations",
       *flags, exit_code, ran, schedule_list)
      ->add_option("DOMAIN", flags->domain, "Only this tenant");
  leaf(*schedule, "rm", "Remove a schedule", *flags, exit_code, ran, schedule_rm)
      ->add_option("ADDRESS", flags->address, "NAME@DOMAIN")
      ->required();
}

}  // namespace parley::app
