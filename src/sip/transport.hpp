#pragma once
// The seam between the SIP layers and the sockets in net/: where a message came from, and a way
// to send bytes back there. The transaction layer and the request handlers only see these.

#include <cstdint>
#include <string_view>

#include "net/address.hpp"

namespace parley::sip {

enum class TransportKind : std::uint8_t { kUdp, kTcp, kTls, kWs, kWss };

std::string_view to_text(TransportKind kind);  // "UDP", "TCP", ...
inline bool is_reliable(TransportKind kind) {
  return kind != TransportKind::kUdp;
}

// Where a message arrived from, and so where its responses go (RFC 3261 §18.2.2, RFC 3581).
struct Peer {
  TransportKind transport = TransportKind::kUdp;
  net::SocketAddress remote;
  net::SocketAddress local;
  // For stream transports, the connection the message arrived on (0 = none / open a new one).
  std::uint64_t connection_id = 0;
};

// Sends bytes to a peer. Implemented by net/ transports. Called on the worker's loop thread;
// must not block. A failed send is logged by the transport and reported as false.
class Transport {
 public:
  virtual ~Transport() = default;
  virtual bool send(const Peer& to, std::string_view bytes) = 0;
};

}  // namespace parley::sip
