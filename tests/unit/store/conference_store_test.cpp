// The ConferenceStore half of SqliteStore against a real SQLite file: rooms per tenant, the PIN
// and participant-cap rules, the number space shared with extensions and ring groups (every
// direction, also through a second connection that skips the store's own check), changes in
// place, removal and the change counter.

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "store/call_feature_store.hpp"
#include "store/conference_store.hpp"
#include "store_fixture.hpp"

namespace parley::store::sqlite {
namespace {

class ConferenceStoreTest : public StoreFixture {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(open_with_tenants(/*with_other=*/true));
    ASSERT_NO_FATAL_FAILURE(add_extensions(tenant_.id, {{"1001", ""}}));
  }

  ConferenceRoom room(std::string number, std::string pin = "") const {
    ConferenceRoom row;
    row.tenant_id = tenant_.id;
    row.number = std::move(number);
    row.name = "Weekly";
    row.pin = std::move(pin);
    row.max_participants = 10;
    return row;
  }

  // Whether the schema itself refuses `sql` (INSERT ... VALUES (<tenant>, ...)), written over a
  // second connection that skips the store's own checks, as an older CLI would write.
  bool schema_refuses(const std::string& columns, const std::string& values) const {
    auto raw = Connection::open((dir_.path() / "data" / "parley.db").string(),
                                std::chrono::milliseconds(1000));
    EXPECT_TRUE(raw.ok());
    return raw.ok() && !raw->exec("INSERT INTO " + columns + " VALUES (" +
                                  std::to_string(tenant_.id) + ", " + values + ")")
                            .ok();
  }
};

TEST_F(ConferenceStoreTest, AddsListsAndRemovesRooms) {
  const std::uint64_t before = counter();
  auto added = store_->add_conference_room(room("800", "4321"));
  ASSERT_TRUE(added.ok()) << added.error().message;
  EXPECT_EQ(added->pin, "4321");
  EXPECT_GT(added->created_at, 0);
  EXPECT_GT(counter(), before);
  ConferenceRoom elsewhere = room("800");
  elsewhere.tenant_id = other_.id;  // the same number in another tenant is another room
  ASSERT_TRUE(store_->add_conference_room(elsewhere).ok());

  auto mine = store_->list_conference_rooms(tenant_.id);
  ASSERT_TRUE(mine.ok());
  ASSERT_EQ(mine->size(), 1u);
  EXPECT_EQ(mine->front().number, "800");
  EXPECT_EQ(mine->front().name, "Weekly");
  EXPECT_EQ(mine->front().pin, "4321");
  EXPECT_EQ(mine->front().max_participants, 10u);
  auto all = store_->list_conference_rooms(std::nullopt);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 2u);

  const std::uint64_t before_remove = counter();
  ASSERT_TRUE(store_->remove_conference_room(tenant_.id, "800").ok());
  EXPECT_GT(counter(), before_remove);
  auto gone = store_->remove_conference_room(tenant_.id, "800");
  ASSERT_FALSE(gone.ok());
  EXPECT_TRUE(is_error(gone.error(), StoreError::kNotFound));
  EXPECT_EQ(store_->list_conference_rooms(tenant_.id)->size(), 0u);
}

TEST_F(ConferenceStoreTest, RefusesBadInput) {
  for (const char* pin : {"123", "123456789", "12a4", "12 4", "１２３４"}) {
    auto added = store_->add_conference_room(room("800", pin));
    ASSERT_FALSE(added.ok()) << pin;
    EXPECT_TRUE(is_error(added.error(), StoreError::kInvalidInput)) << pin;
  }
  for (std::uint32_t max : {0u, 1u, 129u}) {
    ConferenceRoom row = room("800");
    row.max_participants = max;
    auto added = store_->add_conference_room(row);
    ASSERT_FALSE(added.ok()) << max;
    EXPECT_TRUE(is_error(added.error(), StoreError::kInvalidInput));
  }
  auto bad_number = store_->add_conference_room(room("8x0"));
  ASSERT_FALSE(bad_number.ok());
  EXPECT_TRUE(is_error(bad_number.error(), StoreError::kInvalidInput));
  ConferenceRoom orphan = room("800");
  orphan.tenant_id = 9999;
  auto no_tenant = store_->add_conference_room(orphan);
  ASSERT_FALSE(no_tenant.ok());
  EXPECT_TRUE(is_error(no_tenant.error(), StoreError::kNotFound));
  EXPECT_TRUE(store_->add_conference_room(room("800", "12345678")).ok());
}

TEST_F(ConferenceStoreTest, SharesTheNumberSpaceWithExtensionsAndRingGroups) {
  RingGroup group;
  group.tenant_id = tenant_.id;
  group.number = "600";
  group.members = {"1001"};
  ASSERT_TRUE(store_->add_ring_group(group).ok());
  ASSERT_TRUE(store_->add_conference_room(room("800")).ok());

  for (const char* taken : {"1001", "600", "800"}) {
    auto added = store_->add_conference_room(room(taken));
    ASSERT_FALSE(added.ok()) << taken;
    EXPECT_TRUE(is_error(added.error(), StoreError::kConflict)) << added.error().message;
  }
  auto extension = store_->add_extension(NewExtension{tenant_.id, "800", "", {"", kSha256}});
  ASSERT_FALSE(extension.ok());
  EXPECT_TRUE(is_error(extension.error(), StoreError::kConflict)) << extension.error().message;
  group.number = "800";
  auto ring_group = store_->add_ring_group(group);
  ASSERT_FALSE(ring_group.ok());
  EXPECT_TRUE(is_error(ring_group.error(), StoreError::kConflict)) << ring_group.error().message;
  // Another tenant's numbers are its own.
  EXPECT_TRUE(store_->add_extension(NewExtension{other_.id, "800", "", {"", kSha256}}).ok());
}

TEST_F(ConferenceStoreTest, TriggersHoldForWritersThatSkipTheStoresChecks) {
  ASSERT_TRUE(store_->add_conference_room(room("800")).ok());
  EXPECT_TRUE(schema_refuses("conference_rooms (tenant_id, number, max_participants, created_at)",
                             "'1001', 10, 1"));
  EXPECT_TRUE(
      schema_refuses("extensions (tenant_id, number, created_at, updated_at)", "'800', 1, 1"));
  EXPECT_TRUE(
      schema_refuses("conference_rooms (tenant_id, number, pin, max_participants, created_at)",
                     "'801', '12', 10, 1"));
}

// Migration 16 (decision 0034): the moderator PIN follows the PIN's rules, differs from it,
// is kept and read back, and the schema refuses a bad one from writers that skip the store.
TEST_F(ConferenceStoreTest, KeepsAModeratorPinThatDiffersFromThePin) {
  ConferenceRoom with_moderator = room("800", "1357");
  with_moderator.moderator_pin = "9876";
  ASSERT_TRUE(store_->add_conference_room(with_moderator).ok());
  ConferenceRoom open_room = room("801");
  open_room.moderator_pin = "2468";
  ASSERT_TRUE(store_->add_conference_room(open_room).ok());
  auto rooms = store_->list_conference_rooms(tenant_.id);
  ASSERT_TRUE(rooms.ok());
  ASSERT_EQ(rooms->size(), 2U);
  EXPECT_EQ((*rooms)[0].moderator_pin, "9876");
  EXPECT_EQ((*rooms)[1].moderator_pin, "2468");
  EXPECT_EQ((*rooms)[1].pin, "");

  for (const std::string& bad : {std::string("1357"), std::string("12"), std::string("12ab")}) {
    ConferenceRoom refused = room("802", "1357");
    refused.moderator_pin = bad;
    auto added = store_->add_conference_room(refused);
    ASSERT_FALSE(added.ok()) << bad;
    EXPECT_TRUE(is_error(added.error(), StoreError::kInvalidInput)) << bad;
  }
  EXPECT_TRUE(check_moderator_pin("", "").ok());
  EXPECT_FALSE(check_moderator_pin("1357", "1357").ok());

  EXPECT_TRUE(schema_refuses(
      "conference_rooms (tenant_id, number, pin, moderator_pin, max_participants, created_at)",
      "'803', '1357', '1357', 10, 1"));
  EXPECT_TRUE(schema_refuses(
      "conference_rooms (tenant_id, number, moderator_pin, max_participants, created_at)",
      "'804', '12x4', 10, 1"));
  EXPECT_FALSE(schema_refuses(
      "conference_rooms (tenant_id, number, pin, moderator_pin, max_participants, created_at)",
      "'805', '1357', '2468', 10, 1"));
}

// Decision 0054: a room changes in place, whole or not at all; its number and created_at stay.
TEST_F(ConferenceStoreTest, UpdatesARoomInPlaceWholeOrNotAtAll) {
  auto added = store_->add_conference_room(room("800", "1357"));
  ASSERT_TRUE(added.ok()) << added.error().message;
  ConferenceRoom elsewhere = room("800", "1111");
  elsewhere.tenant_id = other_.id;
  ASSERT_TRUE(store_->add_conference_room(elsewhere).ok());

  ConferenceRoom change = *added;
  change.name = "Board";
  change.pin = "2468";
  change.moderator_pin = "9876";
  change.max_participants = 4;
  change.created_at = 0;  // ignored: the room keeps its own
  const std::uint64_t before = counter();
  auto updated = store_->update_conference_room(change);
  ASSERT_TRUE(updated.ok()) << updated.error().message;
  EXPECT_GT(counter(), before);
  EXPECT_EQ(updated->created_at, added->created_at);
  EXPECT_EQ(updated->pin, "2468");
  auto mine = store_->list_conference_rooms(tenant_.id);
  ASSERT_TRUE(mine.ok());
  ASSERT_EQ(mine->size(), 1U);
  EXPECT_EQ(mine->front().name, "Board");
  EXPECT_EQ(mine->front().pin, "2468");
  EXPECT_EQ(mine->front().moderator_pin, "9876");
  EXPECT_EQ(mine->front().max_participants, 4U);
  EXPECT_EQ(mine->front().created_at, added->created_at);
  EXPECT_EQ(store_->list_conference_rooms(other_.id)->front().pin, "1111") << "other tenant's";

  // Every refusal leaves every field as it was (and the change counter where it was).
  const std::uint64_t before_refusals = counter();
  const auto refused = [&](const ConferenceRoom& bad, StoreError kind) {
    auto result = store_->update_conference_room(bad);
    ASSERT_FALSE(result.ok());
    EXPECT_TRUE(is_error(result.error(), kind)) << result.error().message;
  };
  ConferenceRoom bad = *updated;
  bad.name = "Renamed";
  bad.pin = "12";
  refused(bad, StoreError::kInvalidInput);
  bad.pin = "9876";  // the moderator PIN's digits
  refused(bad, StoreError::kInvalidInput);
  bad = *updated;
  bad.name = "Renamed";
  bad.moderator_pin = "12ab";
  refused(bad, StoreError::kInvalidInput);
  bad = *updated;
  bad.name = "Renamed";
  bad.max_participants = 129;
  refused(bad, StoreError::kInvalidInput);
  bad = *updated;
  bad.name = "bad\x01name";
  refused(bad, StoreError::kInvalidInput);
  bad = *updated;
  bad.number = "801";
  refused(bad, StoreError::kNotFound);
  bad = *updated;
  bad.tenant_id = 9999;
  refused(bad, StoreError::kNotFound);
  EXPECT_EQ(counter(), before_refusals);
  mine = store_->list_conference_rooms(tenant_.id);
  ASSERT_TRUE(mine.ok());
  EXPECT_EQ(mine->front().name, "Board");
  EXPECT_EQ(mine->front().pin, "2468");
  EXPECT_EQ(mine->front().moderator_pin, "9876");
  EXPECT_EQ(mine->front().max_participants, 4U);

  // Empty PINs remove them.
  change = *updated;
  change.pin.clear();
  change.moderator_pin.clear();
  ASSERT_TRUE(store_->update_conference_room(change).ok());
  EXPECT_TRUE(store_->list_conference_rooms(tenant_.id)->front().pin.empty());
  EXPECT_TRUE(store_->list_conference_rooms(tenant_.id)->front().moderator_pin.empty());
}

}  // namespace
}  // namespace parley::store::sqlite
