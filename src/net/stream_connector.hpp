#pragma once
// Opens stream connections towards peers (SIP trunks over TCP or TLS, RFC 3261 §18.1.1 and
// §26.3.1): the connection lives on the worker that opened it, registered in that worker's
// stream table like an accepted one, so send_stream/close_stream and shutdown reach it.
//
// open() returns the new connection's id at once: bytes sent to it before the connect (and the
// TLS handshake) finished are queued and written when it is up. A connect or handshake that does
// not finish within `connect_timeout`, a refused connect and a certificate that does not verify
// all end in the session's on_closed, which is how the layer above learns of the failure.
//
// Thread-safety: open() on a worker thread of the pool; the connector, its factory and its TLS
// context must outlive the pool's threads.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "net/address.hpp"
#include "net/stream.hpp"
#include "net/tls_context.hpp"

namespace parley::net {

class WorkerPool;

struct StreamTarget {
  SocketAddress remote;
  StreamKind kind = StreamKind::kTcp;  // kTcp or kTls
  // TLS: the server name sent (SNI) and checked against the certificate when the context
  // verifies; empty = the remote's IP address (checked against the certificate's IP SANs).
  std::string server_name;
};

struct ConnectOptions {
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(300)};
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(10)};  // TCP and TLS together
  std::size_t max_write_queue_bytes = std::size_t{4} * 1024 * 1024;
};

class StreamConnector {
 public:
  // `tls` (client role) may be null: TLS targets are then refused.
  StreamConnector(WorkerPool& pool, StreamSessionFactory& factory, TlsContext* tls,
                  const ConnectOptions& options = {});

  // Opens a connection from the calling worker. Returns its id, or 0 when called off the
  // pool's threads or for a kind this connector cannot open (WebSocket, TLS without context).
  std::uint64_t open(const StreamTarget& target);

 private:
  WorkerPool& pool_;
  StreamSessionFactory& factory_;
  TlsContext* tls_;
  ConnectOptions options_;
};

}  // namespace parley::net
