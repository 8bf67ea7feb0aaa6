#pragma once
// The application side of a WebSocket endpoint (for example SIP over WebSocket, RFC 7118).
//
// The server calls a handler on the worker thread that owns the connection, from the upgrade to
// the close; one handler serves every connection of its route, so it must be safe to call from
// several workers at once (per-connection state is best kept per worker, keyed by id).
//
// Sending: a connection is a net::StreamConnection registered in the WorkerPool under its id
// (kind kWss), so `pool.send_stream(id, text)` sends one text message to it from any thread (a
// direct call on the owning worker, a post from elsewhere) and `pool.close_stream(id)` closes it
// after its queued messages with code 1001 (going away).
//
// Lifetime: the handler must outlive the HttpServer; once the server is destroyed no handler is
// called any more.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "net/address.hpp"

namespace parley::http {

struct WebSocketPeer {
  net::SocketAddress remote;
  net::SocketAddress local;
  std::string subprotocol;  // the one agreed, empty when the endpoint needs none
  std::string path;         // the route the upgrade came on
  // The upgrade request's Cookie header (empty when none): endpoints that need a signed-in web
  // session (chat) read the session cookie here, since a browser cannot set headers on a
  // WebSocket upgrade but always sends its cookies with it.
  std::string cookie;
};

class WebSocketHandler {
 public:
  virtual ~WebSocketHandler() = default;

  // The subprotocols (Sec-WebSocket-Protocol tokens) this endpoint speaks, most preferred
  // first. When not empty, an upgrade that offers none of them is refused with 400 before any
  // WebSocket is opened. When empty, no subprotocol is agreed. Called from any worker.
  virtual std::vector<std::string> subprotocols() const = 0;

  virtual void on_open(std::uint64_t connection_id, const WebSocketPeer& peer) = 0;
  // One complete message (text or binary; RFC 7118 allows both for SIP). The view is valid
  // only during the call.
  virtual void on_message(std::uint64_t connection_id, std::string_view message) = 0;
  // Exactly once per opened connection, whatever closed it (peer, limit, timeout, shutdown).
  virtual void on_close(std::uint64_t connection_id) = 0;
};

}  // namespace parley::http
