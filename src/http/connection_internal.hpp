#pragma once
// Private to http/: what the HTTP connections (http_server.cpp) and the WebSocket connections
// (websocket_connection.cpp) share.

#include "http/beast.hpp"  // first: see the pragma there

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "http/http_server.hpp"
#include "http/router.hpp"
#include "http/websocket_handler.hpp"

namespace parley::net {
class WorkerPool;
}

namespace parley::http {

using TlsStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;
using BeastRequest = boost::beast::http::request<boost::beast::http::string_body>;

// What every connection of one server shares. Connections hold it by shared_ptr: completion
// handlers still queued in a stopped loop may outlive the HttpServer object, and the TLS context
// must outlive every stream made from it.
struct ServerState {
  ServerState(net::WorkerPool& worker_pool, const Router& server_router, const HttpOptions& opts)
      : pool(worker_pool),
        router(server_router),
        options(opts),
        tls(boost::asio::ssl::context::tls_server),
        blocking(std::max<std::size_t>(1, opts.blocking_threads)) {}

  net::WorkerPool& pool;
  const Router& router;
  HttpOptions options;
  boost::asio::ssl::context tls;
  std::atomic<std::size_t> open{0};
  // Cleared when the HttpServer is destroyed: after that no WebSocketHandler is called (the pool
  // may still close leftover connections from its destructor).
  std::atomic<bool> handlers_live{true};
  // Runs Execution::kOffLoop handlers; stopped and joined by ~HttpServer, before the router
  // (which outlives the server) could go away.
  boost::asio::thread_pool blocking;
};

// Takes over an upgraded connection (already counted in state.open and no longer in the pool's
// table) on its worker: answers the upgrade and runs the WebSocket until it closes. `request` is
// only read during the call (Beast builds the 101 answer at once).
void start_websocket(const std::shared_ptr<ServerState>& state, std::uint64_t id, TlsStream stream,
                     const BeastRequest& request, WebSocketHandler& handler, WebSocketPeer peer);

}  // namespace parley::http
