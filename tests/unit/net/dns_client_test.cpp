#include "net/dns_client.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "support/dns_test_server.hpp"
#include "support/temp_dir.hpp"

namespace parley::net {
namespace {

using namespace std::chrono_literals;

DnsClientOptions options_for(const test::DnsTestServer& server) {
  return {.servers = {server.address()}, .timeout = 300ms, .attempts = 1};
}

TEST(DnsClient, AsksTheServerAndReadsTheAnswer) {
  test::DnsTestServer server;
  server.add(test::dns_srv("_sip._udp.provider.test", 10, 1, 5070, "sip.provider.test"));
  DnsClient client(options_for(server));
  auto answer = client.query("_SIP._udp.Provider.Test.", DnsType::kSrv);
  ASSERT_TRUE(answer.ok()) << answer.error().message;
  ASSERT_EQ(answer->answers.size(), 1u);
  EXPECT_EQ(answer->answers[0].srv.target, "sip.provider.test");
  EXPECT_EQ(server.queries(), 1);
}

TEST(DnsClient, NxDomainIsAnAnswer) {
  test::DnsTestServer server;
  server.nxdomain("gone.test");
  DnsClient client(options_for(server));
  auto answer = client.query("gone.test", DnsType::kA);
  ASSERT_TRUE(answer.ok()) << answer.error().message;
  EXPECT_EQ(answer->rcode, DnsRcode::kNxDomain);
}

TEST(DnsClient, ASilentServerTimesOutWithinItsBudget) {
  test::DnsTestServer server;
  server.set_silent(true);
  DnsClient client({.servers = {server.address()}, .timeout = 100ms, .attempts = 2});
  const auto start = std::chrono::steady_clock::now();
  auto answer = client.query("quiet.test", DnsType::kA);
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(answer.ok());
  EXPECT_NE(answer.error().message.find("no answer"), std::string::npos) << answer.error().message;
  EXPECT_GE(took, 180ms);  // poll() counts whole milliseconds
  EXPECT_LT(took, 2s);
}

TEST(DnsClient, MovesOnToTheNextServer) {
  test::DnsTestServer silent;
  silent.set_silent(true);
  test::DnsTestServer answering;
  answering.add(test::dns_a("two.test", "192.0.2.2"));
  DnsClient client(
      {.servers = {silent.address(), answering.address()}, .timeout = 100ms, .attempts = 1});
  auto answer = client.query("two.test", DnsType::kA);
  ASSERT_TRUE(answer.ok()) << answer.error().message;
  ASSERT_EQ(answer->answers.size(), 1u);
  EXPECT_EQ(answer->answers[0].address, "192.0.2.2");
}

TEST(DnsClient, ATruncatedAnswerIsAskedAgainOverTcp) {
  test::DnsTestServer server;
  server.set_truncate_udp(true);
  server.add(test::dns_a("big.test", "192.0.2.9"));
  DnsClient client(options_for(server));
  auto answer = client.query("big.test", DnsType::kA);
  ASSERT_TRUE(answer.ok()) << answer.error().message;
  EXPECT_FALSE(answer->truncated);
  ASSERT_EQ(answer->answers.size(), 1u);
  EXPECT_EQ(answer->answers[0].address, "192.0.2.9");
  EXPECT_EQ(server.queries(), 2);
}

TEST(DnsClient, WithoutServersEveryQueryFails) {
  DnsClient client({});
  EXPECT_FALSE(client.query("x.test", DnsType::kA).ok());
}

TEST(ResolvConf, ReadsNameserverLines) {
  test::TempDir dir;
  const auto path = dir.path() / "resolv.conf";
  std::ofstream(path) << "# comment\nsearch example.com\nnameserver 10.0.0.53\n"
                         "nameserver ::1\nnameserver fe80::1%eth0\nnameserver bogus\n";
  const auto servers = read_resolv_conf(path);
  ASSERT_EQ(servers.size(), 2u);
  EXPECT_EQ(servers[0].to_string(), "10.0.0.53:53");
  EXPECT_EQ(servers[1].to_string(), "[::1]:53");
  EXPECT_TRUE(read_resolv_conf(dir.path() / "missing").empty());
}

}  // namespace
}  // namespace parley::net
