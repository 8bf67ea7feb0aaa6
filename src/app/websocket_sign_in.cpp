#include "app/websocket_sign_in.hpp"

#include <chrono>

#include "http/api/credentials.hpp"

namespace parley::app {

std::string_view cookie_value(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const std::size_t end = header.find(';');
    std::string_view pair = header.substr(0, end);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    const std::size_t eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name) return pair.substr(eq + 1);
    if (end == std::string_view::npos) break;
    header.remove_prefix(end + 1);
  }
  return {};
}

std::optional<std::string> session_cookie_digest(std::string_view cookie_header) {
  const std::string_view cookie = cookie_value(cookie_header, kSessionCookie);
  if (cookie.empty()) return std::nullopt;
  return http::api::secret_digest(cookie);
}

store::UnixSeconds unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Result<std::unique_ptr<store::sqlite::SqliteStore>> open_handler_store(
    const std::filesystem::path& data_dir) {
  store::sqlite::SqliteStoreOptions options;
  options.data_dir = data_dir;
  options.create_if_missing = false;  // PbxCore made it
  return store::sqlite::SqliteStore::open(options);
}

}  // namespace parley::app
