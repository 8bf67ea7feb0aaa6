// Calls Parley answers itself (CallPlan::application, LocalSessionFactory): the caller's offer
// is answered by the application's session in a 200, re-INVITEs and UPDATEs go to it too, the
// caller's BYE ends the call with a record, and the application's own hang-up becomes a BYE on
// a later turn of the loop.

#include <gtest/gtest.h>

#include "b2bua_test_support.hpp"

namespace parley::sip::testing {
namespace {

inline constexpr std::string_view kSdpParley =
    "v=0\r\no=parley 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
    "m=audio 20000 RTP/AVP 0\r\n";

struct SessionLog {
  std::vector<std::string> offers;
  std::vector<std::string> applications;
  std::function<void()> hang_up;
  bool destroyed = false;
  int wakes = 0;
  std::string connected_party;  // whom the session connects the caller with (a retriever's)
  std::vector<std::string> transfers;
};

class EchoSession final : public LocalSession {
 public:
  EchoSession(SessionLog& log, TimePoint created) : log_(log), created_(created) {}
  ~EchoSession() override { log_.destroyed = true; }
  Result<std::string> answer(std::string_view offer) override {
    log_.offers.emplace_back(offer);
    if (offer.find("m=video") != std::string_view::npos) return Error{488, "Audio Only"};
    return std::string(kSdpParley);
  }
  TimePoint last_media() const override { return created_; }
  std::string connected_party() const override { return log_.connected_party; }
  Result<void> transfer(std::string_view target) override {
    if (target == "1003") return Error{481, "Parked Call Gone"};
    log_.transfers.emplace_back(target);
    return {};
  }

 private:
  SessionLog& log_;
  TimePoint created_;
};

class Applications final : public LocalSessionFactory {
 public:
  explicit Applications(SessionLog& log) : log_(log) {}
  const Clock* clock = nullptr;
  Result<std::unique_ptr<LocalSession>> create(const CallMediaInfo& info,
                                               std::string_view application,
                                               std::function<void()> hang_up) override {
    if (application == "conference:full") return Error{486, "Room Full"};
    log_.applications.emplace_back(application);
    log_.hang_up = std::move(hang_up);
    EXPECT_EQ(info.caller, "1001");
    return std::unique_ptr<LocalSession>(std::make_unique<EchoSession>(log_, clock->now()));
  }

 private:
  SessionLog& log_;
};

// Constructed before the fixture, which keeps pointers to them.
struct ApplicationsHolder {
  SessionLog log_;
  Applications applications_{log_};
};

class B2buaLocalTest : protected ApplicationsHolder, public B2buaFixture {
 protected:
  B2buaLocalTest()
      : B2buaFixture([this](B2buaOptions& options) {
          options.applications = &applications_;
          options.wake = [this] { ++log_.wakes; };
        }) {
    applications_.clock = &clock_;
    routing_.planner = [](const CallTenant& tenant, std::string_view caller,
                          std::string_view dialled) {
      if (dialled == "*43") return CallPlan{.application = "echo"};
      if (dialled == "3000") return CallPlan{.application = "conference:full"};
      if (dialled == "1002") {
        return CallPlan{.stages = {RingStage{{"1002"}, std::chrono::seconds(5)}},
                        .exhausted_application = "voicemail:1002"};
      }
      if (dialled == "1003") {
        return CallPlan{.stages = {RingStage{{"1003"}, {}}},
                        .exhausted_application = "voicemail:1003"};
      }
      return FakeRouting{}.CallRouting::plan_call(tenant, caller, dialled);
    };
  }

  static Request to_echo(std::string method = "INVITE", std::uint32_t cseq = 1) {
    Request request;
    request.method = std::move(method);
    request.uri = "sip:*43@example.com";
    request.to = "<sip:*43@example.com>";
    request.cseq = cseq;
    request.via_branch = "z9hG4bKecho" + std::to_string(cseq) + request.method;
    return request;
  }

  // A REFER from Alice in the answered call with our tag `tag`; returns what we sent.
  std::vector<Out> refer(const std::string& tag, std::uint32_t cseq, std::string_view refer_to) {
    Request request = to_echo("REFER", cseq);
    request.to += ";tag=" + tag;
    request.body.clear();
    request.extra = "Refer-To: " + std::string(refer_to) + "\r\n";
    from_a(request.text());
    return drain();
  }

  // INVITE to *43, answered; returns our To tag after Alice's ACK.
  std::string answered_call() {
    from_a(to_echo().text());
    auto sent = drain();
    const Out* ok = find_status(sent, a_peer_, 200);
    EXPECT_NE(ok, nullptr);
    if (ok == nullptr) return {};
    std::string tag(ok->message.to_tag());
    Request ack = to_echo("ACK", 1);
    ack.to += ";tag=" + tag;
    ack.body.clear();
    from_a(ack.text());
    EXPECT_TRUE(drain().empty());
    return tag;
  }
};

TEST_F(B2buaLocalTest, TheApplicationAnswersTheCallersOffer) {
  from_a(to_echo().text());
  auto sent = drain();
  ASSERT_EQ(sent.size(), 1U);
  ASSERT_TRUE(sent[0].is_status(200));
  const Message& ok = sent[0].message;
  EXPECT_EQ(ok.body(), kSdpParley);
  EXPECT_EQ(ok.first(protocol::sip::HeaderId::kContentType), "application/sdp");
  EXPECT_EQ(ok.first(protocol::sip::HeaderId::kContact), "<sip:*43@192.0.2.1:5060>");
  EXPECT_FALSE(ok.to_tag().empty());
  ASSERT_EQ(log_.applications.size(), 1U);
  EXPECT_EQ(log_.applications[0], "echo");
  ASSERT_EQ(log_.offers.size(), 1U);
  EXPECT_EQ(log_.offers[0], kSdpA);
  EXPECT_EQ(b2bua_.call_count(), 1U);
  EXPECT_EQ(b2bua_.stats().calls_answered, 1U);

  // Without the ACK our 2xx is sent again (§13.3.1.4).
  run_for(std::chrono::milliseconds(500));
  EXPECT_NE(find_status(drain(), a_peer_, 200), nullptr);
}

TEST_F(B2buaLocalTest, CallersByeEndsTheCallWithARecord) {
  const std::string tag = answered_call();
  clock_.advance(std::chrono::seconds(3));
  Request bye = to_echo("BYE", 2);
  bye.to += ";tag=" + tag;
  bye.body.clear();
  from_a(bye.text());
  auto sent = drain();
  ASSERT_EQ(sent.size(), 1U);
  EXPECT_TRUE(sent[0].is_status(200));
  EXPECT_EQ(b2bua_.call_count(), 0U);
  EXPECT_TRUE(log_.destroyed);
  ASSERT_EQ(records_.records.size(), 1U);
  EXPECT_EQ(records_.records[0].callee, "*43");
  EXPECT_EQ(records_.records[0].disposition, store::Disposition::kAnswered);
  EXPECT_EQ(records_.records[0].hangup_side, store::HangupSide::kCaller);
  EXPECT_EQ(records_.records[0].end_ms - records_.records[0].start_ms, 3000);
}

TEST_F(B2buaLocalTest, TheApplicationHangsUpOnALaterTurn) {
  answered_call();
  ASSERT_TRUE(log_.hang_up);
  log_.hang_up();
  log_.hang_up();  // twice is once
  EXPECT_TRUE(drain().empty()) << "never re-entrantly";
  EXPECT_FALSE(log_.destroyed);
  EXPECT_EQ(log_.wakes, 1);
  run_for(std::chrono::milliseconds(0));
  auto sent = drain();
  ASSERT_EQ(sent.size(), 1U);
  EXPECT_TRUE(sent[0].is("BYE"));
  EXPECT_TRUE(log_.destroyed);
  ASSERT_EQ(records_.records.size(), 1U);
  EXPECT_EQ(records_.records[0].hangup_side, store::HangupSide::kCallee);
}

TEST_F(B2buaLocalTest, ReInviteAndUpdateAreAnsweredByTheApplication) {
  const std::string tag = answered_call();
  Request reinvite = to_echo("INVITE", 2);
  reinvite.to += ";tag=" + tag;
  from_a(reinvite.text());
  auto sent = drain();
  ASSERT_EQ(sent.size(), 1U);
  ASSERT_TRUE(sent[0].is_status(200));
  EXPECT_EQ(sent[0].message.body(), kSdpParley);
  EXPECT_EQ(log_.offers.size(), 2U);

  Request update = to_echo("UPDATE", 3);
  update.to += ";tag=" + tag;
  update.body = std::string(kSdpA) + "m=video 4002 RTP/AVP 96\r\n";
  from_a(update.text());
  sent = drain();
  ASSERT_EQ(sent.size(), 1U);
  EXPECT_TRUE(sent[0].is_status(488)) << "the session's refusal reaches the caller";
  EXPECT_EQ(b2bua_.call_count(), 1U) << "a refused offer leaves the call up";

  Request refer = to_echo("REFER", 4);
  refer.to += ";tag=" + tag;
  refer.body.clear();
  from_a(refer.text());
  sent = drain();
  ASSERT_EQ(sent.size(), 1U);
  EXPECT_TRUE(sent[0].is_status(403));
}

TEST_F(B2buaLocalTest, RefusalsOfTheFactoryAndOffersMissing) {
  Request full = to_echo();
  full.uri = "sip:3000@example.com";
  full.to = "<sip:3000@example.com>";
  from_a(full.text());
  auto sent = drain();
  ASSERT_EQ(sent.size(), 1U);
  EXPECT_TRUE(sent[0].is_status(486));
  EXPECT_EQ(sent[0].message.reason_phrase(), "Room Full");

  Request late = to_echo();
  late.call_id = "late@192.0.2.10";
  late.body.clear();
  from_a(late.text());
  sent = drain();
  ASSERT_EQ(sent.size(), 1U);
  EXPECT_TRUE(sent[0].is_status(488));
  EXPECT_EQ(b2bua_.call_count(), 0U);
  EXPECT_EQ(b2bua_.stats().calls_rejected, 2U);
}

TEST_F(B2buaLocalTest, SilentApplicationCallsEndOnTheMediaTimeout) {
  answered_call();
  run_for(std::chrono::seconds(61));
  auto sent = drain();
  EXPECT_NE(find(sent, a_peer_, "BYE"), nullptr);
  EXPECT_EQ(b2bua_.call_count(), 0U);
  EXPECT_EQ(b2bua_.stats().media_timeouts, 1U);
}

TEST_F(B2buaLocalTest, NobodyAnsweringLeadsToTheExhaustedApplication) {
  auto [b1, b2] = invite_and_fork();
  from_b1(answer(b1.message, 180, "b1tag"));
  from_b2(answer(b2.message, 180, "b2tag"));
  EXPECT_NE(find_status(drain(), a_peer_, 180), nullptr);
  EXPECT_TRUE(log_.applications.empty());
  run_for(std::chrono::seconds(5));
  auto sent = drain();
  EXPECT_NE(find(sent, b1_peer_, "CANCEL"), nullptr);
  EXPECT_NE(find(sent, b2_peer_, "CANCEL"), nullptr);
  const Out* ok = find_status(sent, a_peer_, 200);
  ASSERT_NE(ok, nullptr);
  EXPECT_EQ(ok->message.body(), kSdpParley);
  ASSERT_EQ(log_.applications.size(), 1U);
  EXPECT_EQ(log_.applications[0], "voicemail:1002");
  EXPECT_EQ(log_.offers[0], kSdpA) << "the caller's own offer, not the one sent to the devices";
  EXPECT_EQ(b2bua_.stats().calls_answered, 1U);
}

TEST_F(B2buaLocalTest, NoRegisteredDeviceGoesStraightToTheExhaustedApplication) {
  Request invite;
  invite.uri = "sip:1003@example.com";
  invite.to = "<sip:1003@example.com>";
  from_a(invite.text());
  auto sent = drain();
  ASSERT_EQ(sent.size(), 1U);
  EXPECT_TRUE(sent[0].is_status(200));
  ASSERT_EQ(log_.applications.size(), 1U);
  EXPECT_EQ(log_.applications[0], "voicemail:1003");
}

// A DID routed to an application holds its trunk channel (CallPlan::keep_alive, decision 0026)
// for the whole call, whichever way the application is reached; a refusal drops it at once.
class B2buaLocalKeepAliveTest : public B2buaLocalTest {
 protected:
  B2buaLocalKeepAliveTest() {
    routing_.planner = [this](const CallTenant&, std::string_view, std::string_view dialled) {
      CallPlan plan;
      if (dialled == "*43") plan.application = "echo";
      if (dialled == "3000") plan.application = "conference:full";
      if (dialled == "1003") {
        plan.stages = {RingStage{{"1003"}, {}}};
        plan.exhausted_application = "voicemail:1003";
      }
      auto channel = std::make_shared<int>(1);
      channel_ = channel;
      plan.keep_alive = std::move(channel);
      return plan;
    };
  }

  std::weak_ptr<void> channel_;
};

TEST_F(B2buaLocalKeepAliveTest, AnApplicationsCallHoldsTheChannelUntilTheCallerHangsUp) {
  const std::string tag = answered_call();
  EXPECT_FALSE(channel_.expired()) << "the channel is held while the application talks";
  run_for(std::chrono::seconds(30));
  drain();
  EXPECT_FALSE(channel_.expired());
  Request bye = to_echo("BYE", 2);
  bye.to += ";tag=" + tag;
  bye.body.clear();
  from_a(bye.text());
  EXPECT_TRUE(find_status(drain(), a_peer_, 200) != nullptr);
  EXPECT_EQ(b2bua_.call_count(), 0U);
  EXPECT_TRUE(channel_.expired()) << "the channel is given back when the call ends";
}

TEST_F(B2buaLocalKeepAliveTest, TheApplicationHangingUpGivesTheChannelBack) {
  answered_call();
  ASSERT_TRUE(log_.hang_up);
  log_.hang_up();
  run_for(std::chrono::milliseconds(0));
  EXPECT_NE(find(drain(), a_peer_, "BYE"), nullptr);
  EXPECT_TRUE(channel_.expired());
}

TEST_F(B2buaLocalKeepAliveTest, AnUnregisteredExtensionsVoicemailHoldsTheChannel) {
  Request invite;
  invite.uri = "sip:1003@example.com";
  invite.to = "<sip:1003@example.com>";
  from_a(invite.text());
  EXPECT_NE(find_status(drain(), a_peer_, 200), nullptr);
  ASSERT_EQ(log_.applications.size(), 1U);
  EXPECT_FALSE(channel_.expired());
}

TEST_F(B2buaLocalKeepAliveTest, ARefusingApplicationDropsTheChannelAtOnce) {
  Request full = to_echo();
  full.uri = "sip:3000@example.com";
  full.to = "<sip:3000@example.com>";
  from_a(full.text());
  EXPECT_NE(find_status(drain(), a_peer_, 486), nullptr);
  EXPECT_TRUE(channel_.expired());
}

}  // namespace
}  // namespace parley::sip::testing

namespace parley::sip::testing {
namespace {

// A retrieved parked call (decision 0041): the retriever's REFER passes the parked caller on.
TEST_F(B2buaLocalTest, AConnectedApplicationPassesItsPartyOnWhenTheCallerTransfers) {
  log_.connected_party = "1005";
  const std::string tag = answered_call();
  clock_.advance(std::chrono::seconds(2));
  auto sent = refer(tag, 2, "<sip:1002@example.com>");
  ASSERT_EQ(sent.size(), 4U);
  EXPECT_TRUE(sent[0].is_status(202));
  ASSERT_TRUE(sent[1].is("NOTIFY"));
  EXPECT_EQ(sent[1].message.body(), "SIP/2.0 100 Trying\r\n");
  ASSERT_TRUE(sent[2].is("NOTIFY"));
  EXPECT_EQ(sent[2].message.body(), "SIP/2.0 200 OK\r\n");
  EXPECT_NE(sent[2].message.first("Subscription-State").find("terminated"), std::string_view::npos);
  EXPECT_TRUE(sent[3].is("BYE"));
  EXPECT_EQ(log_.transfers, std::vector<std::string>{"1002"});
  EXPECT_EQ(b2bua_.call_count(), 0U);
  EXPECT_TRUE(log_.destroyed);
  ASSERT_EQ(records_.records.size(), 1U);
  EXPECT_EQ(records_.records[0].disposition, store::Disposition::kAnswered);
  EXPECT_EQ(records_.records[0].hangup_side, store::HangupSide::kCaller);
}

TEST_F(B2buaLocalTest, TransfersOfAConnectedApplicationAreRefusedCleanly) {
  log_.connected_party = "1005";
  const std::string tag = answered_call();
  const std::pair<std::string_view, int> refusals[] = {
      {"<sip:1001@example.com>", 403},  // the transferor itself
      {"<sip:1005@example.com>", 403},  // the party it talks to
      {"<sip:4711@example.com>", 404},  // no extension
      {"<sip:2001@other.example>", 403},
      {"<sip:1002@example.com?Replaces=c%40h%3Bto-tag%3D1%3Bfrom-tag%3D2>", 501},
      {"<sip:1003@example.com>", 481},  // the session's own refusal
      {"<mailto:someone@example.com>", 400},
  };
  std::uint32_t cseq = 2;
  for (const auto& [target, status] : refusals) {
    auto sent = refer(tag, cseq++, target);
    ASSERT_EQ(sent.size(), 1U) << target;
    EXPECT_TRUE(sent[0].is_status(status)) << target << " got " << sent[0].message.status_code();
  }
  EXPECT_TRUE(log_.transfers.empty());
  EXPECT_EQ(b2bua_.call_count(), 1U) << "a refused transfer leaves the call up";
}

}  // namespace
}  // namespace parley::sip::testing
