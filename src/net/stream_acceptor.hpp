#pragma once
// Private to net/: the listening half that TcpServer and TlsServer share. One acceptor on
// worker 0 takes connections and hands each accepted socket, already bound to the next worker's
// loop (round-robin), to the owner's callback on worker 0; accept errors (out of descriptors or
// memory) back off briefly instead of spinning. Only net/*.cpp include this.

#include "net/asio.hpp"  // first: see the pragma there

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>

#include "base/result.hpp"
#include "net/address.hpp"

namespace parley::net {

class WorkerPool;

class StreamAcceptor {
 public:
  // Runs on worker 0 for every accepted socket; `worker` is the loop the socket is bound to.
  using Accepted = std::function<void(std::size_t worker, boost::asio::ip::tcp::socket socket)>;

  // Binds and listens on `address` (port 0: the OS picks), then arms the first accept on worker
  // 0 (posted: the loops may or may not run yet).
  static Result<std::unique_ptr<StreamAcceptor>> listen(WorkerPool& pool,
                                                        const SocketAddress& address, int backlog,
                                                        Accepted on_accept);

  StreamAcceptor(WorkerPool& pool, Accepted on_accept);
  const SocketAddress& local_address() const { return local_; }
  // Stops accepting (from any thread); the socket closes on worker 0.
  void stop();

 private:
  void arm_accept();
  void on_accept(const boost::system::error_code& error, std::size_t target,
                 boost::asio::ip::tcp::socket socket);

  WorkerPool& pool_;
  Accepted on_accept_;
  SocketAddress local_;
  boost::asio::ip::tcp::acceptor acceptor_;  // used on worker 0 only
  boost::asio::steady_timer retry_timer_;    // worker 0 only
  std::size_t next_worker_ = 0;
  std::atomic<bool> stopped_{false};
};

}  // namespace parley::net
