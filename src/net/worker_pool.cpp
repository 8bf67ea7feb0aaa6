#include "net/worker_pool.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <exception>
#include <string>

#include "base/check.hpp"
#include "net/worker_internal.hpp"

namespace parley::net {
namespace {

// Which pool and worker the calling thread runs. Set once when a worker thread starts; every
// other thread keeps the defaults. Per-thread identity, not shared state.
thread_local const WorkerPool::Impl* t_pool = nullptr;
thread_local std::size_t t_worker = kNoWorker;

}  // namespace

Worker::Worker(std::size_t worker_index)
    : index(worker_index), context(1), scratch(kStreamScratchBytes) {}

WorkerPool::Impl::Impl(std::size_t count) {
  workers.reserve(count);
  for (std::size_t i = 0; i < count; ++i) workers.push_back(std::make_unique<Worker>(i));
}

WorkerPool::Impl::~Impl() {
  // The threads are gone; close what is left so sessions see on_closed before the loops (and
  // the sockets bound to them) are destroyed.
  for (std::size_t i = 0; i < workers.size(); ++i) {
    std::vector<std::shared_ptr<StreamConnection>> left;
    for (auto& [id, connection] : workers[i]->connections) left.push_back(connection);
    for (auto& connection : left) connection->close();
    workers[i]->connections.clear();
  }
}

std::uint64_t WorkerPool::Impl::next_connection_id(std::size_t worker) {
  Worker& w = *workers[worker];
  return (w.next_sequence++ << 16U) | static_cast<std::uint64_t>(worker);
}

void WorkerPool::Impl::add_connection(std::size_t worker,
                                      std::shared_ptr<StreamConnection> connection) {
  const std::uint64_t id = connection->id();
  workers[worker]->connections.emplace(id, std::move(connection));
  stream_count.fetch_add(1, std::memory_order_relaxed);
}

void WorkerPool::Impl::remove_connection(std::uint64_t id) {
  const std::size_t worker = static_cast<std::size_t>(id & 0xFFFFU);
  if (worker >= workers.size()) return;
  if (workers[worker]->connections.erase(id) != 0) {
    stream_count.fetch_sub(1, std::memory_order_relaxed);
  }
}

StreamConnection* WorkerPool::Impl::find_connection(std::uint64_t id) {
  const std::size_t worker = static_cast<std::size_t>(id & 0xFFFFU);
  if (worker >= workers.size()) return nullptr;
  auto& table = workers[worker]->connections;
  const auto found = table.find(id);
  return found == table.end() ? nullptr : found->second.get();
}

void WorkerPool::Impl::close_all_connections(std::size_t worker) {
  std::vector<std::shared_ptr<StreamConnection>> snapshot;
  for (auto& [id, connection] : workers[worker]->connections) snapshot.push_back(connection);
  for (auto& connection : snapshot) connection->close_after_flush();
  for (auto& task : workers[worker]->at_shutdown) task();
}

void WorkerPool::Impl::run_worker(std::size_t worker) {
  t_pool = this;
  t_worker = worker;
  for (;;) {
    try {
      workers[worker]->context.run();
      break;
    } catch (const std::exception& e) {
      // Handlers do not throw by design; if one does, keep the worker alive rather than lose
      // every connection and socket it serves.
      spdlog::error("worker {}: unexpected exception in event loop: {}", worker, e.what());
    }
  }
  {
    const std::lock_guard lock(mutex);
    --running;
  }
  finished.notify_all();
}

WorkerPool::WorkerPool(std::size_t count) {
  if (count == 0) count = std::max(1U, std::thread::hardware_concurrency());
  PARLEY_CHECK(count <= kMaxWorkers);
  impl_ = std::make_unique<Impl>(count);
}

WorkerPool::~WorkerPool() {
  shutdown(std::chrono::milliseconds(0));
}

std::size_t WorkerPool::size() const {
  return impl_->workers.size();
}

void WorkerPool::start() {
  PARLEY_CHECK(!impl_->started);
  impl_->started = true;
  {
    const std::lock_guard lock(impl_->mutex);
    impl_->running = impl_->workers.size();
  }
  for (auto& worker : impl_->workers) {
    worker->guard.emplace(worker->context.get_executor());
    const std::size_t index = worker->index;
    worker->thread = std::thread([this, index] { impl_->run_worker(index); });
  }
}

void WorkerPool::shutdown(std::chrono::milliseconds grace) {
  Impl& impl = *impl_;
  if (impl.stopped) return;
  impl.stopped = true;
  if (!impl.started) return;

  for (std::size_t i = 0; i < impl.workers.size(); ++i) {
    boost::asio::post(impl.context(i), [&impl, i] { impl.close_all_connections(i); });
    impl.workers[i]->guard.reset();
  }
  {
    std::unique_lock lock(impl.mutex);
    impl.finished.wait_for(lock, grace, [&impl] { return impl.running == 0; });
    if (impl.running != 0) {
      spdlog::warn("{} worker(s) still busy after {} ms; stopping them", impl.running,
                   grace.count());
      for (auto& worker : impl.workers) worker->context.stop();
    }
  }
  for (auto& worker : impl.workers) {
    if (worker->thread.joinable()) worker->thread.join();
  }
}

void WorkerPool::at_shutdown(std::size_t worker, std::function<void()> task) {
  PARLEY_CHECK(worker < impl_->workers.size());
  impl_->workers[worker]->at_shutdown.push_back(std::move(task));
}

void WorkerPool::post(std::size_t worker, std::function<void()> task) {
  PARLEY_CHECK(worker < impl_->workers.size());
  boost::asio::post(impl_->context(worker), std::move(task));
}

std::size_t WorkerPool::current_worker() const {
  return t_pool == impl_.get() ? t_worker : kNoWorker;
}

bool WorkerPool::send_stream(std::uint64_t connection_id, std::string_view bytes) {
  const std::size_t worker = static_cast<std::size_t>(connection_id & 0xFFFFU);
  if (connection_id == 0 || worker >= impl_->workers.size()) return false;
  if (current_worker() == worker) {
    StreamConnection* connection = impl_->find_connection(connection_id);
    return connection != nullptr && connection->send(bytes);
  }
  boost::asio::post(impl_->context(worker),
                    [impl = impl_.get(), connection_id, data = std::string(bytes)] {
                      if (StreamConnection* c = impl->find_connection(connection_id)) c->send(data);
                    });
  return true;
}

void WorkerPool::close_stream(std::uint64_t connection_id) {
  const std::size_t worker = static_cast<std::size_t>(connection_id & 0xFFFFU);
  if (connection_id == 0 || worker >= impl_->workers.size()) return;
  auto close = [impl = impl_.get(), connection_id] {
    if (StreamConnection* c = impl->find_connection(connection_id)) c->close_after_flush();
  };
  if (current_worker() == worker) {
    close();
  } else {
    boost::asio::post(impl_->context(worker), close);
  }
}

boost::asio::io_context& WorkerPool::io_context(std::size_t worker) {
  PARLEY_CHECK(worker < impl_->workers.size());
  return impl_->context(worker);
}

std::uint64_t WorkerPool::next_stream_id(std::size_t worker) {
  PARLEY_CHECK(worker < impl_->workers.size());
  return impl_->next_connection_id(worker);
}

void WorkerPool::add_stream(std::shared_ptr<StreamConnection> connection) {
  const std::size_t worker = connection->worker();
  PARLEY_CHECK(worker < impl_->workers.size());
  impl_->add_connection(worker, std::move(connection));
}

void WorkerPool::remove_stream(std::uint64_t connection_id) {
  impl_->remove_connection(connection_id);
}

std::size_t WorkerPool::stream_count() const {
  return impl_->stream_count.load(std::memory_order_relaxed);
}

}  // namespace parley::net
