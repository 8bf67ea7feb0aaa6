// Conference rooms over the API (issue 9, on top of the rooms of issue 7). Each write is one
// ConferenceStore call, so one transaction. The PIN is write-only: the API answers whether a
// room has one, never the digits (the CLI lists them the same way). The running server's rooms
// reload through directory_changed() before the answer leaves.

#include <array>

#include "http/api/api_impl.hpp"
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
          {"max_participants", room.max_participants},
          {"created_at", room.created_at}};
}

Response unavailable() {
  return problem(503, "conference rooms are not available on this server");
}

Response no_room(std::string_view number, const store::Tenant& tenant) {
  return problem(
      404, "no conference room " + std::string(number.substr(0, 40)) + " in " + tenant.domain);
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
  static constexpr std::array<std::string_view, 4> kFields{"number", "name", "pin",
                                                           "max_participants"};
  Response failure;
  const auto tenant = visible_tenant(*call.principal, call.params[0], failure);
  if (!tenant) return failure;
  if (options_.conference_rooms == nullptr) return unavailable();
  auto body = read_body(call.request, kFields, failure);
  if (!body) return failure;
  BodyError error;
  const auto number = body->string("number", error);
  const auto name = body->string("name", error);
  const auto pin = body->string("pin", error);
  const auto cap = body->integer("max_participants", store::kMinRoomParticipants,
                                 store::kMaxRoomParticipants, error);
  if (!error.detail.empty()) return body_problem(error);
  if (!number) return problem(400, "number is required", "number");
  if (auto valid = store::check_extension_number(*number); !valid) {
    return problem(400, valid.error().message, "number");
  }
  if (name) {
    if (auto valid = store::check_display_name(*name); !valid) {
      return problem(400, valid.error().message, "name");
    }
  }
  if (pin) {
    if (auto valid = store::check_room_pin(*pin); !valid) {
      return problem(400, valid.error().message, "pin");
    }
  }
  store::ConferenceRoom room;
  room.tenant_id = tenant->id;
  room.number = *number;
  room.name = name.value_or("");
  room.pin = pin.value_or("");
  if (cap) room.max_participants = static_cast<std::uint32_t>(*cap);
  auto added = options_.conference_rooms->add_conference_room(room);
  if (!added) {
    if (store::is_error(added.error(), store::StoreError::kInvalidInput)) {
      return problem(400, added.error().message, "number");
    }
    if (store::is_error(added.error(), store::StoreError::kConflict)) {
      return problem(409, added.error().message, "number");
    }
    return store_problem(added.error());
  }
  directory_changed();
  Response response = json_response(201, room_json(*added));
  response.headers.set("Location",
                       "/api/v1/tenants/" + tenant->domain + "/conference-rooms/" + added->number);
  return response;
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
  Response response;
  response.status = 204;
  response.headers.set("Cache-Control", "no-store");
  return response;
}

}  // namespace parley::http::api
