#pragma once
// Private to app/: what the WebSocket handlers of the HTTPS server (/chat, /events) share to sign
// a connection in with the REST API's session cookie and to read the store from their own thread.
// Free functions without state; safe from any thread.

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace parley::app {

// The REST API's session cookie (http/api/session_routes.cpp names it the same).
inline constexpr std::string_view kSessionCookie = "parley_session";

// The value of cookie `name` in a Cookie header, or empty when it is not there.
std::string_view cookie_value(std::string_view header, std::string_view name);

// The digest under which the store keeps the session of a Cookie header's session cookie, or
// nullopt when the header carries none (the caller says how to sign in).
std::optional<std::string> session_cookie_digest(std::string_view cookie_header);

// Wall-clock seconds, as the store's session expiry uses them.
store::UnixSeconds unix_now();

// A store connection of the handler's own over the data folder that PbxCore already created
// (never creates one).
Result<std::unique_ptr<store::sqlite::SqliteStore>> open_handler_store(
    const std::filesystem::path& data_dir);

}  // namespace parley::app
