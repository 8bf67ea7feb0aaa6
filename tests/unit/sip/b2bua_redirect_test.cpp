// An application that answered a call passes the caller on (decision 0022): to another
// application at once (new session, re-INVITE of the caller to its SDP), to an extension through
// a new relay (the devices ring, the first to answer takes the callee leg, the application ends
// and the caller is re-INVITEd to the relay), and failures come back to the application.

#include <gtest/gtest.h>

#include "b2bua_test_support.hpp"

namespace parley::sip::testing {
namespace {

constexpr std::string_view kSdpApp1 =
    "v=0\r\no=app 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
    "m=audio 20000 RTP/AVP 0\r\n";
constexpr std::string_view kSdpApp2 =
    "v=0\r\no=app 2 2 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
    "m=audio 20002 RTP/AVP 0\r\n";
constexpr std::string_view kRelayToCallee =
    "v=0\r\no=relay 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
    "m=audio 30002 RTP/AVP 0\r\n";
// What the media seam renders for a phone reached over TLS (sdes_offer; decision 0048).
constexpr std::string_view kSdesToCallee =
    "v=0\r\no=relay 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
    "m=audio 30002 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:x\r\n";
constexpr std::string_view kRelayToCaller =
    "v=0\r\no=relay 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
    "m=audio 30000 RTP/AVP 0\r\n";

struct Log {
  std::vector<std::string> applications;
  std::vector<int> failures;
  std::vector<std::string> answered;  // on_redirect_answered's extensions
  std::function<void(std::string)> redirect;
  int live_sessions = 0;
  std::vector<std::string> media_offers;
  std::vector<std::string> media_answers;
};

class Session final : public LocalSession {
 public:
  Session(Log& log, std::string sdp, TimePoint created)
      : log_(log), sdp_(std::move(sdp)), created_(created) {
    ++log_.live_sessions;
  }
  ~Session() override { --log_.live_sessions; }
  Result<std::string> answer(std::string_view /*offer*/) override { return sdp_; }
  TimePoint last_media() const override { return created_; }
  void set_redirect(std::function<void(std::string)> redirect) override {
    log_.redirect = std::move(redirect);
  }
  void on_redirect_failed(int status) override { log_.failures.push_back(status); }
  void on_redirect_answered(std::string_view extension) override {
    log_.answered.emplace_back(extension);
  }

 private:
  Log& log_;
  std::string sdp_;
  TimePoint created_;
};

class Apps final : public LocalSessionFactory {
 public:
  explicit Apps(Log& log) : log_(log) {}
  const Clock* clock = nullptr;
  Result<std::unique_ptr<LocalSession>> create(const CallMediaInfo& /*info*/,
                                               std::string_view application,
                                               std::function<void()> /*hang_up*/) override {
    log_.applications.emplace_back(application);
    const std::string_view sdp = log_.applications.size() == 1 ? kSdpApp1 : kSdpApp2;
    return std::unique_ptr<LocalSession>(
        std::make_unique<Session>(log_, std::string(sdp), clock->now()));
  }

 private:
  Log& log_;
};

// The media seam answers with fixed relay SDP and logs what it was given.
class Media final : public CallMedia {
 public:
  explicit Media(Log& log) : log_(log) {}
  Result<std::string> offer(MediaSide /*from*/, std::string_view sdp) override {
    log_.media_offers.emplace_back(sdp);
    return std::string(kRelayToCallee);
  }
  Result<std::string> answer(MediaSide /*from*/, std::string_view sdp) override {
    log_.media_answers.emplace_back(sdp);
    return std::string(kRelayToCaller);
  }
  Result<std::string> webrtc_offer(MediaSide /*to*/) override { return Error{488, "no"}; }
  Result<std::string> sdes_offer(MediaSide /*to*/) override { return std::string(kSdesToCallee); }
  TimePoint last_media() const override { return TimePoint::max(); }

 private:
  Log& log_;
};

class MediaMaker final : public MediaFactory {
 public:
  explicit MediaMaker(Log& log) : log_(log) {}
  Result<std::unique_ptr<CallMedia>> create(const CallMediaInfo& /*info*/) override {
    return std::unique_ptr<CallMedia>(std::make_unique<Media>(log_));
  }

 private:
  Log& log_;
};

struct Holder {
  Log log_;
  Apps apps_{log_};
  MediaMaker media_{log_};
};

class B2buaRedirectTest : protected Holder, public B2buaFixture {
 protected:
  B2buaRedirectTest()
      : B2buaFixture([this](B2buaOptions& options) {
          options.applications = &apps_;
          options.media = &media_;
        }) {
    apps_.clock = &clock_;
    routing_.planner = [](const CallTenant& tenant, std::string_view caller,
                          std::string_view dialled) {
      if (dialled == "500") return CallPlan{.application = "ivr:1:main"};
      if (dialled == "1002") return CallPlan{.stages = {RingStage{{"1002"}, {}}}};
      // A queue's ring-all offer: every agent of the offer in one stage.
      if (dialled == "1003") return CallPlan{.stages = {RingStage{{"1003", "1002"}, {}}}};
      return FakeRouting{}.CallRouting::plan_call(tenant, caller, dialled);
    };
  }

  // 1001 calls the menu; returns Parley's To tag after the ACK.
  std::string answered() {
    Request invite;
    invite.uri = "sip:500@example.com";
    invite.to = "<sip:500@example.com>";
    from_a(invite.text());
    auto sent = drain();
    const Out* ok = find_status(sent, a_peer_, 200);
    EXPECT_NE(ok, nullptr);
    if (ok == nullptr) return {};
    std::string tag(ok->message.to_tag());
    Request ack = invite;
    ack.method = "ACK";
    ack.to += ";tag=" + tag;
    ack.body.clear();
    from_a(ack.text());
    drain();
    return tag;
  }

  // 1001 calls the menu, which passes it on to 1002: what Parley sent then (both phones ring).
  std::vector<Out> redirected_to_1002() {
    answered();
    log_.redirect("1002");
    run_for(std::chrono::milliseconds(1));
    return drain();
  }

  // Answers Parley's re-INVITE to the caller with 200 and expects the ACK.
  void caller_accepts(const Out& reinvite) {
    from_a(answer(reinvite.message, 200, "atag", "<sip:1001@192.0.2.10:5060>", kSdpA));
    auto sent = drain();
    EXPECT_NE(find(sent, a_peer_, "ACK"), nullptr);
  }
};

TEST_F(B2buaRedirectTest, ToAnotherApplicationReinvitesTheCaller) {
  answered();
  ASSERT_TRUE(log_.redirect);
  log_.redirect("app:voicemail:1001");
  EXPECT_EQ(log_.applications.size(), 1U);  // not re-entrantly: on a later turn
  run_for(std::chrono::milliseconds(1));
  ASSERT_EQ(log_.applications.size(), 2U);
  EXPECT_EQ(log_.applications[1], "voicemail:1001");
  EXPECT_EQ(log_.live_sessions, 1);
  auto sent = drain();
  const Out* reinvite = find(sent, a_peer_, "INVITE");
  ASSERT_NE(reinvite, nullptr);
  EXPECT_EQ(reinvite->message.body(), kSdpApp2);
  caller_accepts(*reinvite);
}

TEST_F(B2buaRedirectTest, ToAnExtensionRingsItThenMovesTheCallerToTheRelay) {
  auto sent = redirected_to_1002();
  const Out* b1 = find(sent, b1_peer_, "INVITE");
  const Out* b2 = find(sent, b2_peer_, "INVITE");
  ASSERT_NE(b1, nullptr);
  ASSERT_NE(b2, nullptr);
  EXPECT_EQ(b1->message.body(), kRelayToCallee);
  ASSERT_EQ(log_.media_offers.size(), 1U);
  EXPECT_EQ(log_.media_offers[0], kSdpA);  // the caller's offer
  EXPECT_EQ(b1->message.first(protocol::sip::HeaderId::kReferredBy), "");
  EXPECT_EQ(find(sent, a_peer_, "INVITE"), nullptr);  // the caller stays with the menu
  EXPECT_EQ(log_.live_sessions, 1);

  from_b2(answer(b2->message, 180, "btag2"));  // a CANCEL needs a provisional first (§9.1)
  drain();
  from_b1(answer(b1->message, 200, "btag", "<sip:1002@10.0.0.21:5062>", kSdpB));
  sent = drain();
  EXPECT_NE(find(sent, b1_peer_, "ACK"), nullptr);
  EXPECT_NE(find(sent, b2_peer_, "CANCEL"), nullptr);
  const Out* reinvite = find(sent, a_peer_, "INVITE");
  ASSERT_NE(reinvite, nullptr);
  EXPECT_EQ(reinvite->message.body(), kRelayToCaller);
  EXPECT_EQ(log_.live_sessions, 0);  // the menu is over
  caller_accepts(*reinvite);
  EXPECT_TRUE(log_.failures.empty());
  EXPECT_EQ(log_.answered, std::vector<std::string>{"1002"});
}

TEST_F(B2buaRedirectTest, TheApplicationLearnsWhichExtensionOfTheStageAnswered) {
  // 1002's second phone is 1003's only one here, so the stage rings two extensions.
  auto& phones = location_.bindings[{kTenant, "1002"}];
  for (auto& phone : phones) phone.extension = "1002";
  store::Binding other = phones.back();
  other.extension = "1003";
  phones.pop_back();
  location_.bindings[{kTenant, "1003"}] = {other};

  answered();
  log_.redirect("1003");
  run_for(std::chrono::milliseconds(1));
  auto sent = drain();
  const Out* b1 = find(sent, b1_peer_, "INVITE");
  const Out* b2 = find(sent, b2_peer_, "INVITE");
  ASSERT_NE(b1, nullptr);
  ASSERT_NE(b2, nullptr);
  from_b1(answer(b1->message, 180, "btag"));
  drain();
  from_b2(answer(b2->message, 200, "btag2", "<sip:1003@10.0.0.22:5064>", kSdpB));
  sent = drain();
  EXPECT_NE(find(sent, b1_peer_, "CANCEL"), nullptr);
  const Out* reinvite = find(sent, a_peer_, "INVITE");
  ASSERT_NE(reinvite, nullptr);
  caller_accepts(*reinvite);
  EXPECT_EQ(log_.answered, std::vector<std::string>{"1003"})
      << "the extension whose phone answered, not the number redirected to";
  EXPECT_EQ(log_.live_sessions, 0);
}

TEST_F(B2buaRedirectTest, FailuresComeBackToTheApplication) {
  answered();
  log_.redirect("4444");  // nobody's number
  run_for(std::chrono::milliseconds(1));
  ASSERT_EQ(log_.failures.size(), 1U);
  EXPECT_EQ(log_.failures[0], 404);

  log_.redirect("1002");
  run_for(std::chrono::milliseconds(1));
  auto sent = drain();
  const Out* b1 = find(sent, b1_peer_, "INVITE");
  const Out* b2 = find(sent, b2_peer_, "INVITE");
  ASSERT_NE(b1, nullptr);
  ASSERT_NE(b2, nullptr);
  from_b1(answer(b1->message, 486, "btag"));
  from_b2(answer(b2->message, 486, "btag2"));
  drain();
  ASSERT_EQ(log_.failures.size(), 2U);
  EXPECT_EQ(log_.failures[1], 486);
  EXPECT_EQ(log_.live_sessions, 1);  // the caller is still with the menu
  EXPECT_EQ(b2bua_.call_count(), 1U);
}

// Decision 0048: a phone registered over TLS gets SDES-SRTP on the leg a redirect makes, as it
// would when called directly; the other phone of the stage the plain offer.
TEST_F(B2buaRedirectTest, APhoneOverTlsIsOfferedSdesOnTheRedirectedLeg) {
  location_.bindings[{kTenant, "1002"}][1].received.transport = "TLS";
  const auto sent = redirected_to_1002();
  const Out* plain = find(sent, b1_peer_, "INVITE");
  const Out* secure = find(sent, b2_peer_, "INVITE");
  ASSERT_NE(plain, nullptr);
  ASSERT_NE(secure, nullptr);
  EXPECT_EQ(plain->message.body(), kRelayToCallee);
  EXPECT_EQ(secure->message.body(), kSdesToCallee);
  EXPECT_EQ(secure->to.transport, TransportKind::kTls);
}

}  // namespace
}  // namespace parley::sip::testing
