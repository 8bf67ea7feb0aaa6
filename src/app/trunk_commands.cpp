#include "app/trunk_commands.hpp"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/cli_leaf.hpp"
#include "app/serve.hpp"
#include "app/trunk_status_file.hpp"
#include "store/call_limits_store.hpp"
#include "store/routing_store.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/trunk_store.hpp"
#include "store/trunk_validation.hpp"
#include "store/validation.hpp"

namespace parley::app {

struct TrunkFlags {
  std::string data_dir = "var";
  std::string address;  // NAME@DOMAIN, NUMBER@DOMAIN or EXT@DOMAIN
  std::string domain;   // list filter, tenant limits
  // trunk add
  std::string host;
  std::uint16_t port = 0;
  std::string transport = "udp";
  bool registers = false;
  std::string username;
  std::string password;
  std::string realm;
  std::uint32_t expires = 600;
  std::uint32_t max_calls = 0;
  std::string caller_id;
  std::string codecs;
  bool no_keepalive = false;
  bool caller_id_passthrough = false;
  std::string on_off;  // trunk passthrough
  // did
  std::string destination;  // KIND:TARGET
  std::string trunk;
  // route add
  std::optional<std::string> prefix;
  std::optional<std::string> length;
  std::optional<std::string> regex;
  std::uint32_t strip = 0;
  std::string prepend;
  std::string trunks;  // comma-separated
  std::int64_t priority = 0;
  bool emergency = false;
  // user permissions
  std::optional<std::string> classes;
  // tenant limits
  std::optional<std::uint32_t> max_external_calls;
  std::optional<std::uint32_t> calls_per_hour;
  std::optional<std::uint32_t> minutes_per_hour;
  std::optional<std::string> country;
  std::optional<std::string> blocked;
  std::optional<std::string> emergency_numbers;
  std::optional<std::string> mobile;
  std::optional<std::string> premium;
  std::optional<std::string> international_prefix;
  std::optional<std::string> national_prefix;
};

namespace {

using store::sqlite::SqliteStore;

std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> items;
  while (!text.empty()) {
    const auto comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) items.emplace_back(item);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return items;
}

std::string join(const std::vector<std::string>& items) {
  std::string text;
  for (const auto& item : items) text += (text.empty() ? "" : ",") + item;
  return text;
}

// The data folder and tenant that a `WHAT@DOMAIN` argument names, and the part before '@'.
struct Target {
  std::unique_ptr<SqliteStore> db;
  store::Tenant tenant;
  std::string name;
};

Result<Target> open_target(const TrunkFlags& flags, std::string_view example) {
  const auto at = flags.address.rfind('@');
  if (at == std::string::npos || at == 0 || at + 1 == flags.address.size()) {
    return make_error(kExitRuntimeError, "'" + flags.address + "' is not " + std::string(example));
  }
  auto domain = store::normalize_domain(flags.address.substr(at + 1));
  if (!domain) return domain.error();
  auto db = open_cli_store(flags.data_dir);
  if (!db) return db.error();
  auto tenant = (*db)->get_tenant_by_domain(*domain);
  if (!tenant) return tenant.error();
  return Target{std::move(db).value(), std::move(tenant).value(), flags.address.substr(0, at)};
}

std::string host_port(const store::Trunk& trunk) {
  const bool ipv6 = trunk.host.find(':') != std::string::npos;
  std::string text = ipv6 ? "[" + trunk.host + "]" : trunk.host;
  if (trunk.port != 0) text += ":" + std::to_string(trunk.port);
  return text;
}

// --- trunks --------------------------------------------------------------------------------

int trunk_add(const TrunkFlags& flags) {
  auto target = open_target(flags, "NAME@DOMAIN (e.g. main@example.com)");
  if (!target) return cli_fail(target.error().message);
  store::Trunk trunk;
  trunk.tenant_id = target->tenant.id;
  trunk.name = target->name;
  trunk.host = flags.host;
  trunk.port = flags.port;
  trunk.transport = flags.transport;
  trunk.registers = flags.registers;
  trunk.username = flags.username;
  trunk.password = flags.password;
  trunk.auth_realm = flags.realm;
  trunk.register_expires = flags.expires;
  trunk.codecs = flags.codecs;
  trunk.caller_id = flags.caller_id;
  trunk.max_calls = flags.max_calls;
  trunk.options_keepalive = !flags.no_keepalive;
  trunk.caller_id_passthrough = flags.caller_id_passthrough;
  if (auto added = target->db->add_trunk(trunk); !added) return cli_fail(added.error().message);
  std::printf("trunk %s@%s added\n", trunk.name.c_str(), target->tenant.domain.c_str());
  return kExitOk;
}

int trunk_list(const TrunkFlags& flags) {
  return list_per_tenant(
      flags.data_dir, flags.domain,
      [](store::sqlite::SqliteStore& db, const store::Tenant& tenant) {
        return db.list_trunks(tenant.id);
      },
      [&](const store::Tenant& tenant, const auto& trunk) {
        // name@domain, transport, host[:port], register|peer, max calls, caller-ID
        std::printf("%s@%s\t%s\t%s\t%s\t%s\t%s\n", trunk.name.c_str(), tenant.domain.c_str(),
                    trunk.transport.c_str(), host_port(trunk).c_str(),
                    trunk.registers ? "register" : "peer",
                    trunk.max_calls == 0 ? "unlimited" : std::to_string(trunk.max_calls).c_str(),
                    trunk.caller_id.c_str());
      });
}

// What the running server knows (decision 0026): it rewrites <data>/trunk-status every second;
// a missing or stale file means no server runs on this data folder.
int trunk_status(const TrunkFlags& flags) {
  constexpr std::int64_t kStaleAfterSeconds = 5;
  const std::filesystem::path file = std::filesystem::path(flags.data_dir) / kTrunkStatusFileName;
  if (!std::filesystem::exists(file)) {
    return cli_fail("no trunk status in " + flags.data_dir + ": is `parley serve --data " +
                    flags.data_dir + "` running?");
  }
  auto report = read_trunk_status(file);
  if (!report) return cli_fail(report.error().message);
  const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  if (now - report->written_at > kStaleAfterSeconds) {
    return cli_fail("the trunk status in " + flags.data_dir + " is " +
                    std::to_string(now - report->written_at) + " s old: the server (pid " +
                    std::to_string(report->pid) + ") is not running or is stuck");
  }
  if (report->rows.empty()) {
    std::printf("no trunks\n");
    return kExitOk;
  }
  std::fputs(render_trunk_status(*report, now).c_str(), stdout);
  return kExitOk;
}

int trunk_show(const TrunkFlags& flags) {
  auto target = open_target(flags, "NAME@DOMAIN (e.g. main@example.com)");
  if (!target) return cli_fail(target.error().message);
  auto found = target->db->find_trunk(target->tenant.id, target->name);
  if (!found) return cli_fail(found.error().message);
  if (!*found) {
    return cli_fail("no trunk " + target->name + " in tenant " + target->tenant.domain);
  }
  const store::Trunk& trunk = **found;
  std::printf("name: %s@%s\n", trunk.name.c_str(), target->tenant.domain.c_str());
  std::printf("host: %s\n", trunk.host.c_str());
  std::printf("port: %s\n", trunk.port == 0 ? "default" : std::to_string(trunk.port).c_str());
  std::printf("transport: %s\n", trunk.transport.c_str());
  std::printf("registers: %s\n", trunk.registers ? "yes" : "no");
  std::printf("username: %s\n", trunk.username.c_str());
  std::printf("password: %s\n", trunk.password.empty() ? "(none)" : "(set)");
  std::printf("realm: %s\n", trunk.auth_realm.empty() ? "(any)" : trunk.auth_realm.c_str());
  std::printf("register expires: %u\n", trunk.register_expires);
  std::printf("codecs: %s\n", trunk.codecs.empty() ? "(all)" : trunk.codecs.c_str());
  std::printf("caller-id: %s\n", trunk.caller_id.c_str());
  std::printf("caller-id passthrough: %s\n", trunk.caller_id_passthrough ? "yes" : "no");
  std::printf("max calls: %s\n",
              trunk.max_calls == 0 ? "unlimited" : std::to_string(trunk.max_calls).c_str());
  std::printf("options keep-alive: %s\n", trunk.options_keepalive ? "yes" : "no");
  std::printf("enabled: %s\n", trunk.enabled ? "yes" : "no");
  return kExitOk;
}

// Changes one setting of an existing trunk and says what it did ("enabled").
int change_trunk(const TrunkFlags& flags, void (*change)(store::Trunk&, const TrunkFlags&),
                 const std::string& done) {
  auto target = open_target(flags, "NAME@DOMAIN (e.g. main@example.com)");
  if (!target) return cli_fail(target.error().message);
  auto found = target->db->find_trunk(target->tenant.id, target->name);
  if (!found) return cli_fail(found.error().message);
  if (!*found) return cli_fail("no trunk " + target->name + " in tenant " + target->tenant.domain);
  store::Trunk trunk = **found;
  change(trunk, flags);
  if (auto updated = target->db->update_trunk(trunk); !updated) {
    return cli_fail(updated.error().message);
  }
  std::printf("trunk %s@%s %s\n", target->name.c_str(), target->tenant.domain.c_str(),
              done.c_str());
  return kExitOk;
}

// Decision 0047: whether a forwarded outside caller keeps its own number in From.
int trunk_passthrough(const TrunkFlags& flags) {
  return change_trunk(
      flags,
      [](store::Trunk& trunk, const TrunkFlags& given) {
        trunk.caller_id_passthrough = given.on_off == "on";
      },
      "caller-id passthrough " + flags.on_off);
}

int trunk_enable(const TrunkFlags& flags) {
  return change_trunk(
      flags, [](store::Trunk& trunk, const TrunkFlags&) { trunk.enabled = true; }, "enabled");
}
int trunk_disable(const TrunkFlags& flags) {
  return change_trunk(
      flags, [](store::Trunk& trunk, const TrunkFlags&) { trunk.enabled = false; }, "disabled");
}

int trunk_rm(const TrunkFlags& flags) {
  auto target = open_target(flags, "NAME@DOMAIN (e.g. main@example.com)");
  if (!target) return cli_fail(target.error().message);
  if (auto removed = target->db->remove_trunk(target->tenant.id, target->name); !removed) {
    return cli_fail(removed.error().message);
  }
  std::printf("trunk %s@%s removed\n", target->name.c_str(), target->tenant.domain.c_str());
  return kExitOk;
}

// --- DIDs ----------------------------------------------------------------------------------

int did_add(const TrunkFlags& flags) {
  auto target = open_target(flags, "NUMBER@DOMAIN (e.g. +442071234567@example.com)");
  if (!target) return cli_fail(target.error().message);
  const auto colon = flags.destination.find(':');
  const auto kind =
      store::parse_did_destination_kind(std::string_view(flags.destination).substr(0, colon));
  if (colon == std::string::npos || !kind) {
    return cli_fail(
        "--to must be KIND:TARGET with KIND extension, ringgroup, ivr, queue or "
        "voicemail (e.g. extension:1001), got '" +
        flags.destination + "'");
  }
  store::Did did{
      0, target->tenant.id, target->name, flags.trunk, *kind, flags.destination.substr(colon + 1),
      0};
  if (auto added = target->db->add_did(did); !added) return cli_fail(added.error().message);
  std::printf("DID %s@%s -> %s%s\n", did.number.c_str(), target->tenant.domain.c_str(),
              flags.destination.c_str(),
              did.trunk.empty() ? "" : (" (trunk " + did.trunk + ")").c_str());
  return kExitOk;
}

int did_list(const TrunkFlags& flags) {
  return list_per_tenant(
      flags.data_dir, flags.domain,
      [](store::sqlite::SqliteStore& db, const store::Tenant& tenant) {
        return db.list_dids(tenant.id);
      },
      [&](const store::Tenant& tenant, const auto& did) {
        // number@domain, destination, trunk (or "any")
        std::printf("%s@%s\t%s:%s\t%s\n", did.number.c_str(), tenant.domain.c_str(),
                    std::string(store::to_text(did.kind)).c_str(), did.target.c_str(),
                    did.trunk.empty() ? "any" : did.trunk.c_str());
      });
}

int did_rm(const TrunkFlags& flags) {
  auto target = open_target(flags, "NUMBER@DOMAIN (e.g. +442071234567@example.com)");
  if (!target) return cli_fail(target.error().message);
  if (auto removed = target->db->remove_did(target->tenant.id, target->name, flags.trunk);
      !removed) {
    return cli_fail(removed.error().message);
  }
  std::printf("DID %s@%s removed\n", target->name.c_str(), target->tenant.domain.c_str());
  return kExitOk;
}

// --- outbound routes -----------------------------------------------------------------------

int route_add(const TrunkFlags& flags) {
  const int patterns = (flags.prefix ? 1 : 0) + (flags.length ? 1 : 0) + (flags.regex ? 1 : 0);
  if (patterns != 1) return cli_fail("give exactly one of --prefix, --length and --regex");
  auto target = open_target(flags, "NAME@DOMAIN (e.g. international@example.com)");
  if (!target) return cli_fail(target.error().message);
  store::OutboundRoute route;
  route.tenant_id = target->tenant.id;
  route.name = target->name;
  route.priority = flags.priority;
  if (flags.prefix) {
    route.pattern_kind = store::RoutePatternKind::kPrefix;
    route.pattern = *flags.prefix;
  } else if (flags.length) {
    route.pattern_kind = store::RoutePatternKind::kLength;
    route.pattern = *flags.length;
  } else {
    route.pattern_kind = store::RoutePatternKind::kRegex;
    route.pattern = *flags.regex;
  }
  route.strip_digits = flags.strip;
  route.prepend = flags.prepend;
  route.trunks = split_list(flags.trunks);
  route.caller_id = flags.caller_id;
  route.emergency = flags.emergency;
  if (auto added = target->db->add_outbound_route(route); !added) {
    return cli_fail(added.error().message);
  }
  std::printf("route %s@%s added\n", route.name.c_str(), target->tenant.domain.c_str());
  return kExitOk;
}

int route_list(const TrunkFlags& flags) {
  return list_per_tenant(
      flags.data_dir, flags.domain,
      [](store::sqlite::SqliteStore& db, const store::Tenant& tenant) {
        return db.list_outbound_routes(tenant.id);
      },
      [&](const store::Tenant& tenant, const auto& route) {
        // name@domain, priority, kind:pattern, strip, prepend, trunks, caller-ID, emergency
        std::printf("%s@%s\t%lld\t%s:%s\tstrip %u\tprepend %s\ttrunks %s\t%s\t%s\n",
                    route.name.c_str(), tenant.domain.c_str(),
                    static_cast<long long>(route.priority),
                    std::string(store::to_text(route.pattern_kind)).c_str(), route.pattern.c_str(),
                    route.strip_digits, route.prepend.empty() ? "-" : route.prepend.c_str(),
                    join(route.trunks).c_str(), route.caller_id.c_str(),
                    route.emergency ? "emergency" : "");
      });
}

int route_rm(const TrunkFlags& flags) {
  auto target = open_target(flags, "NAME@DOMAIN (e.g. international@example.com)");
  if (!target) return cli_fail(target.error().message);
  if (auto removed = target->db->remove_outbound_route(target->tenant.id, target->name); !removed) {
    return cli_fail(removed.error().message);
  }
  std::printf("route %s@%s removed\n", target->name.c_str(), target->tenant.domain.c_str());
  return kExitOk;
}

// --- toll-fraud settings -------------------------------------------------------------------

int user_permissions(const TrunkFlags& flags) {
  auto target = open_target(flags, "EXT@DOMAIN (e.g. 1001@example.com)");
  if (!target) return cli_fail(target.error().message);
  if (flags.classes) {
    auto classes = store::CallClassSet::parse(*flags.classes);
    if (!classes) return cli_fail(classes.error().message);
    if (auto set = target->db->set_call_classes(target->tenant.id, target->name, *classes); !set) {
      return cli_fail(set.error().message);
    }
  }
  auto classes = target->db->get_call_classes(target->tenant.id, target->name);
  if (!classes) return cli_fail(classes.error().message);
  std::printf("user %s@%s may call: %s\n", target->name.c_str(), target->tenant.domain.c_str(),
              classes->to_text().c_str());
  return kExitOk;
}

void print_limits(const store::TenantCallLimits& limits, const std::string& domain) {
  const auto count = [](std::uint32_t value) {
    return value == 0 ? std::string("unlimited") : std::to_string(value);
  };
  const auto list = [](const std::vector<std::string>& items) {
    return items.empty() ? std::string("(none)") : join(items);
  };
  const auto prefix = [](const std::optional<std::string>& value) {
    if (!value) return std::string("(from the country)");
    return value->empty() ? std::string("none") : *value;
  };
  std::printf("tenant: %s\n", domain.c_str());
  std::printf("max external calls: %s\n", count(limits.max_external_calls).c_str());
  std::printf("calls per hour: %s\n", count(limits.calls_per_hour).c_str());
  std::printf("minutes per hour: %s\n", count(limits.minutes_per_hour).c_str());
  std::printf("country: %s\n",
              limits.country_code.empty() ? "(none)" : limits.country_code.c_str());
  std::printf("international prefix: %s\n", prefix(limits.international_prefix).c_str());
  std::printf("national prefix: %s\n", prefix(limits.national_prefix).c_str());
  std::printf("blocked prefixes: %s\n", list(limits.blocked_prefixes).c_str());
  std::printf("emergency numbers: 112,911,999,000,110,119%s%s\n",
              limits.emergency_numbers.empty() ? "" : ",", join(limits.emergency_numbers).c_str());
  std::printf("mobile prefixes: %s\n", list(limits.mobile_prefixes).c_str());
  std::printf("premium prefixes: %s\n", list(limits.premium_prefixes).c_str());
}

int tenant_limits(const TrunkFlags& flags) {
  auto db = open_cli_store(flags.data_dir);
  if (!db) return cli_fail(db.error().message);
  auto tenant = (*db)->get_tenant_by_domain(flags.domain);
  if (!tenant) return cli_fail(tenant.error().message);
  auto current = (*db)->get_tenant_call_limits(tenant->id);
  if (!current) return cli_fail(current.error().message);
  store::TenantCallLimits limits = std::move(current).value();
  // Only the flags given change; "none" clears a list.
  const auto list = [](const std::optional<std::string>& text, std::vector<std::string>& out) {
    if (text) out = *text == "none" ? std::vector<std::string>{} : split_list(*text);
  };
  const auto access = [](const std::optional<std::string>& text, std::optional<std::string>& out) {
    if (!text) return;
    if (*text == "auto") {
      out.reset();
    } else {
      out = *text == "none" ? std::string() : *text;
    }
  };
  if (flags.max_external_calls) limits.max_external_calls = *flags.max_external_calls;
  if (flags.calls_per_hour) limits.calls_per_hour = *flags.calls_per_hour;
  if (flags.minutes_per_hour) limits.minutes_per_hour = *flags.minutes_per_hour;
  if (flags.country) limits.country_code = *flags.country == "none" ? "" : *flags.country;
  list(flags.blocked, limits.blocked_prefixes);
  list(flags.emergency_numbers, limits.emergency_numbers);
  list(flags.mobile, limits.mobile_prefixes);
  list(flags.premium, limits.premium_prefixes);
  access(flags.international_prefix, limits.international_prefix);
  access(flags.national_prefix, limits.national_prefix);
  const bool changing = flags.max_external_calls || flags.calls_per_hour ||
                        flags.minutes_per_hour || flags.country || flags.blocked ||
                        flags.emergency_numbers || flags.mobile || flags.premium ||
                        flags.international_prefix || flags.national_prefix;
  if (changing) {
    if (auto set = (*db)->set_tenant_call_limits(limits); !set)
      return cli_fail(set.error().message);
    auto stored = (*db)->get_tenant_call_limits(tenant->id);
    if (!stored) return cli_fail(stored.error().message);
    limits = std::move(stored).value();
  }
  print_limits(limits, tenant->domain);
  return kExitOk;
}

}  // namespace

TrunkCommands::~TrunkCommands() = default;

TrunkCommands::TrunkCommands(CLI::App& app) : flags_(std::make_unique<TrunkFlags>()) {
  TrunkFlags* flags = flags_.get();
  int* exit_code = &exit_code_;
  bool* ran = &ran_;

  CLI::App* trunk = app.add_subcommand("trunk", "SIP trunks: provider accounts");
  trunk->require_subcommand(1);
  CLI::App* add = leaf(*trunk, "add", "Add a trunk to a tenant", *flags, exit_code, ran, trunk_add);
  add->add_option("ADDRESS", flags->address, "NAME@DOMAIN, e.g. main@example.com")->required();
  add->add_option("--host", flags->host, "Provider host name or IP address")->required();
  add->add_option("--port", flags->port, "Port (default: DNS SRV, or 5060/5061)");
  add->add_option("--transport", flags->transport, "udp, tcp or tls (default: udp)")
      ->check(CLI::IsMember({"udp", "tcp", "tls", "UDP", "TCP", "TLS"}));
  add->add_flag("--register", flags->registers,
                "Register to the provider (else it is peered by IP address)");
  add->add_option("--username", flags->username, "Digest username and AOR user");
  add->add_option("--password", flags->password, "Digest password");
  add->add_option("--realm", flags->realm, "Only answer challenges of this realm");
  add->add_option("--expires", flags->expires, "Registration expiry in seconds (default: 600)");
  add->add_option("--max-calls", flags->max_calls, "Concurrent calls (default: unlimited)");
  add->add_option("--caller-id", flags->caller_id, "Default caller-ID on this trunk");
  add->add_option("--codecs", flags->codecs, "Comma-separated codecs allowed (default: all)");
  add->add_flag("--no-keepalive", flags->no_keepalive, "Do not send OPTIONS keep-alives");
  add->add_flag("--caller-id-passthrough", flags->caller_id_passthrough,
                "Forwarded outside callers keep their own number in From (default: the "
                "trunk's caller-ID)");
  leaf(*trunk, "list", "List trunks: address, transport, host, register|peer, max calls, caller-ID",
       *flags, exit_code, ran, trunk_list)
      ->add_option("DOMAIN", flags->domain, "Only this tenant");
  leaf(*trunk, "show", "Show one trunk's settings (not its password)", *flags, exit_code, ran,
       trunk_show)
      ->add_option("ADDRESS", flags->address, "NAME@DOMAIN")
      ->required();
  leaf(*trunk, "enable", "Use a disabled trunk again (applied within a second)", *flags, exit_code,
       ran, trunk_enable)
      ->add_option("ADDRESS", flags->address, "NAME@DOMAIN")
      ->required();
  leaf(*trunk, "disable",
       "Stop using a trunk without removing it: it unregisters, carries no new calls", *flags,
       exit_code, ran, trunk_disable)
      ->add_option("ADDRESS", flags->address, "NAME@DOMAIN")
      ->required();
  CLI::App* passthrough = leaf(
      *trunk, "passthrough",
      "Whether forwarded outside callers keep their own number in From (applied within a second)",
      *flags, exit_code, ran, trunk_passthrough);
  passthrough->add_option("ADDRESS", flags->address, "NAME@DOMAIN")->required();
  passthrough->add_option("SETTING", flags->on_off, "on or off")
      ->required()
      ->check(CLI::IsMember({"on", "off"}));
  leaf(*trunk, "status",
       "What the running server knows: registration, expiry, keep-alive, calls/max, last error",
       *flags, exit_code, ran, trunk_status);
  leaf(*trunk, "rm", "Remove a trunk no route or DID names", *flags, exit_code, ran, trunk_rm)
      ->add_option("ADDRESS", flags->address, "NAME@DOMAIN")
      ->required();

  CLI::App* did = app.add_subcommand("did", "Inbound numbers (DIDs) and where they ring");
  did->require_subcommand(1);
  CLI::App* did_add_command = leaf(*did, "add", "Map a number a provider delivers to a destination",
                                   *flags, exit_code, ran, did_add);
  did_add_command->add_option("ADDRESS", flags->address, "NUMBER@DOMAIN")->required();
  did_add_command
      ->add_option("--to", flags->destination,
                   "KIND:TARGET, KIND one of extension, ringgroup, ivr, queue, voicemail")
      ->required();
  did_add_command->add_option("--trunk", flags->trunk, "Only for calls from this trunk");
  leaf(*did, "list", "List DIDs: number, destination, trunk", *flags, exit_code, ran, did_list)
      ->add_option("DOMAIN", flags->domain, "Only this tenant");
  CLI::App* did_rm_command = leaf(*did, "rm", "Remove a DID", *flags, exit_code, ran, did_rm);
  did_rm_command->add_option("ADDRESS", flags->address, "NUMBER@DOMAIN")->required();
  did_rm_command->add_option("--trunk", flags->trunk, "The mapping for this trunk");

  CLI::App* route =
      app.add_subcommand("route", "Outbound routes: which trunks carry which numbers");
  route->require_subcommand(1);
  CLI::App* route_add_command =
      leaf(*route, "add", "Add an outbound route", *flags, exit_code, ran, route_add);
  route_add_command->add_option("ADDRESS", flags->address, "NAME@DOMAIN")->required();
  route_add_command->add_option("--prefix", flags->prefix, "Numbers starting with this");
  route_add_command->add_option("--length", flags->length, "Numbers of N or N-M digits");
  route_add_command->add_option("--regex", flags->regex, "Numbers matching this (ECMAScript)");
  route_add_command->add_option("--strip", flags->strip, "Digits removed from the front");
  route_add_command->add_option("--prepend", flags->prepend, "Then put in front");
  route_add_command->add_option("--trunks", flags->trunks, "Trunk names in failover order: a,b")
      ->required();
  route_add_command->add_option("--caller-id", flags->caller_id, "Caller-ID on this route");
  route_add_command->add_option("--priority", flags->priority,
                                "Lower is tried first (default: after the last route)");
  route_add_command->add_flag("--emergency", flags->emergency,
                              "Carries emergency numbers, tried first for them");
  leaf(*route, "list", "List routes in the order they are tried", *flags, exit_code, ran,
       route_list)
      ->add_option("DOMAIN", flags->domain, "Only this tenant");
  leaf(*route, "rm", "Remove a route", *flags, exit_code, ran, route_rm)
      ->add_option("ADDRESS", flags->address, "NAME@DOMAIN")
      ->required();

  CLI::App* user = app.get_subcommand("user");  // AdminCommands made it
  CLI::App* permissions =
      leaf(*user, "permissions",
           "Show or set which numbers an extension may call (emergency is always allowed)", *flags,
           exit_code, ran, user_permissions);
  permissions->add_option("ADDRESS", flags->address, "EXT@DOMAIN")->required();
  permissions->add_option("CLASSES", flags->classes,
                          "Comma-separated: internal, national, mobile, international, premium "
                          "(or none)");

  CLI::App* tenant = app.get_subcommand("tenant");
  CLI::App* limits = leaf(*tenant, "limits",
                          "Show or set a tenant's toll-fraud limits and number plan; 0 = unlimited",
                          *flags, exit_code, ran, tenant_limits);
  limits->add_option("DOMAIN", flags->domain, "SIP domain")->required();
  limits->add_option("--max-external-calls", flags->max_external_calls, "External calls at once");
  limits->add_option("--calls-per-hour", flags->calls_per_hour, "External calls per hour");
  limits->add_option("--minutes-per-hour", flags->minutes_per_hour, "External minutes per hour");
  limits->add_option("--country", flags->country, "Country code for E.164, e.g. 44 (none)");
  limits->add_option("--block", flags->blocked, "Blocked E.164 prefixes, e.g. 881,882 (none)");
  limits->add_option("--emergency", flags->emergency_numbers,
                     "Extra emergency numbers, e.g. 101 (none)");
  limits->add_option("--mobile", flags->mobile, "Mobile prefixes after the country code (none)");
  limits->add_option("--premium", flags->premium, "Premium prefixes after the country code (none)");
  limits->add_option("--international-prefix", flags->international_prefix,
                     "e.g. 00 (none, auto: from the country)");
  limits->add_option("--national-prefix", flags->national_prefix,
                     "e.g. 0 (none, auto: from the country)");
}

}  // namespace parley::app
