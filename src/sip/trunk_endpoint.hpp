#pragma once
// Where and how Parley reaches one provider (a trunk, issue 11), once its host is resolved, and
// the out-of-dialog requests it sends there (REGISTER, OPTIONS).
//
// Values only; thread-safety as any value type.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sip/transport.hpp"

namespace parley::sip {

// Another server of the same provider (RFC 3263: the next SRV target or address of the name),
// tried in order when the ones before it failed to connect, timed out or answered 503.
struct TrunkTarget {
  Peer peer;
  std::string local_host_port;
  bool operator==(const TrunkTarget& other) const;
};

struct TrunkEndpoint {
  Peer peer;                    // transport, the provider's resolved address, our local socket
  std::string domain;           // the provider host as configured (IPv6 in brackets): URI host
  std::uint16_t port = 0;       // configured port; 0 = the default (not written into URIs)
  std::string local_host_port;  // our Via sent-by and Contact host:port
  std::vector<TrunkTarget> alternates;  // after `peer`, in RFC 3263 order; at most a handful

  // "sip:domain" or "sip:domain:port": the Request-URI of REGISTER and OPTIONS.
  std::string request_uri() const;
  // "sip:user@domain": the address-of-record we register (RFC 3261 §10.2).
  std::string aor(std::string_view user) const;

  bool operator==(const TrunkEndpoint& other) const;
};

// The fields of one request outside any dialog.
struct TrunkRequest {
  std::string_view method;       // "REGISTER", "OPTIONS"
  std::string_view request_uri;  // as sent
  std::string_view from;         // whole From value with its tag
  std::string_view to;           // whole To value
  std::string_view call_id;
  std::uint32_t cseq = 1;
  std::string_view via;          // whole top Via value with its branch
  std::string_view extra_lines;  // complete header lines ("Name: value\r\n"), may be empty
  std::string_view user_agent;
};
std::string build_trunk_request(const TrunkRequest& request);

}  // namespace parley::sip
