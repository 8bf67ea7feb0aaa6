// The ConferenceStore half of SqliteStore: conference rooms (schema migration 8). Same locking
// and transaction rules as sqlite_store.cpp. The number-space rule is checked here first for a
// clear message, and again by the migration's triggers for writers that skip this code.

#include <algorithm>
#include <string>

#include "store/conference_store.hpp"
#include "store/sqlite/rows.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/validation.hpp"

namespace parley::store {

Result<void> check_room_pin(std::string_view pin) {
  if (pin.empty()) return {};
  const bool digits =
      std::all_of(pin.begin(), pin.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!digits || pin.size() < kMinRoomPinDigits || pin.size() > kMaxRoomPinDigits) {
    return make_store_error(StoreError::kInvalidInput,
                            "a room PIN must be " + std::to_string(kMinRoomPinDigits) + " to " +
                                std::to_string(kMaxRoomPinDigits) + " digits");
  }
  return {};
}

Result<void> check_moderator_pin(std::string_view moderator_pin, std::string_view pin) {
  if (auto valid = check_room_pin(moderator_pin); !valid) {
    return make_store_error(StoreError::kInvalidInput,
                            "a moderator PIN must be " + std::to_string(kMinRoomPinDigits) +
                                " to " + std::to_string(kMaxRoomPinDigits) + " digits");
  }
  if (!moderator_pin.empty() && moderator_pin == pin) {
    return make_store_error(StoreError::kInvalidInput,
                            "the moderator PIN must differ from the room PIN");
  }
  return {};
}

}  // namespace parley::store

namespace parley::store::sqlite {
namespace {

Result<ConferenceRoom> read_room(const Statement& row) {
  ConferenceRoom room;
  room.tenant_id = row.column_int(0);
  room.number = row.column_text(1);
  room.name = row.column_text(2);
  room.pin = row.column_text(3);
  room.max_participants = static_cast<std::uint32_t>(row.column_int(4));
  room.created_at = row.column_int(5);
  room.moderator_pin = row.column_text(6);
  return room;
}

std::string room_missing(TenantId tenant, std::string_view number) {
  return "no conference room " + std::string(number) + " in tenant " + std::to_string(tenant);
}

// What add and update both refuse: the number, name, PINs and participant cap.
Result<void> check_room(const ConferenceRoom& room) {
  if (auto valid = check_extension_number(room.number); !valid) return valid.error();
  if (auto valid = check_display_name(room.name); !valid) return valid.error();
  if (auto valid = check_room_pin(room.pin); !valid) return valid.error();
  if (auto valid = check_moderator_pin(room.moderator_pin, room.pin); !valid) {
    return valid.error();
  }
  if (room.max_participants < kMinRoomParticipants ||
      room.max_participants > kMaxRoomParticipants) {
    return invalid("max participants must be " + std::to_string(kMinRoomParticipants) + " to " +
                   std::to_string(kMaxRoomParticipants));
  }
  return {};
}

}  // namespace

Result<ConferenceRoom> SqliteStore::add_conference_room(const ConferenceRoom& room) {
  if (auto valid = check_room(room); !valid) return valid.error();
  const std::string what = "adding conference room " + room.number;
  std::lock_guard lock(mutex_);
  auto transaction = WriteTransaction::begin(connection_, Durability::kPowerLoss);
  if (!transaction) return in_context(what, transaction.error());
  auto tenant = find_tenant(room.tenant_id);
  if (!tenant) return tenant.error();
  {
    auto owner = connection_.prepare(
        "SELECT 'an extension' FROM extensions WHERE tenant_id = ?1 AND number = ?2 "
        "UNION ALL SELECT 'a ring group' FROM ring_groups WHERE tenant_id = ?1 AND number = ?2 "
        "UNION ALL SELECT 'a conference room' FROM conference_rooms "
        "WHERE tenant_id = ?1 AND number = ?2");
    if (!owner) return in_context(what, owner.error());
    owner->bind(1, room.tenant_id).bind(2, room.number);
    auto row = owner->step();
    if (!row) return in_context(what, row.error());
    if (*row) {
      return conflict(room.number + " is already " + owner->column_text(0) + " of " +
                      tenant->domain +
                      "; rooms, extensions and ring groups share one number space");
    }
  }
  ConferenceRoom stored = room;
  stored.created_at = now();
  {
    auto insert = connection_.prepare(
        "INSERT INTO conference_rooms (tenant_id, number, name, pin, max_participants, "
        "created_at, moderator_pin) VALUES (?, ?, ?, ?, ?, ?, ?)");
    if (!insert) return in_context(what, insert.error());
    insert->bind(1, stored.tenant_id)
        .bind(2, stored.number)
        .bind(3, stored.name)
        .bind(4, stored.pin)
        .bind(5, static_cast<std::int64_t>(stored.max_participants))
        .bind(6, stored.created_at)
        .bind(7, stored.moderator_pin);
    if (auto ran = insert->run(); !ran) return in_context(what, ran.error());
  }
  auto committed = transaction->commit();
  if (!committed) return in_context(what, committed.error());
  return stored;
}

Result<ConferenceRoom> SqliteStore::update_conference_room(const ConferenceRoom& room) {
  if (auto valid = check_room(room); !valid) return valid.error();
  const std::string what = "changing conference room " + room.number;
  std::lock_guard lock(mutex_);
  auto transaction = WriteTransaction::begin(connection_, Durability::kPowerLoss);
  if (!transaction) return in_context(what, transaction.error());
  {
    auto update = connection_.prepare(
        "UPDATE conference_rooms SET name = ?, pin = ?, moderator_pin = ?, max_participants = ? "
        "WHERE tenant_id = ? AND number = ?");
    if (!update) return in_context(what, update.error());
    update->bind(1, room.name)
        .bind(2, room.pin)
        .bind(3, room.moderator_pin)
        .bind(4, static_cast<std::int64_t>(room.max_participants))
        .bind(5, room.tenant_id)
        .bind(6, room.number);
    if (auto ran = update->run(); !ran) return in_context(what, ran.error());
    if (connection_.changes() == 0) return not_found(room_missing(room.tenant_id, room.number));
  }
  ConferenceRoom stored;
  {
    auto query = connection_.prepare(
        "SELECT tenant_id, number, name, pin, max_participants, created_at, moderator_pin "
        "FROM conference_rooms WHERE tenant_id = ? AND number = ?");
    if (!query) return in_context(what, query.error());
    query->bind(1, room.tenant_id).bind(2, room.number);
    auto rows = collect_rows(*query, read_room);
    if (!rows) return in_context(what, rows.error());
    if (rows->empty()) return not_found(room_missing(room.tenant_id, room.number));
    stored = std::move(rows->front());
  }
  auto committed = transaction->commit();
  if (!committed) return in_context(what, committed.error());
  return stored;
}

Result<std::vector<ConferenceRoom>> SqliteStore::list_conference_rooms(
    std::optional<TenantId> tenant) {
  std::lock_guard lock(mutex_);
  auto query = connection_.prepare(
      "SELECT tenant_id, number, name, pin, max_participants, created_at, moderator_pin "
      "FROM conference_rooms "
      "WHERE ?1 IS NULL OR tenant_id = ?1 ORDER BY tenant_id, number");
  if (!query) return in_context("listing conference rooms", query.error());
  if (tenant) {
    query->bind(1, *tenant);
  } else {
    query->bind_null(1);
  }
  auto rooms = collect_rows(*query, read_room);
  if (!rooms) return in_context("listing conference rooms", rooms.error());
  return rooms;
}

Result<void> SqliteStore::remove_conference_room(TenantId tenant, std::string_view number) {
  if (auto valid = check_extension_number(number); !valid) return valid.error();
  const std::string what = "removing conference room " + std::string(number);
  std::lock_guard lock(mutex_);
  auto transaction = WriteTransaction::begin(connection_, Durability::kPowerLoss);
  if (!transaction) return in_context(what, transaction.error());
  {
    auto remove =
        connection_.prepare("DELETE FROM conference_rooms WHERE tenant_id = ? AND number = ?");
    if (!remove) return in_context(what, remove.error());
    remove->bind(1, tenant).bind(2, number);
    if (auto ran = remove->run(); !ran) return in_context(what, ran.error());
    if (connection_.changes() == 0) return not_found(room_missing(tenant, number));
  }
  auto committed = transaction->commit();
  if (!committed) return in_context(what, committed.error());
  return {};
}

}  // namespace parley::store::sqlite
