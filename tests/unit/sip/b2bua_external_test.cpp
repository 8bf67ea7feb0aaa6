// Calls through provider trunks (issue 11): ring stages with external targets. The B2BUA sends
// the INVITE to the trunk with the route's digits and caller-ID, answers one digest challenge
// (a second is a failure), fails over to the next stage's trunk on a 5xx or when a trunk sends
// nothing at all, keeps the plan's keep_alive exactly as long as the call, and takes calls
// from a trusted peer (a trunk recognised by address) without a challenge.

#include <gtest/gtest.h>

#include <array>
#include <memory>

#include "b2bua_test_support.hpp"

namespace parley::sip::testing {
namespace {

using namespace std::chrono_literals;
using protocol::sip::HeaderId;

constexpr std::string_view kDialled = "00442071234567";
// ExternalTarget::extra_lines, e.g. what a forwarded call carries (decision 0047).
constexpr std::string_view kDiversion = "Diversion: <sip:1002@example.com>;reason=no-answer\r\n";
constexpr std::string_view kChallenge =
    "Digest realm=\"provider.example\", nonce=\"n0nce\", algorithm=MD5, qop=\"auth\"";

class B2buaExternalTest : public B2buaFixture {
 protected:
  B2buaExternalTest() {
    routing_.planner = [this](const CallTenant& tenant, std::string_view caller,
                              std::string_view dialled) {
      if (dialled != kDialled) return routing_.CallRouting::plan_call(tenant, caller, dialled);
      CallPlan plan;
      for (const Peer& trunk : trunks_) {
        plan.stages.push_back(RingStage{{}, 60s, {target(trunk)}});
      }
      auto lease = std::make_shared<int>(1);
      lease_ = lease;
      plan.keep_alive = std::move(lease);
      return plan;
    };
  }

  static ExternalTarget target(const Peer& trunk) {
    ExternalTarget out;
    out.peer = trunk;
    out.request_uri = "sip:442071234567@" + trunk.remote.to_string();
    out.from_uri = "sip:+15551230000@provider.example";
    out.from_display = "Example Ltd";
    out.credentials = DigestCredentials{"acct", "pa55", ""};
    out.label = "trunk " + trunk.remote.to_string();
    out.extra_lines = std::string(kDiversion);
    return out;
  }

  static Request invite_to(std::string_view number) {
    Request invite;
    invite.uri = "sip:" + std::string(number) + "@example.com";
    invite.to = "<sip:" + std::string(number) + "@example.com>";
    return invite;
  }

  // Alice dials the outside number; returns the INVITE the first trunk got.
  Out dial_out() {
    from_a(invite_to(kDialled).text());
    auto sent = drain();
    const Out* invite = find(sent, trunk1_, "INVITE");
    EXPECT_NE(invite, nullptr);
    return invite != nullptr ? *invite : Out{};
  }

  // The trunk answers `invite` 200; Alice gets it, ACKs and later hangs up.
  void answer_and_hang_up(const Out& invite, const Peer& trunk) {
    from_peer(answer(invite.message, 180, "ptag"), trunk);
    from_peer(answer(invite.message, 200, "ptag", "<sip:442071234567@203.0.113.9>", kSdpB), trunk);
    auto sent = drain();
    const Out* ok = find_status(sent, a_peer_, 200);
    ASSERT_NE(ok, nullptr);
    const std::string tag(ok->message.to_tag());
    EXPECT_FALSE(lease_.expired()) << "the lease lives while the call is up";
    Request ack = invite_to(kDialled);
    ack.method = "ACK";
    ack.to += ";tag=" + tag;
    ack.via_branch = "z9hG4bKack";
    ack.body.clear();
    from_a(ack.text());
    Request bye = invite_to(kDialled);
    bye.method = "BYE";
    bye.to += ";tag=" + tag;
    bye.cseq = 2;
    bye.via_branch = "z9hG4bKbye";
    bye.body.clear();
    from_a(bye.text());
    sent = drain();
    EXPECT_NE(find(sent, trunk, "BYE"), nullptr);
  }

  std::vector<Peer> trunks_ = {make_peer("203.0.113.5:5060"), make_peer("203.0.113.6:5070")};
  Peer trunk1_ = trunks_[0];
  Peer trunk2_ = trunks_[1];
  std::weak_ptr<void> lease_;
};

TEST_F(B2buaExternalTest, SendsTheRouteDigitsAndCallerIdToTheTrunk) {
  const Out invite = dial_out();
  EXPECT_EQ(invite.message.request_uri(), "sip:442071234567@203.0.113.5:5060");
  EXPECT_EQ(invite.message.first(HeaderId::kTo), "<sip:442071234567@203.0.113.5:5060>");
  const std::string_view from = invite.message.first(HeaderId::kFrom);
  EXPECT_NE(from.find("\"Example Ltd\" <sip:+15551230000@provider.example>"), std::string::npos)
      << from;
  EXPECT_EQ(invite.message.body(), kSdpA);
  EXPECT_NE(invite.message.raw().find(kDiversion), std::string::npos) << invite.message.raw();
  EXPECT_FALSE(invite.message.has(HeaderId::kProxyAuthorization));
  EXPECT_EQ(find(drain(), trunk2_, "INVITE"), nullptr) << "the second trunk waits its turn";
  answer_and_hang_up(invite, trunk1_);
  EXPECT_TRUE(lease_.expired()) << "the call ended: its lease is released";
  ASSERT_EQ(records_.records.size(), 1U);
  EXPECT_EQ(records_.records[0].callee, kDialled);
  EXPECT_EQ(records_.records[0].disposition, store::Disposition::kAnswered);
}

TEST_F(B2buaExternalTest, AnswersAProxyChallengeOnceWithANewTransaction) {
  const Out first = dial_out();
  from_peer(
      answer(first.message, 407, "ptag", {}, {}, {{"Proxy-Authenticate", std::string(kChallenge)}}),
      trunk1_);
  auto sent = drain();
  const Out* ack = find(sent, trunk1_, "ACK");
  ASSERT_NE(ack, nullptr) << "the 407 is ACKed";
  const Out* second = find(sent, trunk1_, "INVITE");
  ASSERT_NE(second, nullptr) << "the INVITE is sent again with credentials";
  EXPECT_EQ(find_status(sent, a_peer_, 407), nullptr) << "the caller never sees the challenge";
  EXPECT_EQ(second->message.call_id(), first.message.call_id());
  EXPECT_EQ(second->message.from_tag(), first.message.from_tag());
  EXPECT_EQ(second->message.cseq_number(), first.message.cseq_number() + 1);
  EXPECT_NE(second->message.top_via_branch(), first.message.top_via_branch());
  EXPECT_EQ(second->message.body(), first.message.body());
  EXPECT_NE(second->message.raw().find(kDiversion), std::string::npos) << "kept on the retry";
  const std::string_view credentials = second->message.first(HeaderId::kProxyAuthorization);
  EXPECT_NE(credentials.find("username=\"acct\""), std::string::npos) << credentials;
  EXPECT_NE(credentials.find("realm=\"provider.example\""), std::string::npos) << credentials;
  EXPECT_NE(credentials.find("nonce=\"n0nce\""), std::string::npos) << credentials;
  EXPECT_NE(credentials.find("uri=\"sip:442071234567@203.0.113.5:5060\""), std::string::npos)
      << credentials;
  EXPECT_FALSE(second->message.has(HeaderId::kAuthorization));
  answer_and_hang_up(*second, trunk1_);
  EXPECT_TRUE(lease_.expired());
}

TEST_F(B2buaExternalTest, AnswersAWwwChallengeWithAuthorization) {
  const Out first = dial_out();
  from_peer(
      answer(first.message, 401, "ptag", {}, {}, {{"WWW-Authenticate", std::string(kChallenge)}}),
      trunk1_);
  const auto sent = drain();
  const Out* second = find(sent, trunk1_, "INVITE");
  ASSERT_NE(second, nullptr);
  EXPECT_TRUE(second->message.has(HeaderId::kAuthorization));
  EXPECT_FALSE(second->message.has(HeaderId::kProxyAuthorization));
}

TEST_F(B2buaExternalTest, ASecondChallengeIsAFailureAndTheNextTrunkIsTried) {
  const Out first = dial_out();
  from_peer(
      answer(first.message, 407, "ptag", {}, {}, {{"Proxy-Authenticate", std::string(kChallenge)}}),
      trunk1_);
  const auto retried = drain();
  const Out* second = find(retried, trunk1_, "INVITE");
  ASSERT_NE(second, nullptr);
  from_peer(answer(second->message, 407, "ptag", {}, {},
                   {{"Proxy-Authenticate", std::string(kChallenge)}}),
            trunk1_);
  auto sent = drain();
  EXPECT_EQ(find(sent, trunk1_, "INVITE"), nullptr) << "no third attempt on the same trunk";
  const Out* failover = find(sent, trunk2_, "INVITE");
  ASSERT_NE(failover, nullptr) << "refused credentials move the call to the next trunk";
  from_peer(answer(failover->message, 503, "p2tag"), trunk2_);
  sent = drain();
  EXPECT_NE(find_status(sent, a_peer_, 480), nullptr) << "every trunk failed";
  EXPECT_TRUE(lease_.expired());
  EXPECT_EQ(b2bua_.call_count(), 0U);
}

TEST_F(B2buaExternalTest, AServerErrorFailsOverToTheNextTrunk) {
  const Out first = dial_out();
  from_peer(answer(first.message, 100, "ptag"), trunk1_);
  from_peer(answer(first.message, 503, "ptag"), trunk1_);
  auto sent = drain();
  const Out* failover = find(sent, trunk2_, "INVITE");
  ASSERT_NE(failover, nullptr);
  EXPECT_EQ(failover->message.request_uri(), "sip:442071234567@203.0.113.6:5070");
  EXPECT_EQ(find_status(sent, a_peer_, 500), nullptr) << "the caller waits for the next trunk";
  answer_and_hang_up(*failover, trunk2_);
  EXPECT_TRUE(lease_.expired());
}

TEST_F(B2buaExternalTest, ASilentTrunkIsGivenUpAfterTheReplyTimeout) {
  const Out first = dial_out();
  run_for(4900ms);
  EXPECT_EQ(find(drain(), trunk2_, "INVITE"), nullptr);
  run_for(200ms);
  auto sent = drain();
  const Out* found = find(sent, trunk2_, "INVITE");
  ASSERT_NE(found, nullptr) << "no reply within 5 s: the next trunk";
  const Out failover = *found;
  EXPECT_EQ(find(sent, trunk1_, "CANCEL"), nullptr) << "no CANCEL before a provisional (§9.1)";
  // The first trunk wakes up late: its ringing is cancelled, never relayed.
  from_peer(answer(first.message, 180, "late"), trunk1_);
  sent = drain();
  EXPECT_NE(find(sent, trunk1_, "CANCEL"), nullptr);
  EXPECT_EQ(find_status(sent, a_peer_, 180), nullptr) << "a given-up trunk is not relayed";
  from_peer(answer(failover.message, 200, "p2tag", "<sip:442071234567@203.0.113.6:5070>", kSdpB),
            trunk2_);
  EXPECT_NE(find_status(drain(), a_peer_, 200), nullptr);
}

TEST_F(B2buaExternalTest, AProvisionalAnswerStopsTheReplyTimer) {
  const Out first = dial_out();
  from_peer(answer(first.message, 100, "ptag"), trunk1_);
  run_for(10s);
  EXPECT_EQ(find(drain(), trunk2_, "INVITE"), nullptr) << "the trunk is alive and proceeding";
}

TEST_F(B2buaExternalTest, TheCallerCancellingReleasesTheLease) {
  const Out first = dial_out();
  from_peer(answer(first.message, 180, "ptag"), trunk1_);
  drain();
  EXPECT_FALSE(lease_.expired());
  Request cancel = invite_to(kDialled);
  cancel.method = "CANCEL";
  cancel.body.clear();
  from_a(cancel.text());
  auto sent = drain();
  EXPECT_NE(find(sent, trunk1_, "CANCEL"), nullptr);
  EXPECT_TRUE(lease_.expired());
}

TEST_F(B2buaExternalTest, ARefusedPlanDropsItsKeepAliveAtOnce) {
  std::weak_ptr<void> kept;
  routing_.planner = [&kept](const CallTenant&, std::string_view, std::string_view) {
    CallPlan plan;
    plan.reject_status = 403;
    plan.reject_reason = "International Calls Not Allowed";
    auto lease = std::make_shared<int>(1);
    kept = lease;
    plan.keep_alive = std::move(lease);
    return plan;
  };
  from_a(invite_to(kDialled).text());
  const auto sent = drain();
  const Out* refused = find_status(sent, a_peer_, 403);
  ASSERT_NE(refused, nullptr);
  EXPECT_EQ(refused->message.reason_phrase(), "International Calls Not Allowed");
  EXPECT_TRUE(kept.expired());
}

// --- trunk channels (max_calls, decision 0026): ExternalTarget::claim ---

class B2buaTrunkChannelTest : public B2buaExternalTest {
 protected:
  B2buaTrunkChannelTest() {
    routing_.planner = [this](const CallTenant&, std::string_view, std::string_view) {
      CallPlan plan;
      for (std::size_t i = 0; i < trunks_.size(); ++i) {
        ExternalTarget out = target(trunks_[i]);
        out.claim = [this, i]() -> std::shared_ptr<void> {
          ++claims_[i];
          if (full_[i]) return nullptr;
          auto hold = std::make_shared<int>(static_cast<int>(i));
          holds_[i] = hold;
          return hold;
        };
        plan.stages.push_back(RingStage{{}, 60s, {std::move(out)}});
      }
      auto lease = std::make_shared<int>(1);
      lease_ = lease;
      plan.keep_alive = std::move(lease);
      return plan;
    };
  }

  std::array<bool, 2> full_{};
  std::array<int, 2> claims_{};
  std::array<std::weak_ptr<void>, 2> holds_;
};

TEST_F(B2buaTrunkChannelTest, AFullTrunkIsSkippedAndTheNextTrunkRings) {
  full_[0] = true;
  from_a(invite_to(kDialled).text());
  auto sent = drain();
  EXPECT_EQ(find(sent, trunk1_, "INVITE"), nullptr) << "a full trunk gets no INVITE";
  const Out* invite = find(sent, trunk2_, "INVITE");
  ASSERT_NE(invite, nullptr);
  EXPECT_EQ(claims_[0], 1);
  EXPECT_EQ(claims_[1], 1);
  EXPECT_FALSE(holds_[1].expired()) << "the ringing trunk's channel is held";
  const Out copy = *invite;
  answer_and_hang_up(copy, trunk2_);
  EXPECT_TRUE(holds_[1].expired()) << "the channel is given back when the call ends";
}

TEST_F(B2buaTrunkChannelTest, AChannelIsHeldWhileTheCallIsUpAndFreedOnFailover) {
  const Out first = dial_out();
  EXPECT_FALSE(holds_[0].expired());
  EXPECT_EQ(claims_[1], 0) << "the second trunk's channel is claimed only when it rings";
  from_peer(answer(first.message, 503, "ptag"), trunk1_);
  auto sent = drain();
  EXPECT_TRUE(holds_[0].expired()) << "a failed trunk gives its channel back at once";
  const Out* failover = find(sent, trunk2_, "INVITE");
  ASSERT_NE(failover, nullptr);
  from_peer(answer(failover->message, 200, "p2tag", "<sip:442071234567@203.0.113.6:5070>", kSdpB),
            trunk2_);
  drain();
  run_for(1s);
  EXPECT_FALSE(holds_[1].expired()) << "the answered trunk's channel lives with the call";
  EXPECT_EQ(b2bua_.call_count(), 1U);
}

TEST_F(B2buaTrunkChannelTest, EveryTrunkFullGivesTheCaller500) {
  full_ = {true, true};
  from_a(invite_to(kDialled).text());
  const auto sent = drain();
  EXPECT_EQ(find(sent, trunk1_, "INVITE"), nullptr);
  EXPECT_EQ(find(sent, trunk2_, "INVITE"), nullptr);
  // §16.7: a 503 found downstream is not passed on as our own overload.
  EXPECT_NE(find_status(sent, a_peer_, 500), nullptr);
  EXPECT_EQ(b2bua_.call_count(), 0U);
}

TEST_F(B2buaTrunkChannelTest, TheCallerCancellingGivesTheChannelBack) {
  dial_out();
  EXPECT_FALSE(holds_[0].expired());
  Request cancel = invite_to(kDialled);
  cancel.method = "CANCEL";
  cancel.body.clear();
  from_a(cancel.text());
  drain();
  EXPECT_TRUE(holds_[0].expired());
}

// --- inbound: a provider trunk recognised by its address ---

class B2buaTrustedPeerTest : public B2buaFixture {
 protected:
  B2buaTrustedPeerTest() {
    routing_.require_credentials = true;
    routing_.peer_auth = [this](const Message&) -> std::optional<CallAuth> {
      if (!from_trunk_) return std::nullopt;
      CallAuth auth;
      auth.outcome = trunk_refused_ ? CallAuthOutcome::kForbidden : CallAuthOutcome::kOk;
      auth.username = "main";
      if (!trunk_refused_) auth.trusted_peer = CallTenant{kTenant, "example.com"};
      return auth;
    };
    routing_.peer_planner = [this](const CallTenant& tenant, const CallAuth& auth,
                                   std::string_view caller, std::string_view called) {
      seen_caller_ = caller;
      seen_trunk_ = auth.username;
      CallPlan plan;
      if (tenant.id == kTenant && called == "+442071234567") {
        plan.stages.push_back(RingStage{{"1002"}, {}, {}});
      } else {
        plan.reject_status = 404;
      }
      return plan;
    };
  }

  static Request from_provider(std::string_view did) {
    Request invite;
    invite.uri = "sip:" + std::string(did) + "@192.0.2.1:5060";
    invite.via_host = "203.0.113.5:5060";
    invite.from = "<sip:+447700900123@provider.example>;tag=ptag";
    invite.to = "<sip:" + std::string(did) + "@provider.example>";
    invite.contact = "<sip:+447700900123@203.0.113.5:5060>";
    return invite;
  }

  bool from_trunk_ = true;
  bool trunk_refused_ = false;
  std::string seen_caller_;
  std::string seen_trunk_;
  Peer provider_ = make_peer("203.0.113.5:5060");
};

TEST_F(B2buaTrustedPeerTest, ADidCallRingsTheMappedExtensionWithoutAChallenge) {
  from_peer(from_provider("+442071234567").text(), provider_);
  auto sent = drain();
  EXPECT_EQ(find_status(sent, provider_, 407), nullptr);
  EXPECT_EQ(routing_.auth_calls, 0) << "a trunk is not asked for digest credentials";
  EXPECT_NE(find(sent, b1_peer_, "INVITE"), nullptr);
  EXPECT_NE(find(sent, b2_peer_, "INVITE"), nullptr);
  EXPECT_EQ(seen_caller_, "+447700900123");
  EXPECT_EQ(seen_trunk_, "main");
}

TEST_F(B2buaTrustedPeerTest, AnUnknownDidIs404) {
  from_peer(from_provider("+442079999999").text(), provider_);
  EXPECT_NE(find_status(drain(), provider_, 404), nullptr);
}

TEST_F(B2buaTrustedPeerTest, ASourceThatClaimsToBeATrunkIs403) {
  trunk_refused_ = true;
  from_peer(from_provider("+442071234567").text(), provider_);
  auto sent = drain();
  EXPECT_NE(find_status(sent, provider_, 403), nullptr);
  EXPECT_EQ(find(sent, b1_peer_, "INVITE"), nullptr);
}

TEST_F(B2buaTrustedPeerTest, OrdinaryCallersAreStillChallenged) {
  from_trunk_ = false;
  from_a(Request{}.text());
  EXPECT_NE(find_status(drain(), a_peer_, 407), nullptr);
}

}  // namespace
}  // namespace parley::sip::testing
