// WebSocket connections (RFC 6455) over TLS, made from an upgraded HttpConnection.

#include "http/connection_internal.hpp"  // first: Beast

#include <spdlog/spdlog.h>

#include <deque>
#include <utility>

#include "http/security_headers.hpp"
#include "net/stream.hpp"
#include "net/worker_pool.hpp"

namespace parley::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace websocket = boost::beast::websocket;

using WsStream = websocket::stream<TlsStream>;

beast::string_view to_beast(std::string_view text) {
  return {text.data(), text.size()};
}

// One WebSocket on one worker, registered in the worker's stream table under the id the HTTP
// connection had, so WorkerPool::send_stream sends it text messages from any thread. Writes are
// queued (Beast allows one at a time) and bounded; a close waits for the queue to drain.
class WebSocketConnection final : public net::StreamConnection,
                                  public std::enable_shared_from_this<WebSocketConnection> {
 public:
  WebSocketConnection(std::shared_ptr<ServerState> state, std::uint64_t id, TlsStream stream,
                      WebSocketHandler& handler, WebSocketPeer peer)
      : state_(std::move(state)),
        id_(id),
        ws_(std::move(stream)),
        handler_(handler),
        peer_(std::move(peer)) {}

  WebSocketConnection(const WebSocketConnection&) = delete;
  WebSocketConnection& operator=(const WebSocketConnection&) = delete;
  ~WebSocketConnection() override { uncount(); }

  void start(const BeastRequest& request) {
    const HttpOptions& options = state_->options;
    websocket::stream_base::timeout timeout{};
    timeout.handshake_timeout = options.handshake_timeout;
    timeout.idle_timeout = options.websocket_idle_timeout;
    timeout.keep_alive_pings = true;  // ping at half the idle time; close if still silent
    ws_.set_option(timeout);
    ws_.read_message_max(options.websocket_max_message_bytes);
    const auto host = request.find(bhttp::field::host);
    std::string host_text = host == request.end()
                                ? std::string()
                                : std::string(host->value().data(), host->value().size());
    ws_.set_option(websocket::stream_base::decorator(
        [protocol = peer_.subprotocol, host_text](websocket::response_type& response) {
          if (!protocol.empty()) response.set(bhttp::field::sec_websocket_protocol, protocol);
          for (const auto& [name, value] : security_headers(host_text)) {
            response.set(to_beast(name), value);
          }
        }));
    ws_.async_accept(request, [self = shared_from_this()](const beast::error_code& error) {
      self->on_accept(error);
    });
  }

  std::uint64_t id() const override { return id_; }
  net::StreamKind kind() const override { return net::StreamKind::kWss; }
  const net::SocketAddress& remote() const override { return peer_.remote; }
  const net::SocketAddress& local() const override { return peer_.local; }

  // One text message.
  bool send(std::string_view text) override {
    if (!opened_ || closing_ || closed_) return false;
    if (queued_bytes_ + text.size() > state_->options.websocket_max_write_queue_bytes) {
      spdlog::warn("websocket {}: peer {} does not read; closing", id_, peer_.remote.to_string());
      close();
      return false;
    }
    queue_.emplace_back(text);
    queued_bytes_ += text.size();
    if (!writing_) write_next();
    return true;
  }

  void close_after_flush() override {
    if (closed_ || closing_) return;
    closing_ = true;
    if (!opened_) {
      close();
    } else if (!writing_) {
      send_close();
    }
  }

  void close() override {
    if (closed_) return;
    const auto self = shared_from_this();  // the table may hold the last reference
    closed_ = true;
    beast::get_lowest_layer(ws_).close();
    queue_.clear();
    queued_bytes_ = 0;
    uncount();
    if (opened_ && state_->handlers_live.load()) handler_.on_close(id_);
    state_->pool.remove_stream(id_);
  }

 private:
  void uncount() {
    if (counted_) {
      counted_ = false;
      state_->open.fetch_sub(1, std::memory_order_relaxed);
    }
  }

  void on_accept(const beast::error_code& error) {
    if (closed_) return;
    if (error) {
      close();
      return;
    }
    opened_ = true;
    if (state_->handlers_live.load()) handler_.on_open(id_, peer_);
    if (closing_ && !closed_ && !writing_) send_close();  // shutdown began during the handshake
    if (!closed_) read();
  }

  void read() {
    ws_.async_read(buffer_, [self = shared_from_this()](const beast::error_code& error,
                                                        std::size_t) { self->on_read(error); });
  }

  void on_read(const beast::error_code& error) {
    if (closed_) return;
    if (error) {
      // A close frame from the peer, a message over the limit (Beast has sent close 1009), the
      // idle timeout or a broken stream: the WebSocket is over either way.
      if (error == websocket::error::message_too_big) {
        spdlog::info("websocket {}: message from {} over {} bytes; closed with 1009", id_,
                     peer_.remote.to_string(), state_->options.websocket_max_message_bytes);
      }
      close();
      return;
    }
    const auto data = buffer_.data();
    if (state_->handlers_live.load()) {
      handler_.on_message(id_,
                          std::string_view(static_cast<const char*>(data.data()), data.size()));
    }
    buffer_.consume(buffer_.size());
    if (!closed_) read();
  }

  void write_next() {
    writing_ = true;
    ws_.text(true);
    ws_.async_write(asio::buffer(queue_.front()),
                    [self = shared_from_this()](const beast::error_code& error, std::size_t) {
                      self->on_write(error);
                    });
  }

  void on_write(const beast::error_code& error) {
    writing_ = false;
    if (closed_) return;
    if (error) {
      close();
      return;
    }
    queued_bytes_ -= queue_.front().size();
    queue_.pop_front();
    if (!queue_.empty()) {
      write_next();
    } else if (closing_) {
      send_close();
    }
  }

  // Our close frame; the pending read sees the peer's answer and ends the connection.
  void send_close() {
    if (close_sent_) return;
    close_sent_ = true;
    ws_.async_close(websocket::close_code::going_away,
                    [self = shared_from_this()](const beast::error_code& error) {
                      if (error) self->close();
                    });
  }

  std::shared_ptr<ServerState> state_;
  std::uint64_t id_;
  WsStream ws_;
  WebSocketHandler& handler_;
  WebSocketPeer peer_;
  beast::flat_buffer buffer_;
  std::deque<std::string> queue_;
  std::size_t queued_bytes_ = 0;
  bool opened_ = false;
  bool writing_ = false;
  bool closing_ = false;
  bool close_sent_ = false;
  bool closed_ = false;
  bool counted_ = true;
};

}  // namespace

void start_websocket(const std::shared_ptr<ServerState>& state, std::uint64_t id, TlsStream stream,
                     const BeastRequest& request, WebSocketHandler& handler, WebSocketPeer peer) {
  auto connection =
      std::make_shared<WebSocketConnection>(state, id, std::move(stream), handler, std::move(peer));
  state->pool.add_stream(connection);
  connection->start(request);
}

}  // namespace parley::http
