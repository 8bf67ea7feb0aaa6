#pragma once
// A TLS listening address (SIP over TLS, RFC 3261 §26.3.1; "sips:" and port 5061). Like
// TcpServer: one acceptor on worker 0 hands connections to the workers round-robin; each lives
// on its worker, registered in that worker's stream table (kind kTls), and passes the decrypted
// bytes to the StreamSession its factory made once the handshake succeeded.
//
// Defences: a handshake not finished within `handshake_timeout` (a peer that connects and stays
// silent, or trickles bytes) is closed; garbage instead of a ClientHello fails the handshake and
// closes at once; connections over `max_connections`, or over `max_connections_per_ip` from one
// address, are closed on accept, before any TLS work is spent on them.
//
// Lifecycle as TcpServer: listen() before or after pool.start(); stop() before pool.shutdown();
// destroy after shutdown() returned and before the pool. The context and the factory must
// outlive the pool's threads.

#include <chrono>
#include <cstddef>
#include <memory>

#include "base/result.hpp"
#include "net/address.hpp"
#include "net/stream.hpp"
#include "net/tls_context.hpp"

namespace parley::net {

class WorkerPool;

struct TlsServerOptions {
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(300)};  // no bytes either way
  std::chrono::milliseconds handshake_timeout{std::chrono::seconds(10)};
  std::size_t max_connections = 10000;
  std::size_t max_connections_per_ip = 64;  // a NAT with many phones needs more than one
  std::size_t max_write_queue_bytes = std::size_t{4} * 1024 * 1024;  // slow reader: close
  std::chrono::milliseconds linger{1000};
  int backlog = 1024;
};

class TlsServer {
 public:
  // Binds and listens on `address` (port 0: the OS picks). `context` must have the server role.
  static Result<std::unique_ptr<TlsServer>> listen(WorkerPool& pool, const SocketAddress& address,
                                                   TlsContext& context,
                                                   StreamSessionFactory& factory,
                                                   const TlsServerOptions& options = {});
  ~TlsServer();
  TlsServer(const TlsServer&) = delete;
  TlsServer& operator=(const TlsServer&) = delete;

  const SocketAddress& local_address() const;

  // Stops accepting. Open connections stay until WorkerPool::shutdown closes them.
  void stop();

  // Connections of this server open now, handshakes in progress included (approximate while
  // threads run); and those refused on accept for a cap so far.
  std::size_t open_connections() const;
  std::size_t refused_connections() const;

  struct Impl;

 private:
  explicit TlsServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace parley::net
