#include "app/sip_websocket.hpp"

#include <spdlog/spdlog.h>

#include <utility>

namespace parley::app {
namespace {

constexpr std::string_view kSubprotocol = "sip";

bool only_line_breaks(std::string_view bytes) {
  return bytes.find_first_not_of("\r\n") == std::string_view::npos;
}

}  // namespace

SipWebSocket::SipWebSocket(net::WorkerPool& pool, SipService& sip, std::size_t max_message_bytes)
    : pool_(pool), sip_(sip), max_message_bytes_(max_message_bytes), peers_(pool.size()) {}

std::vector<std::string> SipWebSocket::subprotocols() const {
  return {std::string(kSubprotocol)};
}

void SipWebSocket::on_open(std::uint64_t connection_id, const http::WebSocketPeer& peer) {
  sip::Peer flow;
  flow.transport = sip::TransportKind::kWss;
  flow.remote = peer.remote;
  flow.local = peer.local;
  flow.connection_id = connection_id;
  const std::size_t worker = worker_of(connection_id);
  if (worker >= peers_.size()) return;  // not one of our pool's connections
  if (!on_owner(worker)) {
    pool_.post(worker,
               [this, worker, flow] { peers_[worker].insert_or_assign(flow.connection_id, flow); });
    return;
  }
  peers_[worker].insert_or_assign(connection_id, flow);
  spdlog::debug("SIP WebSocket {} open from {}", connection_id, peer.remote.to_string());
}

void SipWebSocket::on_message(std::uint64_t connection_id, std::string_view message) {
  const std::size_t worker = worker_of(connection_id);
  if (worker >= peers_.size()) return;
  if (!on_owner(worker)) {
    // The view dies with this call: the posted task keeps its own copy.
    pool_.post(worker, [this, worker, connection_id, copy = std::string(message)] {
      receive(worker, connection_id, copy);
    });
    return;
  }
  receive(worker, connection_id, message);
}

void SipWebSocket::on_close(std::uint64_t connection_id) {
  const std::size_t worker = worker_of(connection_id);
  if (worker >= peers_.size()) return;
  if (!on_owner(worker)) {
    pool_.post(worker, [this, worker, connection_id] { closed(worker, connection_id); });
    return;
  }
  closed(worker, connection_id);
}

void SipWebSocket::receive(std::size_t worker, std::uint64_t connection_id,
                           std::string_view message) {
  const auto found = peers_[worker].find(connection_id);
  if (found == peers_[worker].end()) return;  // closed meanwhile
  // A copy: answering may close the connection (a peer that does not read), which erases the
  // table entry while the message is still being handled.
  const sip::Peer flow = found->second;
  if (only_line_breaks(message)) {
    // Not defined by RFC 7118, but some clients ping with CRLFCRLF as over TCP (RFC 5626
    // §3.5.1); the pong tells them the flow is alive. An empty message needs nothing.
    if (!message.empty()) (void)pool_.send_stream(connection_id, "\r\n");
    return;
  }
  sip_.dispatch(worker, message, flow);
  if (message.size() > max_message_bytes_) {
    // As on TCP: the parser refused it (413 when the head could be answered), and a peer
    // that sends such messages is not one to keep reading.
    pool_.close_stream(connection_id);
  }
}

void SipWebSocket::closed(std::size_t worker, std::uint64_t connection_id) {
  const auto found = peers_[worker].find(connection_id);
  if (found == peers_[worker].end()) return;
  const sip::Peer flow = found->second;
  peers_[worker].erase(found);
  sip_.flow_closed(worker, flow);
  spdlog::debug("SIP WebSocket {} from {} closed", connection_id, flow.remote.to_string());
}

}  // namespace parley::app
