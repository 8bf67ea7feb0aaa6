// Conference rooms over the REST API, in process against a real SQLite store: round trip, the
// PIN kept write-only, validation naming the field, the shared number space, tenant scoping
// (another tenant's rooms answer 404 like missing ones, users get 403, no CSRF no change) and
// the reload hook. tests/integration/api_rooms_queues_test.py drives them over HTTPS.

#include <array>

#include "api_route_fixture.hpp"

namespace parley::http::api {
namespace {

using nlohmann::json;
using ConferenceRoutesTest = test_support::ApiRouteTest;

constexpr std::string_view kRooms = "/api/v1/tenants/example.com/conference-rooms";

TEST_F(ConferenceRoutesTest, RoomRoundTripsThroughCreateListGetAndDelete) {
  const Response created =
      as_boss("POST", std::string(kRooms),
              R"({"number":"800","name":"Board","pin":"4321","max_participants":10})");
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.headers.find("Location"), "/api/v1/tenants/example.com/conference-rooms/800");
  const json room = body_of(created);
  EXPECT_EQ(room["name"], "Board");
  EXPECT_EQ(room["has_pin"], true);
  EXPECT_EQ(room["max_participants"], 10);
  EXPECT_FALSE(room.contains("pin")) << "the PIN is write-only";
  EXPECT_EQ(reloads_, 1);
  EXPECT_EQ(store_->list_conference_rooms(example_.id)->at(0).pin, "4321");

  ASSERT_EQ(as_boss("POST", std::string(kRooms), R"({"number":"801"})").status, 201);
  const json listed = body_of(as_boss("GET", std::string(kRooms) + "?limit=1"));
  ASSERT_EQ(listed["items"].size(), 1U);
  EXPECT_EQ(listed["items"][0]["number"], "800");
  EXPECT_EQ(listed["next_cursor"], "800");
  const json rest = body_of(as_boss("GET", std::string(kRooms) + "?limit=1&cursor=800"));
  ASSERT_EQ(rest["items"].size(), 1U);
  EXPECT_EQ(rest["items"][0]["number"], "801");
  EXPECT_EQ(rest["items"][0]["has_pin"], false);
  EXPECT_EQ(rest["items"][0]["max_participants"], store::kDefaultRoomParticipants);
  EXPECT_TRUE(rest["next_cursor"].is_null());

  const Response one = as_boss("GET", std::string(kRooms) + "/800");
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(body_of(one)["name"], "Board");

  EXPECT_EQ(as_boss("DELETE", std::string(kRooms) + "/800").status, 204);
  EXPECT_EQ(as_boss("GET", std::string(kRooms) + "/800").status, 404);
  EXPECT_EQ(as_boss("DELETE", std::string(kRooms) + "/800").status, 404);
  EXPECT_EQ(store_->list_conference_rooms(example_.id)->size(), 1U);
  EXPECT_EQ(reloads_, 3);
}

TEST_F(ConferenceRoutesTest, RoomInputIsCheckedAndNothingChangesOnRefusal) {
  const auto field_of = [&](const std::string& body) {
    const Response response = as_boss("POST", std::string(kRooms), body);
    EXPECT_EQ(response.status, 400) << body;
    EXPECT_EQ(response.headers.find("Content-Type"), "application/problem+json");
    return body_of(response).value("field", "");
  };
  EXPECT_EQ(field_of(R"({"name":"No number"})"), "number");
  EXPECT_EQ(field_of(R"({"number":"8x"})"), "number");
  EXPECT_EQ(field_of(R"({"number":"800","pin":"12"})"), "pin");
  EXPECT_EQ(field_of(R"({"number":"800","pin":"12ab"})"), "pin");
  EXPECT_EQ(field_of(R"({"number":"800","pin":1234})"), "pin");
  EXPECT_EQ(field_of(R"({"number":"800","max_participants":1})"), "max_participants");
  EXPECT_EQ(field_of(R"({"number":"800","max_participants":500})"), "max_participants");
  EXPECT_EQ(field_of(R"({"number":"800","name":"bad\u0001name"})"), "name");
  EXPECT_EQ(field_of(R"({"number":"800","colour":"red"})"), "colour");
  EXPECT_EQ(as_boss("POST", std::string(kRooms), "{not json").status, 400);

  // Rooms, extensions, ring groups and queues share one number space.
  const Response taken = as_boss("POST", std::string(kRooms), R"({"number":"1001"})");
  EXPECT_EQ(taken.status, 409);
  EXPECT_EQ(body_of(taken)["field"], "number");
  ASSERT_TRUE(store_->add_call_queue({.tenant_id = example_.id, .number = "850"}));
  EXPECT_EQ(as_boss("POST", std::string(kRooms), R"({"number":"850"})").status, 409);
  ASSERT_EQ(as_boss("POST", std::string(kRooms), R"({"number":"800"})").status, 201);
  EXPECT_EQ(as_boss("POST", std::string(kRooms), R"({"number":"800"})").status, 409);
  EXPECT_EQ(store_->list_conference_rooms(example_.id)->size(), 1U);
  EXPECT_EQ(reloads_, 1);
}

// Decision 0054: PATCH changes a room in place; absent members keep theirs, "" removes a PIN,
// and a refusal (beside its field) leaves every setting as it was.
TEST_F(ConferenceRoutesTest, RoomChangesInPlaceWholeOrNotAtAll) {
  ASSERT_EQ(as_boss("POST", std::string(kRooms),
                    R"({"number":"800","name":"Board","pin":"1357","max_participants":10})")
                .status,
            201);
  const std::string room = std::string(kRooms) + "/800";
  const Response patched =
      as_boss("PATCH", room, R"({"pin":"2468","moderator_pin":"9876","max_participants":4})");
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(body_of(patched)["name"], "Board") << "absent: kept";
  EXPECT_EQ(body_of(patched)["has_moderator_pin"], true);
  EXPECT_EQ(body_of(patched)["max_participants"], 4);
  EXPECT_FALSE(body_of(patched).contains("pin")) << "the PIN is write-only";
  auto stored = store_->list_conference_rooms(example_.id);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->at(0).pin, "2468");
  EXPECT_EQ(stored->at(0).moderator_pin, "9876");
  EXPECT_EQ(reloads_, 2);

  const auto field_of = [&](const std::string& body) {
    const Response response = as_boss("PATCH", room, body);
    EXPECT_EQ(response.status, 400) << body;
    EXPECT_EQ(response.headers.find("Content-Type"), "application/problem+json");
    return body_of(response).value("field", "");
  };
  EXPECT_EQ(field_of(R"({"name":"Renamed","pin":"12"})"), "pin");
  EXPECT_EQ(field_of(R"({"name":"Renamed","pin":"9876"})"), "pin");  // the moderator PIN's
  EXPECT_EQ(field_of(R"({"name":"Renamed","moderator_pin":"2468"})"), "moderator_pin");
  EXPECT_EQ(field_of(R"({"name":"Renamed","moderator_pin":"12ab"})"), "moderator_pin");
  EXPECT_EQ(field_of(R"({"name":"Renamed","max_participants":129})"), "max_participants");
  EXPECT_EQ(field_of(R"({"name":"bad\u0001name","pin":""})"), "name");
  EXPECT_EQ(field_of(R"({"number":"801"})"), "number");  // not changed in place
  stored = store_->list_conference_rooms(example_.id);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->at(0).name, "Board");
  EXPECT_EQ(stored->at(0).pin, "2468");
  EXPECT_EQ(stored->at(0).max_participants, 4U);
  EXPECT_EQ(reloads_, 2) << "a refusal reloads nothing";

  const Response cleared = as_boss("PATCH", room, R"({"pin":"","moderator_pin":""})");
  ASSERT_EQ(cleared.status, 200) << cleared.body;
  EXPECT_EQ(body_of(cleared)["has_pin"], false);
  EXPECT_EQ(body_of(cleared)["has_moderator_pin"], false);
  EXPECT_EQ(as_boss("PATCH", std::string(kRooms) + "/801", R"({"name":"x"})").status, 404);
}

TEST_F(ConferenceRoutesTest, TenantAdminSeesNothingOfAnotherTenantAndUsersNothingAtAll) {
  ASSERT_TRUE(store_->add_conference_room({.tenant_id = other_.id, .number = "900"}));
  const std::string other = "/api/v1/tenants/other.org/conference-rooms";
  for (const auto& [method, path, body] :
       std::vector<std::array<std::string, 3>>{{"GET", other, ""},
                                               {"POST", other, R"({"number":"901"})"},
                                               {"GET", other + "/900", ""},
                                               {"PATCH", other + "/900", R"({"pin":"1234"})"},
                                               {"DELETE", other + "/900", ""}}) {
    const Response response = as_boss(method, path, body);
    EXPECT_EQ(response.status, 404) << method << " " << path;
    EXPECT_EQ(body_of(response)["detail"], "no tenant other.org");
  }
  EXPECT_EQ(store_->list_conference_rooms(other_.id)->size(), 1U);
  EXPECT_TRUE(store_->list_conference_rooms(other_.id)->at(0).pin.empty());

  const Session root = login("root", "root-password");
  EXPECT_EQ(send("GET", other + "/900", "", &root).status, 200);
  const Session user = login("1001@example.com", "sip-secret-1001");
  EXPECT_EQ(send("GET", std::string(kRooms), "", &user).status, 403);
  Session no_csrf = boss_;
  no_csrf.csrf = "wrong";
  EXPECT_EQ(send("POST", std::string(kRooms), R"({"number":"850"})", &no_csrf).status, 403);
  EXPECT_TRUE(store_->list_conference_rooms(example_.id)->empty());
  EXPECT_EQ(send("GET", std::string(kRooms), "", nullptr).status, 401);
}

TEST_F(ConferenceRoutesTest, AnswersServiceUnavailableWithoutAStore) {
  make_api(false);
  const Response response = as_boss("GET", std::string(kRooms));
  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(response.headers.find("Content-Type"), "application/problem+json");
}

}  // namespace
}  // namespace parley::http::api
