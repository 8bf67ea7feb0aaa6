#pragma once
// Which provider trunk a request came from, by where it came from (issue 11, decision 0048).
//
// A trunk is trusted without digest authentication, so the test must be as narrow as what we
// know of the provider: the transport and the address *and port* of each of its servers as
// resolved (the configured host:port, or for a host without a port its NAPTR/SRV targets' ports,
// or 5060/5061 for a name with only A/AAAA records; RFC 3263 §4.2). The provider's IP alone is
// not enough: another process on that host, or another customer of a shared SBC address, must
// not become the trunk by sending from another port. Over TCP and TLS this means a connection
// Parley opened to the provider (its remote end is the server's listening port); a connection
// the provider opens comes from an ephemeral port and is not the trunk by address.
//
// Pure functions over values; thread-safety as any value type.

#include <memory>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "net/tls_trust_anchors.hpp"
#include "sip/transport.hpp"
#include "sip/trunk_endpoint.hpp"

namespace parley::app {

// Whether `source` is one of the servers of `endpoint` (its first target or an alternate): the
// same transport, IP and port.
bool comes_from_trunk_server(const sip::TrunkEndpoint& endpoint, const sip::Peer& source);

// Whether `source` has the IP of one of the servers of `endpoint`, whatever its port or
// transport: such a request is not the trunk, but worth a log line.
bool shares_trunk_server_ip(const sip::TrunkEndpoint& endpoint, const sip::Peer& source);

// Mutual TLS for a trunk (store::TrunkClientTls, loaded): such a trunk is recognised by the
// client certificate of the TLS connection a request came on, never by its address.
struct TrunkClientCheck {
  std::shared_ptr<const net::TlsTrustAnchors> anchors;  // null: the CA file did not load
  std::string expected_name;                            // empty: any name
  std::string ca_file;                                  // for log lines
};

// Whether a request that came over `transport` on a connection that presented `chain` (null:
// none) passes `check`; the error says why not.
Result<void> presents_trunk_certificate(const TrunkClientCheck& check, sip::TransportKind transport,
                                        const std::vector<std::string>* chain);

}  // namespace parley::app
