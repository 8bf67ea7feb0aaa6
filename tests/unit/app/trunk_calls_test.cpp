// TrunkCalls (issue 11): the outbound plan (one stage per usable trunk with the route's digits,
// caller-ID and credentials, the meter's lease in keep_alive, refusals with their status) and
// the recognition of trunks by source address for inbound calls.

#include "app/trunk_calls.hpp"

#include <gtest/gtest.h>

#include "protocol/sip/message.hpp"
#include "support/certificate_der.hpp"
#include "support/temp_dir.hpp"
#include "support/test_certificate.hpp"

namespace parley::app {
namespace {

constexpr store::TenantId kTenant = 1;

store::Trunk trunk(store::TrunkId id, std::string name, std::string host, std::uint16_t port) {
  store::Trunk out;
  out.id = id;
  out.tenant_id = kTenant;
  out.name = std::move(name);
  out.host = std::move(host);
  out.port = port;
  out.transport = "UDP";
  out.username = "acct";
  out.password = "pw";
  return out;
}

sip::TrunkEndpoint endpoint(std::string_view address, std::string domain, std::uint16_t port) {
  sip::TrunkEndpoint out;
  out.peer.transport = sip::TransportKind::kUdp;
  out.peer.remote = *net::SocketAddress::parse(address);
  out.peer.local = *net::SocketAddress::parse("192.0.2.1:5060");
  out.domain = std::move(domain);
  out.port = port;
  out.local_host_port = "192.0.2.1:5060";
  return out;
}

protocol::sip::Message invite_from(std::string_view from_host) {
  const std::string text =
      "INVITE sip:442070000001@192.0.2.1 SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 203.0.113.5:5060;branch=z9hG4bKx\r\n"
      "Max-Forwards: 70\r\nFrom: <sip:+447700900123@" +
      std::string(from_host) +
      ">;tag=f\r\nTo: <sip:442070000001@192.0.2.1>\r\n"
      "Call-ID: c1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
  auto parsed = protocol::sip::parse_message(text);
  EXPECT_TRUE(parsed.ok());
  return std::move(parsed).value();
}

sip::Peer source(std::string_view address) {
  sip::Peer peer;
  peer.transport = sip::TransportKind::kUdp;
  peer.remote = *net::SocketAddress::parse(address);
  return peer;
}

class TrunkCallsTest : public ::testing::Test {
 protected:
  TrunkCallsTest() { publish(); }

  void publish(std::uint32_t max_calls = 0) {
    pbx::TrunkPolicyInputs inputs;
    inputs.trunks = {trunk(1, "dead", "203.0.113.9", 0), trunk(2, "main", "203.0.113.5", 5060),
                     trunk(3, "unresolved", "sip.nowhere.example", 0)};
    inputs.trunks[1].caller_id = "+441234500000";
    store::OutboundRoute international;
    international.tenant_id = kTenant;
    international.name = "international";
    international.priority = 10;
    international.pattern = "00";
    international.strip_digits = 2;
    international.trunks = {"unresolved", "dead", "main"};
    inputs.routes = {international};
    store::TenantCallLimits limits;
    limits.tenant_id = kTenant;
    limits.country_code = "44";
    limits.max_external_calls = max_calls;
    inputs.limits = {limits};
    store::ExtensionCallClasses classes{kTenant, "1001", store::CallClassSet::defaults()};
    classes.classes.insert(store::CallClass::kInternational);
    inputs.call_classes = {classes};
    TrunkCallsSnapshot snapshot;
    snapshot.policy = pbx::TrunkPolicy::build(std::move(inputs));
    snapshot.endpoints.emplace(1, endpoint("203.0.113.9:5060", "203.0.113.9", 0));
    snapshot.endpoints.emplace(2, endpoint("203.0.113.5:5060", "203.0.113.5", 5060));
    snapshot.domains[kTenant] = "example.com";
    calls_.publish(std::move(snapshot));
  }

  TrunkCalls calls_;
  sip::CallTenant tenant_{kTenant, "example.com"};
};

TEST_F(TrunkCallsTest, PlansOneStagePerResolvedTrunkInRouteOrder) {
  const sip::CallPlan plan = calls_.plan_outbound(tenant_, "1001", "0033123456789");
  EXPECT_EQ(plan.reject_status, 0);
  ASSERT_EQ(plan.stages.size(), 2U) << "the unresolved trunk is skipped";
  const sip::ExternalTarget& dead = plan.stages[0].externals.at(0);
  EXPECT_TRUE(plan.stages[0].extensions.empty());
  EXPECT_EQ(dead.request_uri, "sip:33123456789@203.0.113.9");
  EXPECT_EQ(dead.from_uri, "sip:acct@203.0.113.9") << "no caller-ID: the account";
  EXPECT_EQ(dead.credentials.username, "acct");
  EXPECT_EQ(dead.credentials.password, "pw");
  EXPECT_EQ(dead.peer.remote.to_string(), "203.0.113.9:5060");
  const sip::ExternalTarget& main = plan.stages[1].externals.at(0);
  EXPECT_EQ(main.request_uri, "sip:33123456789@203.0.113.5:5060");
  EXPECT_EQ(main.from_uri, "sip:+441234500000@203.0.113.5") << "the trunk's caller-ID";
  EXPECT_NE(plan.keep_alive, nullptr);
  EXPECT_EQ(calls_.usage(kTenant).active, 1U);
}

TEST_F(TrunkCallsTest, TheLeaseEndsWithThePlansKeepAlive) {
  {
    const sip::CallPlan plan = calls_.plan_outbound(tenant_, "1001", "0033123456789");
    EXPECT_EQ(calls_.usage(kTenant).active, 1U);
  }
  EXPECT_EQ(calls_.usage(kTenant).active, 0U);
}

TEST_F(TrunkCallsTest, TheConcurrentLimitRefusesWith403) {
  publish(1);
  const sip::CallPlan first = calls_.plan_outbound(tenant_, "1001", "0033123456789");
  ASSERT_EQ(first.reject_status, 0);
  const sip::CallPlan second = calls_.plan_outbound(tenant_, "1001", "0033123456789");
  EXPECT_EQ(second.reject_status, 403);
  EXPECT_EQ(second.keep_alive, nullptr);
}

TEST_F(TrunkCallsTest, RefusalsCarryThePolicysStatus) {
  EXPECT_EQ(calls_.plan_outbound(tenant_, "1002", "0033123456789").reject_status, 403)
      << "1002 lacks the international class";
  EXPECT_EQ(calls_.plan_outbound(tenant_, "1001", "02071234567").reject_status, 404)
      << "no route for national numbers";
  EXPECT_EQ(calls_.plan_outbound(tenant_, "1001", "00x").reject_status, 484);
  EXPECT_EQ(calls_.usage(kTenant).active, 0U);
}

TEST_F(TrunkCallsTest, TrunksReportedDownAreSkippedAnd503WhenNoneIsLeft) {
  sip::TrunkStatus down;
  down.tenant_domain = "example.com";
  down.name = "dead";
  down.keepalive = true;
  down.reachability.state = sip::Reachability::kDown;
  calls_.set_status({down});
  const sip::CallPlan plan = calls_.plan_outbound(tenant_, "1001", "0033123456789");
  ASSERT_EQ(plan.stages.size(), 1U);
  EXPECT_EQ(plan.stages[0].externals.at(0).label, "trunk main@example.com");
  down.name = "main";
  sip::TrunkStatus dead = down;
  dead.name = "dead";
  calls_.set_status({down, dead});
  EXPECT_EQ(calls_.plan_outbound(tenant_, "1001", "0033123456789").reject_status, 503);
}

TEST_F(TrunkCallsTest, ATrunkIsRecognisedByItsAddressAndPort) {
  auto trusted = calls_.authenticate_peer(source("203.0.113.5:5060"), invite_from("x.example"));
  ASSERT_TRUE(trusted.has_value());
  EXPECT_EQ(trusted->outcome, sip::CallAuthOutcome::kOk);
  EXPECT_EQ(trusted->username, "main");
  ASSERT_TRUE(trusted->trusted_peer.has_value());
  EXPECT_EQ(trusted->trusted_peer->id, kTenant);
  // "main" names port 5060: another port of the same address is somebody else (a phone).
  EXPECT_FALSE(calls_.authenticate_peer(source("203.0.113.5:5062"), invite_from("example.com")));
}

// Decision 0048: a trunk without a configured port is its resolved servers' ports too (here
// the default 5060), never its address alone.
TEST_F(TrunkCallsTest, ATrunkWithoutAPortIsNotItsAddressOnAnyPort) {
  auto server = calls_.authenticate_peer(source("203.0.113.9:5060"), invite_from("x.example"));
  ASSERT_TRUE(server.has_value());
  EXPECT_EQ(server->username, "dead");
  EXPECT_FALSE(calls_.authenticate_peer(source("203.0.113.9:40000"), invite_from("x.example")))
      << "another process on the provider's address is an unknown peer";
  auto claiming = calls_.authenticate_peer(source("203.0.113.9:40000"), invite_from("203.0.113.9"));
  ASSERT_TRUE(claiming.has_value());
  EXPECT_EQ(claiming->outcome, sip::CallAuthOutcome::kForbidden)
      << "and one that names the trunk's host in From is refused";
  sip::Peer over_tcp = source("203.0.113.9:5060");
  over_tcp.transport = sip::TransportKind::kTcp;
  EXPECT_FALSE(calls_.authenticate_peer(over_tcp, invite_from("x.example")))
      << "a UDP trunk's server port over TCP is not the trunk";
}

TEST_F(TrunkCallsTest, ClaimingATrunksHostFromElsewhereIsForbidden) {
  auto spoofed = calls_.authenticate_peer(source("198.51.100.7:5060"), invite_from("203.0.113.5"));
  ASSERT_TRUE(spoofed.has_value());
  EXPECT_EQ(spoofed->outcome, sip::CallAuthOutcome::kForbidden);
  EXPECT_FALSE(
      calls_.authenticate_peer(source("198.51.100.7:5060"), invite_from("example.com")).has_value())
      << "an ordinary caller is left to digest authentication";
}

// RFC 3263 (decision 0042): a trunk whose name resolved to several SRV targets.
TEST_F(TrunkCallsTest, EverySrvTargetOfATrunkIsAStageAndAnInboundSource) {
  TrunkCallsSnapshot snapshot = *calls_.current();
  sip::TrunkTarget second;
  second.peer = endpoint("203.0.113.6:5070", "", 0).peer;
  second.local_host_port = "192.0.2.1:5060";
  snapshot.endpoints.at(1).alternates.push_back(second);
  calls_.publish(std::move(snapshot));
  const sip::CallPlan plan = calls_.plan_outbound(tenant_, "1001", "0033123456789");
  ASSERT_EQ(plan.stages.size(), 3U);
  EXPECT_EQ(plan.stages[0].externals.at(0).peer.remote.to_string(), "203.0.113.9:5060");
  const sip::ExternalTarget& alternate = plan.stages[1].externals.at(0);
  EXPECT_EQ(alternate.peer.remote.to_string(), "203.0.113.6:5070");
  EXPECT_EQ(alternate.request_uri, "sip:33123456789@203.0.113.9") << "the trunk's domain, still";
  EXPECT_EQ(alternate.credentials.username, "acct");
  EXPECT_EQ(plan.stages[2].externals.at(0).peer.remote.to_string(), "203.0.113.5:5060");

  const auto auth = calls_.authenticate_peer(source("203.0.113.6:5070"), invite_from("x.example"));
  ASSERT_TRUE(auth.has_value());
  EXPECT_EQ(auth->outcome, sip::CallAuthOutcome::kOk);
  EXPECT_EQ(auth->username, "dead");
  EXPECT_FALSE(calls_.authenticate_peer(source("203.0.113.6:5060"), invite_from("x.example")))
      << "the SRV target's address on another port than its SRV port";
}

}  // namespace
}  // namespace parley::app

namespace parley::app {
namespace {

// Decision 0048: a trunk with mutual TLS is the TLS connection that showed its certificate.
TEST_F(TrunkCallsTest, ATrunkWithMutualTlsIsItsCertificateNotItsAddress) {
  test::TempDir folder("parley-trunk-mtls");
  const auto provider = test::make_test_certificate(folder.path(), "sbc.provider.test");
  const auto stranger = test::make_test_certificate(folder.path(), "stranger");
  TrunkCallsSnapshot snapshot = *calls_.current();
  TrunkClientCheck check;
  check.anchors = std::move(net::TlsTrustAnchors::load(provider.certificate)).value();
  check.expected_name = "localhost";
  snapshot.client_tls.emplace(2, check);  // "main", 203.0.113.5:5060
  calls_.publish(std::move(snapshot));
  calls_.peer_certificates().remember(41, {test::certificate_der(provider.certificate)});
  calls_.peer_certificates().remember(42, {test::certificate_der(stranger.certificate)});

  sip::Peer tls = source("198.51.100.20:40312");  // a connection the provider opened
  tls.transport = sip::TransportKind::kTls;
  tls.connection_id = 41;
  const auto trusted = calls_.authenticate_peer(tls, invite_from("x.example"));
  ASSERT_TRUE(trusted.has_value());
  EXPECT_EQ(trusted->outcome, sip::CallAuthOutcome::kOk);
  EXPECT_EQ(trusted->username, "main");

  tls.connection_id = 42;
  EXPECT_FALSE(calls_.authenticate_peer(tls, invite_from("x.example")))
      << "a certificate of another authority";
  tls.connection_id = 43;
  EXPECT_FALSE(calls_.authenticate_peer(tls, invite_from("x.example"))) << "no certificate";
  EXPECT_FALSE(calls_.authenticate_peer(source("203.0.113.5:5060"), invite_from("x.example")))
      << "the trunk's server address no longer counts";

  calls_.peer_certificates().forget(41);
  tls.connection_id = 41;
  EXPECT_FALSE(calls_.authenticate_peer(tls, invite_from("x.example"))) << "a closed connection";
}

}  // namespace
}  // namespace parley::app
