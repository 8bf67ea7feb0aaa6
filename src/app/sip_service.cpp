#include "app/sip_service.hpp"

#include "app/stream_destinations.hpp"
#include "app/tls_peer_certificates.hpp"
#include "sip/call_affinity.hpp"
#include "sip/via_stamp.hpp"

#include <spdlog/spdlog.h>

#include "protocol/sip/framer.hpp"

namespace parley::app {
namespace {

using protocol::sip::StreamFramer;

bool only_line_breaks(std::string_view bytes) {
  return bytes.find_first_not_of("\r\n") == std::string_view::npos;
}

}  // namespace

// Sends for one worker: UDP through the endpoint the request came in on (any worker's socket
// of it shares the address), streams through the connection table.
class SipService::WorkerTransport final : public sip::Transport {
 public:
  WorkerTransport(SipService& service, const Clock& clock)
      : service_(service), failures_(clock, 5) {}

  bool send(const sip::Peer& to, std::string_view bytes) override {
    bool sent = false;
    switch (to.transport) {
      case sip::TransportKind::kUdp:
        if (net::UdpEndpoint* endpoint = udp_for(to)) sent = endpoint->send_to(to.remote, bytes);
        break;
      case sip::TransportKind::kTcp:
      case sip::TransportKind::kTls:
      case sip::TransportKind::kWs:
      case sip::TransportKind::kWss:
        // Phones and browsers are reached only over the connection they opened (RFC 5626
        // flows; a WebSocket peer's Via host is .invalid anyway, RFC 7118 §5.2), and send_stream
        // makes each send one WebSocket message, the whole framing RFC 7118 §5 asks for. Only
        // trunks get connections of ours (decision 0032).
        if (to.connection_id != 0) {
          sent = service_.pool_.send_stream(to.connection_id, bytes);
        } else if (const std::uint64_t ours = service_.outbound_connection(to); ours != 0) {
          sent = service_.pool_.send_stream(ours, bytes);
          if (!sent) service_.forget_outbound(ours);  // gone: the next send opens a new one
        }
        break;
    }
    if (!sent && spdlog::should_log(spdlog::level::warn) && failures_.admit()) {
      spdlog::warn("could not send {} bytes over {} to {}", bytes.size(), to_text(to.transport),
                   to.remote.to_string());
    }
    return sent;
  }

 private:
  net::UdpEndpoint* udp_for(const sip::Peer& to) {
    net::UdpEndpoint* same_family = nullptr;
    for (auto& endpoint : service_.udp_) {
      if (endpoint->local_address() == to.local) return endpoint.get();
      if (same_family == nullptr && endpoint->local_address().is_v6() == to.remote.is_v6()) {
        same_family = endpoint.get();
      }
    }
    return same_family;
  }

  SipService& service_;
  sip::RejectionLog failures_;
};

class SipService::Datagrams final : public net::DatagramListener {
 public:
  explicit Datagrams(SipService& service) : service_(service) {}

  void on_datagram(std::size_t worker, std::string_view bytes, const net::SocketAddress& from,
                   const net::SocketAddress& local) override {
    // NAT keep-alives ("\r\n\r\n", RFC 5626 §3.5.1 style) sent over UDP need no answer.
    if (only_line_breaks(bytes)) return;
    sip::Peer peer;
    peer.transport = sip::TransportKind::kUdp;
    peer.remote = from;
    peer.local = local;
    service_.dispatch(worker, bytes, peer);
  }

 private:
  SipService& service_;
};

// One per TCP connection: frames the byte stream and dispatches each message.
class SipService::StreamSession final : public net::StreamSession {
 public:
  StreamSession(SipService& service, std::size_t max_message_bytes)
      : service_(service), framer_(max_message_bytes) {}

  void on_data(net::StreamConnection& connection, std::string_view bytes) override {
    framer_.feed(bytes);
    for (;;) {
      const StreamFramer::Output out = framer_.next();
      switch (out.event) {
        case StreamFramer::Event::kNeedMore:
          return;
        case StreamFramer::Event::kKeepAlivePing:
          connection.send("\r\n");  // RFC 5626 §3.5.1 pong
          break;
        case StreamFramer::Event::kMessage:
          service_.dispatch(connection.worker(), out.message, peer_of(connection));
          break;
        case StreamFramer::Event::kError: {
          // Framing is lost: the handler answers if it can (400 without Content-Length, 413
          // too big) like any unparsable message, then the connection closes.
          service_.handlers_[connection.worker()]->on_inbound(out.error, framer_.pending(),
                                                              peer_of(connection));
          connection.close_after_flush();
          return;
        }
      }
    }
  }

  void on_closed(net::StreamConnection& connection) override {
    if (service_.options_.peer_certificates != nullptr) {
      service_.options_.peer_certificates->forget(connection.id());
    }
    service_.forget_outbound(connection.id());
    service_.flow_closed(connection.worker(), peer_of(connection));
  }

 private:
  static sip::Peer peer_of(const net::StreamConnection& connection) {
    sip::Peer peer;
    peer.transport = connection.kind() == net::StreamKind::kTls ? sip::TransportKind::kTls
                                                                : sip::TransportKind::kTcp;
    peer.remote = connection.remote();
    peer.local = connection.local();
    peer.connection_id = connection.id();
    return peer;
  }

  SipService& service_;
  StreamFramer framer_;
};

class SipService::StreamSessions final : public net::StreamSessionFactory {
 public:
  explicit StreamSessions(SipService& service) : service_(service) {}
  std::unique_ptr<net::StreamSession> create_session(net::StreamConnection& connection) override {
    if (service_.options_.peer_certificates != nullptr) {
      service_.options_.peer_certificates->remember(connection.id(),
                                                    connection.peer_certificates());
    }
    return std::make_unique<StreamSession>(service_, service_.options_.max_message_bytes);
  }

 private:
  SipService& service_;
};

SipService::SipService(net::WorkerPool& pool, const SipServiceOptions& options,
                       HandlerFactory handlers)
    : pool_(pool),
      options_(options),
      datagrams_(std::make_unique<Datagrams>(*this)),
      sessions_(std::make_unique<StreamSessions>(*this)),
      connector_(std::make_unique<net::StreamConnector>(pool, *sessions_, options.client_tls,
                                                        options.connect)) {
  if (!handlers) {
    handlers = [advertisement = options_.advertisement](
                   std::size_t /*worker*/, sip::Transport& transport,
                   const Clock& clock) -> std::unique_ptr<sip::InboundHandler> {
      return std::make_unique<sip::CoreResponder>(
          sip::CoreResponder::Options{transport, clock, advertisement});
    };
  }
  for (std::size_t worker = 0; worker < pool.size(); ++worker) {
    transports_.push_back(std::make_unique<WorkerTransport>(*this, clock_));
    handlers_.push_back(handlers(worker, *transports_.back(), clock_));
  }
}

SipService::~SipService() = default;

Result<void> SipService::listen(const net::SocketAddress& address) {
  auto udp = net::UdpEndpoint::bind(pool_, address, *datagrams_);
  if (!udp) return make_error(udp.error().code, "UDP " + udp.error().message);
  const net::SocketAddress udp_address = (*udp)->local_address();

  net::SocketAddress tcp_address = address;
  Result<std::unique_ptr<net::TcpServer>> tcp = make_error(0, "not tried");
  if (address.port() == 0) {
    // Peers expect UDP and TCP on one port; try the one UDP got before asking for any.
    tcp = net::TcpServer::listen(pool_, udp_address, *sessions_, options_.tcp);
  }
  if (!tcp) tcp = net::TcpServer::listen(pool_, tcp_address, *sessions_, options_.tcp);
  if (!tcp) return make_error(tcp.error().code, "TCP " + tcp.error().message);

  udp_.push_back(std::move(udp.value()));
  tcp_.push_back(std::move(tcp.value()));
  return {};
}

Result<void> SipService::listen_tls(const net::SocketAddress& address, net::TlsContext& context,
                                    const net::TlsServerOptions& options) {
  auto tls = net::TlsServer::listen(pool_, address, context, *sessions_, options);
  if (!tls) return make_error(tls.error().code, "TLS " + tls.error().message);
  tls_.push_back(std::move(tls.value()));
  return {};
}

std::uint64_t SipService::outbound_connection(const sip::Peer& to) {
  if (options_.stream_destinations == nullptr) return 0;
  const std::string key = std::string(to_text(to.transport)) + "|" + to.remote.to_string();
  {
    const std::lock_guard lock(outbound_mutex_);
    if (const auto found = outbound_.find(key); found != outbound_.end()) return found->second;
  }
  const auto destination = options_.stream_destinations->find(to.transport, to.remote);
  if (!destination) return 0;
  // Opened without the lock: a connect that fails at once reports on_closed (forget_outbound)
  // from inside open().
  const std::uint64_t id = connector_->open(
      {to.remote,
       to.transport == sip::TransportKind::kTls ? net::StreamKind::kTls : net::StreamKind::kTcp,
       destination->server_name});
  if (id == 0) return 0;
  const std::lock_guard lock(outbound_mutex_);
  // Two workers may race to open one; the first stays in the table, the other is used once.
  outbound_.emplace(key, id);
  return id;
}

void SipService::forget_outbound(std::uint64_t connection_id) {
  const std::lock_guard lock(outbound_mutex_);
  std::erase_if(outbound_,
                [connection_id](const auto& entry) { return entry.second == connection_id; });
}

std::vector<SipService::Listening> SipService::listening() const {
  std::vector<Listening> out;
  for (const auto& endpoint : udp_)
    out.push_back({sip::TransportKind::kUdp, endpoint->local_address()});
  for (const auto& server : tcp_)
    out.push_back({sip::TransportKind::kTcp, server->local_address()});
  for (const auto& server : tls_)
    out.push_back({sip::TransportKind::kTls, server->local_address()});
  return out;
}

void SipService::stop() {
  for (auto& endpoint : udp_) endpoint->stop();
  for (auto& server : tcp_) server->stop();
  for (auto& server : tls_) server->stop();
}

void SipService::dispatch(std::size_t worker, std::string_view raw, const sip::Peer& from) {
  protocol::sip::ParseLimits limits;
  limits.max_message_bytes = options_.max_message_bytes;
  Result<protocol::sip::Message> parsed = protocol::sip::parse_message(raw, limits);
  // The stamp edits the parsed message in place: parsing the stamped bytes again cost as much
  // as the first parse (decision 0044).
  if (parsed.ok()) sip::stamp_top_via_in_place(*parsed, from.remote);
  if (parsed.ok() && sip::needs_call_affinity(*parsed)) {
    const std::size_t owner = options_.placement != nullptr
                                  ? options_.placement->route(*parsed)
                                  : sip::call_owner(parsed->call_id(), handlers_.size());
    if (owner != worker) {
      // The call lives on another worker: hand the parsed message over (it owns its bytes).
      pool_.post(owner, [this, owner, message = std::move(parsed.value()), from]() mutable {
        handlers_[owner]->on_inbound(std::move(message), {}, from);
      });
      return;
    }
  }
  handlers_[worker]->on_inbound(std::move(parsed), raw, from);
}

void SipService::flow_closed(std::size_t worker, const sip::Peer& flow) {
  handlers_[worker]->on_flow_closed(flow);
}

void SipService::end_call(std::string call_id, std::string caller_tag) {
  const std::size_t owner = options_.placement != nullptr
                                ? options_.placement->owner(call_id)
                                : sip::call_owner(call_id, handlers_.size());
  pool_.post(owner,
             [this, owner, tag = std::move(caller_tag)] { handlers_[owner]->on_end_call(tag); });
}

sip::Transport& SipService::transport(std::size_t worker) {
  return *transports_[worker];
}

sip::InboundHandler& SipService::handler(std::size_t worker) {
  return *handlers_[worker];
}

}  // namespace parley::app
