#include "app/trunk_status_file.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>
#include <system_error>

namespace parley::app {
namespace {

constexpr std::string_view kMagic = "parley-trunk-status 1";

std::string field(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c == '\t' || c == '\n' || c == '\r') c = ' ';
  }
  return out;
}

std::vector<std::string_view> split_tabs(std::string_view line) {
  std::vector<std::string_view> parts;
  while (true) {
    const std::size_t tab = line.find('\t');
    parts.push_back(line.substr(0, tab));
    if (tab == std::string_view::npos) return parts;
    line.remove_prefix(tab + 1);
  }
}

template <typename Number>
bool to_number(std::string_view text, Number& out) {
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
  return error == std::errc() && end == text.data() + text.size();
}

std::string relative(std::int64_t when, std::int64_t now) {
  if (when == 0) return "-";
  const std::int64_t delta = when - now;
  return delta >= 0 ? "in " + std::to_string(delta) + " s" : std::to_string(-delta) + " s ago";
}

}  // namespace

std::string format_trunk_status(const TrunkStatusReport& report) {
  std::string out(kMagic);
  out.append("\nwritten\t")
      .append(std::to_string(report.written_at))
      .append("\t")
      .append(std::to_string(report.pid))
      .append("\n");
  for (const TrunkStatusRow& row : report.rows) {
    out.append("trunk\t")
        .append(field(row.tenant_domain))
        .append("\t")
        .append(field(row.trunk_name))
        .append("\t")
        .append(row.enabled ? "1" : "0")
        .append("\t")
        .append(field(row.registration))
        .append("\t")
        .append(std::to_string(row.last_code))
        .append("\t")
        .append(std::to_string(row.expires_at))
        .append("\t")
        .append(field(row.keepalive))
        .append("\t")
        .append(std::to_string(row.calls))
        .append("\t")
        .append(std::to_string(row.max_calls))
        .append("\t")
        .append(std::to_string(row.since))
        .append("\t")
        .append(field(row.reason))
        .append("\n");
  }
  return out;
}

Result<TrunkStatusReport> parse_trunk_status(std::string_view text) {
  TrunkStatusReport report;
  std::size_t number = 0;
  bool magic = false;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    ++number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    // A stray CR inside a line is read as the space the writer would have made of it.
    std::string cleaned(line);
    std::replace(cleaned.begin(), cleaned.end(), '\r', ' ');
    line = cleaned;
    if (number == 1) {
      if (line != kMagic) return make_error(0, "not a Parley trunk status file");
      magic = true;
      continue;
    }
    const auto parts = split_tabs(line);
    const auto bad = [&] {
      return make_error(0, "trunk status file: line " + std::to_string(number) + " is malformed");
    };
    if (parts[0] == "written") {
      if (parts.size() != 3 || !to_number(parts[1], report.written_at) ||
          !to_number(parts[2], report.pid)) {
        return bad();
      }
    } else if (parts[0] == "trunk") {
      if (parts.size() != 12) return bad();
      TrunkStatusRow row;
      row.tenant_domain = parts[1];
      row.trunk_name = parts[2];
      if (parts[3] != "0" && parts[3] != "1") return bad();
      row.enabled = parts[3] == "1";
      row.registration = parts[4];
      row.keepalive = parts[7];
      row.reason = parts[11];
      if (!to_number(parts[5], row.last_code) || !to_number(parts[6], row.expires_at) ||
          !to_number(parts[8], row.calls) || !to_number(parts[9], row.max_calls) ||
          !to_number(parts[10], row.since)) {
        return bad();
      }
      report.rows.push_back(std::move(row));
    }
  }
  if (!magic) return make_error(0, "the trunk status file is empty");
  return report;
}

Result<void> write_trunk_status(const std::filesystem::path& file,
                                const TrunkStatusReport& report) {
  std::filesystem::path temporary = file;
  temporary += ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << format_trunk_status(report);
    out.flush();
    if (!out) return make_error(0, "cannot write " + temporary.string());
  }
  std::error_code error;
  std::filesystem::rename(temporary, file, error);
  if (error) return make_error(0, "cannot replace " + file.string() + ": " + error.message());
  return {};
}

Result<TrunkStatusReport> read_trunk_status(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return make_error(0, "cannot read " + file.string());
  std::ostringstream text;
  text << in.rdbuf();
  return parse_trunk_status(text.str());
}

std::string render_trunk_status(const TrunkStatusReport& report, std::int64_t now) {
  const auto pad = [](std::string text, std::size_t width) {
    if (text.size() < width) text.append(width - text.size(), ' ');
    return text + " ";
  };
  std::string out = pad("TENANT", 20) + pad("TRUNK", 16) + pad("REGISTRATION", 13) +
                    pad("CODE", 5) + pad("EXPIRES", 12) + pad("KEEPALIVE", 9) + pad("CALLS", 7) +
                    "LAST ERROR\n";
  for (const TrunkStatusRow& row : report.rows) {
    const std::string code = row.last_code == 0 ? "-" : std::to_string(row.last_code);
    const std::string calls = std::to_string(row.calls) + "/" +
                              (row.max_calls == 0 ? "-" : std::to_string(row.max_calls));
    const std::string expires =
        row.registration == "registered" ? relative(row.expires_at, now) : "-";
    out += pad(row.tenant_domain, 20) + pad(row.trunk_name, 16) + pad(row.registration, 13) +
           pad(code, 5) + pad(expires, 12) + pad(row.keepalive, 9) + pad(calls, 7) +
           (row.reason.empty() ? "-" : row.reason) + "\n";
  }
  return out;
}

}  // namespace parley::app
