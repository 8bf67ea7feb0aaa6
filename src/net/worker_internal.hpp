#pragma once
// Private to net/: the inside of WorkerPool, with Boost.Asio. Only net/*.cpp include this.

#include "net/asio.hpp"  // first: see the pragma there

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <thread>
#include <unordered_map>
#include <vector>

#include "net/stream.hpp"
#include "net/worker_pool.hpp"

namespace parley::net {

// Bytes one stream read may take at once; connections share their worker's buffer, so an idle
// connection costs no receive memory.
inline constexpr std::size_t kStreamScratchBytes = std::size_t{64} * 1024;

struct Worker {
  explicit Worker(std::size_t worker_index);

  std::size_t index;
  // Declared first so it is destroyed last: everything below may hold objects bound to it.
  boost::asio::io_context context;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guard;
  std::thread thread;
  std::vector<char> scratch;
  // Touched only on this worker's thread (or after the threads have been joined).
  std::unordered_map<std::uint64_t, std::shared_ptr<StreamConnection>> connections;
  // Run on this worker's thread when shutdown() begins (WorkerPool::at_shutdown).
  std::vector<std::function<void()>> at_shutdown;
  std::uint64_t next_sequence = 1;
};

struct WorkerPool::Impl {
  explicit Impl(std::size_t count);
  ~Impl();

  boost::asio::io_context& context(std::size_t worker) { return workers[worker]->context; }
  std::span<char> scratch(std::size_t worker) { return workers[worker]->scratch; }

  // Stream connection table of a worker; call on that worker's thread.
  std::uint64_t next_connection_id(std::size_t worker);
  void add_connection(std::size_t worker, std::shared_ptr<StreamConnection> connection);
  void remove_connection(std::uint64_t id);
  StreamConnection* find_connection(std::uint64_t id);

  void run_worker(std::size_t worker);
  void close_all_connections(std::size_t worker);

  std::vector<std::unique_ptr<Worker>> workers;
  std::atomic<std::size_t> stream_count{0};
  bool started = false;
  bool stopped = false;

  std::mutex mutex;
  std::condition_variable finished;
  std::size_t running = 0;  // guarded by mutex
};

}  // namespace parley::net
