#include "app/cli.hpp"

// GCC 12 reports a -Wnull-dereference false positive inside CLI11's string helpers.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#endif
#include <CLI/CLI.hpp>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "app/access_commands.hpp"
#include "app/admin_commands.hpp"
#include "app/call_feature_commands.hpp"
#include "app/conference_commands.hpp"
#include "app/config.hpp"
#include "app/device_commands.hpp"
#include "app/ivr_commands.hpp"
#include "app/pickup_group_commands.hpp"
#include "app/queue_commands.hpp"
#include "app/recording_commands.hpp"
#include "app/serve.hpp"
#include "app/supply_chain_commands.hpp"
#include "app/trunk_commands.hpp"
#include "app/trunk_tls_commands.hpp"
#include "app/voicemail_commands.hpp"
#include "net/address.hpp"

namespace parley::app {
namespace {

constexpr const char* kExitCodes =
    "Exit codes: 0 success; 1 runtime error (bad configuration file, cannot bind a socket or\n"
    "create the data directory, unknown tenant, duplicate extension, bad domain); 2 usage error\n"
    "(unknown flag, bad flag value, no subcommand).";

struct ServeFlags {
  std::string config_path;
  std::string data_dir;
  std::vector<std::string> sip_listen;
  std::optional<std::string> http_listen;
  std::optional<std::string> sip_tls_listen;
  std::string log_level;
  std::optional<std::size_t> workers;
};

int run_serve(const ServeFlags& flags) {
  Result<Config> loaded =
      flags.config_path.empty() ? Result<Config>(Config{}) : load_config_file(flags.config_path);
  if (!loaded) {
    std::fprintf(stderr, "parley: configuration error: %s\n", loaded.error().message.c_str());
    return kExitRuntimeError;
  }
  Config config = std::move(loaded.value());
  // Flags beat the file.
  if (!flags.data_dir.empty()) config.data_dir = flags.data_dir;
  if (!flags.sip_listen.empty()) config.sip_listen = flags.sip_listen;
  if (flags.http_listen) config.http_listen = *flags.http_listen;
  if (flags.sip_tls_listen) config.tls_listen = *flags.sip_tls_listen;
  if (!flags.log_level.empty()) config.log_level = flags.log_level;
  if (flags.workers) config.workers = *flags.workers;
  if (config.web_root.empty()) config.web_root = default_web_root();
  if (auto valid = validate(config); !valid) {
    std::fprintf(stderr, "parley: configuration error: %s\n", valid.error().message.c_str());
    return kExitRuntimeError;
  }
  configure_logging(config.log_level);
  return serve(config);
}

}  // namespace

int run_cli(int argc, const char* const* argv) {
  CLI::App app{"Parley: an open-source business phone system (SIP server).", "parley"};
  app.set_version_flag("--version", "parley " + std::string(version()));
  app.footer(kExitCodes);
  app.require_subcommand(1);

  ServeFlags flags;
  CLI::App* serve_command = app.add_subcommand(
      "serve",
      "Run the server. Prints 'listening sip <udp|tcp> <address>' on stdout per bound socket; "
      "stops cleanly on SIGTERM or SIGINT.");
  serve_command->footer(kExitCodes);
  serve_command
      ->add_option("--config", flags.config_path,
                   "TOML configuration file (keys: see config/parley.example.toml); "
                   "without it the built-in defaults apply")
      ->type_name("FILE");
  serve_command
      ->add_option("--data", flags.data_dir, "Data directory, created if missing (default: var)")
      ->type_name("DIR");
  const CLI::Validator listen_address(
      [](std::string& text) -> std::string {
        return net::SocketAddress::parse(text, 5060)
                   ? std::string()
                   : "'" + text + "' is not IP:PORT (127.0.0.1:5060, [::1]:5060; port 0 = any)";
      },
      "");
  serve_command
      ->add_option("--sip-listen", flags.sip_listen,
                   "Listen for SIP over UDP and TCP on this address; repeatable; replaces "
                   "sip.listen (default: 127.0.0.1:5060)")
      ->check(listen_address)
      ->allow_extra_args(false)
      ->type_name("ADDR:PORT");
  serve_command
      ->add_option("--sip-tls-listen", flags.sip_tls_listen,
                   "Listen for SIP over TLS on this address; \"\" = off (default: off, or "
                   "sip.tls_listen)")
      ->check(CLI::Validator(
          [](std::string& text) -> std::string {
            return text.empty() || net::SocketAddress::parse(text, 5061)
                       ? std::string()
                       : "'" + text + "' is not IP:PORT (127.0.0.1:5061; port 0 = any)";
          },
          ""))
      ->type_name("ADDR:PORT");
  serve_command
      ->add_option("--http-listen", flags.http_listen,
                   "Serve HTTPS (web app, API, SIP over WebSocket) on this address; \"\" = off "
                   "(default: 127.0.0.1:8443, or http.listen)")
      ->check(CLI::Validator(
          [](std::string& text) -> std::string {
            return text.empty() || net::SocketAddress::parse(text, 8443)
                       ? std::string()
                       : "'" + text + "' is not IP:PORT (127.0.0.1:8443; port 0 = any)";
          },
          ""))
      ->type_name("ADDR:PORT");
  serve_command
      ->add_option("--log-level", flags.log_level, "Log level (default: info, or log.level)")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}))
      ->type_name("LEVEL");
  serve_command
      ->add_option("--workers", flags.workers,
                   "Event-loop threads; 0 = one per hardware thread (default: 0)")
      ->check(CLI::Range(0, 1024))
      ->type_name("N");
  serve_command->callback([] {});

  AdminCommands admin(app);
  RecordingCommands recording(app);  // after admin: adds to its tenant and user commands
  TrunkCommands trunks(app);         // after admin too
  TrunkTlsCommands trunk_tls(app);   // after trunks: adds to its trunk command
  CallFeatureCommands call_features(app);
  ConferenceCommands conferences(app);
  DeviceCommands devices(app);
  QueueCommands queues(app);
  PickupGroupCommands pickup_groups(app);
  IvrCommands ivr(app);
  VoicemailCommands voicemail(app);  // after admin: adds to its user command
  AccessCommands access(app);
  SupplyChainCommands supply_chain(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help, --version
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }
  if (serve_command->parsed()) return run_serve(flags);
  if (admin.ran()) return admin.exit_code();
  if (recording.ran()) return recording.exit_code();
  if (trunks.ran()) return trunks.exit_code();
  if (trunk_tls.ran()) return trunk_tls.exit_code();
  if (call_features.ran()) return call_features.exit_code();
  if (conferences.ran()) return conferences.exit_code();
  if (devices.ran()) return devices.exit_code();
  if (queues.ran()) return queues.exit_code();
  if (pickup_groups.ran()) return pickup_groups.exit_code();
  if (ivr.ran()) return ivr.exit_code();
  if (voicemail.ran()) return voicemail.exit_code();
  if (access.ran()) return access.exit_code();
  if (supply_chain.ran()) return supply_chain.exit_code();
  return kExitUsage;
}

}  // namespace parley::app
