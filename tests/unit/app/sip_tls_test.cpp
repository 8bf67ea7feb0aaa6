// SIP over TLS in SipService (decision 0032), over real loopback sockets: a "provider" service
// listening on TLS with the stateless CoreResponder, and a "Parley" service whose transport
// opens (and then reuses) one TLS connection to it because the destination is permitted; a
// destination that is not permitted gets no connection. Plus the trunk endpoint for TCP/TLS.

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "app/sip_service.hpp"
#include "app/stream_destinations.hpp"
#include "app/trunk_service.hpp"
#include "support/temp_dir.hpp"
#include "support/test_certificate.hpp"

namespace parley::app {
namespace {

using namespace std::chrono_literals;

std::string options_request(std::string_view branch) {
  return "OPTIONS sip:provider@127.0.0.1 SIP/2.0\r\n"
         "Via: SIP/2.0/TLS 127.0.0.1:5061;branch=z9hG4bK-" +
         std::string(branch) +
         "\r\nMax-Forwards: 70\r\nTo: <sip:provider@127.0.0.1>\r\n"
         "From: <sip:parley@127.0.0.1>;tag=p1\r\nCall-ID: tls-" +
         std::string(branch) + "\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
}

struct Seen {
  int status = 0;
  sip::Peer from;
};

class ResponseSpy final : public sip::InboundHandler {
 public:
  ResponseSpy(std::mutex& mutex, std::vector<Seen>& seen) : mutex_(mutex), seen_(seen) {}
  void on_inbound(Result<protocol::sip::Message> parsed, std::string_view /*raw*/,
                  const sip::Peer& from) override {
    if (!parsed.ok()) return;
    const std::lock_guard lock(mutex_);
    seen_.push_back({parsed->status_code(), from});
  }

 private:
  std::mutex& mutex_;
  std::vector<Seen>& seen_;
};

SipServiceOptions base_options() {
  SipServiceOptions options;
  options.advertisement.server = "Parley/unit";
  return options;
}

TEST(SipTls, OpensOneTlsConnectionToAPermittedDestinationAndReusesIt) {
  test::TempDir dir{"parley-sip-tls"};
  const auto certificate = test::make_test_certificate(dir.path(), "provider");
  auto server_tls = net::TlsContext::create(net::TlsContext::Role::kServer,
                                            {certificate.certificate, certificate.key, {}, false});
  auto client_tls = net::TlsContext::create(net::TlsContext::Role::kClient,
                                            {{}, {}, certificate.certificate, true});
  ASSERT_TRUE(server_tls.ok() && client_tls.ok());

  std::mutex mutex;
  std::vector<Seen> seen;
  StreamDestinations destinations;
  net::WorkerPool provider_pool(1);
  SipService provider(provider_pool, base_options());
  ASSERT_TRUE(provider
                  .listen_tls(*net::SocketAddress::parse("127.0.0.1:0"), **server_tls,
                              net::TlsServerOptions{})
                  .ok());
  const net::SocketAddress provider_address = provider.listening().front().address;
  EXPECT_EQ(provider.listening().front().transport, sip::TransportKind::kTls);

  net::WorkerPool pool(2);
  SipServiceOptions options = base_options();
  options.stream_destinations = &destinations;
  options.client_tls = client_tls->get();
  SipService parley(pool, options, [&](std::size_t, sip::Transport&, const Clock&) {
    return std::make_unique<ResponseSpy>(mutex, seen);
  });
  destinations.replace({{sip::TransportKind::kTls, provider_address, "localhost"}});
  provider_pool.start();
  pool.start();

  sip::Peer to;
  to.transport = sip::TransportKind::kTls;
  to.remote = provider_address;
  // From both workers: the second send reuses the connection the first one opened.
  std::promise<bool> first_sent;
  pool.post(0, [&] { first_sent.set_value(parley.transport(0).send(to, options_request("a"))); });
  EXPECT_TRUE(first_sent.get_future().get());
  std::promise<bool> second_sent;
  pool.post(1, [&] { second_sent.set_value(parley.transport(1).send(to, options_request("b"))); });
  EXPECT_TRUE(second_sent.get_future().get());

  for (int i = 0; i < 300; ++i) {
    {
      const std::lock_guard lock(mutex);
      if (seen.size() >= 2) break;
    }
    std::this_thread::sleep_for(10ms);
  }
  {
    const std::lock_guard lock(mutex);
    ASSERT_EQ(seen.size(), 2U);
    for (const Seen& s : seen) {
      EXPECT_EQ(s.status, 200);
      EXPECT_EQ(s.from.transport, sip::TransportKind::kTls);
      EXPECT_EQ(s.from.remote, provider_address);
      EXPECT_NE(s.from.connection_id, 0U);
    }
    EXPECT_EQ(seen[0].from.connection_id, seen[1].from.connection_id);
  }

  // Not a permitted destination (another port): nothing is opened, the send fails.
  sip::Peer stranger = to;
  stranger.remote = *net::SocketAddress::parse("127.0.0.1", provider_address.port() + 1);
  std::promise<bool> refused;
  pool.post(0,
            [&] { refused.set_value(parley.transport(0).send(stranger, options_request("c"))); });
  EXPECT_FALSE(refused.get_future().get());
  EXPECT_EQ(pool.stream_count(), 1U);

  parley.stop();
  provider.stop();
  pool.shutdown(2s);
  provider_pool.shutdown(2s);
}

store::Trunk trunk(std::string transport, std::uint16_t port = 0) {
  store::Trunk t;
  t.name = "main";
  t.host = "127.0.0.1";
  t.port = port;
  t.transport = std::move(transport);
  return t;
}

TEST(TrunkEndpoint, TlsDefaultsTo5061AndNamesOurTlsListener) {
  const std::vector<net::SocketAddress> udp = {*net::SocketAddress::parse("127.0.0.1:5060")};
  const std::vector<net::SocketAddress> tls = {*net::SocketAddress::parse("127.0.0.1:5061")};
  auto endpoint = resolve_trunk_endpoint(trunk("tls"), udp, tls);
  ASSERT_TRUE(endpoint.ok()) << endpoint.error().message;
  EXPECT_EQ(endpoint->peer.transport, sip::TransportKind::kTls);
  EXPECT_EQ(endpoint->peer.remote.port(), 5061);
  EXPECT_EQ(endpoint->local_host_port, "127.0.0.1:5061");

  auto tcp = resolve_trunk_endpoint(trunk("TCP", 5080), udp, tls);
  ASSERT_TRUE(tcp.ok());
  EXPECT_EQ(tcp->peer.transport, sip::TransportKind::kTcp);
  EXPECT_EQ(tcp->peer.remote.port(), 5080);
  EXPECT_EQ(tcp->local_host_port, "127.0.0.1:5060");

  // Without a TLS listener the UDP/TCP socket is named.
  auto no_listener = resolve_trunk_endpoint(trunk("TLS"), udp, {});
  ASSERT_TRUE(no_listener.ok());
  EXPECT_EQ(no_listener->local_host_port, "127.0.0.1:5060");

  EXPECT_FALSE(resolve_trunk_endpoint(trunk("WS"), udp, tls).ok());
  EXPECT_FALSE(resolve_trunk_endpoint(trunk("SCTP"), udp, tls).ok());
}

}  // namespace
}  // namespace parley::app
