// Park slots as BLF keys (decision 0045): the lot alone speaks for a slot. The B2BUA's reports of
// calls that name a slot (a retriever dialling 701, a call parked by a REFER to 701) stop in
// front of the hub; the lot's own reports and every extension's reach it, also an extension that
// has a slot's number (extensions win). Real PresenceHub, ParkLot, Directory and SQLite store.

#include "app/park_presence.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "app/live_calls.hpp"
#include "protocol/sip/digest.hpp"
#include "sip/presence_hub.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace parley::app {
namespace {

namespace psip = protocol::sip;

// The B2BUA's report of one side of a call (sip/b2bua_call_state.cpp).
sip::ExtensionCallState call_report(store::TenantId tenant, const std::string& extension,
                                    const std::string& dialog_id, sip::CallDirection direction,
                                    sip::CallPhase phase, const std::string& remote) {
  sip::ExtensionCallState state;
  state.tenant = tenant;
  state.extension = extension;
  state.dialog_id = dialog_id;
  state.direction = direction;
  state.phase = phase;
  state.remote_party = remote;
  return state;
}

class ParkSlotCallsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store::sqlite::SqliteStoreOptions options;
    options.data_dir = dir_.path();
    auto opened = store::sqlite::SqliteStore::open(std::move(options));
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    store_ = std::move(opened).value();
    auto plain = store_->add_tenant({"example.com", "Example", true});
    auto with_701 = store_->add_tenant({"other.example", "Other", false});
    ASSERT_TRUE(plain.ok() && with_701.ok());
    plain_ = plain->id;
    with_701_ = with_701->id;
    for (auto [tenant, number] : {std::pair{plain_, "1003"}, std::pair{with_701_, "701"}}) {
      const store::Credentials credentials{
          psip::ha1(psip::DigestAlgorithm::kMd5, number, "example.com", "pw"),
          psip::ha1(psip::DigestAlgorithm::kSha256, number, "example.com", "pw")};
      ASSERT_TRUE(store_->add_extension({tenant, number, "", credentials}).ok());
    }
    auto directory = sip::Directory::open(*store_, {});
    ASSERT_TRUE(directory.ok()) << directory.error().message;
    directory_ = std::move(directory).value();
    filter_.set_slots(park_slots_of(lot_, *directory_));
    lot_.set_slot_listener(park_slot_reporter(hub_));
  }

  std::vector<sip::ExtensionDialog> dialogs(store::TenantId tenant, const std::string& number) {
    return hub_.snapshot(sip::PresenceHub::key(tenant, number)).dialogs;
  }

  // The B2BUA's report of an answered call from 1001 to `number` (its recipient's side, the one
  // a slot number would get); then how many dialogs the hub holds for `number`.
  std::size_t dialogs_after_a_call_to(store::TenantId tenant, const std::string& number) {
    live_.on_call_state(
        call_report(tenant, number, "t" + std::to_string(tenant) + "-" + number + "-r",
                    sip::CallDirection::kRecipient, sip::CallPhase::kConfirmed, "1001"));
    return dialogs(tenant, number).size();
  }

  test::TempDir dir_;
  std::unique_ptr<store::sqlite::SqliteStore> store_;
  std::unique_ptr<sip::Directory> directory_;
  store::TenantId plain_ = 0;
  store::TenantId with_701_ = 0;
  sip::PresenceHub hub_;
  ParkSlotCalls filter_{hub_};
  LiveCalls live_{filter_};  // the B2BUA's chain: LiveCalls, then the filter, then the hub
  pbx::ParkLot lot_;
};

TEST_F(ParkSlotCallsTest, ARetrieversCallToTheSlotLeavesTheLampToTheLot) {
  ASSERT_TRUE(lot_.park(plain_, 701, "1002", "1001").ok());
  ASSERT_EQ(dialogs(plain_, "701").size(), 1u);
  EXPECT_EQ(dialogs(plain_, "701")[0].id.rfind("park-", 0), 0u);

  // 1003 dials 701: the call is answered by the park application and the slot empties.
  for (auto phase : {sip::CallPhase::kRinging, sip::CallPhase::kConfirmed}) {
    live_.on_call_state(
        call_report(plain_, "1003", "t1-i", sip::CallDirection::kInitiator, phase, "701"));
    live_.on_call_state(
        call_report(plain_, "701", "t1-r", sip::CallDirection::kRecipient, phase, "1003"));
  }
  ASSERT_TRUE(lot_.retrieve(plain_, 701, "1003").ok());
  EXPECT_TRUE(dialogs(plain_, "701").empty()) << "the lamp of an empty slot is lit";
  // The retriever itself is busy, and the call is live for the administrator.
  ASSERT_EQ(dialogs(plain_, "1003").size(), 1u);
  EXPECT_EQ(dialogs(plain_, "1003")[0].phase, sip::CallPhase::kConfirmed);
  ASSERT_EQ(live_.list(plain_).size(), 1u);
  EXPECT_EQ(live_.list(plain_)[0].callee, "701");

  live_.on_call_state(call_report(plain_, "701", "t1-r", sip::CallDirection::kRecipient,
                                  sip::CallPhase::kTerminated, "1003"));
  live_.on_call_state(call_report(plain_, "1003", "t1-i", sip::CallDirection::kInitiator,
                                  sip::CallPhase::kTerminated, "701"));
  EXPECT_TRUE(dialogs(plain_, "1003").empty());
  EXPECT_TRUE(live_.list(plain_).empty());
}

TEST_F(ParkSlotCallsTest, OnlyTheSlotsOfTheLotAreLeftOut) {
  // The park code names no one call and is no slot: its report passes like any other number's.
  EXPECT_EQ(dialogs_after_a_call_to(plain_, "700"), 1u);
  EXPECT_EQ(dialogs_after_a_call_to(plain_, "721"), 1u) << "721 is past the 20 slots";
  EXPECT_EQ(dialogs_after_a_call_to(plain_, "720"), 0u) << "720 is the last slot";
}

TEST_F(ParkSlotCallsTest, AnExtensionWithASlotsNumberKeepsItsCalls) {
  EXPECT_EQ(dialogs_after_a_call_to(with_701_, "701"), 1u);
  EXPECT_EQ(dialogs_after_a_call_to(plain_, "701"), 0u) << "in the other tenant, 701 is a slot";
}

TEST(ParkSlotCalls, WithoutAParkLotEveryReportPasses) {
  sip::PresenceHub hub;
  ParkSlotCalls filter(hub);
  filter.on_call_state(call_report(1, "701", "t7-r", sip::CallDirection::kRecipient,
                                   sip::CallPhase::kConfirmed, "1001"));
  EXPECT_EQ(hub.snapshot(sip::PresenceHub::key(1, "701")).dialogs.size(), 1u);
}

TEST(ParkSlotState, AnOccupiedSlotIsAConfirmedRecipientDialogOfTheParkee) {
  const auto parked =
      park_slot_state({.tenant = 3, .slot = 702, .ticket = 9, .occupied = true, .parkee = "1001"});
  EXPECT_EQ(parked.extension, "702");
  EXPECT_EQ(parked.dialog_id, "park-9");
  EXPECT_EQ(parked.direction, sip::CallDirection::kRecipient);
  EXPECT_EQ(parked.phase, sip::CallPhase::kConfirmed);
  EXPECT_EQ(parked.remote_party, "1001");
  const auto emptied =
      park_slot_state({.tenant = 3, .slot = 702, .ticket = 9, .occupied = false, .parkee = "1001"});
  EXPECT_EQ(emptied.phase, sip::CallPhase::kTerminated);
  EXPECT_EQ(emptied.dialog_id, "park-9");
}

}  // namespace
}  // namespace parley::app
