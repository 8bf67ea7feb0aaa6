#include "app/recording_commands.hpp"

#include <cstdio>
#include <ctime>
#include <string>
#include <unordered_map>

#include "app/cli_leaf.hpp"
#include "app/serve.hpp"
#include "store/recording_store.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/validation.hpp"

namespace parley::app {

struct RecordingFlags {
  std::string data_dir = "var";
  std::string domain;
  std::string address;  // EXT@DOMAIN
  std::string mode;
  std::string tenant;     // list filter
  std::string extension;  // list filter
};

namespace {

int tenant_record(const RecordingFlags& flags) {
  auto db = open_cli_store(flags.data_dir);
  if (!db) return cli_fail(db.error().message);
  auto tenant = (*db)->get_tenant_by_domain(flags.domain);
  if (!tenant) return cli_fail(tenant.error().message);
  const bool on = flags.mode == "on";
  if (auto set = (*db)->set_tenant_recording(tenant->id, on); !set) {
    return cli_fail(set.error().message);
  }
  std::printf("tenant %s: calls %s\n", tenant->domain.c_str(),
              on ? "recorded" : "not recorded unless an extension says always");
  return kExitOk;
}

int user_record(const RecordingFlags& flags) {
  const auto at = flags.address.find('@');
  if (at == std::string::npos || at == 0 || at + 1 == flags.address.size()) {
    return cli_fail("'" + flags.address + "' is not EXT@DOMAIN (e.g. 1001@example.com)");
  }
  const std::string number = flags.address.substr(0, at);
  const auto mode = store::parse_extension_recording(flags.mode);
  if (!mode) return cli_fail("recording mode must be always, never or inherit");
  auto db = open_cli_store(flags.data_dir);
  if (!db) return cli_fail(db.error().message);
  auto tenant = (*db)->get_tenant_by_domain(flags.address.substr(at + 1));
  if (!tenant) return cli_fail(tenant.error().message);
  if (auto set = (*db)->set_extension_recording(tenant->id, number, *mode); !set) {
    return cli_fail(set.error().message);
  }
  std::printf("user %s@%s: recording %s\n", number.c_str(), tenant->domain.c_str(),
              std::string(store::to_text(*mode)).c_str());
  return kExitOk;
}

std::string utc_text(store::UnixMillis millis) {
  const std::time_t seconds = static_cast<std::time_t>(millis / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  std::array<char, 32> text{};
  std::strftime(text.data(), text.size(), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text.data();
}

int recording_list(const RecordingFlags& flags) {
  auto db = open_cli_store(flags.data_dir);
  if (!db) return cli_fail(db.error().message);
  store::RecordingQuery query;
  if (!flags.tenant.empty()) {
    auto tenant = (*db)->get_tenant_by_domain(flags.tenant);
    if (!tenant) return cli_fail(tenant.error().message);
    query.tenant = tenant->id;
  }
  query.extension = flags.extension;
  query.limit = store::kMaxRecordingPage;
  auto recordings = (*db)->list_recordings(query);
  if (!recordings) return cli_fail(recordings.error().message);
  auto tenants = (*db)->list_tenants();
  if (!tenants) return cli_fail(tenants.error().message);
  std::unordered_map<store::TenantId, std::string> domains;
  for (const auto& tenant : *tenants) domains[tenant.id] = tenant.domain;
  for (const auto& recording : *recordings) {
    // started, tenant, caller, callee, duration, size, Call-ID, path: tab-separated.
    std::printf("%s\t%s\t%s\t%s\t%llu.%03llus\t%llu\t%s\t%s\n",
                utc_text(recording.started_at).c_str(), domains[recording.tenant_id].c_str(),
                recording.caller.c_str(), recording.callee.c_str(),
                static_cast<unsigned long long>(recording.duration_ms / 1000),
                static_cast<unsigned long long>(recording.duration_ms % 1000),
                static_cast<unsigned long long>(recording.size_bytes), recording.call_id.c_str(),
                recording.path.c_str());
  }
  return kExitOk;
}

}  // namespace

RecordingCommands::~RecordingCommands() = default;

RecordingCommands::RecordingCommands(CLI::App& app) : flags_(std::make_unique<RecordingFlags>()) {
  RecordingFlags* flags = flags_.get();
  int* exit_code = &exit_code_;
  bool* ran = &ran_;

  {
    CLI::App* tenant = app.get_subcommand("tenant");  // AdminCommands made it
    CLI::App* record = leaf(*tenant, "record", "Record all calls of a tenant by default, or not",
                            *flags, exit_code, ran, tenant_record);
    record->add_option("DOMAIN", flags->domain, "SIP domain")->required();
    record->add_option("MODE", flags->mode, "on or off")
        ->required()
        ->check(CLI::IsMember({"on", "off"}));
  }
  {
    CLI::App* user = app.get_subcommand("user");
    CLI::App* record = leaf(*user, "record",
                            "Record an extension's calls: always, never, or as "
                            "its tenant says (inherit)",
                            *flags, exit_code, ran, user_record);
    record->add_option("ADDRESS", flags->address, "EXT@DOMAIN")->required();
    record->add_option("MODE", flags->mode, "always, never or inherit")
        ->required()
        ->check(CLI::IsMember({"always", "never", "inherit"}));
  }
  CLI::App* recording = app.add_subcommand("recording", "Call recordings");
  recording->require_subcommand(1);
  CLI::App* list = leaf(*recording, "list",
                        "List recordings, newest first: started, tenant, caller, callee, "
                        "duration, bytes, Call-ID, file",
                        *flags, exit_code, ran, recording_list);
  list->add_option("--tenant", flags->tenant, "Only this tenant (domain)");
  list->add_option("--extension", flags->extension, "Only calls from or to this extension");
}

}  // namespace parley::app
