#pragma once
// The worker threads: N event loops, one per thread, each written as if single-threaded.
//
// Each worker owns a Boost.Asio io_context (kept out of this header), a scratch receive buffer
// and the table of stream connections that live on it. A stream connection belongs to one worker
// for its whole life; its id carries the worker index in its low 16 bits so that any thread can
// route bytes to it (`send_stream`), crossing threads with a post only when it must.
//
// Lifecycle: construct, let servers bind sockets to the workers, start(), and at the end
// shutdown(grace) from the thread that called start(). Servers (UdpEndpoint, TcpServer) must be
// destroyed after shutdown() returned and before the pool itself.
//
// Thread-safety: post(), send_stream(), close_stream() and current_worker() may be called from
// any thread. start() and shutdown() from one controlling thread only.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

namespace boost::asio {
class io_context;  // only declared here: Asio's headers stay out of this header
}  // namespace boost::asio

namespace parley::net {

class StreamConnection;

inline constexpr std::size_t kNoWorker = static_cast<std::size_t>(-1);
inline constexpr std::size_t kMaxWorkers = 1024;

class WorkerPool {
 public:
  // `count` 0 means one worker per hardware thread. At most kMaxWorkers.
  explicit WorkerPool(std::size_t count);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  std::size_t size() const;

  // Spawns the threads. The loops keep running until shutdown().
  void start();

  // Graceful stop: asks every stream connection to close once its queued bytes are written,
  // lets the loops run out of work for up to `grace`, then stops them hard and joins the
  // threads. Servers should have been stop()ped first so nothing new arrives. Idempotent.
  void shutdown(std::chrono::milliseconds grace);

  // Registers `task` to run on worker `worker`'s thread when shutdown() begins, after stream
  // connections were asked to close: for objects that keep a loop busy on purpose (parked
  // media ports) and must let it run out of work. Before start(), or on that worker's thread;
  // whatever `task` touches must live until shutdown() returns.
  void at_shutdown(std::size_t worker, std::function<void()> task);

  // Runs `task` on worker `worker`'s thread. Tasks posted after shutdown are dropped.
  void post(std::size_t worker, std::function<void()> task);

  // The index of the calling thread's worker in this pool, or kNoWorker on any other thread.
  std::size_t current_worker() const;

  // Writes bytes to the stream connection `connection_id` (see StreamConnection). Returns false
  // when the connection is known to be gone; a cross-thread send is queued and reported true.
  bool send_stream(std::uint64_t connection_id, std::string_view bytes);
  // Closes a stream connection after its queued bytes are written.
  void close_stream(std::uint64_t connection_id);

  // Open stream connections over all workers (approximate while threads run).
  std::size_t stream_count() const;

  // For transports built above net/ on Boost.Asio (http/'s TLS and WebSocket connections): the
  // event loop of `worker`. Only .cpp files that include Asio themselves can use it; objects bound
  // to it must follow the server lifecycle above.
  boost::asio::io_context& io_context(std::size_t worker);
  // For connections made above net/: a fresh id on `worker`, and registration in that worker's
  // table so that send_stream/close_stream and shutdown() reach them like TCP connections. Call
  // on `worker`'s thread (add_stream: on the connection's worker).
  std::uint64_t next_stream_id(std::size_t worker);
  void add_stream(std::shared_ptr<StreamConnection> connection);
  void remove_stream(std::uint64_t connection_id);

  struct Impl;  // defined in net/worker_internal.hpp, for net/'s own sources
  Impl& impl() { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace parley::net
