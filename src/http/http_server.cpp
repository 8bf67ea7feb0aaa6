#include "http/http_server.hpp"

#include "http/connection_internal.hpp"  // first among ours: Beast

#include <openssl/ssl.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <exception>
#include <optional>
#include <utility>
#include <vector>

#include "http/security_headers.hpp"
#include "net/stream.hpp"
#include "net/worker_pool.hpp"

namespace parley::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using Tcp = asio::ip::tcp;

// How long a TLS close (close_notify both ways) may take before the socket is just closed.
constexpr std::chrono::seconds kTlsShutdownTimeout{2};
// How much of a file body is read and written at a time: large enough that a 60 MiB download
// is a few hundred loop turns, small enough that many downloads at once stay cheap.
constexpr std::uint64_t kFileChunkBytes = 256 * 1024;

net::SocketAddress to_address(const Tcp::endpoint& endpoint) {
  return net::SocketAddress::from_sockaddr(endpoint.data(),
                                           static_cast<socklen_t>(endpoint.size()));
}

std::string_view to_view(beast::string_view text) {
  return {text.data(), text.size()};
}

beast::string_view to_beast(std::string_view text) {
  return {text.data(), text.size()};
}

std::vector<std::string> split_tokens(std::string_view list) {
  std::vector<std::string> tokens;
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (!item.empty()) tokens.emplace_back(item);
  }
  return tokens;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

// One TLS connection speaking HTTP/1.1 on one worker, registered in the worker's stream table
// until it closes or becomes a WebSocket. Shared ownership only so that completion handlers in
// flight keep it alive after the table dropped it.
class HttpConnection final : public net::StreamConnection,
                             public std::enable_shared_from_this<HttpConnection> {
 public:
  HttpConnection(std::shared_ptr<ServerState> state, std::uint64_t id, Tcp::socket socket)
      : state_(std::move(state)),
        id_(id),
        remote_(remote_of(socket)),
        local_(local_of(socket)),
        stream_(std::move(socket), state_->tls) {}

  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;
  ~HttpConnection() override { finish(); }

  void start() {
    beast::get_lowest_layer(stream_).expires_after(state_->options.handshake_timeout);
    stream_.async_handshake(asio::ssl::stream_base::server,
                            [self = shared_from_this()](const beast::error_code& error) {
                              if (error) {
                                self->close();
                              } else {
                                self->read_request();
                              }
                            });
  }

  std::uint64_t id() const override { return id_; }
  net::StreamKind kind() const override { return net::StreamKind::kTls; }
  const net::SocketAddress& remote() const override { return remote_; }
  const net::SocketAddress& local() const override { return local_; }

  // An HTTP connection speaks only in answers to requests; raw bytes have no place in it.
  bool send(std::string_view /*bytes*/) override { return false; }

  void close_after_flush() override {
    closing_ = true;
    // Between requests nothing is owed to the client; during one, the answer goes out first
    // (with Connection: close) and on_write closes.
    if (phase_ == Phase::kHandshake || phase_ == Phase::kReading) close();
  }

  void close() override {
    if (phase_ == Phase::kClosed || phase_ == Phase::kUpgraded) return;
    const auto self = shared_from_this();  // the table may hold the last reference
    phase_ = Phase::kClosed;
    beast::get_lowest_layer(stream_).close();
    finish();
    state_->pool.remove_stream(id_);
  }

 private:
  enum class Phase : std::uint8_t {
    kHandshake,
    kReading,
    kAnswering,
    kShutdown,
    kClosed,
    kUpgraded
  };

  static net::SocketAddress remote_of(const Tcp::socket& socket) {
    boost::system::error_code ignored;
    return to_address(socket.remote_endpoint(ignored));
  }
  static net::SocketAddress local_of(const Tcp::socket& socket) {
    boost::system::error_code ignored;
    return to_address(socket.local_endpoint(ignored));
  }

  void finish() {
    if (counted_) {
      counted_ = false;
      state_->open.fetch_sub(1, std::memory_order_relaxed);
    }
  }

  void read_request() {
    if (closing_) {
      shutdown_tls();
      return;
    }
    phase_ = Phase::kReading;
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(state_->options.max_header_bytes));
    // The path is not known yet: allow the largest route limit until the header is read, then
    // narrow it to the path's own (Router::add_body_limit; uploads only).
    parser_->body_limit(static_cast<std::uint64_t>(
        state_->router.largest_body_limit(state_->options.max_body_bytes)));
    beast::get_lowest_layer(stream_).expires_after(state_->options.idle_timeout);
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             [self = shared_from_this()](const beast::error_code& error,
                                                         std::size_t) { self->on_header(error); });
  }

  // The body limit of the request being read: its path's once the request line is parsed (the
  // parser refuses a large Content-Length before it counts the header as done), else the default.
  std::size_t route_body_limit() const {
    if (!parser_) return state_->options.max_body_bytes;
    const std::string_view target = to_view(parser_->get().target());
    return state_->router.body_limit(target.substr(0, target.find('?')),
                                     state_->options.max_body_bytes);
  }

  void on_header(const beast::error_code& error) {
    if (phase_ != Phase::kReading) return;
    if (error) {
      on_read(error);
      return;
    }
    const std::size_t limit = route_body_limit();
    const auto length = parser_->content_length();
    if (length && *length > limit) {
      on_read(bhttp::error::body_limit);
      return;
    }
    parser_->body_limit(static_cast<std::uint64_t>(limit));
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = shared_from_this()](const beast::error_code& error, std::size_t) {
                        self->on_read(error);
                      });
  }

  void on_read(const beast::error_code& error) {
    if (phase_ != Phase::kReading) return;
    if (error == bhttp::error::end_of_stream) {
      shutdown_tls();
      return;
    }
    if (error == bhttp::error::body_limit) {
      answer_error(413, "the request body is larger than the limit of " +
                            std::to_string(route_body_limit()) + " bytes");
      return;
    }
    if (error == bhttp::error::header_limit) {
      answer_error(431, "the request line and header fields are larger than the limit of " +
                            std::to_string(state_->options.max_header_bytes) + " bytes");
      return;
    }
    if (error && error.category() == bhttp::make_error_code(bhttp::error::bad_target).category()) {
      answer_error(400, "malformed HTTP request: " + error.message());
      return;
    }
    if (error) {  // timeout, reset, TLS failure: nobody to answer
      close();
      return;
    }
    BeastRequest request = parser_->release();
    parser_.reset();
    if (beast::websocket::is_upgrade(request)) {
      upgrade(request);
      return;
    }
    dispatch(request);
  }

  void dispatch(BeastRequest& message) {
    phase_ = Phase::kAnswering;
    Request request;
    request.method = std::string(to_view(message.method_string()));
    request.target = std::string(to_view(message.target()));
    const std::size_t question = request.target.find('?');
    request.path = request.target.substr(0, question);
    if (question != std::string::npos) request.query = request.target.substr(question + 1);
    for (const auto& field : message) {
      request.headers.add(std::string(to_view(field.name_string())),
                          std::string(to_view(field.value())));
    }
    request.body = std::move(message.body());
    request.remote = remote_;
    request.connection_id = id_;
    const bool keep_alive = message.keep_alive();
    const unsigned version = message.version();
    std::string host = host_of(message);

    if (request.target.empty() || request.target.front() != '/') {
      // Absolute-form and asterisk-form targets are for proxies and OPTIONS *; we are neither.
      write(Response::problem(400, "the request target must be a path starting with '/'"),
            keep_alive && !closing_, version, host);
      return;
    }
    if (state_->router.execution(request) == Execution::kOffLoop) {
      // Answered from the blocking pool, written back on this connection's loop.
      asio::post(state_->blocking, [self = shared_from_this(), request = std::move(request),
                                    keep_alive, version, host = std::move(host)]() mutable {
        Response response = self->answer(request);
        auto executor = self->stream_.get_executor();
        asio::post(executor, [self, response = std::move(response), keep_alive, version,
                              host = std::move(host)]() mutable {
          if (self->phase_ != Phase::kAnswering) return;
          self->write(std::move(response), keep_alive && !self->closing_, version, host);
        });
      });
      return;
    }
    Response response = answer(request);
    write(std::move(response), keep_alive && !closing_, version, host);
  }

  Response answer(const Request& request) const {
    Response response;
    try {
      response = state_->router.handle(request);
    } catch (const std::exception& e) {
      // Handlers report errors as responses; this is the last line, so one bug is one 500.
      spdlog::error("http: handler for {} {} failed: {}", request.method, request.path, e.what());
      response = Response::problem(500, "the server failed while answering this request");
    }
    if (request.method == "HEAD") response.head = true;
    return response;
  }

  static std::string host_of(const BeastRequest& message) {
    const auto found = message.find(bhttp::field::host);
    return found == message.end() ? std::string() : std::string(to_view(found->value()));
  }

  void answer_error(int status, const std::string& detail) {
    phase_ = Phase::kAnswering;
    std::string host;
    if (parser_ && parser_->is_header_done()) host = host_of(parser_->get());
    write(Response::problem(status, detail), false, 11, host);
  }

  void write(Response response, bool keep_alive, unsigned version, const std::string& host) {
    auto message = std::make_shared<bhttp::response<bhttp::string_body>>(
        static_cast<bhttp::status>(response.status), version);
    for (const auto& [name, value] : response.headers.fields()) message->set(to_beast(name), value);
    for (const auto& [name, value] : security_headers(host)) message->set(to_beast(name), value);
    message->keep_alive(keep_alive);
    const bool no_body = response.status == 204 || response.status == 304 ||
                         (response.status >= 100 && response.status < 200);
    if (!no_body && response.file) {
      write_file(std::move(message), std::move(response.file), response.head, keep_alive);
      return;
    }
    if (!no_body) {
      if (response.head) {
        message->content_length(response.body.size());
      } else {
        message->body() = std::move(response.body);
        message->prepare_payload();
      }
    }
    beast::get_lowest_layer(stream_).expires_after(state_->options.idle_timeout);
    bhttp::async_write(
        stream_, *message,
        [self = shared_from_this(), message, keep_alive](
            const beast::error_code& error, std::size_t) { self->on_write(error, keep_alive); });
  }

  // A file body: the header with its Content-Length, then the file in chunks, each read on the
  // blocking pool into one buffer per answer and written from this loop, so that neither the
  // loop waits on the disk nor more than a chunk of the file is ever in memory.
  void write_file(std::shared_ptr<bhttp::response<bhttp::string_body>> message,
                  std::shared_ptr<const FileBody> file, bool head, bool keep_alive) {
    message->content_length(file->length());
    beast::get_lowest_layer(stream_).expires_after(state_->options.idle_timeout);
    auto serializer = std::make_shared<bhttp::response_serializer<bhttp::string_body>>(*message);
    bhttp::async_write_header(
        stream_, *serializer,
        [self = shared_from_this(), message, serializer, file = std::move(file), head, keep_alive](
            const beast::error_code& error, std::size_t) mutable {
          if (self->phase_ != Phase::kAnswering) return;
          if (error || head) {
            self->on_write(error, keep_alive);
            return;
          }
          FilePart part{std::move(file), std::make_shared<std::string>(), 0, keep_alive};
          self->send_file_part(std::move(part));
        });
  }

  struct FilePart {
    std::shared_ptr<const FileBody> file;
    std::shared_ptr<std::string> chunk;  // reused for every chunk of this answer
    std::uint64_t sent = 0;
    bool keep_alive = false;
  };

  void send_file_part(FilePart part) {
    if (part.sent == part.file->length()) {
      on_write({}, part.keep_alive);
      return;
    }
    part.chunk->resize(static_cast<std::size_t>(
        std::min<std::uint64_t>(kFileChunkBytes, part.file->length() - part.sent)));
    asio::post(state_->blocking, [self = shared_from_this(), part = std::move(part)]() mutable {
      const bool read = part.file->read(part.sent, *part.chunk);
      auto executor = self->stream_.get_executor();
      asio::post(executor, [self = std::move(self), part = std::move(part), read]() mutable {
        if (self->phase_ != Phase::kAnswering) return;
        if (!read) {
          // Content-Length is already promised: closing is the only honest end.
          spdlog::warn("http: a file being sent could not be read at byte {}; closing", part.sent);
          self->close();
          return;
        }
        beast::get_lowest_layer(self->stream_).expires_after(self->state_->options.idle_timeout);
        const auto bytes = asio::buffer(*part.chunk);
        asio::async_write(self->stream_, bytes,
                          [self, part = std::move(part)](const beast::error_code& error,
                                                         std::size_t written) mutable {
                            if (self->phase_ != Phase::kAnswering) return;
                            if (error) {
                              self->close();
                              return;
                            }
                            part.sent += written;
                            self->send_file_part(std::move(part));
                          });
      });
    });
  }

  void on_write(const beast::error_code& error, bool keep_alive) {
    if (phase_ != Phase::kAnswering) return;
    if (error) {
      close();
    } else if (!keep_alive || closing_) {
      shutdown_tls();
    } else {
      read_request();
    }
  }

  void shutdown_tls() {
    phase_ = Phase::kShutdown;
    beast::get_lowest_layer(stream_).expires_after(kTlsShutdownTimeout);
    stream_.async_shutdown(
        [self = shared_from_this()](const beast::error_code& /*error*/) { self->close(); });
  }

  void upgrade(const BeastRequest& request) {
    const std::string target(to_view(request.target()));
    const std::string path = target.substr(0, target.find('?'));
    const std::string host = host_of(request);
    WebSocketHandler* handler = state_->router.websocket(path);
    if (handler == nullptr) {
      answer_error(404, "no WebSocket endpoint at " + path);
      return;
    }
    const auto origin = request.find(bhttp::field::origin);
    if (state_->options.websocket_check_origin && origin != request.end() &&
        !iequals(to_view(origin->value()), "https://" + host)) {
      answer_error(403, "WebSocket connections are accepted only from pages of this server");
      return;
    }
    const std::vector<std::string> accepted = handler->subprotocols();
    const auto offered_field = request.find(bhttp::field::sec_websocket_protocol);
    const std::vector<std::string> offered = split_tokens(
        offered_field == request.end() ? std::string_view() : to_view(offered_field->value()));
    std::string chosen;
    for (const auto& mine : accepted) {
      for (const auto& theirs : offered) {
        if (chosen.empty() && mine == theirs) chosen = mine;
      }
    }
    if (!accepted.empty() && chosen.empty()) {
      answer_error(400, "this WebSocket endpoint speaks the subprotocol(s) " + join(accepted) +
                            "; the client offered " +
                            (offered.empty() ? std::string("none") : join(offered)));
      return;
    }
    phase_ = Phase::kUpgraded;
    counted_ = false;  // the WebSocket connection takes over the count and the table entry
    const auto self = shared_from_this();
    state_->pool.remove_stream(id_);
    beast::get_lowest_layer(stream_).expires_never();
    const auto cookie = request.find(bhttp::field::cookie);
    std::string cookie_text(cookie == request.end() ? std::string_view()
                                                    : to_view(cookie->value()));
    start_websocket(state_, id_, std::move(stream_), request, *handler,
                    WebSocketPeer{remote_, local_, chosen, path, std::move(cookie_text)});
  }

  std::shared_ptr<ServerState> state_;
  std::uint64_t id_;
  net::SocketAddress remote_;
  net::SocketAddress local_;
  TlsStream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  Phase phase_ = Phase::kHandshake;
  bool closing_ = false;
  bool counted_ = true;
};

}  // namespace

struct HttpServer::Impl {
  Impl(net::WorkerPool& worker_pool, const Router& router, const HttpOptions& options)
      : pool(worker_pool),
        state(std::make_shared<ServerState>(worker_pool, router, options)),
        acceptor(worker_pool.io_context(0)),
        retry_timer(worker_pool.io_context(0)) {}

  void arm_accept() {
    const std::size_t target = next_worker++ % pool.size();
    acceptor.async_accept(pool.io_context(target),
                          [this, target](const beast::error_code& error, Tcp::socket socket) {
                            on_accept(error, target, std::move(socket));
                          });
  }

  void on_accept(const beast::error_code& error, std::size_t target, Tcp::socket socket) {
    if (error == asio::error::operation_aborted || stopped.load()) return;
    if (error) {
      // Out of descriptors or memory: accepting again at once would spin. Back off briefly.
      retry_timer.expires_after(std::chrono::milliseconds(100));
      retry_timer.async_wait([this](const beast::error_code& timer_error) {
        if (!timer_error && !stopped.load()) arm_accept();
      });
      return;
    }
    if (state->open.load(std::memory_order_relaxed) >= state->options.max_connections) {
      beast::error_code ignored;
      socket.close(ignored);
    } else {
      state->open.fetch_add(1, std::memory_order_relaxed);
      asio::post(pool.io_context(target),
                 [shared = state, target, s = std::move(socket)]() mutable {
                   auto connection = std::make_shared<HttpConnection>(
                       shared, shared->pool.next_stream_id(target), std::move(s));
                   shared->pool.add_stream(connection);
                   connection->start();
                 });
    }
    arm_accept();
  }

  net::WorkerPool& pool;
  std::shared_ptr<ServerState> state;
  net::SocketAddress local;
  Tcp::acceptor acceptor;          // used on worker 0 only
  asio::steady_timer retry_timer;  // worker 0 only
  std::size_t next_worker = 0;
  std::atomic<bool> stopped{false};
};

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() {
  impl_->state->handlers_live.store(false);
  // No off-loop handler may run once the router's owner starts tearing down.
  impl_->state->blocking.stop();
  impl_->state->blocking.join();
}

Result<std::unique_ptr<HttpServer>> HttpServer::listen(net::WorkerPool& pool,
                                                       const net::SocketAddress& address,
                                                       const Router& router,
                                                       const CertificateFiles& certificate,
                                                       const HttpOptions& options) {
  auto impl = std::make_unique<Impl>(pool, router, options);
  asio::ssl::context& tls = impl->state->tls;
  // TLS 1.2 and 1.3 only, no renegotiation (a CPU-exhaustion vector), no compression (CRIME).
  SSL_CTX_set_min_proto_version(tls.native_handle(), TLS1_2_VERSION);
  tls.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_compression |
                  SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  beast::error_code error;
  tls.use_certificate_chain_file(certificate.certificate.string(), error);
  if (error) {
    return make_error(
        EINVAL, "HTTPS certificate " + certificate.certificate.string() + ": " + error.message());
  }
  tls.use_private_key_file(certificate.private_key.string(), asio::ssl::context::pem, error);
  if (error) {
    return make_error(
        EINVAL, "HTTPS private key " + certificate.private_key.string() + ": " + error.message());
  }

  const auto ip = asio::ip::make_address(address.ip(), error);
  if (error) return make_error(EINVAL, "HTTPS listen address " + address.to_string() + ": bad IP");
  const Tcp::endpoint endpoint(ip, address.port());
  auto fail = [&](std::string_view what) {
    return make_error(error.value(), "HTTPS listen " + address.to_string() + ": " +
                                         std::string(what) + ": " + error.message());
  };
  if (impl->acceptor.open(endpoint.protocol(), error)) return fail("socket");
  if (impl->acceptor.set_option(asio::socket_base::reuse_address(true), error)) {
    return fail("SO_REUSEADDR");
  }
  if (impl->acceptor.bind(endpoint, error)) return fail("bind");
  if (impl->acceptor.listen(asio::socket_base::max_listen_connections, error)) {
    return fail("listen");
  }
  impl->local = to_address(impl->acceptor.local_endpoint(error));
  // The acceptor belongs to worker 0: arm it there (the loop may already be running).
  Impl* raw = impl.get();
  asio::post(pool.io_context(0), [raw] { raw->arm_accept(); });
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));  // private constructor
}

const net::SocketAddress& HttpServer::local_address() const {
  return impl_->local;
}

void HttpServer::stop() {
  impl_->stopped.store(true);
  Impl* impl = impl_.get();
  asio::post(impl->pool.io_context(0), [impl] {
    beast::error_code ignored;
    impl->acceptor.close(ignored);
    impl->retry_timer.cancel(ignored);
  });
}

std::size_t HttpServer::open_connections() const {
  return impl_->state->open.load(std::memory_order_relaxed);
}

}  // namespace parley::http
