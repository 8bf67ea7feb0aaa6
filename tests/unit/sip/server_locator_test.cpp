#include "sip/server_locator.hpp"

#include <gtest/gtest.h>

#include <random>

#include "support/dns_test_server.hpp"

namespace parley::sip {
namespace {

using namespace std::chrono_literals;
using test::dns_a;
using test::dns_naptr;
using test::dns_srv;

// A real DnsClient asking a real DNS server on loopback; the clock moves by hand for the cache.
struct Located {
  test::DnsTestServer server;
  net::DnsClient client{{.servers = {server.address()}, .timeout = 200ms, .attempts = 1}};
  ManualClock clock;
  ServerLocator locator{client, clock};
};

std::vector<std::string> addresses(const std::vector<ServerTarget>& targets) {
  std::vector<std::string> out;
  for (const auto& target : targets) {
    out.push_back(std::string(to_text(target.transport)) + " " + target.address.to_string());
  }
  return out;
}

TEST(SrvOrder, PriorityFirstThenZeroWeightsFirstWithinAPriority) {
  std::vector<net::DnsSrvData> records = {
      {20, 0, 1, "c"}, {10, 5, 2, "b"}, {10, 0, 3, "a"}, {30, 1, 4, "d"}};
  // Always the smallest draw: the first record of the remaining list whose running sum reaches 0.
  const auto ordered = order_srv(records, [](std::uint32_t) { return 0u; });
  ASSERT_EQ(ordered.size(), 4u);
  EXPECT_EQ(ordered[0].target, "a");
  EXPECT_EQ(ordered[1].target, "b");
  EXPECT_EQ(ordered[2].target, "c");
  EXPECT_EQ(ordered[3].target, "d");
}

TEST(SrvOrder, WeightsShareTheFirstPlaceInProportion) {
  std::mt19937 random(42);
  int heavy_first = 0;
  constexpr int kDraws = 2000;
  for (int i = 0; i < kDraws; ++i) {
    const auto ordered =
        order_srv({{1, 10, 1, "light"}, {1, 90, 2, "heavy"}}, [&](std::uint32_t bound) {
          return std::uniform_int_distribution<std::uint32_t>(0, bound)(random);
        });
    ASSERT_EQ(ordered.size(), 2u);
    if (ordered[0].target == "heavy") ++heavy_first;
  }
  EXPECT_GT(heavy_first, kDraws * 85 / 100);
  EXPECT_LT(heavy_first, kDraws * 95 / 100);
}

TEST(NaptrService, MapsTheSipServices) {
  EXPECT_EQ(transport_of_naptr_service("SIP+D2U"), TransportKind::kUdp);
  EXPECT_EQ(transport_of_naptr_service("sip+d2t"), TransportKind::kTcp);
  EXPECT_EQ(transport_of_naptr_service("SIPS+D2T"), TransportKind::kTls);
  EXPECT_FALSE(transport_of_naptr_service("SIP+D2S").has_value());
  EXPECT_FALSE(transport_of_naptr_service("E2U+sip").has_value());
}

TEST(ServerLocator, IpLiteralsNeedNoDns) {
  Located dns;
  auto v4 = dns.locator.locate("192.0.2.1", 0, std::nullopt);
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(addresses(*v4), std::vector<std::string>{"UDP 192.0.2.1:5060"});
  auto v6 = dns.locator.locate("[2001:db8::1]", 5080, TransportKind::kTls);
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(addresses(*v6), std::vector<std::string>{"TLS [2001:db8::1]:5080"});
  EXPECT_EQ(dns.server.queries(), 0);
}

TEST(ServerLocator, NaptrThenSrvThenAddressesInOrder) {
  Located dns;
  dns.server.add(dns_naptr("provider.test", 20, 10, "SIP+D2U", "_sip._udp.provider.test"));
  dns.server.add(dns_naptr("provider.test", 10, 10, "SIP+D2T", "_sip._tcp.provider.test"));
  dns.server.add(dns_naptr("provider.test", 5, 10, "E2U+sip", "ignored.provider.test"));
  dns.server.add(dns_srv("_sip._tcp.provider.test", 20, 0, 5072, "b.provider.test"));
  dns.server.add(dns_srv("_sip._tcp.provider.test", 10, 0, 5071, "a.provider.test"));
  dns.server.add(dns_srv("_sip._udp.provider.test", 10, 0, 5073, "a.provider.test"));
  dns.server.add(dns_a("a.provider.test", "127.0.0.10"));
  dns.server.add(dns_a("a.provider.test", "::1"));
  dns.server.add(dns_a("b.provider.test", "127.0.0.11"));
  auto targets = dns.locator.locate("Provider.Test", 0, std::nullopt);
  ASSERT_TRUE(targets.ok()) << targets.error().message;
  EXPECT_EQ(addresses(*targets), (std::vector<std::string>{
                                     "TCP 127.0.0.10:5071", "TCP [::1]:5071", "TCP 127.0.0.11:5072",
                                     "UDP 127.0.0.10:5073", "UDP [::1]:5073"}));
  EXPECT_EQ((*targets)[0].host, "a.provider.test");
}

TEST(ServerLocator, AFixedTransportKeepsOnlyItsNaptrRecords) {
  Located dns;
  dns.server.add(dns_naptr("provider.test", 10, 10, "SIP+D2T", "_sip._tcp.provider.test"));
  dns.server.add(dns_naptr("provider.test", 20, 10, "SIP+D2U", "_sip._udp.provider.test"));
  dns.server.add(dns_srv("_sip._tcp.provider.test", 10, 0, 5071, "a.provider.test"));
  dns.server.add(dns_srv("_sip._udp.provider.test", 10, 0, 5073, "a.provider.test"));
  dns.server.add(dns_a("a.provider.test", "127.0.0.10"));
  auto targets = dns.locator.locate("provider.test", 0, TransportKind::kUdp);
  ASSERT_TRUE(targets.ok()) << targets.error().message;
  EXPECT_EQ(addresses(*targets), std::vector<std::string>{"UDP 127.0.0.10:5073"});
}

TEST(ServerLocator, WithoutNaptrTheSrvNamesOfEachTransport) {
  Located dns;
  dns.server.add(dns_srv("_sip._udp.provider.test", 10, 0, 5090, "a.provider.test"));
  dns.server.add(dns_srv("_sips._tcp.provider.test", 10, 0, 5091, "a.provider.test"));
  dns.server.add(dns_a("a.provider.test", "127.0.0.10"));
  auto targets = dns.locator.locate("provider.test", 0, std::nullopt);
  ASSERT_TRUE(targets.ok()) << targets.error().message;
  EXPECT_EQ(addresses(*targets),
            (std::vector<std::string>{"TLS 127.0.0.10:5091", "UDP 127.0.0.10:5090"}));
}

TEST(ServerLocator, WithoutSrvTheNameOnTheDefaultPort) {
  Located dns;
  dns.server.add(dns_a("provider.test", "127.0.0.12"));
  auto targets = dns.locator.locate("provider.test", 0, TransportKind::kTls);
  ASSERT_TRUE(targets.ok()) << targets.error().message;
  EXPECT_EQ(addresses(*targets), std::vector<std::string>{"TLS 127.0.0.12:5061"});
}

TEST(ServerLocator, AGivenPortAsksOnlyForAddresses) {
  Located dns;
  dns.server.add(dns_naptr("provider.test", 10, 10, "SIP+D2T", "_sip._tcp.provider.test"));
  dns.server.add(dns_a("provider.test", "127.0.0.12"));
  auto targets = dns.locator.locate("provider.test", 5099, std::nullopt);
  ASSERT_TRUE(targets.ok()) << targets.error().message;
  EXPECT_EQ(addresses(*targets), std::vector<std::string>{"UDP 127.0.0.12:5099"});
  EXPECT_EQ(dns.server.queries(), 2);  // A and AAAA, no NAPTR
}

TEST(ServerLocator, AnswersThatPointNowhereAreClearErrors) {
  Located dns;
  dns.server.nxdomain("gone.test");
  auto gone = dns.locator.locate("gone.test", 0, std::nullopt);
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().message, "gone.test does not exist (NXDOMAIN)");

  dns.server.add(dns_srv("_sip._udp.dot.test", 10, 0, 5060, ""));  // "." : no SIP here
  auto dot = dns.locator.locate("dot.test", 0, TransportKind::kUdp);
  ASSERT_FALSE(dot.ok());
  EXPECT_NE(dot.error().message.find("SRV targets of dot.test"), std::string::npos);

  dns.server.add(dns_srv("_sip._udp.dangling.test", 10, 0, 5060, "nowhere.dangling.test"));
  auto dangling = dns.locator.locate("dangling.test", 0, TransportKind::kUdp);
  ASSERT_FALSE(dangling.ok());
  EXPECT_NE(dangling.error().message.find("have no address"), std::string::npos);

  auto empty = dns.locator.locate("empty.test", 0, std::nullopt);
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().message, "empty.test has no NAPTR, SRV, A or AAAA record");
}

TEST(ServerLocator, CachesForTheTtlAndAsksAgainAfterIt) {
  Located dns;
  dns.server.add(dns_srv("_sip._udp.provider.test", 10, 0, 5090, "a.provider.test", 120));
  dns.server.add(dns_a("a.provider.test", "127.0.0.10", 60));
  ASSERT_TRUE(dns.locator.locate("provider.test", 0, TransportKind::kUdp).ok());
  const int first = dns.server.queries();
  EXPECT_EQ(first, 4);  // NAPTR, SRV, A, AAAA
  ASSERT_TRUE(dns.locator.locate("provider.test", 0, TransportKind::kUdp).ok());
  EXPECT_EQ(dns.server.queries(), first);
  dns.clock.advance(61s);  // the A record and the negative answers (30 s) lapsed, not the SRV
  dns.server.clear();
  dns.server.add(dns_a("a.provider.test", "127.0.0.20", 60));
  auto again = dns.locator.locate("provider.test", 0, TransportKind::kUdp);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(addresses(*again), std::vector<std::string>{"UDP 127.0.0.20:5090"});
  EXPECT_EQ(dns.server.queries(), first + 3);  // NAPTR, A, AAAA: the SRV came from the cache
}

// Decision 0048: the caller learns when the answer lapses, so it can locate again then.
TEST(ServerLocator, TellsWhenTheLastAnswerLapses) {
  Located dns;
  ASSERT_TRUE(dns.locator.locate("192.0.2.7", 0, TransportKind::kUdp).ok());
  EXPECT_FALSE(dns.locator.last_valid_until().has_value()) << "an IP literal needs no DNS";
  dns.server.add(dns_srv("_sip._udp.provider.test", 10, 0, 5090, "a.provider.test", 120));
  dns.server.add(dns_a("a.provider.test", "127.0.0.10", 20));
  const TimePoint asked = dns.clock.now();
  ASSERT_TRUE(dns.locator.locate("provider.test", 0, TransportKind::kUdp).ok());
  ASSERT_TRUE(dns.locator.last_valid_until().has_value());
  EXPECT_EQ(*dns.locator.last_valid_until(), asked + 20s) << "the A record's TTL, the shortest";
  dns.clock.advance(5s);
  ASSERT_TRUE(dns.locator.locate("provider.test", 0, TransportKind::kUdp).ok());
  EXPECT_EQ(*dns.locator.last_valid_until(), asked + 20s) << "from the cache: the same lapse";
  ASSERT_TRUE(dns.locator.locate("192.0.2.7", 5060, TransportKind::kUdp).ok());
  EXPECT_FALSE(dns.locator.last_valid_until().has_value()) << "each locate() starts afresh";
}

TEST(ServerLocator, AFailedLookupIsNotCached) {
  Located dns;
  dns.server.set_silent(true);
  auto failed = dns.locator.locate("provider.test", 0, std::nullopt);
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.error().message.find("cannot resolve provider.test"), std::string::npos)
      << failed.error().message;
  dns.server.set_silent(false);
  dns.server.add(dns_a("provider.test", "127.0.0.12"));
  auto later = dns.locator.locate("provider.test", 0, std::nullopt);
  ASSERT_TRUE(later.ok()) << later.error().message;
  EXPECT_EQ(addresses(*later), std::vector<std::string>{"UDP 127.0.0.12:5060"});
}

TEST(ServerLocator, ReturnsABoundedNumberOfTargets) {
  Located dns;
  for (int i = 0; i < 40; ++i) {
    const std::string target = "t" + std::to_string(i) + ".provider.test";
    dns.server.add(
        dns_srv("_sip._udp.provider.test", static_cast<std::uint16_t>(i), 0, 5060, target));
    dns.server.add(dns_a(target, "127.0.1." + std::to_string(i)));
  }
  auto targets = dns.locator.locate("provider.test", 0, TransportKind::kUdp);
  ASSERT_TRUE(targets.ok()) << targets.error().message;
  EXPECT_EQ(targets->size(), ServerLocatorOptions{}.max_targets);
  EXPECT_EQ((*targets)[0].address.to_string(), "127.0.1.0:5060");
  EXPECT_LE(dns.server.queries(), 2 + 2 * 16 + 1);
}

}  // namespace
}  // namespace parley::sip
