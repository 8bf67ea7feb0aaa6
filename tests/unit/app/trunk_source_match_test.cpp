// Which trunk server a request came from (decision 0048): transport, IP and port of one of the
// trunk's resolved servers, never the IP alone.

#include "app/trunk_source_match.hpp"

#include <gtest/gtest.h>

namespace parley::app {
namespace {

sip::Peer peer(sip::TransportKind transport, std::string_view address) {
  sip::Peer out;
  out.transport = transport;
  out.remote = *net::SocketAddress::parse(address);
  return out;
}

// provider.test resolved through SRV: UDP 198.51.100.1:5070 first, then TCP 198.51.100.2:5080
// and UDP [2001:db8::7]:5090.
sip::TrunkEndpoint provider() {
  sip::TrunkEndpoint endpoint;
  endpoint.peer = peer(sip::TransportKind::kUdp, "198.51.100.1:5070");
  endpoint.domain = "provider.test";
  endpoint.alternates.push_back({peer(sip::TransportKind::kTcp, "198.51.100.2:5080"), ""});
  endpoint.alternates.push_back({peer(sip::TransportKind::kUdp, "[2001:db8::7]:5090"), ""});
  return endpoint;
}

TEST(TrunkSourceMatch, EveryResolvedServerWithItsPortAndTransport) {
  const sip::TrunkEndpoint endpoint = provider();
  EXPECT_TRUE(
      comes_from_trunk_server(endpoint, peer(sip::TransportKind::kUdp, "198.51.100.1:5070")));
  EXPECT_TRUE(
      comes_from_trunk_server(endpoint, peer(sip::TransportKind::kTcp, "198.51.100.2:5080")))
      << "a connection we opened to the TCP target";
  EXPECT_TRUE(
      comes_from_trunk_server(endpoint, peer(sip::TransportKind::kUdp, "[2001:db8::7]:5090")));
}

TEST(TrunkSourceMatch, TheServersAddressFromAnotherPortIsSomebodyElse) {
  const sip::TrunkEndpoint endpoint = provider();
  const sip::Peer other_port = peer(sip::TransportKind::kUdp, "198.51.100.1:5060");
  EXPECT_FALSE(comes_from_trunk_server(endpoint, other_port));
  EXPECT_TRUE(shares_trunk_server_ip(endpoint, other_port));
  EXPECT_FALSE(
      comes_from_trunk_server(endpoint, peer(sip::TransportKind::kTcp, "198.51.100.2:40312")))
      << "a connection the provider opened comes from an ephemeral port";
  EXPECT_FALSE(
      comes_from_trunk_server(endpoint, peer(sip::TransportKind::kUdp, "[2001:db8::7]:5091")));
}

TEST(TrunkSourceMatch, TheTransportMustBeTheServers) {
  const sip::TrunkEndpoint endpoint = provider();
  EXPECT_FALSE(
      comes_from_trunk_server(endpoint, peer(sip::TransportKind::kTcp, "198.51.100.1:5070")));
  EXPECT_FALSE(
      comes_from_trunk_server(endpoint, peer(sip::TransportKind::kUdp, "198.51.100.2:5080")));
  EXPECT_FALSE(
      comes_from_trunk_server(endpoint, peer(sip::TransportKind::kTls, "198.51.100.2:5080")));
}

TEST(TrunkSourceMatch, OtherAddressesShareNothing) {
  const sip::TrunkEndpoint endpoint = provider();
  const sip::Peer elsewhere = peer(sip::TransportKind::kUdp, "203.0.113.1:5070");
  EXPECT_FALSE(comes_from_trunk_server(endpoint, elsewhere));
  EXPECT_FALSE(shares_trunk_server_ip(endpoint, elsewhere));
}

}  // namespace
}  // namespace parley::app
