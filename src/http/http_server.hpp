#pragma once
// The HTTPS server: TLS (OpenSSL through Boost.Asio), HTTP/1.1 with keep-alive, and WebSocket
// upgrades, running on the net::WorkerPool's loops.
//
// One acceptor on worker 0 hands connections to the workers round-robin. Each connection lives
// on its worker for its whole life and is registered in that worker's stream table
// (net::StreamConnection, kind kTls; kWss once upgraded), so WorkerPool::shutdown closes it
// gracefully and, after an upgrade, send_stream reaches it. Requests go to the Router; every
// answer, errors included, carries the security headers (see security_headers.hpp). Failures a
// client causes get a clear problem document: 400 for a malformed request, 413 for a body over
// the limit, 431 for headers over the limit, 500 when a handler fails.
//
// Lifecycle (as for net::TcpServer): listen() before or after pool.start(); stop() before
// pool.shutdown(); destroy after shutdown() returned and before the pool. The router, the
// WebSocket handlers it names and the certificate files must outlive the server (the files only
// until listen returns).
//
// Thread-safety: listen(), stop() and the destructor from the controlling thread;
// local_address() and open_connections() from any thread.

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "base/result.hpp"
#include "http/certificate.hpp"
#include "http/router.hpp"
#include "net/address.hpp"

namespace parley::net {
class WorkerPool;
}

namespace parley::http {

struct HttpOptions {
  std::size_t max_header_bytes = std::size_t{16} * 1024;      // request line and fields: 431
  std::size_t max_body_bytes = std::size_t{1} * 1024 * 1024;  // beyond it: 413
  // No complete request (or TLS handshake) within this time: the connection is closed. It also
  // bounds how long one request may take to arrive and one response to be read.
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(60)};
  std::chrono::milliseconds handshake_timeout{std::chrono::seconds(10)};
  std::size_t max_connections = 1000;  // beyond this, new connections are closed at once
  // Threads for Execution::kOffLoop handlers (REST API): blocking work queues here, not on the
  // event loops.
  std::size_t blocking_threads = 2;

  std::size_t websocket_max_message_bytes = std::size_t{64} * 1024;  // beyond it: close 1009
  // No frame from the peer for half of this: we ping; none for all of it: we close.
  std::chrono::milliseconds websocket_idle_timeout{std::chrono::seconds(60)};
  std::size_t websocket_max_write_queue_bytes = std::size_t{4} * 1024 * 1024;  // slow reader
  // Refuse (403) a browser upgrade whose Origin is not this server: stops other sites' pages
  // from opening WebSockets with the user's cookies. Clients without Origin are not browsers.
  bool websocket_check_origin = true;
};

class HttpServer {
 public:
  // Binds and listens on `address` (port 0: the OS picks) with the certificate and key in
  // `certificate`. Errors: the address is in use, the files are unreadable or do not match.
  static Result<std::unique_ptr<HttpServer>> listen(net::WorkerPool& pool,
                                                    const net::SocketAddress& address,
                                                    const Router& router,
                                                    const CertificateFiles& certificate,
                                                    const HttpOptions& options = {});
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  const net::SocketAddress& local_address() const;

  // Stops accepting. Open connections stay until WorkerPool::shutdown closes them.
  void stop();

  // Connections open now, HTTP and WebSocket (approximate while threads run).
  std::size_t open_connections() const;

  struct Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace parley::http
