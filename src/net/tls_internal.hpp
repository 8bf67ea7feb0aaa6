#pragma once
// Private to net/: the inside of TlsContext, and the one connection class that carries TLS
// (accepted or opened) and plain TCP that we open ourselves. Only net/*.cpp include this.

#include "net/asio.hpp"  // first: see the pragma there

#include <boost/asio/ssl.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "net/stream.hpp"
#include "net/tls_context.hpp"
#include "net/worker_internal.hpp"

namespace parley::net {

struct TlsContext::Impl {
  explicit Impl(Role r) : role(r), context(boost::asio::ssl::context::tls) {}
  Role role;
  bool verify_peer = false;
  boost::asio::ssl::context context;
};

// What a stream connection of ours needs beyond its socket.
struct StreamSettings {
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(300)};
  // From accept (or from the start of the connect) until the TLS handshake is done; past it the
  // connection is closed. Bounds what a peer that never finishes a handshake may hold.
  std::chrono::milliseconds handshake_timeout{std::chrono::seconds(10)};
  std::size_t max_write_queue_bytes = std::size_t{4} * 1024 * 1024;
  std::chrono::milliseconds linger{1000};
};

// Called exactly once when a connection ends (counters of the server that accepted it).
using ConnectionRelease = std::function<void()>;

// Starts an accepted TLS connection on `worker` (call on that worker's thread): registers it in
// the worker's table, makes its session, and begins the server handshake.
void start_accepted_tls(WorkerPool::Impl& pool, std::size_t worker,
                        boost::asio::ip::tcp::socket socket, TlsContext& context,
                        const StreamSettings& settings, StreamSessionFactory& factory,
                        ConnectionRelease release);

// Where an outgoing connection goes and how it proves the far end (see stream_connector.hpp).
struct OutgoingTarget {
  SocketAddress remote;
  TlsContext* tls = nullptr;  // null: plain TCP
  std::string server_name;    // SNI and the name the certificate must carry; empty: the IP
};

// Opens a connection on `worker` (call on that worker's thread); returns its id at once. Bytes
// sent before it is up are queued (within max_write_queue_bytes) and written when it is.
std::uint64_t start_outgoing(WorkerPool::Impl& pool, std::size_t worker,
                             const OutgoingTarget& target, const StreamSettings& settings,
                             StreamSessionFactory& factory);

}  // namespace parley::net
