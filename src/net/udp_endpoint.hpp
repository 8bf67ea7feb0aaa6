#pragma once
// A UDP listening address served by every worker.
//
// Each worker gets its own socket bound to the same address with SO_REUSEPORT, so the kernel
// spreads peers over the workers (a given peer's 4-tuple always lands on the same one). Each
// socket waits for readability and then drains the queue with recvmmsg into buffers allocated
// once at bind time: receiving allocates nothing. Datagrams are handed to the listener on the
// receiving worker's thread as views that are valid only during the call.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "base/result.hpp"
#include "net/address.hpp"

namespace parley::net {

class WorkerPool;

// Receives datagrams. Called on worker threads, several at once: implementations keep
// per-worker state indexed by `worker` or are otherwise thread-safe.
class DatagramListener {
 public:
  virtual ~DatagramListener() = default;
  virtual void on_datagram(std::size_t worker, std::string_view bytes, const SocketAddress& from,
                           const SocketAddress& local) = 0;
};

struct UdpOptions {
  std::size_t batch = 32;                     // datagrams per recvmmsg
  std::size_t max_datagram = 65535;           // receive buffer per datagram
  int socket_buffer_bytes = 4 * 1024 * 1024;  // SO_RCVBUF / SO_SNDBUF wish; failure is ignored
};

class UdpEndpoint {
 public:
  // Binds one socket per worker of `pool` to `address` (port 0: the OS picks one port, which
  // all workers then share). Call before pool.start(). `listener` must outlive the pool threads.
  static Result<std::unique_ptr<UdpEndpoint>> bind(WorkerPool& pool, const SocketAddress& address,
                                                   DatagramListener& listener,
                                                   const UdpOptions& options = {});
  ~UdpEndpoint();
  UdpEndpoint(const UdpEndpoint&) = delete;
  UdpEndpoint& operator=(const UdpEndpoint&) = delete;

  // The bound address, with the real port when 0 was asked for.
  const SocketAddress& local_address() const;

  // Sends one datagram without blocking, from any thread (on a worker it uses that worker's
  // socket). Returns false when the kernel refused it (full buffer, unreachable); UDP callers
  // rely on retransmission rather than queueing. Sent from a listener's on_datagram, it waits
  // until the received batch has been handed over and leaves with the batch's other replies in
  // one sendmmsg (then true means queued; a refusal is counted in send_failures()).
  bool send_to(const SocketAddress& to, std::string_view bytes);

  // Stops receiving (the sockets close on their own threads). Sends still work until destroyed.
  void stop();

  // Datagrams received, and datagrams the kernel refused to send, so far.
  std::uint64_t received() const;
  std::uint64_t send_failures() const;

  struct Impl;

 private:
  explicit UdpEndpoint(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace parley::net
