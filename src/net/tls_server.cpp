#include "net/tls_server.hpp"

#include "net/tls_internal.hpp"  // first among ours: Asio

#include <cerrno>
#include <mutex>
#include <string>
#include <unordered_map>

#include "net/stream_acceptor.hpp"

namespace parley::net {
namespace {

using Tcp = boost::asio::ip::tcp;

// Open connections per remote IP and in all, shared by the acceptor (worker 0) and the
// connections' release callbacks (any worker).
class ConnectionCounts {
 public:
  bool admit(const std::string& ip, std::size_t max_total, std::size_t max_per_ip) {
    const std::lock_guard lock(mutex_);
    if (total_ >= max_total) return false;
    std::size_t& count = per_ip_[ip];
    if (count >= max_per_ip) return false;
    ++count;
    ++total_;
    return true;
  }
  void release(const std::string& ip) {
    const std::lock_guard lock(mutex_);
    const auto found = per_ip_.find(ip);
    if (found == per_ip_.end()) return;
    if (--found->second == 0) per_ip_.erase(found);
    --total_;
  }
  std::size_t total() const {
    const std::lock_guard lock(mutex_);
    return total_;
  }

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::size_t> per_ip_;  // guarded by mutex_
  std::size_t total_ = 0;                                // guarded by mutex_
};

}  // namespace

struct TlsServer::Impl {
  Impl(WorkerPool& worker_pool, TlsContext& tls, StreamSessionFactory& session_factory,
       const TlsServerOptions& tls_options)
      : pool(worker_pool), context(tls), factory(session_factory), options(tls_options) {
    settings.idle_timeout = options.idle_timeout;
    settings.handshake_timeout = options.handshake_timeout;
    settings.max_write_queue_bytes = options.max_write_queue_bytes;
    settings.linger = options.linger;
  }

  // On worker 0, for each accepted socket (bound to `target`'s loop): the caps are checked
  // before any TLS work is spent on it.
  void on_accept(std::size_t target, Tcp::socket socket) {
    boost::system::error_code ignored;
    std::string ip = socket.remote_endpoint(ignored).address().to_string(ignored);
    if (!counts->admit(ip, options.max_connections, options.max_connections_per_ip)) {
      refused.fetch_add(1, std::memory_order_relaxed);
      socket.close(ignored);
      return;
    }
    boost::asio::post(pool.impl().context(target), [this, target, s = std::move(socket),
                                                    ip = std::move(ip)]() mutable {
      start_accepted_tls(pool.impl(), target, std::move(s), context, settings, factory,
                         [counts = counts, ip = std::move(ip)] { counts->release(ip); });
    });
  }

  WorkerPool& pool;
  TlsContext& context;
  StreamSessionFactory& factory;
  TlsServerOptions options;
  StreamSettings settings;
  std::unique_ptr<StreamAcceptor> acceptor;
  std::atomic<std::size_t> refused{0};
  std::shared_ptr<ConnectionCounts> counts = std::make_shared<ConnectionCounts>();
};

TlsServer::TlsServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

TlsServer::~TlsServer() = default;

Result<std::unique_ptr<TlsServer>> TlsServer::listen(WorkerPool& pool, const SocketAddress& address,
                                                     TlsContext& context,
                                                     StreamSessionFactory& factory,
                                                     const TlsServerOptions& options) {
  if (context.role() != TlsContext::Role::kServer) {
    return make_error(EINVAL, "TLS listen " + address.to_string() + ": not a server context");
  }
  auto impl = std::make_unique<Impl>(pool, context, factory, options);
  Impl* raw = impl.get();
  auto acceptor = StreamAcceptor::listen(
      pool, address, options.backlog,
      [raw](std::size_t target, Tcp::socket socket) { raw->on_accept(target, std::move(socket)); });
  if (!acceptor) return acceptor.error();
  impl->acceptor = std::move(acceptor).value();
  return std::unique_ptr<TlsServer>(new TlsServer(std::move(impl)));  // private constructor
}

const SocketAddress& TlsServer::local_address() const {
  return impl_->acceptor->local_address();
}

void TlsServer::stop() {
  impl_->acceptor->stop();
}

std::size_t TlsServer::open_connections() const {
  return impl_->counts->total();
}

std::size_t TlsServer::refused_connections() const {
  return impl_->refused.load(std::memory_order_relaxed);
}

}  // namespace parley::net
