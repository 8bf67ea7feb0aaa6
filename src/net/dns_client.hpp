#pragma once
// DnsClient: asks recursive nameservers one question at a time (decision 0042). Blocking: it
// is for threads that may wait (the trunk service's own thread), never for an event loop.
//
// A query goes over UDP with EDNS0 to each server in turn, `attempts` rounds, each try waiting
// at most `timeout`; an answer whose id, question or source does not match is ignored (it may
// be a late or forged one). A truncated answer is asked again over TCP of the same server.
// SERVFAIL and REFUSED move on to the next server; NXDOMAIN and NOERROR are answers.
//
// Thread-safety: none; one instance per thread (it holds no sockets between queries).

#include <cstdint>
#include <filesystem>
#include <string_view>
#include <vector>

#include "base/clock.hpp"
#include "base/result.hpp"
#include "net/address.hpp"
#include "net/dns_message.hpp"

namespace parley::net {

struct DnsClientOptions {
  std::vector<SocketAddress> servers;  // empty: every query fails with "no nameserver"
  Duration timeout = std::chrono::seconds(2);
  std::uint32_t attempts = 2;
};

// The nameservers of a resolv.conf ("nameserver IP" lines, port 53). Missing file: empty.
std::vector<SocketAddress> read_resolv_conf(const std::filesystem::path& path = "/etc/resolv.conf");

// Where a lookup's records come from. DnsClient asks nameservers; the SIP server locator only
// needs this much.
class DnsLookup {
 public:
  virtual ~DnsLookup() = default;
  // The answer to `name`/`type` (an NXDOMAIN answer is a value, with rcode kNxDomain), or an
  // error when no server answered usefully.
  virtual Result<DnsMessage> query(std::string_view name, DnsType type) = 0;
};

class DnsClient final : public DnsLookup {
 public:
  explicit DnsClient(DnsClientOptions options);
  Result<DnsMessage> query(std::string_view name, DnsType type) override;

 private:
  Result<DnsMessage> ask_udp(const SocketAddress& server, std::span<const std::uint8_t> query,
                             std::uint16_t id, std::string_view name, DnsType type);
  Result<DnsMessage> ask_tcp(const SocketAddress& server, std::span<const std::uint8_t> query,
                             std::uint16_t id, std::string_view name, DnsType type);
  std::uint16_t next_id();

  DnsClientOptions options_;
  std::uint64_t id_state_;
};

}  // namespace parley::net
