#include "sip/call_placement.hpp"

#include <gtest/gtest.h>

#include <string>

#include "call_placement_test_support.hpp"

namespace parley::sip::testing {
namespace {

class CallPlacementTest : public ::testing::Test {
 protected:
  ManualClock clock_;
  CallPlacement placement_{placement_options(clock_)};
};

TEST_F(CallPlacementTest, IdlePartiesArePlacedByTheHash) {
  for (std::size_t worker = 0; worker < kWorkers; ++worker) {
    const std::string id = call_id_on(worker, "idle");
    EXPECT_EQ(placement_.route(parse(request("INVITE", "1001", "1002", id))), worker);
    EXPECT_EQ(placement_.owner(id), worker);
  }
  EXPECT_EQ(placement_.pin_count(), 0u);
}

TEST_F(CallPlacementTest, ConsultationCallFollowsTheTransferorsCall) {
  // B (1002) talks to A on worker 1; B's consultation Call-ID hashes to worker 0.
  placement_.note(1, state("1002", "t-r", CallPhase::kConfirmed));
  const std::string consult = call_id_on(0, "consult");
  EXPECT_EQ(placement_.route(parse(request("INVITE", "1002", "1003", consult))), 1u);
  EXPECT_EQ(placement_.pin_count(), 1u);
  // Everything else of that Call-ID follows: retransmission, CANCEL, ACK, BYE, responses.
  EXPECT_EQ(placement_.route(parse(request("INVITE", "1002", "1003", consult))), 1u);
  EXPECT_EQ(placement_.route(parse(request("CANCEL", "1002", "1003", consult))), 1u);
  EXPECT_EQ(placement_.route(parse(request("BYE", "1002", "1003", consult, "p1"))), 1u);
  const std::string response =
      "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKx\r\n"
      "From: <sip:1002@example.com>;tag=f1\r\nTo: <sip:1003@example.com>;tag=p1\r\n"
      "Call-ID: " +
      consult + "\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n";
  EXPECT_EQ(placement_.route(parse(response)), 1u);
  EXPECT_EQ(placement_.owner(consult), 1u);
}

TEST_F(CallPlacementTest, CallToABusyExtensionJoinsItsWorker) {
  placement_.note(1, state("1002", "x-r", CallPhase::kConfirmed));
  const std::string id = call_id_on(0, "waiting");
  EXPECT_EQ(placement_.route(parse(request("INVITE", "1005", "1002", id))), 1u);
}

TEST_F(CallPlacementTest, OtherTenantsAndUnknownHostsAreNotMatched) {
  placement_.note(1, state("1002", "t-r", CallPhase::kConfirmed));
  const std::string id = call_id_on(0, "foreign");
  std::string text = request("INVITE", "1002", "1003", id);
  text.replace(text.find("1002@example.com"), 16, "1002@other.org");
  text.replace(text.find("sip:1003@example.com"), 20, "sip:1003@other.org");
  EXPECT_EQ(placement_.route(parse(text)), 0u);
}

TEST_F(CallPlacementTest, ThePartysConfirmedCallWins) {
  placement_.note(1, state("1002", "a-r", CallPhase::kConfirmed));
  placement_.note(0, state("1002", "b-i", CallPhase::kRinging));
  const std::string id = call_id_on(0, "pick");
  EXPECT_EQ(placement_.route(parse(request("INVITE", "1002", "1003", id))), 1u);
}

TEST_F(CallPlacementTest, PinsLastForTheCallAndLingerAfterIt) {
  placement_.note(1, state("1002", "t-r", CallPhase::kConfirmed));
  const std::string consult = call_id_on(0, "life");
  ASSERT_EQ(placement_.route(parse(request("INVITE", "1002", "1003", consult))), 1u);
  // The consultation call started on worker 1: its pin holds as long as the call.
  placement_.note(1, state("1002", "c-i", CallPhase::kRinging, consult));
  clock_.advance(std::chrono::minutes(10));
  EXPECT_EQ(placement_.owner(consult), 1u);
  placement_.note(1, state("1002", "c-i", CallPhase::kTerminated, consult));
  clock_.advance(std::chrono::seconds(31));
  EXPECT_EQ(placement_.owner(consult), 1u);  // retransmissions still reach worker 1
  clock_.advance(std::chrono::seconds(2));
  EXPECT_EQ(placement_.owner(consult), 0u);
  EXPECT_EQ(placement_.pin_count(), 0u);
}

TEST_F(CallPlacementTest, PinOfAnInviteNoCallCameOfExpires) {
  placement_.note(1, state("1002", "t-r", CallPhase::kConfirmed));
  const std::string challenged = call_id_on(0, "challenged");
  ASSERT_EQ(placement_.route(parse(request("INVITE", "1002", "1003", challenged))), 1u);
  clock_.advance(std::chrono::seconds(33));
  EXPECT_EQ(placement_.owner(challenged), 0u);
}

TEST_F(CallPlacementTest, EndedDialogsNoLongerPlaceCalls) {
  placement_.note(1, state("1002", "t-r", CallPhase::kConfirmed));
  placement_.note(1, state("1002", "t-r", CallPhase::kTerminated));
  const std::string id = call_id_on(0, "after");
  EXPECT_EQ(placement_.route(parse(request("INVITE", "1002", "1003", id))), 0u);
  EXPECT_EQ(placement_.pin_count(), 0u);
}

TEST_F(CallPlacementTest, ReporterPassesEveryReportOn) {
  struct Recorder final : CallStateListener {
    int reports = 0;
    void on_call_state(const ExtensionCallState&) override { ++reports; }
  } next;
  PlacementReporter reporter(placement_, 1, &next);
  reporter.on_call_state(state("1002", "r-r", CallPhase::kRinging));
  EXPECT_EQ(next.reports, 1);
  const std::string id = call_id_on(0, "reported");
  EXPECT_EQ(placement_.route(parse(request("INVITE", "1002", "1003", id))), 1u);
}

TEST(CallPlacement, OneWorkerOrNoResolverIsTheHash) {
  ManualClock clock;
  CallPlacement single(CallPlacementOptions{.workers = 1, .clock = clock});
  single.note(0, state("1002", "t-r", CallPhase::kConfirmed));
  EXPECT_EQ(single.owner("anything"), 0u);
  CallPlacement unresolved(CallPlacementOptions{.workers = kWorkers, .clock = clock});
  unresolved.note(1, state("1002", "t-r", CallPhase::kConfirmed));
  const std::string id = call_id_on(0, "plain");
  EXPECT_EQ(unresolved.route(parse(request("INVITE", "1002", "1003", id))), 0u);
}

}  // namespace
}  // namespace parley::sip::testing
