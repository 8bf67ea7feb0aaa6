#pragma once
// ConferenceStore: the conference rooms of each tenant (issue 7). A room is a number of the
// tenant that callers dial to meet, with a name, an optional PIN and a cap on participants.
//
// Rules every backend keeps:
// - A room's number shares the tenant's one number space with extensions and ring groups: adding
//   a room whose number is an extension or ring group fails with kConflict, and so does adding
//   an extension or ring group whose number is a room (database triggers in SQLite, so an older
//   CLI or the REST API cannot break it either).
// - The PIN is empty (no PIN) or 4 to 8 digits. It is stored as the digits, not hashed: a secret
//   of at most 10^8 values falls to an offline search of any hash in moments, so a hash would
//   only pretend; the server compares it in memory, and the database file is private (0600) and
//   already holds the more valuable digest credentials (docs/decisions/0020).
// - max_participants is kMinRoomParticipants..kMaxRoomParticipants.
// - Every change moves Store::change_counter(): a running server reloads its rooms within a
//   second.
//
// A separate interface from Store so that SIP code and its test fakes do not grow; SqliteStore
// implements it (sqlite/sqlite_conference_store.cpp, schema migration 8).
// Thread-safety and blocking: as Store (every call may block on disk).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "store/store.hpp"

namespace parley::store {

inline constexpr std::uint32_t kDefaultRoomParticipants = 50;
inline constexpr std::uint32_t kMinRoomParticipants = 2;
inline constexpr std::uint32_t kMaxRoomParticipants = 128;  // the mixer's slots
inline constexpr std::size_t kMinRoomPinDigits = 4;
inline constexpr std::size_t kMaxRoomPinDigits = 8;

struct ConferenceRoom {
  TenantId tenant_id = 0;
  std::string number;  // 2-15 digits, not an extension or ring group of the tenant
  std::string name;    // display name rules (check_display_name); may be empty
  std::string pin;     // empty = none, else kMinRoomPinDigits..kMaxRoomPinDigits digits
  // Keyed instead of the PIN, it makes the caller the room's moderator (decision 0034): empty =
  // no moderator; else the PIN's rules, and never the same digits as the PIN (migration 16).
  std::string moderator_pin;
  std::uint32_t max_participants = kDefaultRoomParticipants;
  UnixSeconds created_at = 0;  // set by add_conference_room
};

// Empty or 4-8 ASCII digits; kInvalidInput saying so otherwise.
Result<void> check_room_pin(std::string_view pin);
// check_room_pin(), and not the room PIN itself (who knows one must not be the other).
Result<void> check_moderator_pin(std::string_view moderator_pin, std::string_view pin);

class ConferenceStore {
 public:
  virtual ~ConferenceStore() = default;
  ConferenceStore() = default;
  ConferenceStore(const ConferenceStore&) = delete;
  ConferenceStore& operator=(const ConferenceStore&) = delete;

  // Adds a room and returns it as stored. kNotFound for an unknown tenant; kConflict when the
  // number is a room, extension or ring group of the tenant; kInvalidInput for a bad number,
  // name, PIN or participant cap.
  virtual Result<ConferenceRoom> add_conference_room(const ConferenceRoom& room) = 0;
  // Replaces the name, PINs and participant cap of the tenant's room `room.number` (the number
  // and created_at stay) in one transaction, and returns the room as stored. kNotFound when the
  // tenant has no such room; kInvalidInput, with nothing changed, for input add_conference_room
  // refuses. Callers already in the room stay; the next caller meets the new PIN and cap.
  virtual Result<ConferenceRoom> update_conference_room(const ConferenceRoom& room) = 0;
  // The rooms of one tenant, or of every tenant; by tenant, then number.
  virtual Result<std::vector<ConferenceRoom>> list_conference_rooms(
      std::optional<TenantId> tenant) = 0;
  // kNotFound when the tenant has no such room.
  virtual Result<void> remove_conference_room(TenantId tenant, std::string_view number) = 0;
};

}  // namespace parley::store
