#pragma once
// ServerLocator: where to send SIP requests for a provider's host name (RFC 3263 §4, as a
// client; decision 0042).
//
// - An IP literal needs no DNS: that address, with the port given or the transport's default.
// - A name with a port: its A and AAAA records (RFC 3263 §4.2), that port.
// - A name without a port: NAPTR (RFC 3403) records with flag "s" and a service we speak
//   (SIP+D2U, SIP+D2T, SIPS+D2T; only the trunk's transport when it fixes one), in order and
//   preference; each replacement's SRV records; without usable NAPTR, the SRV names
//   _sips._tcp, _sip._tcp, _sip._udp (only the fixed transport's when there is one); without
//   SRV, the name's A/AAAA on the default port. SRV records are ordered by priority and, within
//   one priority, by the weighted random choice of RFC 2782; a target "." means the service is
//   not offered there. Each SRV target contributes its addresses, A before AAAA.
// - Answers are cached for their TTL (the smallest of the records used, at most max_ttl);
//   NXDOMAIN and empty answers for negative_ttl. A failed lookup (no server answered) is not
//   cached, so the next call asks again. last_valid_until() tells when the last answer lapses.
// - Bounded: at most max_naptr NAPTR records and max_srv SRV records per name are looked at, and
//   at most max_targets targets come back.
//
// Failures come back as errors for people, e.g. "provider.test does not exist (NXDOMAIN)" or
// "SRV targets of provider.test have no address". Thread-safety: none; one instance per thread
// (the lookups block: never on an event loop).

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/clock.hpp"
#include "base/result.hpp"
#include "net/address.hpp"
#include "net/dns_client.hpp"
#include "net/dns_message.hpp"
#include "sip/transport.hpp"

namespace parley::sip {

struct ServerTarget {
  TransportKind transport = TransportKind::kUdp;
  net::SocketAddress address;
  std::string host;  // the SRV target (or the host itself) the address belongs to
  bool operator==(const ServerTarget& other) const {
    return transport == other.transport && address == other.address && host == other.host;
  }
};

struct ServerLocatorOptions {
  std::size_t max_targets = 8;
  std::size_t max_naptr = 16;
  std::size_t max_srv = 16;
  Duration max_ttl = std::chrono::hours(1);
  Duration negative_ttl = std::chrono::seconds(30);
};

// RFC 2782 order: ascending priority; within a priority, repeatedly a weighted random pick
// (zero weights first, each record chosen with probability weight / remaining sum). `random`
// returns a number in [0, bound].
std::vector<net::DnsSrvData> order_srv(std::vector<net::DnsSrvData> records,
                                       const std::function<std::uint32_t(std::uint32_t)>& random);

// The transport a NAPTR service field names ("SIP+D2U" ...), nullopt for any other.
std::optional<TransportKind> transport_of_naptr_service(std::string_view service);

class ServerLocator {
 public:
  ServerLocator(net::DnsLookup& dns, const Clock& clock, ServerLocatorOptions options = {});

  // `port` 0 = none given; `transport` nullopt = as DNS says (UDP when it says nothing).
  Result<std::vector<ServerTarget>> locate(std::string_view host, std::uint16_t port,
                                           std::optional<TransportKind> transport);

  // When the targets of the last locate() may have changed: the earliest expiry of the DNS
  // answers it used (nullopt when it used none, e.g. an IP literal). A caller that keeps the
  // targets (the trunks' inbound matching, decision 0048) locates again then.
  std::optional<TimePoint> last_valid_until() const { return valid_until_; }

  // Queries sent to the DNS so far (for tests of the cache).
  std::size_t queries() const { return queries_; }

 private:
  struct Answer {
    bool exists = true;  // false: NXDOMAIN
    std::vector<net::DnsRecord> records;
  };
  struct CacheEntry {
    Answer answer;
    TimePoint expires;
  };
  Result<Answer> lookup(const std::string& name, net::DnsType type);
  Result<std::vector<net::SocketAddress>> addresses(const std::string& name, std::uint16_t port,
                                                    bool& exists);
  // Appends the targets of SRV `name` for `transport`; false when the name has no SRV record.
  Result<bool> from_srv(const std::string& name, TransportKind transport,
                        std::vector<ServerTarget>& out);

  net::DnsLookup& dns_;
  const Clock& clock_;
  ServerLocatorOptions options_;
  std::map<std::pair<std::uint16_t, std::string>, CacheEntry> cache_;
  std::mt19937 random_;
  std::size_t queries_ = 0;
  std::optional<TimePoint> valid_until_;  // of the answers the current/last locate() used
};

}  // namespace parley::sip
