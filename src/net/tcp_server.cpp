#include "net/tcp_server.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <deque>
#include <string>

#include "net/stream_acceptor.hpp"  // first among ours: Asio
#include "net/worker_internal.hpp"

namespace parley::net {
namespace {

using Tcp = boost::asio::ip::tcp;
using SteadyTime = std::chrono::steady_clock::time_point;

// Reads one readiness wake-up may do before yielding to the rest of the loop.
constexpr int kReadsPerWake = 16;

SocketAddress to_address(const Tcp::endpoint& endpoint) {
  return SocketAddress::from_sockaddr(endpoint.data(), static_cast<socklen_t>(endpoint.size()));
}

// A TCP connection on one worker. Shared ownership only so that the asio completion handlers
// in flight keep it alive after the worker's table dropped it; nothing else holds it.
class TcpConnection final : public StreamConnection,
                            public std::enable_shared_from_this<TcpConnection> {
 public:
  TcpConnection(WorkerPool::Impl& pool, std::uint64_t id, Tcp::socket socket,
                const TcpOptions& options, std::shared_ptr<std::atomic<std::size_t>> open_count)
      : pool_(pool),
        id_(id),
        socket_(std::move(socket)),
        idle_timer_(socket_.get_executor()),
        options_(options),
        open_count_(std::move(open_count)) {
    boost::system::error_code ignored;
    remote_ = to_address(socket_.remote_endpoint(ignored));
    local_ = to_address(socket_.local_endpoint(ignored));
    // SIP messages are small and each one is latency-sensitive.
    socket_.set_option(Tcp::no_delay(true), ignored);
    fd_ = socket_.native_handle();
  }

  ~TcpConnection() override {
    if (state_ != State::kClosed) open_count_->fetch_sub(1, std::memory_order_relaxed);
  }

  TcpConnection(const TcpConnection&) = delete;
  TcpConnection& operator=(const TcpConnection&) = delete;

  void start(StreamSessionFactory& factory) {
    last_activity_ = std::chrono::steady_clock::now();
    session_ = factory.create_session(*this);
    arm_read();
    arm_idle();
  }

  std::uint64_t id() const override { return id_; }
  StreamKind kind() const override { return StreamKind::kTcp; }
  const SocketAddress& remote() const override { return remote_; }
  const SocketAddress& local() const override { return local_; }

  bool send(std::string_view bytes) override {
    if (state_ == State::kClosed || state_ == State::kLingering) return false;
    if (bytes.empty()) return true;
    last_activity_ = std::chrono::steady_clock::now();
    if (queue_.empty()) {
      const ssize_t sent = ::send(fd_, bytes.data(), bytes.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
      if (sent == static_cast<ssize_t>(bytes.size())) return true;
      if (sent < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        close();
        return false;
      }
      if (sent > 0) bytes.remove_prefix(static_cast<std::size_t>(sent));
    }
    if (queued_bytes_ + bytes.size() > options_.max_write_queue_bytes) {
      close();
      return false;
    }
    queue_.emplace_back(bytes);
    queued_bytes_ += bytes.size();
    if (!writing_) arm_write();
    return true;
  }

  void close_after_flush() override {
    if (state_ != State::kOpen) return;
    state_ = State::kDraining;
    if (queue_.empty()) start_linger();
  }

  void close() override {
    if (state_ == State::kClosed) return;
    const auto self = shared_from_this();  // the table may hold the last reference
    state_ = State::kClosed;
    open_count_->fetch_sub(1, std::memory_order_relaxed);
    boost::system::error_code ignored;
    idle_timer_.cancel(ignored);
    socket_.shutdown(Tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    queue_.clear();
    queued_bytes_ = 0;
    if (session_) session_->on_closed(*this);
    pool_.remove_connection(id_);
  }

 private:
  // kDraining: writing what is queued; kLingering: our FIN is sent and we discard what the peer
  // still sends until it closes or options_.linger passes. Closing with unread bytes in the
  // kernel would send a RST, which can destroy our last answer (a 400) before the peer reads it.
  enum class State : std::uint8_t { kOpen, kDraining, kLingering, kClosed };

  void start_linger() {
    state_ = State::kLingering;
    boost::system::error_code ignored;
    socket_.shutdown(Tcp::socket::shutdown_send, ignored);
    linger_deadline_ = std::chrono::steady_clock::now() + options_.linger;
    idle_timer_.expires_at(linger_deadline_);  // cancels the idle wait, whose handler then sees
    arm_idle_wait();                           // the error and returns
    if (!reading_) arm_read();
  }

  void arm_read() {
    reading_ = true;
    socket_.async_wait(Tcp::socket::wait_read,
                       [self = shared_from_this()](const boost::system::error_code& error) {
                         self->on_readable(error);
                       });
  }

  void on_readable(const boost::system::error_code& error) {
    reading_ = false;
    if (error || state_ == State::kClosed || state_ == State::kDraining) return;
    const std::span<char> buffer = pool_.scratch(worker());
    if (state_ == State::kLingering) {
      discard(buffer);
      return;
    }
    for (int round = 0; round < kReadsPerWake; ++round) {
      const ssize_t got = ::recv(fd_, buffer.data(), buffer.size(), MSG_DONTWAIT);
      if (got == 0) {  // orderly shutdown by the peer: finish what we owe it, then close
        close_after_flush();
        return;
      }
      if (got < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        close();
        return;
      }
      last_activity_ = std::chrono::steady_clock::now();
      session_->on_data(*this, std::string_view(buffer.data(), static_cast<std::size_t>(got)));
      if (state_ != State::kOpen) return;
      if (static_cast<std::size_t>(got) < buffer.size()) break;
    }
    arm_read();
  }

  void discard(std::span<char> buffer) {
    for (;;) {
      const ssize_t got = ::recv(fd_, buffer.data(), buffer.size(), MSG_DONTWAIT);
      if (got > 0) continue;
      if (got < 0 && errno == EINTR) continue;
      if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        arm_read();
        return;
      }
      close();  // the peer closed (0) or reset
      return;
    }
  }

  void arm_write() {
    writing_ = true;
    socket_.async_wait(Tcp::socket::wait_write,
                       [self = shared_from_this()](const boost::system::error_code& error) {
                         self->on_writable(error);
                       });
  }

  void on_writable(const boost::system::error_code& error) {
    writing_ = false;
    if (error || state_ == State::kClosed) return;
    while (!queue_.empty()) {
      std::string& front = queue_.front();
      const std::size_t left = front.size() - front_offset_;
      const ssize_t sent =
          ::send(fd_, front.data() + front_offset_, left, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (sent < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        close();
        return;
      }
      last_activity_ = std::chrono::steady_clock::now();
      queued_bytes_ -= static_cast<std::size_t>(sent);
      front_offset_ += static_cast<std::size_t>(sent);
      if (front_offset_ == front.size()) {
        queue_.pop_front();
        front_offset_ = 0;
      }
    }
    if (!queue_.empty()) {
      arm_write();
    } else if (state_ == State::kDraining) {
      start_linger();
    }
  }

  void arm_idle() {
    idle_timer_.expires_at(last_activity_ + options_.idle_timeout);
    arm_idle_wait();
  }

  // One timer serves the idle timeout and, at the end, the linger deadline.
  void arm_idle_wait() {
    idle_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& error) {
      if (error || self->state_ == State::kClosed) return;
      const auto now = std::chrono::steady_clock::now();
      if (self->state_ == State::kLingering) {
        if (now >= self->linger_deadline_) {
          self->close();
        } else {
          self->arm_idle_wait();
        }
        return;
      }
      // Activity does not re-arm the timer (that would cost a timer operation per read);
      // instead the timer checks on expiry and sleeps again for what is left.
      if (now - self->last_activity_ >= self->options_.idle_timeout) {
        self->close();
      } else {
        self->arm_idle();
      }
    });
  }

  WorkerPool::Impl& pool_;
  std::uint64_t id_;
  Tcp::socket socket_;
  boost::asio::steady_timer idle_timer_;
  TcpOptions options_;
  std::shared_ptr<std::atomic<std::size_t>> open_count_;
  int fd_ = -1;
  SocketAddress remote_;
  SocketAddress local_;
  std::unique_ptr<StreamSession> session_;
  std::deque<std::string> queue_;
  std::size_t front_offset_ = 0;
  std::size_t queued_bytes_ = 0;
  bool writing_ = false;
  bool reading_ = false;
  State state_ = State::kOpen;
  SteadyTime last_activity_;
  SteadyTime linger_deadline_;
};

}  // namespace

struct TcpServer::Impl {
  Impl(WorkerPool& worker_pool, StreamSessionFactory& session_factory, const TcpOptions& tcp)
      : pool(worker_pool), factory(session_factory), options(tcp) {}

  // On worker 0, for each accepted socket (bound to `target`'s loop).
  void on_accept(std::size_t target, Tcp::socket socket) {
    if (open_count->load(std::memory_order_relaxed) >= options.max_connections) {
      boost::system::error_code ignored;
      socket.close(ignored);
      return;
    }
    open_count->fetch_add(1, std::memory_order_relaxed);
    boost::asio::post(pool.impl().context(target), [this, target, s = std::move(socket)]() mutable {
      WorkerPool::Impl& workers = pool.impl();
      auto connection = std::make_shared<TcpConnection>(workers, workers.next_connection_id(target),
                                                        std::move(s), options, open_count);
      workers.add_connection(target, connection);
      connection->start(factory);
    });
  }

  WorkerPool& pool;
  StreamSessionFactory& factory;
  TcpOptions options;
  std::unique_ptr<StreamAcceptor> acceptor;
  std::shared_ptr<std::atomic<std::size_t>> open_count =
      std::make_shared<std::atomic<std::size_t>>(0);
};

TcpServer::TcpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

TcpServer::~TcpServer() = default;

Result<std::unique_ptr<TcpServer>> TcpServer::listen(WorkerPool& pool, const SocketAddress& address,
                                                     StreamSessionFactory& factory,
                                                     const TcpOptions& options) {
  auto impl = std::make_unique<Impl>(pool, factory, options);
  Impl* raw = impl.get();
  auto acceptor = StreamAcceptor::listen(
      pool, address, options.backlog,
      [raw](std::size_t target, Tcp::socket socket) { raw->on_accept(target, std::move(socket)); });
  if (!acceptor) return acceptor.error();
  impl->acceptor = std::move(acceptor).value();
  return std::unique_ptr<TcpServer>(new TcpServer(std::move(impl)));  // private constructor
}

const SocketAddress& TcpServer::local_address() const {
  return impl_->acceptor->local_address();
}

void TcpServer::stop() {
  impl_->acceptor->stop();
}

std::size_t TcpServer::open_connections() const {
  return impl_->open_count->load(std::memory_order_relaxed);
}

}  // namespace parley::net
