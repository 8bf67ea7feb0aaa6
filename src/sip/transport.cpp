#include "sip/transport.hpp"

namespace parley::sip {

std::string_view to_text(TransportKind kind) {
  switch (kind) {
    case TransportKind::kUdp:
      return "UDP";
    case TransportKind::kTcp:
      return "TCP";
    case TransportKind::kTls:
      return "TLS";
    case TransportKind::kWs:
      return "WS";
    case TransportKind::kWss:
      return "WSS";
  }
  return "UDP";
}

}  // namespace parley::sip
