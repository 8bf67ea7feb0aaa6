// Busy by the phone's own answer (RingStage::when_busy, decision 0052): when every device of a
// ringing stage refused busy (486 each, or a 600/603 that stops the others), the B2BUA asks the
// stage for the rest of the call and moves on at once, instead of the plan's later stages or
// final action. A busy device while another still rings changes nothing; a stage with other
// failures, or whose when_busy gives nothing, goes on with the plan as made.

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "b2bua_test_support.hpp"

namespace parley::sip::testing {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kSdpParley =
    "v=0\r\no=parley 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
    "m=audio 20000 RTP/AVP 0\r\n";
constexpr std::string_view kDiversion = "Diversion: <sip:1002@example.com>;reason=user-busy\r\n";

class SilentSession final : public LocalSession {
 public:
  explicit SilentSession(TimePoint created) : created_(created) {}
  Result<std::string> answer(std::string_view /*offer*/) override {
    return std::string(kSdpParley);
  }
  TimePoint last_media() const override { return created_; }

 private:
  TimePoint created_;
};

// Voicemail stands in for any application: which ones answered, in order.
class Answering final : public LocalSessionFactory {
 public:
  const Clock* clock = nullptr;
  std::vector<std::string> answered;
  Result<std::unique_ptr<LocalSession>> create(const CallMediaInfo& /*info*/,
                                               std::string_view application,
                                               std::function<void()> /*hang_up*/) override {
    answered.emplace_back(application);
    return std::unique_ptr<LocalSession>(std::make_unique<SilentSession>(clock->now()));
  }
};

// Constructed before the fixture, which keeps a pointer to it.
struct AnsweringHolder {
  Answering applications_;
};

class B2buaBusyTest : protected AnsweringHolder, public B2buaFixture {
 protected:
  B2buaBusyTest()
      : B2buaFixture([this](B2buaOptions& options) { options.applications = &applications_; }) {
    applications_.clock = &clock_;
    routing_.extensions.insert({kTenant, "1004"});
    location_.bindings[{kTenant, "1004"}] = {
        binding("sip:1004@10.0.0.41:5066", "198.51.100.41", 5066)};
    routing_.planner = [this](const CallTenant&, std::string_view, std::string_view) {
      // 1002 (devices B1 and B2) rings 20 s, then its voicemail (the no-answer forward); busy,
      // whatever `busy_` says.
      RingStage own{{"1002"}, 20s};
      own.when_busy = [this]() -> std::optional<CallPlan> {
        ++asked_;
        return busy_;
      };
      auto lease = std::make_shared<int>(1);
      first_lease_ = lease;
      return CallPlan{.stages = {std::move(own)},
                      .exhausted_application = "voicemail:1002",
                      .keep_alive = std::move(lease)};
    };
  }

  // The busy forward rings 1004 (device C) for 10 s; then the caller hears the best failure.
  void busy_forward_to_1004() { busy_ = CallPlan{.stages = {RingStage{{"1004"}, 10s}}}; }

  static ExternalTarget trunk_target(const Peer& trunk) {
    ExternalTarget out;
    out.peer = trunk;
    out.request_uri = "sip:442071234570@" + trunk.remote.to_string();
    out.from_uri = "sip:+442070000999@provider.example";
    out.label = "trunk";
    out.extra_lines = std::string(kDiversion);
    return out;
  }

  // Alice's ACK and BYE for the call answered with To tag `tag`.
  void alice_hangs_up(std::string_view tag) {
    Request ack;
    ack.method = "ACK";
    ack.to += ";tag=" + std::string(tag);
    ack.via_branch = "z9hG4bKack";
    ack.body.clear();
    from_a(ack.text());
    Request bye;
    bye.method = "BYE";
    bye.to += ";tag=" + std::string(tag);
    bye.cseq = 2;
    bye.via_branch = "z9hG4bKbye";
    bye.body.clear();
    from_a(bye.text());
    drain();
  }

  std::optional<CallPlan> busy_;
  int asked_ = 0;
  std::weak_ptr<void> first_lease_;
  Peer c_peer_ = make_peer("198.51.100.41:5066");
};

TEST_F(B2buaBusyTest, EveryPhoneBusyMovesToTheBusyForwardAtOnce) {
  busy_forward_to_1004();
  auto [b1, b2] = invite_and_fork();
  from_b1(answer(b1.message, 180, "b1tag"));
  from_b1(answer(b1.message, 486, "b1tag"));
  auto sent = drain();
  EXPECT_EQ(asked_, 0) << "B2 still rings";
  EXPECT_EQ(find(sent, b2_peer_, "CANCEL"), nullptr);
  EXPECT_EQ(find(sent, c_peer_, "INVITE"), nullptr);

  from_b2(answer(b2.message, 486, "b2tag"));
  sent = drain();
  EXPECT_EQ(asked_, 1);
  const Out* c = find(sent, c_peer_, "INVITE");
  ASSERT_NE(c, nullptr) << "no ring time is lost: the busy forward rings now";
  EXPECT_EQ(find_status(sent, a_peer_, 486), nullptr);
  EXPECT_TRUE(applications_.answered.empty()) << "not the no-answer voicemail";

  from_peer(answer(c->message, 200, "ctag", "<sip:1004@10.0.0.41:5066>", kSdpB), c_peer_);
  sent = drain();
  const Out* ok = find_status(sent, a_peer_, 200);
  ASSERT_NE(ok, nullptr);
  EXPECT_FALSE(first_lease_.expired()) << "the original plan's keep_alive lives with the call";
  alice_hangs_up(ok->message.to_tag());
  EXPECT_TRUE(first_lease_.expired());
  ASSERT_EQ(records_.records.size(), 1U);
  EXPECT_EQ(records_.records[0].disposition, store::Disposition::kAnswered);
  EXPECT_EQ(records_.records[0].callee, "1004") << "the record names who took the call";
  EXPECT_EQ(b2bua_.call_count(), 0U);
}

TEST_F(B2buaBusyTest, OneBusyPhoneLeavesTheOtherRingingAndItMayAnswer) {
  busy_forward_to_1004();
  auto [b1, b2] = invite_and_fork();
  from_b2(answer(b2.message, 180, "b2tag"));
  from_b1(answer(b1.message, 486, "b1tag"));
  auto sent = drain();
  EXPECT_EQ(find(sent, b2_peer_, "CANCEL"), nullptr);
  EXPECT_EQ(find_status(sent, a_peer_, 486), nullptr);

  from_b2(answer(b2.message, 200, "b2tag", "<sip:1002@10.0.0.22:5064>", kSdpB));
  sent = drain();
  const Out* ok = find_status(sent, a_peer_, 200);
  ASSERT_NE(ok, nullptr);
  EXPECT_EQ(asked_, 0);
  EXPECT_EQ(find(sent, c_peer_, "INVITE"), nullptr);
  alice_hangs_up(ok->message.to_tag());
  ASSERT_EQ(records_.records.size(), 1U);
  EXPECT_EQ(records_.records[0].callee, "1002");
  EXPECT_EQ(records_.records[0].disposition, store::Disposition::kAnswered);
}

TEST_F(B2buaBusyTest, BusyEverywhereAndDeclineStopTheOtherPhoneAndForward) {
  for (const int status : {600, 603}) {
    SCOPED_TRACE(status);
    busy_forward_to_1004();
    asked_ = 0;
    Request invite;
    invite.call_id = "busy-" + std::to_string(status) + "@192.0.2.10";
    invite.from = "\"Alice\" <sip:1001@example.com>;tag=a" + std::to_string(status);
    auto [b1, b2] = invite_and_fork(invite);
    from_b2(answer(b2.message, 180, "b2tag"));
    from_b1(answer(b1.message, status, "b1tag"));
    auto sent = drain();
    EXPECT_NE(find(sent, b2_peer_, "CANCEL"), nullptr) << "a 6xx ends the search of the stage";
    EXPECT_EQ(asked_, 1);
    const Out* c = find(sent, c_peer_, "INVITE");
    ASSERT_NE(c, nullptr);
    EXPECT_EQ(find_status(sent, a_peer_, status), nullptr);
    from_peer(answer(c->message, 480, "ctag"), c_peer_);
    from_b2(answer(b2.message, 487, "b2tag"));
    sent = drain();
    EXPECT_NE(find_status(sent, a_peer_, status), nullptr) << "the best failure of the call";
    EXPECT_EQ(b2bua_.call_count(), 0U);
  }
}

TEST_F(B2buaBusyTest, OtherFailuresInTheStageKeepTheOriginalPlan) {
  busy_forward_to_1004();
  auto [b1, b2] = invite_and_fork();
  from_b1(answer(b1.message, 480, "b1tag"));  // one phone is unavailable, not busy
  from_b2(answer(b2.message, 486, "b2tag"));
  auto sent = drain();
  EXPECT_EQ(asked_, 0);
  EXPECT_EQ(find(sent, c_peer_, "INVITE"), nullptr);
  EXPECT_NE(find_status(sent, a_peer_, 200), nullptr) << "the no-answer voicemail took it";
  EXPECT_EQ(applications_.answered, (std::vector<std::string>{"voicemail:1002"}));
}

TEST_F(B2buaBusyTest, NoBusyForwardMeansTheNoAnswerForwardAsBefore) {
  busy_.reset();
  auto [b1, b2] = invite_and_fork();
  from_b1(answer(b1.message, 486, "b1tag"));
  from_b2(answer(b2.message, 486, "b2tag"));
  auto sent = drain();
  EXPECT_EQ(asked_, 1);
  EXPECT_NE(find_status(sent, a_peer_, 200), nullptr);
  EXPECT_EQ(applications_.answered, (std::vector<std::string>{"voicemail:1002"}));
}

TEST_F(B2buaBusyTest, ABusyForwardToVoicemailAnswersAtOnce) {
  busy_ = CallPlan{.application = "voicemail:1002-busy"};
  auto [b1, b2] = invite_and_fork();
  from_b1(answer(b1.message, 486, "b1tag"));
  from_b2(answer(b2.message, 486, "b2tag"));
  auto sent = drain();
  EXPECT_NE(find_status(sent, a_peer_, 200), nullptr);
  EXPECT_EQ(applications_.answered, (std::vector<std::string>{"voicemail:1002-busy"}));
}

TEST_F(B2buaBusyTest, ABusyForwardThatIsRefusedIsTheCallersAnswer) {
  busy_ = CallPlan{.reject_status = 403, .reject_reason = "Forwarding Not Allowed"};
  auto [b1, b2] = invite_and_fork();
  from_b1(answer(b1.message, 486, "b1tag"));
  from_b2(answer(b2.message, 486, "b2tag"));
  auto sent = drain();
  EXPECT_NE(find_status(sent, a_peer_, 403), nullptr);
  EXPECT_TRUE(applications_.answered.empty());
  ASSERT_EQ(records_.records.size(), 1U);
  EXPECT_EQ(records_.records[0].disposition, store::Disposition::kBusy);
  EXPECT_EQ(records_.records[0].callee, "1002");
  EXPECT_TRUE(first_lease_.expired());
}

TEST_F(B2buaBusyTest, ABusyForwardThroughATrunkCarriesItsDiversionAndLease) {
  const Peer trunk = make_peer("203.0.113.5:5060");
  auto forward_lease = std::make_shared<int>(2);
  const std::weak_ptr<void> watched = forward_lease;
  busy_ = CallPlan{.stages = {RingStage{{}, 60s, {trunk_target(trunk)}}},
                   .keep_alive = std::move(forward_lease)};
  auto [b1, b2] = invite_and_fork();
  from_b1(answer(b1.message, 486, "b1tag"));
  from_b2(answer(b2.message, 486, "b2tag"));
  busy_.reset();  // only the call holds the lease now
  auto sent = drain();
  const Out* out = find(sent, trunk, "INVITE");
  ASSERT_NE(out, nullptr);
  EXPECT_EQ(out->message.request_uri(), "sip:442071234570@203.0.113.5:5060");
  EXPECT_NE(out->message.raw().find(kDiversion), std::string::npos) << out->message.raw();
  EXPECT_FALSE(watched.expired());
  EXPECT_FALSE(first_lease_.expired());

  from_peer(answer(out->message, 603, "ptag"), trunk);
  sent = drain();
  EXPECT_NE(find_status(sent, a_peer_, 603), nullptr);
  EXPECT_TRUE(applications_.answered.empty()) << "the busy forward replaced the voicemail";
  EXPECT_TRUE(watched.expired());
  EXPECT_TRUE(first_lease_.expired());
}

}  // namespace
}  // namespace parley::sip::testing
