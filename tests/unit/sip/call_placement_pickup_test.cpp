// CallPlacement for call pickup and INVITE with Replaces (decision 0031): the picker's INVITE
// goes to the worker where the longest-ringing call it may take lives, an INVITE with Replaces to
// the worker of the dialog it names.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "protocol/sip/message.hpp"
#include "sip/call_affinity.hpp"
#include "sip/call_placement.hpp"

namespace parley::sip {
namespace {

constexpr std::size_t kWorkers = 2;
constexpr store::TenantId kTenant = 7;

std::string call_id_on(std::size_t worker, std::string_view prefix) {
  for (int i = 0; i < 1000; ++i) {
    std::string id = std::string(prefix) + std::to_string(i) + "@phone";
    if (call_owner(id, kWorkers) == worker) return id;
  }
  ADD_FAILURE() << "no Call-ID for worker " << worker;
  return {};
}

protocol::sip::Message invite(std::string_view from, std::string_view to_user,
                              std::string_view call_id, std::string_view extra = {}) {
  const std::string text = "INVITE sip:" + std::string(to_user) +
                           "@example.com SIP/2.0\r\n"
                           "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKpick\r\n"
                           "Max-Forwards: 70\r\n"
                           "From: <sip:" +
                           std::string(from) +
                           "@example.com>;tag=f1\r\n"
                           "To: <sip:" +
                           std::string(to_user) +
                           "@example.com>\r\n"
                           "Call-ID: " +
                           std::string(call_id) + "\r\nCSeq: 1 INVITE\r\n" + std::string(extra) +
                           "Content-Length: 0\r\n\r\n";
  auto parsed = protocol::sip::parse_message(text);
  EXPECT_TRUE(parsed.ok()) << text;
  return std::move(parsed).value();
}

ExtensionCallState ringing(std::string_view extension, std::string_view dialog_id,
                           CallDirection direction = CallDirection::kRecipient) {
  ExtensionCallState state;
  state.tenant = kTenant;
  state.extension = std::string(extension);
  state.dialog_id = std::string(dialog_id);
  state.phase = CallPhase::kRinging;
  state.direction = direction;
  return state;
}

class CallPlacementPickupTest : public ::testing::Test {
 protected:
  ManualClock clock_;
  CallPlacement placement_{CallPlacementOptions{
      .workers = kWorkers,
      .clock = clock_,
      .linger = std::chrono::seconds(32),
      .tenant_of_host = [](std::string_view host) -> std::optional<store::TenantId> {
        if (host == "example.com") return kTenant;
        return std::nullopt;
      },
      .pickup_from = [](store::TenantId tenant, std::string_view caller,
                        std::string_view dialled) -> std::vector<std::string> {
        EXPECT_EQ(tenant, kTenant);
        if (dialled == "**1002") return {"1002"};
        if (dialled == "*8" && caller == "1003") return {"1002", "1004"};
        return {};
      }}};
};

TEST_F(CallPlacementPickupTest, DirectedPickupGoesWhereTheExtensionRings) {
  placement_.note(1, ringing("1002", "a-r"));
  const std::string id = call_id_on(0, "pick");
  EXPECT_EQ(placement_.route(invite("1003", "**1002", id)), 1u);
  EXPECT_EQ(placement_.owner(id), 1u);  // pinned: the ACK and BYE follow
}

TEST_F(CallPlacementPickupTest, GroupPickupGoesToTheLongestRingingCall) {
  placement_.note(1, ringing("1004", "old-r"));
  clock_.advance(std::chrono::seconds(2));
  placement_.note(0, ringing("1002", "new-r"));
  EXPECT_EQ(placement_.route(invite("1003", "*8", call_id_on(0, "group"))), 1u);
}

TEST_F(CallPlacementPickupTest, AnAnsweredOrOutgoingCallIsNotPickedUp) {
  // 1002 is the caller of a ringing call (initiator) and talks in another: nothing rings at it.
  placement_.note(1, ringing("1002", "out-i", CallDirection::kInitiator));
  ExtensionCallState talking = ringing("1002", "in-r");
  talking.phase = CallPhase::kConfirmed;
  placement_.note(1, talking);
  const std::string id = call_id_on(0, "none");
  // Placed as any call of 1003 would be: by the hash (1003 is idle); a busy callee "**1002" is
  // no extension, so nothing else applies.
  EXPECT_EQ(placement_.route(invite("1003", "**1002", id)), 0u);
}

TEST_F(CallPlacementPickupTest, ReplacesGoesToTheWorkerOfTheNamedDialog) {
  const std::string named = call_id_on(1, "named");
  const std::string id = call_id_on(0, "replacing");
  const std::string replaces = "Replaces: " + named + ";to-tag=ours;from-tag=theirs\r\n";
  EXPECT_EQ(placement_.route(invite("1005", "1002", id, replaces)), 1u);
  EXPECT_EQ(placement_.owner(id), 1u);
  // A Replaces that does not parse changes nothing.
  const std::string other = call_id_on(0, "broken");
  EXPECT_EQ(placement_.route(invite("1005", "1002", other, "Replaces: ;;\r\n")), 0u);
}

}  // namespace
}  // namespace parley::sip
