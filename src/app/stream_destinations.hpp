#pragma once
// The peers Parley may open a TCP or TLS connection to on its own (RFC 3261 §18.1.1): provider
// trunks with transport TCP or TLS, as the TrunkService resolved them. Every other stream peer
// (phones, browsers) is reached only over the connection it opened to us (decision 0032), so a
// forged Via or Contact cannot make Parley connect anywhere.
//
// Thread-safety: replace() from the trunk service's thread, find() from any worker; internally
// locked, and find() copies out what it returns.

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "net/address.hpp"
#include "sip/transport.hpp"

namespace parley::app {

struct StreamDestination {
  sip::TransportKind transport = sip::TransportKind::kTcp;  // kTcp or kTls
  net::SocketAddress remote;
  std::string server_name;  // TLS: the name sent (SNI) and checked; empty = the IP address
};

class StreamDestinations {
 public:
  void replace(std::vector<StreamDestination> destinations);
  // The destination for `transport` to `remote`, if Parley may connect there.
  std::optional<StreamDestination> find(sip::TransportKind transport,
                                        const net::SocketAddress& remote) const;

 private:
  mutable std::mutex mutex_;
  std::vector<StreamDestination> destinations_;  // guarded by mutex_; a handful of trunks
};

}  // namespace parley::app
