#pragma once
// `parley serve`: wires the layers together and runs until SIGTERM or SIGINT.

#include <string_view>

#include "app/config.hpp"

namespace parley::app {

// Exit codes of the parley binary (also printed by --help).
inline constexpr int kExitOk = 0;
inline constexpr int kExitRuntimeError = 1;  // bad config file, cannot bind, cannot create dirs
inline constexpr int kExitUsage = 2;         // unknown flag, bad flag value, missing subcommand

// The version as printed by --version and sent in Server headers ("0.1.0").
std::string_view version();

// Sends spdlog's default logger to stderr at `level` (a name validate() accepts).
void configure_logging(std::string_view level);

// Runs the server with a validated config. Once listening, prints one line per socket to stdout
// (flushed at once), which scripts may parse:
//   listening sip udp 127.0.0.1:5060
//   listening sip tcp 127.0.0.1:5060
// On SIGTERM/SIGINT stops receiving, gives in-flight work up to 2 s, and returns kExitOk.
int serve(const Config& config);

}  // namespace parley::app
