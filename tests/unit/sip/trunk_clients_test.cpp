// The trunk clients (OutboundRegistration, TrunkKeepAlive, TrunkClients) against Parley's own
// registrar-side digest verification (DigestAuthenticator) through a real TransactionLayer, with
// the clock and the wire under the test's control: challenge answering, refresh timing, the
// wrong-password back-off, re-registration after a provider restart, keep-alive hysteresis and
// unregistration. The same behaviour against Kamailio is
// tests/integration/trunk_registration_test.py.

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "protocol/sip/digest.hpp"
#include "protocol/sip/response.hpp"
#include "sip/digest_auth.hpp"
#include "sip/trunk_clients.hpp"
#include "transaction_test_support.hpp"

namespace parley::sip {
namespace {

using protocol::sip::DigestAlgorithm;
using protocol::sip::Message;
using testing::parse;
using testing::RecordingTransport;

constexpr std::string_view kRealm = "provider.example";
constexpr std::string_view kUser = "acme";
constexpr std::string_view kPassword = "right-password";

// Hands client callbacks to the TrunkClients, as SipWorker does.
class Forwarder final : public TransactionLayer::Listener {
 public:
  TrunkClients* clients = nullptr;
  void on_request(ServerTransaction&, const Message&) override {}
  void on_cancel(ServerTransaction&, const Message&) override {}
  void on_ack(ServerTransaction&, const Message&) override {}
  void on_stray_ack(const Message&, const Peer&) override {}
  void on_server_failure(ServerTransaction&, ServerFailure) override {}
  void on_response(ClientTransaction& transaction, const Message& response) override {
    EXPECT_TRUE(clients->on_response(transaction, response)) << response.raw();
  }
  void on_client_failure(ClientTransaction& transaction, ClientFailure failure) override {
    EXPECT_TRUE(clients->on_client_failure(transaction, failure));
  }
  void on_stray_response(const Message&, const Peer&) override {}
};

class TrunkClientsTest : public ::testing::Test {
 protected:
  TrunkClientsTest()
      : layer_(TransactionLayer::Options{clock_, transport_, forwarder_, {}, 1000, 11}),
        provider_(std::make_unique<DigestAuthenticator>(clock_, lookup(), auth_options("one"))),
        clients_(TrunkClientsOptions{.layer = layer_,
                                     .clock = clock_,
                                     .make_call_id = [this] { return layer_.make_tag(); },
                                     .wall_clock = [] { return std::int64_t{1700000000}; },
                                     .user_agent = "Parley-test",
                                     .keepalive_interval = std::chrono::seconds(30),
                                     .keepalive_failures_for_down = 2,
                                     .retry_min = std::chrono::seconds(30),
                                     .retry_max = std::chrono::seconds(120),
                                     .on_status = {}}) {
    forwarder_.clients = &clients_;
  }

  static CredentialLookup lookup() {
    return [](std::string_view realm, std::string_view username,
              DigestAlgorithm algorithm) -> std::optional<std::string> {
      if (username != kUser) return std::nullopt;
      return protocol::sip::ha1(algorithm, username, realm, kPassword);
    };
  }
  static DigestAuthOptions auth_options(std::string secret_seed) {
    DigestAuthOptions options;
    options.secret = secret_seed + std::string(32, 'k');
    options.clock_epoch = "test";
    return options;
  }

  static TrunkClientConfig config(std::string password, bool registers = true,
                                  bool keepalive = false) {
    TrunkClientConfig config;
    config.trunk_id = 1;
    config.tenant_domain = "example.com";
    config.name = "main";
    TrunkEndpoint endpoint;
    endpoint.peer = testing::udp_peer();
    endpoint.domain = std::string(kRealm);
    endpoint.local_host_port = "192.0.2.1:5060";
    config.endpoint = endpoint;
    config.registers = registers;
    config.account = RegistrationAccount{.username = std::string(kUser),
                                         .password = std::move(password),
                                         .auth_realm = {},
                                         .expires = 600};
    config.keepalive = keepalive;
    return config;
  }

  // The provider's registrar: verifies the last REGISTER sent with our own server-side digest
  // code and answers 401 or 200 (granting `granted` seconds on the Contact).
  std::string answer_last_register(std::uint32_t granted = 300) {
    const Message request = parse(last_sent("REGISTER "));
    const AuthResult result = provider_->verify(request, kRealm, false);
    protocol::sip::ResponseOptions options;
    std::vector<std::string> challenges;
    if (!result.ok()) {
      options.status_code = 401;
      challenges = provider_->challenge(kRealm, result.outcome == AuthOutcome::kStale);
      for (const std::string& challenge : challenges) {
        options.extra_headers.emplace_back("WWW-Authenticate", challenge);
      }
    } else {
      options.status_code = 200;
      const std::string expires =
          request.first(protocol::sip::HeaderId::kExpires) == "0" ? "0" : std::to_string(granted);
      options.extra_headers.emplace_back(
          "Contact",
          std::string(request.first(protocol::sip::HeaderId::kContact)) + ";expires=" + expires);
    }
    options.to_tag = "prov";
    layer_.on_message(parse(protocol::sip::build_response(request, options)), testing::udp_peer());
    return std::string(request.raw());
  }

  // The last request of that method on the wire (retransmissions are identical).
  std::string last_sent(std::string_view start) const {
    for (auto it = transport_.sent.rbegin(); it != transport_.sent.rend(); ++it) {
      if (it->bytes.starts_with(start)) return it->bytes;
    }
    ADD_FAILURE() << "nothing sent starting with " << start;
    return {};
  }

  void answer_last_with(std::string_view start, int status) {
    const Message request = parse(last_sent(start));
    protocol::sip::ResponseOptions options;
    options.status_code = status;
    options.to_tag = "prov";
    layer_.on_message(parse(protocol::sip::build_response(request, options)), testing::udp_peer());
  }

  // Runs the clock to `span` later, firing the layer's and the clients' timers in order.
  void run_for(Duration span) {
    const TimePoint end = clock_.now() + span;
    for (int guard = 0; guard < 100000; ++guard) {
      const TimePoint next = std::min(layer_.next_deadline(), clients_.next_deadline());
      if (next > end) break;
      if (next > clock_.now()) clock_.advance(next - clock_.now());
      layer_.process_timers();
      clients_.process_timers();
    }
    if (end > clock_.now()) clock_.advance(end - clock_.now());
  }

  // Requests sent, each counted once however often UDP retransmitted it.
  std::size_t sent_count(std::string_view start) const {
    std::set<std::string> branches;
    for (const auto& sent : transport_.sent) {
      if (sent.bytes.starts_with(start))
        branches.insert(std::string(parse(sent.bytes).top_via_branch()));
    }
    return branches.size();
  }
  std::size_t registers_sent() const { return sent_count("REGISTER "); }
  std::size_t options_sent() const { return sent_count("OPTIONS "); }
  RegistrationStatus registration() const { return clients_.status().at(0).registration; }

  ManualClock clock_;
  RecordingTransport transport_;
  Forwarder forwarder_;
  TransactionLayer layer_;
  std::unique_ptr<DigestAuthenticator> provider_;
  TrunkClients clients_;
};

TEST_F(TrunkClientsTest, RegistersWithDigestAndRefreshesReusingTheNonce) {
  clients_.apply({config(std::string(kPassword))});
  ASSERT_EQ(registers_sent(), 1U);
  EXPECT_EQ(registration().state, RegistrationState::kRegistering);
  const std::string first = answer_last_register();  // 401
  EXPECT_EQ(first.find("Authorization:"), std::string::npos);
  ASSERT_EQ(registers_sent(), 2U);
  const std::string second = answer_last_register(300);  // 200
  EXPECT_NE(second.find("algorithm=SHA-256"), std::string::npos) << second;
  EXPECT_NE(second.find("nc=00000001"), std::string::npos);
  EXPECT_NE(second.find("CSeq: 2 REGISTER"), std::string::npos);
  EXPECT_NE(second.find("Expires: 600"), std::string::npos);
  EXPECT_EQ(registration().state, RegistrationState::kRegistered);
  EXPECT_EQ(registration().last_code, 200);
  EXPECT_EQ(registration().granted_expires, 300U);  // the Contact's expires, not the 600 asked

  // The refresh goes out after 85 % of the 300 s granted, not before.
  run_for(std::chrono::seconds(250));
  EXPECT_EQ(registers_sent(), 2U);
  run_for(std::chrono::seconds(10));
  ASSERT_EQ(registers_sent(), 3U);
  const std::string refresh = answer_last_register(300);
  EXPECT_NE(refresh.find("nc=00000002"), std::string::npos) << refresh;
  EXPECT_NE(refresh.find("CSeq: 3 REGISTER"), std::string::npos);
  EXPECT_EQ(registers_sent(), 3U);  // no new 401 round
  EXPECT_EQ(registration().state, RegistrationState::kRegistered);
}

TEST_F(TrunkClientsTest, WrongPasswordFailsAndBacksOffWithoutFlooding) {
  clients_.apply({config("wrong")});
  answer_last_register();  // 401
  answer_last_register();  // 401 again: our fresh credentials were refused
  EXPECT_EQ(registers_sent(), 2U);
  EXPECT_EQ(registration().state, RegistrationState::kFailed);
  EXPECT_EQ(registration().last_code, 401);
  EXPECT_NE(registration().reason.find("credentials rejected"), std::string::npos);

  // Back-off 30 s, 60 s, 120 s, 120 s: two REGISTERs per attempt, nothing in between.
  const int waits[] = {30, 60, 120, 120};
  std::size_t expected = 2;
  for (int wait : waits) {
    run_for(std::chrono::seconds(wait - 1));
    EXPECT_EQ(registers_sent(), expected) << "early attempt before " << wait << " s";
    run_for(std::chrono::seconds(1));
    ASSERT_EQ(registers_sent(), expected + 1) << "no attempt after " << wait << " s";
    answer_last_register();
    answer_last_register();
    expected += 2;
    EXPECT_EQ(registration().state, RegistrationState::kFailed);
  }
}

TEST_F(TrunkClientsTest, ProviderRestartMeansANewNonceAndARegistrationAgain) {
  clients_.apply({config(std::string(kPassword))});
  answer_last_register();
  answer_last_register(100);
  ASSERT_EQ(registration().state, RegistrationState::kRegistered);

  // The provider restarts with another secret: our nonce is unknown to it.
  provider_ = std::make_unique<DigestAuthenticator>(clock_, lookup(), auth_options("two"));
  run_for(std::chrono::seconds(86));
  ASSERT_EQ(registers_sent(), 3U);
  answer_last_register(100);  // 401 to the refresh's old nonce: answered, not a failure
  ASSERT_EQ(registers_sent(), 4U);
  answer_last_register(100);
  EXPECT_EQ(registration().state, RegistrationState::kRegistered);

  // Down for a while: the refresh times out (Timer F), the retry waits the back-off.
  run_for(std::chrono::seconds(86));
  ASSERT_EQ(registers_sent(), 5U);
  run_for(std::chrono::seconds(33));
  EXPECT_EQ(registration().state, RegistrationState::kFailed);
  EXPECT_EQ(registration().last_code, 408);
  const std::size_t before_retry = registers_sent();
  run_for(std::chrono::seconds(30));
  ASSERT_EQ(registers_sent(), before_retry + 1);
  provider_ = std::make_unique<DigestAuthenticator>(clock_, lookup(), auth_options("three"));
  answer_last_register();
  answer_last_register();
  EXPECT_EQ(registration().state, RegistrationState::kRegistered);
}

TEST_F(TrunkClientsTest, IntervalTooBriefTakesMinExpires) {
  clients_.apply({config(std::string(kPassword))});
  answer_last_register();  // 401
  const Message request = parse(transport_.sent.back().bytes);
  protocol::sip::ResponseOptions options;
  options.status_code = 423;
  options.to_tag = "prov";
  options.extra_headers.emplace_back("Min-Expires", "1800");
  layer_.on_message(parse(protocol::sip::build_response(request, options)), testing::udp_peer());
  ASSERT_EQ(registers_sent(), 3U);
  EXPECT_NE(transport_.sent.back().bytes.find("Expires: 1800"), std::string::npos);
  answer_last_register(1800);
  EXPECT_EQ(registration().state, RegistrationState::kRegistered);
}

TEST_F(TrunkClientsTest, KeepAliveHysteresisAndRetryWhenTheProviderIsBack) {
  clients_.apply({config(std::string(kPassword), true, true)});
  ASSERT_EQ(options_sent(), 1U);
  answer_last_with("REGISTER ", 503);  // back-off 30 s
  EXPECT_EQ(registration().state, RegistrationState::kFailed);
  run_for(std::chrono::seconds(31));
  ASSERT_EQ(registers_sent(), 2U);
  answer_last_with("REGISTER ", 503);  // back-off 60 s: the next attempt would be at 91 s
  // The pings go unanswered: the first times out at 32 s (one failure is not yet "down"), the
  // second at 64 s.
  run_for(std::chrono::seconds(2));
  EXPECT_EQ(clients_.status().at(0).reachability.state, Reachability::kUnknown);
  EXPECT_EQ(clients_.status().at(0).reachability.last_code, 408);
  run_for(std::chrono::seconds(32));
  EXPECT_EQ(clients_.status().at(0).reachability.state, Reachability::kDown);
  EXPECT_EQ(registers_sent(), 2U);

  // The provider answers the next ping: up, and the registration is retried at once instead
  // of waiting out its back-off. Any answer but 408/503 proves the provider is there.
  answer_last_with("OPTIONS ", 404);
  EXPECT_EQ(clients_.status().at(0).reachability.state, Reachability::kUp);
  run_for(std::chrono::milliseconds(10));
  EXPECT_EQ(registers_sent(), 3U);
}

TEST_F(TrunkClientsTest, ShutdownUnregistersAndRemovedTrunksGo) {
  clients_.apply({config(std::string(kPassword))});
  answer_last_register();
  answer_last_register();
  ASSERT_EQ(registration().state, RegistrationState::kRegistered);
  clients_.shutdown();
  EXPECT_FALSE(clients_.idle());
  ASSERT_EQ(registers_sent(), 3U);
  EXPECT_NE(transport_.sent.back().bytes.find("Expires: 0"), std::string::npos);
  EXPECT_NE(transport_.sent.back().bytes.find("Authorization:"), std::string::npos);
  answer_last_register();
  EXPECT_TRUE(clients_.idle());
  EXPECT_TRUE(clients_.status().empty());
}

TEST_F(TrunkClientsTest, ChangedTrunkIsReplacedAndUnreachableOneIsShownFailed) {
  clients_.apply({config(std::string(kPassword))});
  answer_last_register();
  answer_last_register();
  TrunkClientConfig changed = config(std::string(kPassword));
  changed.account.expires = 900;
  clients_.apply({changed});
  // The old registration leaves (Expires: 0) and the new one starts.
  ASSERT_GE(transport_.sent.size(), 4U);
  EXPECT_NE(transport_.sent[2].bytes.find("Expires: 0"), std::string::npos);
  EXPECT_NE(transport_.sent[3].bytes.find("Expires: 900"), std::string::npos);

  TrunkClientConfig broken = config(std::string(kPassword));
  broken.endpoint.reset();
  broken.unreachable_reason = "cannot resolve nowhere.invalid";
  clients_.apply({broken});
  EXPECT_EQ(registration().state, RegistrationState::kFailed);
  EXPECT_EQ(registration().reason, "cannot resolve nowhere.invalid");
  EXPECT_EQ(clients_.next_deadline(), TimePoint::max());
}

// RFC 3263 §4.3 (decision 0042): a provider with two SRV targets.
TrunkClientConfig with_second_target(TrunkClientConfig config) {
  TrunkTarget second;
  second.peer = testing::udp_peer();
  second.peer.remote = *net::SocketAddress::parse("192.0.2.20:5070");
  second.local_host_port = "192.0.2.1:5060";
  config.endpoint->alternates.push_back(second);
  return config;
}

TEST_F(TrunkClientsTest, RegistrationFailsOverToTheNextTargetAndStaysThere) {
  clients_.apply({with_second_target(config(std::string(kPassword)))});
  ASSERT_EQ(registers_sent(), 1U);
  EXPECT_EQ(transport_.sent.back().to.remote.to_string(), "192.0.2.10:5060");
  answer_last_with("REGISTER ", 503);
  // At once to the second target, not after the back-off; the state is still "registering".
  ASSERT_EQ(registers_sent(), 2U);
  EXPECT_EQ(transport_.sent.back().to.remote.to_string(), "192.0.2.20:5070");
  EXPECT_EQ(registration().state, RegistrationState::kRegistering);
  answer_last_register();     // 401
  answer_last_register(300);  // 200
  EXPECT_EQ(registration().state, RegistrationState::kRegistered);
  // The refresh goes to the target that registered us.
  run_for(std::chrono::seconds(260));
  ASSERT_EQ(registers_sent(), 4U);
  EXPECT_EQ(transport_.sent.back().to.remote.to_string(), "192.0.2.20:5070");
}

TEST_F(TrunkClientsTest, EveryTargetFailingIsOneFailedAttemptThatStartsOverFromTheFirst) {
  clients_.apply({with_second_target(config(std::string(kPassword)))});
  run_for(std::chrono::seconds(33));  // Timer F at the first target: on to the second
  ASSERT_EQ(registers_sent(), 2U);
  EXPECT_EQ(transport_.sent.back().to.remote.to_string(), "192.0.2.20:5070");
  EXPECT_EQ(registration().state, RegistrationState::kRegistering);
  answer_last_with("REGISTER ", 503);
  EXPECT_EQ(registration().state, RegistrationState::kFailed);
  EXPECT_EQ(registration().last_code, 503);
  EXPECT_EQ(registers_sent(), 2U);  // no third REGISTER before the back-off
  run_for(std::chrono::seconds(31));
  ASSERT_EQ(registers_sent(), 3U);
  EXPECT_EQ(transport_.sent.back().to.remote.to_string(), "192.0.2.10:5060");
}

TEST_F(TrunkClientsTest, KeepAliveTriesEveryTargetBeforeCountingAFailure) {
  clients_.apply({with_second_target(config(std::string(kPassword), false, true))});
  ASSERT_EQ(options_sent(), 1U);
  answer_last_with("OPTIONS ", 503);  // the first target: at once to the second
  ASSERT_EQ(options_sent(), 1U);
  run_for(std::chrono::milliseconds(1));
  ASSERT_EQ(options_sent(), 2U);
  EXPECT_EQ(transport_.sent.back().to.remote.to_string(), "192.0.2.20:5070");
  EXPECT_EQ(clients_.status().at(0).reachability.state, Reachability::kUnknown);
  answer_last_with("OPTIONS ", 200);
  EXPECT_EQ(clients_.status().at(0).reachability.state, Reachability::kUp);
  // The next probe goes to the target that answered.
  run_for(std::chrono::seconds(30));
  ASSERT_EQ(options_sent(), 3U);
  EXPECT_EQ(transport_.sent.back().to.remote.to_string(), "192.0.2.20:5070");
}

}  // namespace
}  // namespace parley::sip
