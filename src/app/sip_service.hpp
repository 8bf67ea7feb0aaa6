#pragma once
// SipService: SIP over the network. Owns the UDP endpoints and TCP servers of every SIP listen
// address, frames stream bytes into messages, parses each message once, and hands it with its
// Peer to the worker's sip::InboundHandler through one entry point, dispatch(). It also provides
// each worker's sip::Transport, which sends back over the right socket or connection.
//
// The handler per worker comes from a factory, so the transaction layer can be put in front of
// the stateless CoreResponder without touching the transports: the default factory makes a
// CoreResponder.
//
// Lifecycle: construct after the WorkerPool, listen() before pool.start(), stop() before
// pool.shutdown(); destroy after shutdown and before the pool.

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/clock.hpp"
#include "base/result.hpp"
#include "net/address.hpp"
#include "net/stream_connector.hpp"
#include "net/tcp_server.hpp"
#include "net/tls_context.hpp"
#include "net/tls_server.hpp"
#include "net/udp_endpoint.hpp"
#include "net/worker_pool.hpp"
#include "protocol/sip/message.hpp"
#include "sip/call_placement.hpp"
#include "sip/core_responder.hpp"
#include "sip/transport.hpp"

namespace parley::app {

class StreamDestinations;
class TlsPeerCertificates;

struct SipServiceOptions {
  std::size_t max_message_bytes = 65536;  // per message, UDP and streams
  net::TcpOptions tcp = {};
  sip::Advertisement advertisement = {};
  // Where calls live when not where their Call-ID hashes (decision 0024): consulted for every
  // message of a call and by end_call(). Null = the Call-ID hash alone. Must outlive the service.
  sip::CallPlacement* placement = nullptr;
  // Outgoing TCP/TLS connections (decision 0032): only to these destinations (provider trunks);
  // `client_tls` proves the far end of TLS ones (null: TLS destinations cannot be reached). Both
  // must outlive the service; null destinations = Parley never opens a connection itself.
  const StreamDestinations* stream_destinations = nullptr;
  net::TlsContext* client_tls = nullptr;
  net::ConnectOptions connect = {};
  // Where the client certificates of TLS connections go, for trunks with mutual TLS (decision
  // 0048). Null: not kept. Must outlive the service.
  TlsPeerCertificates* peer_certificates = nullptr;
};

class SipService {
 public:
  // Makes the handler for one worker; called once per worker, in the constructor. `transport`
  // and `clock` outlive the handler.
  using HandlerFactory = std::function<std::unique_ptr<sip::InboundHandler>(
      std::size_t worker, sip::Transport& transport, const Clock& clock)>;

  // `handlers` empty = a CoreResponder per worker advertising options.advertisement.
  SipService(net::WorkerPool& pool, const SipServiceOptions& options, HandlerFactory handlers = {});
  ~SipService();
  SipService(const SipService&) = delete;
  SipService& operator=(const SipService&) = delete;

  // Listens on `address` over UDP and TCP. With port 0 UDP gets a port from the OS and TCP
  // tries the same one first (falling back to another if it is taken).
  Result<void> listen(const net::SocketAddress& address);
  // Listens for SIP over TLS (RFC 3261 §26.3.1, usually port 5061) on `address` with the
  // certificate of `context` (server role; it must outlive the service).
  Result<void> listen_tls(const net::SocketAddress& address, net::TlsContext& context,
                          const net::TlsServerOptions& options);

  struct Listening {
    sip::TransportKind transport;
    net::SocketAddress address;
  };
  std::vector<Listening> listening() const;

  // Stops receiving and accepting. Open connections are closed by WorkerPool::shutdown.
  void stop();

  // THE entry point into SIP: one received message (a datagram or a framed stream message)
  // on `worker`. Parses it and hands it to the worker's handler. Runs on that worker's thread.
  void dispatch(std::size_t worker, std::string_view raw, const sip::Peer& from);
  // A stream connection that delivered messages through dispatch() (TCP here, WebSocket from
  // the HTTPS server) has closed: tells the worker's handler, which drops what was bound to it.
  // Runs on that worker's thread.
  void flow_closed(std::size_t worker, const sip::Peer& flow);
  // Asks the worker that owns the call with the caller's Call-ID `call_id` (call_affinity.hpp)
  // to end it (InboundHandler::on_end_call with our tag on the caller's leg). Any thread;
  // returns at once, the BYEs or the CANCEL go out from that worker's loop right after.
  void end_call(std::string call_id, std::string caller_tag);

  // The transport a worker's SIP code sends with.
  sip::Transport& transport(std::size_t worker);

  // The handler of a worker (for tests and metrics). Use on that worker's thread only.
  sip::InboundHandler& handler(std::size_t worker);

 private:
  class WorkerTransport;
  class Datagrams;
  class StreamSession;
  class StreamSessions;

  // The connection of ours to a permitted stream destination, opened now if there is none;
  // 0 when `to` is not one. Called on a worker's thread (WorkerTransport::send).
  std::uint64_t outbound_connection(const sip::Peer& to);
  void forget_outbound(std::uint64_t connection_id);

  net::WorkerPool& pool_;
  SipServiceOptions options_;
  SteadyClock clock_;
  std::vector<std::unique_ptr<WorkerTransport>> transports_;
  std::vector<std::unique_ptr<sip::InboundHandler>> handlers_;
  std::unique_ptr<Datagrams> datagrams_;
  std::unique_ptr<StreamSessions> sessions_;
  std::vector<std::unique_ptr<net::UdpEndpoint>> udp_;
  std::vector<std::unique_ptr<net::TcpServer>> tcp_;
  std::vector<std::unique_ptr<net::TlsServer>> tls_;
  std::unique_ptr<net::StreamConnector> connector_;
  std::mutex outbound_mutex_;
  // "TLS|1.2.3.4:5061" -> the connection we opened there; guarded by outbound_mutex_.
  std::unordered_map<std::string, std::uint64_t> outbound_;
};

}  // namespace parley::app
