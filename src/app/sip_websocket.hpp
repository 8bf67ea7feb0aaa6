#pragma once
// SipWebSocket: SIP over WebSocket (RFC 7118), the WebSocket endpoint the HTTPS server offers at
// /sip for browsers (JsSIP and the like).
//
// It speaks the subprotocol "sip" only (an upgrade without it is refused by the http layer).
// Each WebSocket message, text or binary, is one whole SIP message (RFC 7118 §5: no framing)
// and goes through SipService::dispatch() like a framed TCP message, as arriving over
// TransportKind::kWss from the connection's remote address with its connection id; so
// responses and requests to the device go back as messages over the same connection
// (SipService's transport sends to connection ids), never to the Via host, which is .invalid.
// A message over the SIP size limit is answered like on TCP (413 when possible) and the
// connection closed. A message of nothing but CRLFs is a keep-alive ping some clients send:
// it gets a CRLF pong. When the connection closes, the worker's SIP handler hears of it and
// drops the bindings registered over it at once.
//
// Thread-safety: the http layer calls a handler on the worker that owns the connection (the
// low 16 bits of its id); per-connection state lives in that worker's own table and is used on
// that thread only. A call that arrives on another thread is posted to the owner.
// Lifetime: construct after the SipService and before the HttpServer; destroy after the
// HttpServer (it must outlive the server, which calls it until destroyed).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "app/sip_service.hpp"
#include "http/websocket_handler.hpp"
#include "net/worker_pool.hpp"
#include "sip/transport.hpp"

namespace parley::app {

class SipWebSocket final : public http::WebSocketHandler {
 public:
  // `max_message_bytes` is the SIP size limit (SipServiceOptions::max_message_bytes).
  SipWebSocket(net::WorkerPool& pool, SipService& sip, std::size_t max_message_bytes);

  std::vector<std::string> subprotocols() const override;
  void on_open(std::uint64_t connection_id, const http::WebSocketPeer& peer) override;
  void on_message(std::uint64_t connection_id, std::string_view message) override;
  void on_close(std::uint64_t connection_id) override;

 private:
  static std::size_t worker_of(std::uint64_t connection_id) {
    return static_cast<std::size_t>(connection_id & 0xFFFFU);
  }
  // Whether the calling thread is `worker`'s (the http layer's normal case).
  bool on_owner(std::size_t worker) const { return pool_.current_worker() == worker; }
  void receive(std::size_t worker, std::uint64_t connection_id, std::string_view message);
  void closed(std::size_t worker, std::uint64_t connection_id);

  net::WorkerPool& pool_;
  SipService& sip_;
  std::size_t max_message_bytes_;
  // Per worker: the Peer of each open connection, used on that worker's thread only.
  std::vector<std::unordered_map<std::uint64_t, sip::Peer>> peers_;
};

}  // namespace parley::app
