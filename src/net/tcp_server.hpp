#pragma once
// A TCP listening address. One acceptor (on worker 0) hands accepted connections to the workers
// round-robin; each connection then lives on its worker, registered in that worker's connection
// table under its id (see StreamConnection), reads into the worker's scratch buffer and passes
// the bytes to the StreamSession its factory made.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "base/result.hpp"
#include "net/address.hpp"
#include "net/stream.hpp"

namespace parley::net {

class WorkerPool;

struct TcpOptions {
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(300)};  // no bytes either way
  std::size_t max_connections = 10000;  // beyond this, new connections are closed at once
  std::size_t max_write_queue_bytes = std::size_t{4} * 1024 * 1024;  // slow reader: close
  // After a graceful close (our FIN sent), how long to keep reading and discarding before
  // closing hard; see TcpConnection's kLingering.
  std::chrono::milliseconds linger{1000};
  int backlog = 1024;
};

class TcpServer {
 public:
  // Binds and listens on `address` (port 0: the OS picks). Call before pool.start(); accepting
  // starts with the pool. `factory` must outlive the pool's threads.
  static Result<std::unique_ptr<TcpServer>> listen(WorkerPool& pool, const SocketAddress& address,
                                                   StreamSessionFactory& factory,
                                                   const TcpOptions& options = {});
  ~TcpServer();
  TcpServer(const TcpServer&) = delete;
  TcpServer& operator=(const TcpServer&) = delete;

  const SocketAddress& local_address() const;

  // Stops accepting. Open connections stay until WorkerPool::shutdown closes them.
  void stop();

  // Connections of this server open now (approximate while threads run).
  std::size_t open_connections() const;

  struct Impl;

 private:
  explicit TcpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace parley::net
