#include "app/config.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <toml.hpp>

#include "net/address.hpp"
#include "net/worker_pool.hpp"
#include "store/voicemail_store.hpp"

namespace parley::app {
namespace {

using Value = toml::value;

// toml11 writes several lines with a source excerpt; we want one.
std::string first_line(std::string_view text) {
  std::string_view line = text.substr(0, text.find('\n'));
  if (line.rfind("[error] ", 0) == 0) line.remove_prefix(8);
  return std::string(line);
}

// Control-plane errors travel as exceptions inside this file only, to keep the walk readable.
struct ConfigError {
  std::string message;
};

[[noreturn]] void fail(const std::string& file, const Value& where, const std::string& what) {
  const auto line = where.location().line();
  throw ConfigError{file + (line > 0 ? ":" + std::to_string(line) : "") + ": " + what};
}

class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  void read(const Value& root, Config& config) {
    if (!root.is_table()) fail(file_, root, "the document is not a table");
    for (const auto& [section, value] : root.as_table()) {
      if (!value.is_table()) fail(file_, value, "'" + section + "' must be a [table]");
      if (section == "sip") {
        read_sip(value, config);
      } else if (section == "server") {
        read_server(value, config);
      } else if (section == "log") {
        read_log(value, config);
      } else if (section == "auth") {
        read_auth(value, config);
      } else if (section == "calls") {
        read_calls(value, config);
      } else if (section == "http") {
        read_http(value, config);
      } else if (section == "trust") {
        read_trust(value, config);
      } else if (section == "media") {
        read_media(value, config);
      } else if (section == "recording") {
        read_recording(value, config);
      } else if (section == "registrar") {
        read_registrar(value, config);
      } else if (section == "presence") {
        read_presence(value, config);
      } else if (section == "trunks") {
        read_trunks(value, config);
      } else if (section == "dns") {
        read_dns(value, config);
      } else if (section == "park") {
        read_park(value, config);
      } else if (section == "smtp") {
        read_smtp(value, config);
      } else if (section == "testing") {
        read_testing(value, config);
      } else {
        fail(file_, value, "unknown section [" + section + "]");
      }
    }
  }

 private:
  void read_sip(const Value& table, Config& config) {
    for (const auto& [key, value] : table.as_table()) {
      if (key == "listen") {
        if (!value.is_array()) fail(file_, value, "sip.listen must be an array of strings");
        config.sip_listen.clear();
        for (const auto& item : value.as_array()) {
          if (!item.is_string()) fail(file_, item, "sip.listen must be an array of strings");
          config.sip_listen.push_back(item.as_string().str);
        }
      } else if (key == "t1_ms") {
        config.t1_ms = static_cast<std::uint32_t>(integer(value, "sip.t1_ms", 1, 60000));
      } else if (key == "t2_ms") {
        config.t2_ms = static_cast<std::uint32_t>(integer(value, "sip.t2_ms", 1, 600000));
      } else if (key == "t4_ms") {
        config.t4_ms = static_cast<std::uint32_t>(integer(value, "sip.t4_ms", 1, 600000));
      } else if (key == "max_message_bytes") {
        config.max_message_bytes =
            static_cast<std::size_t>(integer(value, "sip.max_message_bytes", 1024, 16777216));
      } else if (key == "tcp_idle_timeout_s") {
        config.tcp_idle_timeout_s = number(value, "sip.tcp_idle_timeout_s", 0.05, 86400.0);
      } else if (key == "max_tcp_connections") {
        config.max_tcp_connections =
            static_cast<std::size_t>(integer(value, "sip.max_tcp_connections", 1, 10000000));
      } else if (key == "tls_listen") {
        config.tls_listen = string(value, "sip.tls_listen");
      } else if (key == "tls_certificate_file") {
        config.tls_certificate_file = string(value, "sip.tls_certificate_file");
      } else if (key == "tls_key_file") {
        config.tls_key_file = string(value, "sip.tls_key_file");
      } else if (key == "tls_handshake_timeout_s") {
        config.tls_handshake_timeout_s = number(value, "sip.tls_handshake_timeout_s", 0.05, 600.0);
      } else if (key == "tls_max_connections_per_ip") {
        config.tls_max_connections_per_ip =
            static_cast<std::size_t>(integer(value, "sip.tls_max_connections_per_ip", 1, 1000000));
      } else {
        fail(file_, value, "unknown key sip." + key);
      }
    }
  }

  void read_server(const Value& table, Config& config) {
    for (const auto& [key, value] : table.as_table()) {
      if (key == "workers") {
        config.workers = static_cast<std::size_t>(
            integer(value, "server.workers", 0, static_cast<std::int64_t>(net::kMaxWorkers)));
      } else if (key == "data_dir") {
        config.data_dir = string(value, "server.data_dir");
      } else {
        fail(file_, value, "unknown key server." + key);
      }
    }
  }

  void read_auth(const Value& table, Config& config) {
    for (const auto& [key, value] : table.as_table()) {
      if (key == "algorithms") {
        if (!value.is_array() || value.as_array().empty()) {
          fail(file_, value, "auth.algorithms must be a non-empty array of strings");
        }
        config.auth_algorithms.clear();
        for (const auto& item : value.as_array()) {
          const std::string name = string(item, "auth.algorithms");
          if (name != "SHA-256" && name != "MD5") {
            fail(file_, item, "auth.algorithms: '" + name + "' is not SHA-256 or MD5");
          }
          config.auth_algorithms.push_back(name);
        }
      } else if (key == "max_failures_per_ip") {
        config.max_failures_per_ip =
            static_cast<std::uint32_t>(integer(value, "auth.max_failures_per_ip", 1, 1000000));
      } else if (key == "max_failures_per_user") {
        config.max_failures_per_user =
            static_cast<std::uint32_t>(integer(value, "auth.max_failures_per_user", 1, 1000000));
      } else if (key == "window_s") {
        config.auth_window_s = number(value, "auth.window_s", 1, 86400);
      } else if (key == "ban_s") {
        config.ban_s = number(value, "auth.ban_s", 1, 86400 * 30);
      } else {
        fail(file_, value, "unknown key auth." + key);
      }
    }
  }

  void read_calls(const Value& table, Config& config) {
    for (const auto& [key, value] : table.as_table()) {
      if (key == "no_answer_timeout_s") {
        config.no_answer_timeout_s = number(value, "calls.no_answer_timeout_s", 0.1, 3600.0);
      } else if (key == "allow_inter_tenant_calls") {
        if (!value.is_boolean())
          fail(file_, value, "calls.allow_inter_tenant_calls must be true or false");
        config.allow_inter_tenant_calls = value.as_boolean();
      } else {
        fail(file_, value, "unknown key calls." + key);
      }
    }
  }

  bool boolean(const Value& value, const std::string& name) {
    if (!value.is_boolean()) fail(file_, value, name + " must be true or false");
    return value.as_boolean();
  }

  void read_trust(const Value& table, Config& config) {
    for (const auto& [key, value] : table.as_table()) {
      if (key == "release_pubkey") {
        config.release_pubkey = string(value, "trust.release_pubkey");
      } else {
        fail(file_, value, "unknown key trust." + key);
      }
    }
  }

  void read_http(const Value& table, Config& config) {
    for (const auto& [key, value] : table.as_table()) {
      if (key == "listen") {
        config.http_listen = string(value, "http.listen");
      } else if (key == "certificate_file") {
        config.http_certificate_file = string(value, "http.certificate_file");
      } else if (key == "key_file") {
        config.http_key_file = string(value, "http.key_file");
      } else if (key == "max_connections") {
        config.http_max_connections =
            static_cast<std::size_t>(integer(value, "http.max_connections", 1, 1000000));
      } else if (key == "web_root") {
        config.web_root = string(value, "http.web_root");
      } else if (key == "web_manifest") {
        config.web_manifest = string(value, "http.web_manifest");
      } else {
        fail(file_, value, "unknown key http." + key);
      }
    }
  }

  void read_media(const Value& table, Config& config) {
    for (const auto& [key, value] : table.as_table()) {
      if (key == "anchor") {
        config.media_anchor = boolean(value, "media.anchor");
      } else if (key == "rtp_port_min") {
        config.rtp_port_min =
            static_cast<std::uint32_t>(integer(value, "media.rtp_port_min", 1024, 65534));
      } else if (key == "rtp_port_max") {
        config.rtp_port_max =
            static_cast<std::uint32_t>(integer(value, "media.rtp_port_max", 1025, 65535));
      } else if (key == "rtp_address") {
        config.rtp_address = string(value, "media.rtp_address");
      } else if (key == "advertised_address") {
        config.rtp_advertised_address = string(value, "media.advertised_address");
      } else if (key == "timeout_s") {
        config.media_timeout_s = number(value, "media.timeout_s", 0, 86400);
      } else if (key == "latch_window_s") {
        config.latch_window_s = number(value, "media.latch_window_s", 0, 3600);
      } else if (key == "port_quarantine_ms") {
        config.port_quarantine_ms =
            static_cast<std::uint32_t>(integer(value, "media.port_quarantine_ms", 0, 600000));
      } else if (key == "transcoding") {
        config.transcoding = boolean(value, "media.transcoding");
      } else if (key == "webrtc_prefers_opus") {
        config.webrtc_prefers_opus = boolean(value, "media.webrtc_prefers_opus");
      } else if (key == "sdes") {
        config.sdes = string(value, "media.sdes");
      } else if (key == "music_on_hold") {
        config.music_on_hold = string(value, "media.music_on_hold");
      } else {
        fail(file_, value, "unknown key media." + key);
      }
    }
  }

  void read_recording(const Value& table, Config& config) {
    for (const auto& [key, value] : table.as_table()) {
      if (key == "format") {
        config.recording_format = string(value, "recording.format");
      } else {
        fail(file_, value, "unknown key recording." + key);
      }
    }
  }

  void read_registrar(const Value& table, Config& config) {
    for (const auto& [key, value] : table.as_table()) {
      if (key == "min_expires_s") {
        config.min_expires_s =
            static_cast<std::uint32_t>(integer(value, "registrar.min_expires_s", 1, 86400));
      } else if (key == "max_expires_s") {
        config.max_expires_s =
            static_cast<std::uint32_t>(integer(value, "registrar.max_expires_s", 1, 604800));
      } else if (key == "default_expires_s") {
        config.default_expires_s =
            static_cast<std::uint32_t>(integer(value, "registrar.default_expires_s", 1, 604800));
      } else if (key == "max_bindings_per_extension") {
        config.max_bindings_per_extension = static_cast<std::size_t>(
            integer(value, "registrar.max_bindings_per_extension", 1, 1000));
      } else {
        fail(file_, value, "unknown key registrar." + key);
      }
    }
  }

  void read_presence(const Value& table, Config& config) {
    for (const auto& [key, value] : table.as_table()) {
      if (key == "min_expires_s") {
        config.subscribe_min_expires_s =
            static_cast<std::uint32_t>(integer(value, "presence.min_expires_s", 1, 86400));
      } else if (key == "max_expires_s") {
        config.subscribe_max_expires_s =
            static_cast<std::uint32_t>(integer(value, "presence.max_expires_s", 1, 604800));
      } else if (key == "default_expires_s") {
        config.subscribe_default_expires_s =
            static_cast<std::uint32_t>(integer(value, "presence.default_expires_s", 1, 604800));
      } else if (key == "notify_coalesce_ms") {
        config.notify_coalesce_ms =
            static_cast<std::uint32_t>(integer(value, "presence.notify_coalesce_ms", 0, 10000));
      } else if (key == "max_subscriptions_per_device") {
        config.max_subscriptions_per_device = static_cast<std::size_t>(
            integer(value, "presence.max_subscriptions_per_device", 1, 100000));
      } else if (key == "max_subscriptions_per_tenant") {
        config.max_subscriptions_per_tenant = static_cast<std::size_t>(
            integer(value, "presence.max_subscriptions_per_tenant", 1, 10000000));
      } else {
        fail(file_, value, "unknown key presence." + key);
      }
    }
  }

  void read_dns(const Value& table, Config& config) {
    for (const auto& [key, value] : table.as_table()) {
      if (key == "servers") {
        if (!value.is_array()) fail(file_, value, "dns.servers must be an array of strings");
        config.dns_servers.clear();
        for (const auto& item : value.as_array()) {
          if (!item.is_string()) fail(file_, item, "dns.servers must be an array of strings");
          config.dns_servers.push_back(item.as_string().str);
        }
      } else if (key == "timeout_s") {
        config.dns_timeout_s = number(value, "dns.timeout_s", 0.05, 60);
      } else if (key == "attempts") {
        config.dns_attempts = static_cast<std::uint32_t>(integer(value, "dns.attempts", 1, 10));
      } else {
        fail(file_, value, "unknown key dns." + key);
      }
    }
  }

  void read_trunks(const Value& table, Config& config) {
    for (const auto& [key, value] : table.as_table()) {
      if (key == "keepalive_interval_s") {
        config.trunk_keepalive_interval_s = number(value, "trunks.keepalive_interval_s", 0.1, 3600);
      } else if (key == "keepalive_failures_for_down") {
        config.trunk_keepalive_failures_for_down =
            static_cast<int>(integer(value, "trunks.keepalive_failures_for_down", 1, 100));
      } else if (key == "register_retry_min_s") {
        config.trunk_register_retry_min_s = number(value, "trunks.register_retry_min_s", 0.1, 3600);
      } else if (key == "register_retry_max_s") {
        config.trunk_register_retry_max_s =
            number(value, "trunks.register_retry_max_s", 0.1, 86400);
      } else if (key == "tls_verify") {
        config.trunk_tls_verify = boolean(value, "trunks.tls_verify");
      } else if (key == "tls_ca_file") {
        config.trunk_tls_ca_file = string(value, "trunks.tls_ca_file");
      } else {
        fail(file_, value, "unknown key trunks." + key);
      }
    }
  }

  void read_park(const Value& table, Config& config) {
    for (const auto& [key, value] : table.as_table()) {
      if (key == "code") {
        config.park_code = string(value, "park.code");
      } else if (key == "first_slot") {
        config.park_first_slot =
            static_cast<std::uint32_t>(integer(value, "park.first_slot", 1, 999999999));
      } else if (key == "slots") {
        config.park_slots = static_cast<std::uint32_t>(integer(value, "park.slots", 1, 1000));
      } else if (key == "timeout_s") {
        config.park_timeout_s = number(value, "park.timeout_s", 0.1, 86400);
      } else if (key == "announce") {
        config.park_announce = boolean(value, "park.announce");
      } else {
        fail(file_, value, "unknown key park." + key);
      }
    }
  }

  void read_smtp(const Value& table, Config& config) {
    for (const auto& [key, value] : table.as_table()) {
      if (key == "host") {
        config.smtp_host = string(value, "smtp.host");
      } else if (key == "port") {
        config.smtp_port = static_cast<std::uint32_t>(integer(value, "smtp.port", 1, 65535));
      } else if (key == "from") {
        config.smtp_from = string(value, "smtp.from");
      } else if (key == "helo") {
        config.smtp_helo = string(value, "smtp.helo");
      } else if (key == "timeout_s") {
        config.smtp_timeout_s = number(value, "smtp.timeout_s", 0.1, 600);
      } else if (key == "attempts") {
        config.smtp_attempts = static_cast<std::uint32_t>(integer(value, "smtp.attempts", 1, 20));
      } else if (key == "retry_s") {
        config.smtp_retry_s = number(value, "smtp.retry_s", 0.01, 86400);
      } else {
        fail(file_, value, "unknown key smtp." + key);
      }
    }
  }

  void read_testing(const Value& table, Config& config) {
    constexpr std::int64_t kCentury = 100LL * 366 * 86400;
    for (const auto& [key, value] : table.as_table()) {
      if (key == "clock_offset_s") {
        config.testing_clock_offset_s =
            integer(value, "testing.clock_offset_s", -kCentury, kCentury);
      } else {
        fail(file_, value, "unknown key testing." + key);
      }
    }
  }

  void read_log(const Value& table, Config& config) {
    for (const auto& [key, value] : table.as_table()) {
      if (key == "level") {
        config.log_level = string(value, "log.level");
      } else {
        fail(file_, value, "unknown key log." + key);
      }
    }
  }

  std::int64_t integer(const Value& value, const std::string& name, std::int64_t low,
                       std::int64_t high) {
    if (!value.is_integer()) fail(file_, value, name + " must be an integer");
    const std::int64_t n = value.as_integer();
    if (n < low || n > high) {
      fail(file_, value,
           name + " must be between " + std::to_string(low) + " and " + std::to_string(high));
    }
    return n;
  }

  double number(const Value& value, const std::string& name, double low, double high) {
    double n = 0;
    if (value.is_integer()) {
      n = static_cast<double>(value.as_integer());
    } else if (value.is_floating()) {
      n = value.as_floating();
    } else {
      fail(file_, value, name + " must be a number");
    }
    if (!std::isfinite(n) || n < low || n > high) {
      std::ostringstream range;
      range << name << " must be between " << low << " and " << high;
      fail(file_, value, range.str());
    }
    return n;
  }

  std::string string(const Value& value, const std::string& name) {
    if (!value.is_string()) fail(file_, value, name + " must be a string");
    return value.as_string().str;
  }

  std::string file_;
};

Result<Config> parse_stream(std::istream& in, const std::string& name) {
  Config config;
  try {
    const Value root = toml::parse(in, name);
    Reader(name).read(root, config);
  } catch (const ConfigError& error) {
    return make_error(1, error.message);
  } catch (const toml::syntax_error& error) {
    const auto line = error.location().line();
    return make_error(
        1, name + (line > 0 ? ":" + std::to_string(line) : "") + ": " + first_line(error.what()));
  } catch (const std::exception& error) {
    return make_error(1, name + ": " + first_line(error.what()));
  }
  return config;
}

}  // namespace

Result<Config> load_config_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(1, path + ": cannot open the file");
  return parse_stream(in, path);
}

Result<Config> parse_config(std::string_view text, const std::string& name) {
  std::istringstream in{std::string(text)};
  return parse_stream(in, name);
}

namespace {

// The park code and slots are digits that cannot be confused with each other.
Result<void> validate_park(const Config& config) {
  const std::string& code = config.park_code;
  if (code.empty() || code.size() > 16 ||
      !std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
      code.front() == '0') {
    return make_error(1, "park.code must be 1-16 digits not starting with 0");
  }
  const std::uint64_t last =
      static_cast<std::uint64_t>(config.park_first_slot) + config.park_slots - 1;
  if (last > 999999999) return make_error(1, "park.first_slot + park.slots is too large");
  const std::uint64_t code_value = std::stoull(code);
  if (code_value >= config.park_first_slot && code_value <= last) {
    return make_error(1, "park.code must not be one of the park slots");
  }
  return {};
}

// The relay and our EHLO name go into the SMTP dialogue as they are: plain names only.
Result<void> validate_smtp(const Config& config) {
  const auto plain = [](std::string_view text) {
    return !text.empty() && text.size() <= 253 && std::all_of(text.begin(), text.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             c == '.' || c == '-' || c == ':' || c == '[' || c == ']';
    });
  };
  if (!config.smtp_host.empty() && !plain(config.smtp_host)) {
    return make_error(1, "smtp.host must be a host name or an IP address");
  }
  if (!plain(config.smtp_helo)) return make_error(1, "smtp.helo must be a host name");
  if (auto from = store::check_email_address(config.smtp_from); !from) {
    return make_error(1, "smtp.from: " + from.error().message);
  }
  return {};
}

}  // namespace

Result<void> validate(const Config& config) {
  if (config.sip_listen.empty()) return make_error(1, "sip.listen must name at least one address");
  for (const auto& address : config.sip_listen) {
    if (!net::SocketAddress::parse(address, 5060)) {
      return make_error(1, "sip.listen: '" + address +
                               "' is not an IP address and port like 127.0.0.1:5060 or [::1]:5060");
    }
  }
  if (config.t1_ms == 0 || config.t2_ms < config.t1_ms) {
    return make_error(1, "sip.t2_ms must be at least sip.t1_ms (and both above 0)");
  }
  if (config.t4_ms == 0) return make_error(1, "sip.t4_ms must be above 0");
  for (const auto& server : config.dns_servers) {
    if (!net::SocketAddress::parse(server, 53)) {
      return make_error(1, "dns.servers: '" + server +
                               "' is not an IP address (and port) like 127.0.0.1:5353 or [::1]");
    }
  }
  if (config.trunk_register_retry_max_s < config.trunk_register_retry_min_s) {
    return make_error(1, "trunks.register_retry_max_s must be at least register_retry_min_s");
  }
  if (auto park = validate_park(config); !park) return park;
  if (auto smtp = validate_smtp(config); !smtp) return smtp;
  if (config.max_message_bytes < 1024) return make_error(1, "sip.max_message_bytes is below 1024");
  if (!(config.tcp_idle_timeout_s > 0)) return make_error(1, "sip.tcp_idle_timeout_s must be > 0");
  if (config.min_expires_s > config.max_expires_s) {
    return make_error(1, "registrar.min_expires_s must not exceed registrar.max_expires_s");
  }
  if (config.default_expires_s < config.min_expires_s ||
      config.default_expires_s > config.max_expires_s) {
    return make_error(1,
                      "registrar.default_expires_s must lie between min_expires_s and "
                      "max_expires_s");
  }
  if (config.subscribe_min_expires_s > config.subscribe_max_expires_s ||
      config.subscribe_default_expires_s < config.subscribe_min_expires_s ||
      config.subscribe_default_expires_s > config.subscribe_max_expires_s) {
    return make_error(1,
                      "presence.default_expires_s must lie between presence.min_expires_s and "
                      "presence.max_expires_s");
  }
  if (!config.http_listen.empty() && !net::SocketAddress::parse(config.http_listen, 8443)) {
    return make_error(1, "http.listen: '" + config.http_listen +
                             "' is not an IP address and port like 127.0.0.1:8443");
  }
  if (config.http_certificate_file.empty() != config.http_key_file.empty()) {
    return make_error(1, "http.certificate_file and http.key_file must be set together");
  }
  if (!config.tls_listen.empty() && !net::SocketAddress::parse(config.tls_listen, 5061)) {
    return make_error(1, "sip.tls_listen: '" + config.tls_listen +
                             "' is not an IP address and port like 127.0.0.1:5061");
  }
  if (config.tls_certificate_file.empty() != config.tls_key_file.empty()) {
    return make_error(1, "sip.tls_certificate_file and sip.tls_key_file must be set together");
  }
  if (config.rtp_port_max < config.rtp_port_min + 3) {
    return make_error(1, "media.rtp_port_max must be at least media.rtp_port_min + 3");
  }
  if (!config.rtp_address.empty() && !net::SocketAddress::parse(config.rtp_address, 0)) {
    return make_error(1, "media.rtp_address: '" + config.rtp_address + "' is not an IP address");
  }
  if (config.workers > net::kMaxWorkers) {
    return make_error(1, "server.workers must be at most " + std::to_string(net::kMaxWorkers));
  }
  if (config.data_dir.empty()) return make_error(1, "server.data_dir must not be empty");
  if (config.sdes != "off" && config.sdes != "accept" && config.sdes != "tls") {
    return make_error(1, "media.sdes '" + config.sdes + "' is not one of off, accept, tls");
  }
  if (config.recording_format != "wav" && config.recording_format != "opus") {
    return make_error(1,
                      "recording.format '" + config.recording_format + "' is not one of wav, opus");
  }
  static constexpr std::string_view kLevels[] = {"trace", "debug",    "info", "warn",
                                                 "error", "critical", "off"};
  bool level_known = false;
  for (std::string_view level : kLevels) level_known = level_known || level == config.log_level;
  if (!level_known) {
    return make_error(1, "log.level '" + config.log_level +
                             "' is not one of trace, debug, info, warn, error, critical, off");
  }
  return {};
}

std::string find_web_root(const std::filesystem::path& executable) {
  const std::filesystem::path bin = executable.parent_path();
  if (bin.empty()) return {};  // a bare name says nothing about where the binary lives
  for (const std::filesystem::path& candidate :
       {bin / ".." / "share" / "parley" / "web", bin / ".." / ".." / "web"}) {
    std::error_code error;
    if (std::filesystem::is_regular_file(candidate / "index.html", error)) {
      return candidate.lexically_normal().string();
    }
  }
  return {};
}

std::string default_web_root() {
  std::error_code error;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", error);
  return error ? std::string() : find_web_root(self);
}

}  // namespace parley::app
