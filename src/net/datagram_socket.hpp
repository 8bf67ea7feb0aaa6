#pragma once
// DatagramSocket: one UDP socket bound to one address on ONE worker loop — the building block of
// the media plane, where every call owns a handful of ports on the worker that owns the call.
//
// Receiving: every socket of a worker sits in one edge-triggered epoll set of that worker, which
// the worker's io_context watches as a single descriptor; the socket is registered once at open,
// so readiness costs no system call per wake-up beyond the loop's own (Asio re-arms a per-socket
// wait with epoll_ctl each time). A ready socket drains its queue with recvmmsg into buffers
// allocated once at open (batch × max_datagram; the memory is not written at allocation, so only
// the slots that bursts actually fill become resident). Each batch is handed to the Listener as
// mutable views, so the listener may rewrite datagrams in place; the views are valid only during
// the call. Datagrams larger than max_datagram are dropped and counted (truncated()).
//
// Sending: datagrams are copied into preallocated send slots (queue_send, or send_buffer +
// commit_send to build one in place) and leave with one sendmmsg per flush(). Whatever is queued
// when the socket's own receive callback returns is flushed then; a listener that queues on
// another socket flushes that one itself. UDP semantics: a datagram the kernel refuses (full
// buffer, ICMP error) is counted and dropped, never queued for later.
//
// Lifetime and thread-safety: open, use and destroy on the worker's thread (or before the pool
// starts / after it stopped). Destruction is safe at any time, also while a readiness wait is
// pending or from inside the listener callback: the pending handler finds the socket closed and
// does nothing.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "base/result.hpp"
#include "net/address.hpp"

namespace parley::net {

class WorkerPool;
class DatagramSocket;

struct ReceivedDatagram {
  std::span<std::uint8_t> bytes;
  SocketAddress from;
};

struct DatagramSocketOptions {
  std::size_t batch = 32;           // datagrams per recvmmsg and per sendmmsg
  std::size_t max_datagram = 2048;  // larger datagrams are dropped (counted as truncated)
  int socket_buffer_bytes = 0;      // SO_RCVBUF / SO_SNDBUF wish when > 0; failure is ignored
};

class DatagramSocket {
 public:
  // Called on the socket's worker thread with every drained batch (never empty).
  class Listener {
   public:
    virtual ~Listener() = default;
    virtual void on_datagrams(DatagramSocket& socket, std::span<ReceivedDatagram> batch) = 0;
  };

  // Binds a socket to `address` (port 0: the OS picks) on worker `worker` of `pool` and starts
  // waiting. Errors carry errno in `code` (EADDRINUSE when the port is taken).
  static Result<std::unique_ptr<DatagramSocket>> open(WorkerPool& pool, std::size_t worker,
                                                      const SocketAddress& address,
                                                      Listener& listener,
                                                      const DatagramSocketOptions& options = {});
  ~DatagramSocket();
  DatagramSocket(const DatagramSocket&) = delete;
  DatagramSocket& operator=(const DatagramSocket&) = delete;

  // Gives the open socket to a new listener, as if just opened: its queued sends are dropped and
  // its counters start from zero (a pool of bound media ports hands sockets from one call to the
  // next without closing and binding them again). Safe from inside the old listener's callback:
  // the rest of that batch is not delivered, later ones go to `listener`.
  void reassign(Listener& listener);

  // The bound address, with the real port when 0 was asked for.
  const SocketAddress& local_address() const;

  // Copies `bytes` into the send queue for `to` (flushing first when the queue is full). False
  // when the datagram is larger than max_datagram.
  bool queue_send(const SocketAddress& to, std::span<const std::uint8_t> bytes);
  // A writable slot of max_datagram bytes for the next queued datagram (flushing first when the
  // queue is full); commit_send() then queues its first `size` bytes for `to`. A slot that is
  // not committed is simply reused.
  std::span<std::uint8_t> send_buffer();
  void commit_send(const SocketAddress& to, std::size_t size);
  // Sends everything queued with sendmmsg. Returns how many datagrams the kernel refused.
  std::size_t flush();
  std::size_t queued() const;

  std::uint64_t received() const;       // datagrams handed to the listener
  std::uint64_t truncated() const;      // datagrams larger than max_datagram, dropped
  std::uint64_t sent() const;           // datagrams the kernel accepted
  std::uint64_t send_failures() const;  // datagrams the kernel refused

  struct Impl;

 private:
  explicit DatagramSocket(std::shared_ptr<Impl> impl);
  // Shared only with weak references in the pending readiness handler, which locks it for the
  // duration of one wake-up.
  std::shared_ptr<Impl> impl_;
};

}  // namespace parley::net
