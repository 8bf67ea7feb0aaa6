// Conference rooms over the API (issue 9, on top of the rooms of issue 7). Each write is one
// ConferenceStore call, so one transaction; a PATCH is checked whole before that one write, so a
// refusal changes nothing (decision 0054). The PINs are write-only: the API answers whether a
// room has one, never the digits (the CLI lists them the same way). The running server's rooms
// reload through directory_changed() before the answer leaves.
//
// Participants (decision 0034) are live state, not stored: ConferenceControl lists, mutes and
// removes them. A tenant admin may steer any room of the tenant; an extension user only a room
// in which that extension takes part as a moderator right now; everyone else gets the same 404
// as a missing room, so whether a room is in use does not leak.

#include <algorithm>
#include <array>

#include "http/api/api_impl.hpp"
#include "http/api/conference_control.hpp"
#include "store/conference_store.hpp"
#include "store/validation.hpp"

namespace parley::http::api {

namespace {

constexpr std::size_t kDefaultPage = 100;
constexpr std::size_t kMaxPage = 1000;

nlohmann::json room_json(const store::ConferenceRoom& room) {
  return {{"number", room.number},
          {"name", room.name},
          {"has_pin", !room.pin.empty()},
          {"has_moderator_pin", !room.moderator_pin.empty()},
          {"max_participants", room.max_participants},
          {"created_at", room.created_at}};
}

Response unavailable() {
  return resources_unavailable("conference rooms");
}

Response no_room(std::string_view number, const store::Tenant& tenant) {
  return not_in_tenant("conference room", number, tenant);
}

Response no_participant() {
  return problem(404, "no such participant in this conference room", "id");
}

nlohmann::json participant_json(const ConferenceParticipant& participant) {
  return {{"id", participant.id},
          {"caller", participant.caller},
          {"muted", participant.muted},
          {"moderator", participant.moderator},
          {"joined_ms", participant.joined_ms}};
}

// The settings a room body may carry (POST and PATCH alike); absent fields are nullopt.
struct RoomSettings {
  std::optional<std::string> name;
  std::optional<std::string> pin;
  std::optional<std::string> moderator_pin;
  std::optional<std::int64_t> max_participants;
};

RoomSettings read_room_settings(const JsonBody& body, BodyError& error) {
  RoomSettings settings;
  settings.name = body.string("name", error);
  settings.pin = body.string("pin", error);
  settings.moderator_pin = body.string("moderator_pin", error);
  settings.max_participants = body.integer("max_participants", store::kMinRoomParticipants,
                                           store::kMaxRoomParticipants, error);
  return settings;
}

bool is_admin(const Principal& principal) {
  return principal.role == Role::kSystemAdmin || principal.role == Role::kTenantAdmin;
}

}  // namespace

Response RestApi::Impl::list_conference_rooms(const Call& call) const {
  Response failure;
  const auto tenant = visible_tenant(*call.principal, call.params[0], failure);
  if (!tenant) return failure;
  if (options_.conference_rooms == nullptr) return unavailable();
  const auto page = read_page(call.request, kDefaultPage, kMaxPage, failure);
  if (!page) return failure;
  auto rooms = options_.conference_rooms->list_conference_rooms(tenant->id);
  if (!rooms) return store_problem(rooms.error());
  return json_response(200, page_by_number(*rooms, *page, room_json));
}

Response RestApi::Impl::create_conference_room(const Call& call) const {
  static constexpr std::array<std::string_view, 5> kFields{"number", "name", "pin", "moderator_pin",
                                                           "max_participants"};
  Response failure;
  const auto tenant = visible_tenant(*call.principal, call.params[0], failure);
  if (!tenant) return failure;
  if (options_.conference_rooms == nullptr) return unavailable();
  auto body = read_body(call.request, kFields, failure);
  if (!body) return failure;
  BodyError error;
  const auto number = body->string("number", error);
  const auto [name, pin, moderator_pin, cap] = read_room_settings(*body, error);
  if (!error.detail.empty()) return body_problem(error);
  if (auto refused = check_number_and_name(number, name)) return *refused;
  if (pin) {
    if (auto valid = store::check_room_pin(*pin); !valid) {
      return problem(400, valid.error().message, "pin");
    }
  }
  if (moderator_pin) {
    if (auto valid = store::check_moderator_pin(*moderator_pin, pin.value_or("")); !valid) {
      return problem(400, valid.error().message, "moderator_pin");
    }
  }
  store::ConferenceRoom room;
  room.tenant_id = tenant->id;
  room.number = *number;
  room.name = name.value_or("");
  room.pin = pin.value_or("");
  room.moderator_pin = moderator_pin.value_or("");
  if (cap) room.max_participants = static_cast<std::uint32_t>(*cap);
  auto added = options_.conference_rooms->add_conference_room(room);
  if (!added) return write_refused(added.error(), "number");
  directory_changed();
  return created(room_json(*added), *tenant, "conference-rooms", added->number);
}

Response RestApi::Impl::get_conference_room(const Call& call) const {
  Response failure;
  const auto tenant = visible_tenant(*call.principal, call.params[0], failure);
  if (!tenant) return failure;
  if (options_.conference_rooms == nullptr) return unavailable();
  auto rooms = options_.conference_rooms->list_conference_rooms(tenant->id);
  if (!rooms) return store_problem(rooms.error());
  for (const store::ConferenceRoom& room : *rooms) {
    if (room.number == call.params[1]) return json_response(200, room_json(room));
  }
  return no_room(call.params[1], *tenant);
}

Response RestApi::Impl::patch_conference_room(const Call& call) const {
  static constexpr std::array<std::string_view, 4> kFields{"name", "pin", "moderator_pin",
                                                           "max_participants"};
  Response failure;
  const auto tenant = visible_tenant(*call.principal, call.params[0], failure);
  if (!tenant) return failure;
  if (options_.conference_rooms == nullptr) return unavailable();
  auto body = read_body(call.request, kFields, failure);
  if (!body) return failure;
  BodyError error;
  const auto [name, pin, moderator_pin, cap] = read_room_settings(*body, error);
  if (!error.detail.empty()) return body_problem(error);
  auto rooms = options_.conference_rooms->list_conference_rooms(tenant->id);
  if (!rooms) return store_problem(rooms.error());
  const auto before = std::find_if(rooms->begin(), rooms->end(),
                                   [&](const auto& room) { return room.number == call.params[1]; });
  if (before == rooms->end()) return no_room(call.params[1], *tenant);
  store::ConferenceRoom after = *before;
  if (name) {
    if (auto valid = store::check_display_name(*name); !valid) {
      return problem(400, valid.error().message, "name");
    }
    after.name = *name;
  }
  if (pin) {
    if (auto valid = store::check_room_pin(*pin); !valid) {
      return problem(400, valid.error().message, "pin");
    }
    after.pin = *pin;
  }
  if (moderator_pin) after.moderator_pin = *moderator_pin;
  if (auto valid = store::check_moderator_pin(after.moderator_pin, after.pin); !valid) {
    // Blame the input that was sent: a new room PIN may clash with the kept moderator PIN.
    return problem(400, valid.error().message, moderator_pin ? "moderator_pin" : "pin");
  }
  if (cap) after.max_participants = static_cast<std::uint32_t>(*cap);
  auto updated = options_.conference_rooms->update_conference_room(after);
  if (!updated) {
    if (store::is_error(updated.error(), store::StoreError::kNotFound)) {
      return no_room(call.params[1], *tenant);  // removed in between
    }
    return write_refused(updated.error(), "name");
  }
  directory_changed();
  return json_response(200, room_json(*updated));
}

Response RestApi::Impl::delete_conference_room(const Call& call) const {
  Response failure;
  const auto tenant = visible_tenant(*call.principal, call.params[0], failure);
  if (!tenant) return failure;
  if (options_.conference_rooms == nullptr) return unavailable();
  auto removed = options_.conference_rooms->remove_conference_room(tenant->id, call.params[1]);
  if (!removed) {
    if (store::is_error(removed.error(), store::StoreError::kNotFound) ||
        store::is_error(removed.error(), store::StoreError::kInvalidInput)) {
      return no_room(call.params[1], *tenant);
    }
    return store_problem(removed.error());
  }
  directory_changed();
  return no_content();
}

std::optional<RestApi::Impl::SteeredRoom> RestApi::Impl::steered_room(const Call& call,
                                                                      Response& failure) const {
  const auto tenant = visible_tenant(*call.principal, call.params[0], failure);
  if (!tenant) return std::nullopt;
  if (options_.conference_rooms == nullptr || options_.conference_control == nullptr) {
    failure = unavailable();
    return std::nullopt;
  }
  auto rooms = options_.conference_rooms->list_conference_rooms(tenant->id);
  if (!rooms) {
    failure = store_problem(rooms.error());
    return std::nullopt;
  }
  const std::string& number = call.params[1];
  const bool exists = std::any_of(rooms->begin(), rooms->end(),
                                  [&](const auto& room) { return room.number == number; });
  if (!exists) {
    failure = no_room(number, *tenant);
    return std::nullopt;
  }
  auto people = options_.conference_control->participants(tenant->id, number);
  if (!is_admin(*call.principal)) {
    const bool moderates = std::any_of(people.begin(), people.end(), [&](const auto& person) {
      return person.moderator && person.caller == call.principal->extension;
    });
    if (!moderates) {
      failure = no_room(number, *tenant);
      return std::nullopt;
    }
  }
  return SteeredRoom{*tenant, number, std::move(people)};
}

Response RestApi::Impl::list_conference_participants(const Call& call) const {
  Response failure;
  auto room = steered_room(call, failure);
  if (!room) return failure;
  nlohmann::json items = nlohmann::json::array();
  for (const ConferenceParticipant& participant : room->participants) {
    items.push_back(participant_json(participant));
  }
  return json_response(200, {{"items", std::move(items)}});
}

Response RestApi::Impl::mute_conference_participant(const Call& call) const {
  return set_participant_muted(call, true);
}

Response RestApi::Impl::unmute_conference_participant(const Call& call) const {
  return set_participant_muted(call, false);
}

Response RestApi::Impl::set_participant_muted(const Call& call, bool muted) const {
  Response failure;
  auto room = steered_room(call, failure);
  if (!room) return failure;
  const std::string& id = call.params[2];
  if (options_.conference_control->set_muted(room->tenant.id, room->number, id, muted) ==
      ParticipantOutcome::kNotFound) {
    return no_participant();
  }
  for (const ConferenceParticipant& participant :
       options_.conference_control->participants(room->tenant.id, room->number)) {
    if (participant.id == id) return json_response(200, participant_json(participant));
  }
  return no_participant();  // left in between
}

Response RestApi::Impl::remove_conference_participant(const Call& call) const {
  Response failure;
  auto room = steered_room(call, failure);
  if (!room) return failure;
  if (options_.conference_control->remove(room->tenant.id, room->number, call.params[2]) ==
      ParticipantOutcome::kNotFound) {
    return no_participant();
  }
  Response response;
  response.status = 204;
  response.headers.set("Cache-Control", "no-store");
  return response;
}

}  // namespace parley::http::api
