#include "app/voicemail_commands.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <string>

#include "app/cli_leaf.hpp"
#include "app/serve.hpp"
#include "http/api/credentials.hpp"
#include "pbx/voicemail_menu.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/validation.hpp"
#include "store/voicemail_store.hpp"

namespace parley::app {

struct VoicemailFlags {
  std::string data_dir = "var";
  std::string address;  // EXT@DOMAIN
  std::int64_t id = 0;
  std::string mode;
  std::string pin;
  std::uint32_t max_messages = 0;
  std::string email;
  bool clear = false;
};

namespace {

using store::sqlite::SqliteStore;

struct Box {
  std::unique_ptr<SqliteStore> db;
  store::Tenant tenant;
  std::string number;
};

Result<Box> open_box(const VoicemailFlags& flags) {
  const std::string& text = flags.address;
  const auto at = text.find('@');
  if (at == std::string::npos || at == 0 || at + 1 == text.size()) {
    return make_error(kExitRuntimeError,
                      "'" + text + "' is not EXT@DOMAIN (e.g. 1001@example.com)");
  }
  std::string number = text.substr(0, at);
  if (auto valid = store::check_extension_number(number); !valid) return valid.error();
  store::sqlite::SqliteStoreOptions options;
  options.data_dir = flags.data_dir;
  options.create_if_missing = false;
  auto db = SqliteStore::open(options);
  if (!db) return db.error();
  auto tenant = (*db)->get_tenant_by_domain(text.substr(at + 1));
  if (!tenant) return tenant.error();
  if (auto extension = (*db)->get_extension(tenant->id, number); !extension) {
    return extension.error();
  }
  return Box{std::move(db).value(), std::move(tenant).value(), std::move(number)};
}

std::string utc_text(store::UnixMillis millis) {
  const std::time_t seconds = static_cast<std::time_t>(millis / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  std::array<char, 32> text{};
  std::strftime(text.data(), text.size(), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text.data();
}

int voicemail_list(const VoicemailFlags& flags) {
  auto box = open_box(flags);
  if (!box) return cli_fail(box.error().message);
  auto messages = box->db->list_voicemail(box->tenant.id, box->number, store::kMaxVoicemailPage);
  if (!messages) return cli_fail(messages.error().message);
  for (const auto& message : *messages) {
    // id, received, state, caller, duration, bytes, file: tab-separated.
    std::printf("%lld\t%s\t%s\t%s\t%llu.%03llus\t%llu\t%s\n", static_cast<long long>(message.id),
                utc_text(message.received_at).c_str(),
                std::string(store::to_text(message.state)).c_str(), message.caller.c_str(),
                static_cast<unsigned long long>(message.duration_ms / 1000),
                static_cast<unsigned long long>(message.duration_ms % 1000),
                static_cast<unsigned long long>(message.size_bytes), message.path.c_str());
  }
  return kExitOk;
}

int voicemail_rm(const VoicemailFlags& flags) {
  auto box = open_box(flags);
  if (!box) return cli_fail(box.error().message);
  auto removed = box->db->remove_voicemail(box->tenant.id, box->number, flags.id);
  if (!removed) return cli_fail(removed.error().message);
  // The row goes first: a file without a row is only wasted space, a row without its file
  // would be a message that cannot be played.
  std::error_code error;
  std::filesystem::remove(removed->path, error);
  if (error) {
    std::fprintf(stderr, "parley: message %lld removed, but its file %s stays: %s\n",
                 static_cast<long long>(flags.id), removed->path.c_str(), error.message().c_str());
  }
  std::printf("removed message %lld from voicemail box %s@%s\n", static_cast<long long>(flags.id),
              box->number.c_str(), box->tenant.domain.c_str());
  return kExitOk;
}

int user_voicemail(const VoicemailFlags& flags) {
  auto box = open_box(flags);
  if (!box) return cli_fail(box.error().message);
  const bool on = flags.mode == "on";
  if (auto set = box->db->set_voicemail_enabled(box->tenant.id, box->number, on); !set) {
    return cli_fail(set.error().message);
  }
  std::printf("user %s@%s: voicemail %s\n", box->number.c_str(), box->tenant.domain.c_str(),
              on ? "on" : "off (calls that would reach it get 480)");
  return kExitOk;
}

// 4 to pbx::kMaxPinDigits digits: what a phone's keypad can send and the menu collects.
Result<void> check_pin(std::string_view pin) {
  const bool digits =
      std::all_of(pin.begin(), pin.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!digits || pin.size() < 4 || pin.size() > pbx::kMaxPinDigits) {
    return make_error(kExitRuntimeError,
                      "a voicemail PIN is 4 to " + std::to_string(pbx::kMaxPinDigits) + " digits");
  }
  return {};
}

int voicemail_pin(const VoicemailFlags& flags) {
  if (auto valid = check_pin(flags.pin); !valid) return cli_fail(valid.error().message);
  auto box = open_box(flags);
  if (!box) return cli_fail(box.error().message);
  auto hash = http::api::hash_password(flags.pin);
  if (!hash) return cli_fail(hash.error().message);
  if (auto set = box->db->set_voicemail_pin_hash(box->tenant.id, box->number, *hash); !set) {
    return cli_fail(set.error().message);
  }
  std::printf("voicemail box %s@%s: PIN set (stored hashed)\n", box->number.c_str(),
              box->tenant.domain.c_str());
  return kExitOk;
}

int voicemail_limit(const VoicemailFlags& flags) {
  auto box = open_box(flags);
  if (!box) return cli_fail(box.error().message);
  if (auto set =
          box->db->set_voicemail_max_messages(box->tenant.id, box->number, flags.max_messages);
      !set) {
    return cli_fail(set.error().message);
  }
  std::printf("voicemail box %s@%s: at most %u messages\n", box->number.c_str(),
              box->tenant.domain.c_str(), static_cast<unsigned>(flags.max_messages));
  return kExitOk;
}

int voicemail_email(const VoicemailFlags& flags) {
  if (flags.clear == !flags.email.empty()) {
    return cli_fail("give either an e-mail ADDRESS or --clear");
  }
  // Checked before the store opens: a typo must not touch the data folder.
  if (!flags.clear) {
    if (auto valid = store::check_email_address(flags.email); !valid) {
      return cli_fail(valid.error().message);
    }
  }
  auto box = open_box(flags);
  if (!box) return cli_fail(box.error().message);
  if (auto set = box->db->set_voicemail_email(box->tenant.id, box->number, flags.email); !set) {
    return cli_fail(set.error().message);
  }
  if (flags.clear) {
    std::printf("voicemail box %s@%s: messages are not mailed\n", box->number.c_str(),
                box->tenant.domain.c_str());
  } else {
    std::printf("voicemail box %s@%s: new messages are mailed to %s\n", box->number.c_str(),
                box->tenant.domain.c_str(), flags.email.c_str());
  }
  return kExitOk;
}

}  // namespace

VoicemailCommands::~VoicemailCommands() = default;

VoicemailCommands::VoicemailCommands(CLI::App& app) : flags_(std::make_unique<VoicemailFlags>()) {
  VoicemailFlags* flags = flags_.get();
  int* exit_code = &exit_code_;
  bool* ran = &ran_;
  {
    CLI::App* user = app.get_subcommand("user");  // AdminCommands made it
    CLI::App* voicemail =
        leaf(*user, "voicemail", "Let an extension's voicemail box take messages, or not", *flags,
             exit_code, ran, user_voicemail);
    voicemail->add_option("ADDRESS", flags->address, "EXT@DOMAIN")->required();
    voicemail->add_option("MODE", flags->mode, "on or off")
        ->required()
        ->check(CLI::IsMember({"on", "off"}));
  }
  CLI::App* voicemail = app.add_subcommand("voicemail", "Voicemail boxes and their messages");
  voicemail->require_subcommand(1);
  CLI::App* list = leaf(*voicemail, "list",
                        "List a box's messages, newest first: id, received, state, caller, "
                        "duration, bytes, file",
                        *flags, exit_code, ran, voicemail_list);
  list->add_option("ADDRESS", flags->address, "EXT@DOMAIN")->required();
  CLI::App* rm = leaf(*voicemail, "rm", "Delete a message (its row and its file)", *flags,
                      exit_code, ran, voicemail_rm);
  rm->add_option("ADDRESS", flags->address, "EXT@DOMAIN")->required();
  rm->add_option("ID", flags->id, "Message id (from voicemail list)")->required();
  CLI::App* pin = leaf(*voicemail, "pin",
                       "Set the PIN of a box's voicemail menu (*97), 4-12 digits; stored hashed",
                       *flags, exit_code, ran, voicemail_pin);
  pin->add_option("ADDRESS", flags->address, "EXT@DOMAIN")->required();
  pin->add_option("PIN", flags->pin, "4 to 12 digits")->required();
  CLI::App* limit = leaf(*voicemail, "limit",
                         "How many messages a box keeps; callers to a full box hear an apology",
                         *flags, exit_code, ran, voicemail_limit);
  limit->add_option("ADDRESS", flags->address, "EXT@DOMAIN")->required();
  limit->add_option("MESSAGES", flags->max_messages, "1 to 10000 (default 100)")->required();
  CLI::App* email = leaf(*voicemail, "email",
                         "Mail a box's new messages with the recording attached (needs [smtp] in "
                         "the configuration), or stop with --clear",
                         *flags, exit_code, ran, voicemail_email);
  email->add_option("EXT", flags->address, "EXT@DOMAIN")->required();
  email->add_option("ADDRESS", flags->email, "e.g. alice@example.com");
  email->add_flag("--clear", flags->clear, "Stop mailing this box's messages");
}

}  // namespace parley::app
