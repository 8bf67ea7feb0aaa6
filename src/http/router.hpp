#pragma once
// Maps request paths to handlers: exact routes ("/api/v1/status") and prefix routes ("/" for the
// static files, "/api/v1/" for a REST tree), plus WebSocket endpoints on exact paths.
//
// Matching is on the raw (still percent-encoded) path: an exact route wins over any prefix; among
// prefixes the longest wins. No match is 404. Handlers check the method themselves (and answer
// 405 with an Allow header when it is wrong).
//
// Thread-safety: build the router completely before HttpServer::listen; afterwards it is only
// read, from every worker at once, and handlers are called concurrently from several workers.
// Ownership: the router must outlive the server; WebSocket handlers are borrowed.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/message.hpp"
#include "http/websocket_handler.hpp"

namespace parley::http {

using Handler = std::function<Response(const Request&)>;

// Where a handler runs. The server's event loops also carry SIP and RTP, so a handler that
// blocks (database queries, password hashing) must run kOffLoop: on the server's small thread
// pool, its answer then written from the connection's loop. Cheap handlers (static files from
// the page cache) stay kOnLoop.
enum class Execution : std::uint8_t { kOnLoop, kOffLoop };

class Router {
 public:
  void add_exact(std::string path, Handler handler, Execution execution = Execution::kOnLoop);
  // `prefix` matches every path that starts with it ("/" matches all).
  void add_prefix(std::string prefix, Handler handler, Execution execution = Execution::kOnLoop);
  // An upgrade to WebSocket on exactly `path`; a plain request there gets 426.
  void add_websocket(std::string path, WebSocketHandler& handler);
  // Request bodies on paths that start with `prefix` and end with `suffix` may be up to
  // `max_bytes` (uploads); every other path keeps the server's HttpOptions::max_body_bytes.
  void add_body_limit(std::string prefix, std::string suffix, std::size_t max_bytes);

  // The answer for a plain (non-upgrade) request.
  Response handle(const Request& request) const;
  // Where the handler that handle() would call must run.
  Execution execution(const Request& request) const;
  // The WebSocket endpoint at `path`, or nullptr.
  WebSocketHandler* websocket(std::string_view path) const;
  // The body limit for `path` (still percent-encoded): an add_body_limit() entry, else
  // `fallback`.
  std::size_t body_limit(std::string_view path, std::size_t fallback) const;
  // The largest limit of any path: what the server allows while it reads a request's header.
  std::size_t largest_body_limit(std::size_t fallback) const;

 private:
  struct Route {
    Handler handler;
    Execution execution = Execution::kOnLoop;
  };
  const Route* find(std::string_view path) const;

  std::map<std::string, Route, std::less<>> exact_;
  std::vector<std::pair<std::string, Route>> prefixes_;  // longest first
  std::map<std::string, WebSocketHandler*, std::less<>> websockets_;
  struct BodyLimit {
    std::string prefix;
    std::string suffix;
    std::size_t max_bytes = 0;
  };
  std::vector<BodyLimit> body_limits_;
};

}  // namespace parley::http
