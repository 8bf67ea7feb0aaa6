#pragma once
// `parley trunk status` reads what the running server knows about its trunks from a small text
// file the server rewrites every second in its data folder (decision 0026): works without the
// HTTPS listener, without credentials, and tells a stopped server from a running one by the
// file's age.
//
// Format (UTF-8, one record per line, fields separated by TAB; TAB and line breaks inside a
// field are written as spaces):
//   parley-trunk-status 1
//   written <unix seconds> <pid>
//   trunk <tenant> <name> <enabled 0|1> <registration> <last code> <expires at> <keepalive>
//         <calls> <max calls> <since> <reason>
// registration: registered, registering, unregistered, failed, peered (IP-authenticated, no
// registration) or disabled; keepalive: up, down, unknown or off. Unknown record kinds are
// skipped so that later versions can add lines.
//
// Writing replaces the file atomically (a temporary file, then rename), so a reader never sees
// half a file. Thread-safety: free functions without shared state.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace parley::app {

// One trunk as `parley trunk status` shows it.
struct TrunkStatusRow {
  std::string tenant_domain;
  std::string trunk_name;
  bool enabled = true;
  std::string registration;     // see the header comment
  int last_code = 0;            // last final status of a REGISTER (or OPTIONS when peered); 0 none
  std::int64_t expires_at = 0;  // Unix seconds the registration lapses; 0 = not registered
  std::string keepalive;        // "up", "down", "unknown", "off"
  std::uint32_t calls = 0;      // calls up now through the trunk, both directions
  std::uint32_t max_calls = 0;  // 0 = unlimited
  std::int64_t since = 0;       // Unix seconds of the later of the two last state changes
  std::string reason;           // the last error, for people; empty when none
  bool operator==(const TrunkStatusRow&) const = default;
};

struct TrunkStatusReport {
  std::int64_t written_at = 0;  // Unix seconds
  std::int64_t pid = 0;
  std::vector<TrunkStatusRow> rows;
};

inline constexpr std::string_view kTrunkStatusFileName = "trunk-status";

std::string format_trunk_status(const TrunkStatusReport& report);
// kInvalidInput-style errors (code 0) with the line number for a file that is not ours.
Result<TrunkStatusReport> parse_trunk_status(std::string_view text);

Result<void> write_trunk_status(const std::filesystem::path& file, const TrunkStatusReport& report);
Result<TrunkStatusReport> read_trunk_status(const std::filesystem::path& file);

// The table `parley trunk status` prints; `now` (Unix seconds) turns times into "in 540 s".
std::string render_trunk_status(const TrunkStatusReport& report, std::int64_t now);

}  // namespace parley::app
