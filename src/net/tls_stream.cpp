// The stream connection for TLS (accepted or opened by us) and for plain TCP that we open: one
// class template over the socket type, so both share the queueing, timers and close rules.
// Accepted plain TCP keeps its readiness-based class in tcp_server.cpp (the hot path of phones).

#include "net/tls_internal.hpp"  // first: Asio

#include <netinet/in.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <array>
#include <deque>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace parley::net {
namespace {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using Tcp = asio::ip::tcp;
using SteadyTime = std::chrono::steady_clock::time_point;

// A TLS record carries at most 16 KiB; SIP messages are far smaller and the framer above joins
// reads, so a small per-connection buffer costs little and reads are still few.
constexpr std::size_t kReadBufferBytes = std::size_t{8} * 1024;
// A peer's chain as kept for the layer above: its own certificate and a few intermediates.
constexpr std::size_t kMaxPeerCertificates = 8;

SocketAddress to_address(const Tcp::endpoint& endpoint) {
  return SocketAddress::from_sockaddr(endpoint.data(), static_cast<socklen_t>(endpoint.size()));
}

bool is_ip_literal(const std::string& host) {
  boost::system::error_code error;
  asio::ip::make_address(host, error);
  return !error;
}

template <bool kTls>
class AsioStream final : public StreamConnection,
                         public std::enable_shared_from_this<AsioStream<kTls>> {
 public:
  using Socket = std::conditional_t<kTls, ssl::stream<Tcp::socket>, Tcp::socket>;

  AsioStream(WorkerPool::Impl& pool, std::uint64_t id, Socket socket,
             const StreamSettings& settings, ConnectionRelease release)
      : pool_(pool),
        id_(id),
        socket_(std::move(socket)),
        timer_(lowest().get_executor()),
        settings_(settings),
        release_(std::move(release)),
        read_buffer_(std::make_unique<std::array<char, kReadBufferBytes>>()) {}

  ~AsioStream() override { release(); }
  AsioStream(const AsioStream&) = delete;
  AsioStream& operator=(const AsioStream&) = delete;

  // An accepted connection: the session is made once the handshake succeeded, so bytes of a
  // failed or stalled handshake never reach the layer above.
  void start_accepted(StreamSessionFactory& factory) {
    factory_ = &factory;
    note_addresses();
    set_no_delay();
    state_ = State::kHandshake;
    arm_deadline();
    if constexpr (kTls) {
      socket_.async_handshake(
          ssl::stream_base::server,
          [self = this->shared_from_this()](const auto& error) { self->on_handshake(error); });
    } else {
      on_established();
    }
  }

  // An outgoing connection: the session exists from the start, so the layer above hears
  // on_closed even when the connect or the handshake fails.
  void start_outgoing(StreamSessionFactory& factory, const OutgoingTarget& target) {
    remote_ = target.remote;
    session_ = factory.create_session(*this);
    state_ = State::kConnecting;
    arm_deadline();
    boost::system::error_code error;
    const auto ip = asio::ip::make_address(target.remote.ip(), error);
    if (error) {
      close();
      return;
    }
    if constexpr (kTls) {
      if (!prepare_client(target)) {
        close();
        return;
      }
    }
    lowest().async_connect(Tcp::endpoint(ip, target.remote.port()),
                           [self = this->shared_from_this()](const auto& connect_error) {
                             self->on_connected(connect_error);
                           });
  }

  std::uint64_t id() const override { return id_; }
  StreamKind kind() const override { return kTls ? StreamKind::kTls : StreamKind::kTcp; }
  const SocketAddress& remote() const override { return remote_; }
  const SocketAddress& local() const override { return local_; }

  bool send(std::string_view bytes) override {
    if (state_ == State::kClosed || state_ == State::kLingering) return false;
    if (bytes.empty()) return true;
    if (queued_bytes_ + bytes.size() > settings_.max_write_queue_bytes) {
      close();  // a peer that does not read must not make us buffer without bound
      return false;
    }
    queue_.emplace_back(bytes);
    queued_bytes_ += bytes.size();
    if (!writing_ && (state_ == State::kOpen || state_ == State::kDraining)) arm_write();
    return true;
  }

  void close_after_flush() override {
    switch (state_) {
      case State::kConnecting:
      case State::kHandshake:
        // Not up yet (shutdown, or the layer above gave up): waiting up to the handshake
        // timeout to deliver what is queued would outlast the pool's grace period.
        close();
        return;
      case State::kOpen:
        state_ = State::kDraining;
        if (queue_.empty() && !writing_) start_linger();
        return;
      default:
        return;
    }
  }

  void close() override {
    if (state_ == State::kClosed) return;
    const auto self = this->shared_from_this();  // the table may hold the last reference
    state_ = State::kClosed;
    boost::system::error_code ignored;
    timer_.cancel(ignored);
    lowest().shutdown(Tcp::socket::shutdown_both, ignored);
    lowest().close(ignored);
    queue_.clear();
    queued_bytes_ = 0;
    release();
    if (session_) session_->on_closed(*this);
    pool_.remove_connection(id_);
  }

 private:
  // kLingering: everything is written and our FIN sent; what the peer still sends is discarded
  // until it closes or the linger time passes (closing with unread bytes would send a RST that
  // can destroy our last answer before the peer reads it).
  enum class State : std::uint8_t {
    kConnecting,
    kHandshake,
    kOpen,
    kDraining,
    kLingering,
    kClosed
  };

  Tcp::socket::lowest_layer_type& lowest() {
    if constexpr (kTls) {
      return socket_.lowest_layer();
    } else {
      return socket_;
    }
  }

  void release() {
    if (release_) std::exchange(release_, nullptr)();
  }

  void note_addresses() {
    boost::system::error_code ignored;
    remote_ = to_address(lowest().remote_endpoint(ignored));
    local_ = to_address(lowest().local_endpoint(ignored));
  }

  void set_no_delay() {
    boost::system::error_code ignored;
    lowest().set_option(Tcp::no_delay(true), ignored);  // SIP messages are latency-sensitive
  }

  // SNI and the name (or address) the server's certificate must carry.
  bool prepare_client(const OutgoingTarget& target) {
    SSL* ssl = socket_.native_handle();
    const std::string name = target.server_name.empty() ? target.remote.ip() : target.server_name;
    const bool literal = is_ip_literal(name);
    if (!literal && SSL_set_tlsext_host_name(ssl, name.c_str()) != 1) return false;
    if (target.tls != nullptr && target.tls->verify_peer()) {
      if (literal) {
        return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name.c_str()) == 1;
      }
      return SSL_set1_host(ssl, name.c_str()) == 1;
    }
    return true;
  }

  void on_connected(const boost::system::error_code& error) {
    if (state_ == State::kClosed) return;
    if (error) {
      close();
      return;
    }
    note_addresses();
    set_no_delay();
    if constexpr (kTls) {
      state_ = State::kHandshake;
      socket_.async_handshake(ssl::stream_base::client,
                              [self = this->shared_from_this()](const auto& handshake_error) {
                                self->on_handshake(handshake_error);
                              });
    } else {
      on_established();
    }
  }

  void on_handshake(const boost::system::error_code& error) {
    if (state_ == State::kClosed) return;
    if (error) {
      close();  // garbage instead of a ClientHello, a bad certificate, a reset: all end here
      return;
    }
    on_established();
  }

  const std::vector<std::string>& peer_certificates() const override { return certificates_; }

  void on_established() {
    state_ = State::kOpen;
    if constexpr (kTls) keep_peer_certificates();
    if (!session_ && factory_ != nullptr) session_ = factory_->create_session(*this);
    last_activity_ = std::chrono::steady_clock::now();
    arm_idle();  // replaces the handshake deadline
    arm_read();
    if (!queue_.empty()) {
      arm_write();
    } else if (state_ == State::kDraining) {
      start_linger();
    }
  }

  void arm_read() {
    reading_ = true;
    socket_.async_read_some(
        asio::buffer(*read_buffer_),
        [self = this->shared_from_this()](const boost::system::error_code& error, std::size_t n) {
          self->on_read(error, n);
        });
  }

  void on_read(const boost::system::error_code& error, std::size_t got) {
    reading_ = false;
    if (state_ == State::kClosed) return;
    if (state_ == State::kLingering) {
      if (error) {
        close();
      } else {
        arm_read();  // discard
      }
      return;
    }
    if (error) {
      // An orderly end (EOF, or TLS close_notify): finish what we owe, then close. Anything
      // else (reset, a broken record) closes at once.
      if (error == asio::error::eof || error == ssl::error::stream_truncated) {
        close_after_flush();
        if (state_ == State::kLingering) close();  // the peer is gone: nothing to linger for
      } else {
        close();
      }
      return;
    }
    last_activity_ = std::chrono::steady_clock::now();
    if (state_ == State::kOpen && session_) {
      session_->on_data(*this, std::string_view(read_buffer_->data(), got));
    }
    if (state_ == State::kOpen) arm_read();
  }

  void arm_write() {
    writing_ = true;
    asio::async_write(
        socket_, asio::buffer(queue_.front()),
        [self = this->shared_from_this()](const boost::system::error_code& error, std::size_t n) {
          self->on_written(error, n);
        });
  }

  void on_written(const boost::system::error_code& error, std::size_t sent) {
    writing_ = false;
    if (state_ == State::kClosed) return;
    if (error) {
      close();
      return;
    }
    last_activity_ = std::chrono::steady_clock::now();
    queued_bytes_ -= sent;
    queue_.pop_front();
    if (!queue_.empty()) {
      arm_write();
    } else if (state_ == State::kDraining) {
      start_linger();
    }
  }

  void start_linger() {
    // No TLS close_notify: SSL_shutdown would need the stream to itself while a read may be
    // pending. Every byte we owed is written; the FIN tells the peer we are done.
    state_ = State::kLingering;
    boost::system::error_code ignored;
    lowest().shutdown(Tcp::socket::shutdown_send, ignored);
    linger_deadline_ = std::chrono::steady_clock::now() + settings_.linger;
    timer_.expires_at(linger_deadline_);
    arm_timer_wait();
    if (!reading_) arm_read();
  }

  void arm_deadline() {
    timer_.expires_after(settings_.handshake_timeout);
    arm_timer_wait();
  }

  void arm_idle() {
    timer_.expires_at(last_activity_ + settings_.idle_timeout);
    arm_timer_wait();
  }

  // One timer serves the connect/handshake deadline, the idle timeout and the linger deadline.
  void arm_timer_wait() {
    timer_.async_wait([self = this->shared_from_this()](const boost::system::error_code& error) {
      if (error) return;  // re-armed or cancelled
      self->on_timer();
    });
  }

  void on_timer() {
    const auto now = std::chrono::steady_clock::now();
    switch (state_) {
      case State::kConnecting:
      case State::kHandshake:
        close();  // a stalled connect or handshake
        return;
      case State::kLingering:
        if (now >= linger_deadline_) {
          close();
        } else {
          arm_timer_wait();
        }
        return;
      case State::kOpen:
      case State::kDraining:
        // Activity does not re-arm the timer (a timer operation per read); the timer checks on
        // expiry and sleeps again for what is left.
        if (now - last_activity_ >= settings_.idle_timeout) {
          close();
        } else {
          arm_idle();
        }
        return;
      case State::kClosed:
        return;
    }
  }

  // Once per handshake, before the session exists, so it sees them from the start. A server
  // gets the peer's own certificate apart from the rest of its chain.
  void keep_peer_certificates() {
    SSL* ssl = socket_.native_handle();
    const auto keep = [this](X509* certificate) {
      const int size = i2d_X509(certificate, nullptr);
      if (size <= 0) return;
      std::string der(static_cast<std::size_t>(size), '\0');
      auto* out = reinterpret_cast<unsigned char*>(der.data());  // NOLINT: OpenSSL's API
      if (i2d_X509(certificate, &out) == size) certificates_.push_back(std::move(der));
    };
    X509* own = SSL_get0_peer_certificate(ssl);
    if (own == nullptr) return;
    keep(own);
    STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl);
    const int count = chain != nullptr ? sk_X509_num(chain) : 0;
    for (int i = 0; i < count && certificates_.size() < kMaxPeerCertificates; ++i) {
      X509* next = sk_X509_value(chain, i);
      if (X509_cmp(next, own) != 0) keep(next);  // a client's chain starts with its own
    }
  }

  WorkerPool::Impl& pool_;
  std::uint64_t id_;
  Socket socket_;
  asio::steady_timer timer_;
  StreamSettings settings_;
  ConnectionRelease release_;
  std::unique_ptr<std::array<char, kReadBufferBytes>> read_buffer_;
  StreamSessionFactory* factory_ = nullptr;  // accepted connections: until the handshake
  std::unique_ptr<StreamSession> session_;
  SocketAddress remote_;
  SocketAddress local_;
  std::deque<std::string> queue_;  // the front stays put while async_write holds it
  std::size_t queued_bytes_ = 0;
  bool writing_ = false;
  bool reading_ = false;
  State state_ = State::kConnecting;
  SteadyTime last_activity_;
  SteadyTime linger_deadline_;
  std::vector<std::string> certificates_;  // TLS: what the peer presented (DER)
};

}  // namespace

void start_accepted_tls(WorkerPool::Impl& pool, std::size_t worker, Tcp::socket socket,
                        TlsContext& context, const StreamSettings& settings,
                        StreamSessionFactory& factory, ConnectionRelease release) {
  auto connection = std::make_shared<AsioStream<true>>(
      pool, pool.next_connection_id(worker),
      ssl::stream<Tcp::socket>(std::move(socket), context.impl().context), settings,
      std::move(release));
  pool.add_connection(worker, connection);
  connection->start_accepted(factory);
}

std::uint64_t start_outgoing(WorkerPool::Impl& pool, std::size_t worker,
                             const OutgoingTarget& target, const StreamSettings& settings,
                             StreamSessionFactory& factory) {
  const std::uint64_t id = pool.next_connection_id(worker);
  Tcp::socket socket(pool.context(worker));
  if (target.tls != nullptr) {
    auto connection = std::make_shared<AsioStream<true>>(
        pool, id, ssl::stream<Tcp::socket>(std::move(socket), target.tls->impl().context), settings,
        nullptr);
    pool.add_connection(worker, connection);
    connection->start_outgoing(factory, target);
  } else {
    auto connection =
        std::make_shared<AsioStream<false>>(pool, id, std::move(socket), settings, nullptr);
    pool.add_connection(worker, connection);
    connection->start_outgoing(factory, target);
  }
  return id;
}

}  // namespace parley::net
