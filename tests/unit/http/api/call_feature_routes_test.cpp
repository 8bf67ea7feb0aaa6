// Ring groups, forwarding and do-not-disturb over the REST API, in process against a real
// SQLite store: round trips, validation naming the field, tenant scoping (another tenant's
// resources answer 404 like missing ones, users get 403) and the dial-plan reload hook.
// tests/integration/api_call_features_test.py drives the same routes over HTTPS with calls.

#include <array>
#include <string>
#include <vector>

#include "api_route_fixture.hpp"

namespace parley::http::api {
namespace {

using nlohmann::json;
using CallFeatureRoutesTest = test_support::ApiRouteTest;

constexpr std::string_view kGroups = "/api/v1/tenants/example.com/ring-groups";

TEST_F(CallFeatureRoutesTest, RingGroupRoundTripsThroughCreateListPatchAndDelete) {
  const Response created =
      as_boss("POST", std::string(kGroups),
              R"({"number":"600","name":"Sales","strategy":"hunt","member_timeout_seconds":10,)"
              R"("members":["1002","1001"],"final_destination":"voicemail:1003"})");
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.headers.find("Location"), "/api/v1/tenants/example.com/ring-groups/600");
  EXPECT_EQ(body_of(created)["strategy"], "hunt");
  EXPECT_EQ(body_of(created)["members"], json::array({"1002", "1001"}));
  EXPECT_EQ(body_of(created)["final_destination"], "voicemail:1003");
  EXPECT_EQ(reloads_, 1);

  const json listed = body_of(as_boss("GET", std::string(kGroups)));
  ASSERT_EQ(listed["items"].size(), 1U);
  EXPECT_EQ(listed["items"][0]["name"], "Sales");
  EXPECT_EQ(listed["items"][0]["member_timeout_seconds"], 10);
  EXPECT_TRUE(listed["next_cursor"].is_null());

  const Response patched =
      as_boss("PATCH", std::string(kGroups) + "/600", R"({"members":["1003"]})");
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(body_of(patched)["members"], json::array({"1003"}));
  EXPECT_EQ(store_->get_ring_group(example_.id, "600")->members, std::vector<std::string>{"1003"});
  EXPECT_EQ(reloads_, 2);

  EXPECT_EQ(as_boss("DELETE", std::string(kGroups) + "/600").status, 204);
  EXPECT_EQ(as_boss("GET", std::string(kGroups) + "/600").status, 404);
  EXPECT_EQ(as_boss("DELETE", std::string(kGroups) + "/600").status, 404);
  EXPECT_EQ(reloads_, 3);
}

TEST_F(CallFeatureRoutesTest, RingGroupInputIsCheckedAndNothingChangesOnRefusal) {
  const auto field_of = [&](const std::string& body) {
    const Response response = as_boss("POST", std::string(kGroups), body);
    EXPECT_EQ(response.status, 400) << body;
    EXPECT_EQ(response.headers.find("Content-Type"), "application/problem+json");
    return body_of(response).value("field", "");
  };
  EXPECT_EQ(field_of(R"({"name":"No number"})"), "number");
  EXPECT_EQ(field_of(R"({"number":"6x"})"), "number");
  EXPECT_EQ(field_of(R"({"number":"600","strategy":"random"})"), "strategy");
  EXPECT_EQ(field_of(R"({"number":"600","member_timeout_seconds":2})"), "member_timeout_seconds");
  EXPECT_EQ(field_of(R"({"number":"600","member_timeout_seconds":1.5})"), "member_timeout_seconds");
  EXPECT_EQ(field_of(R"({"number":"600","members":"1001"})"), "members");
  EXPECT_EQ(field_of(R"({"number":"600","members":["1001","1001"]})"), "members");
  EXPECT_EQ(field_of(R"({"number":"600","members":["2001"]})"), "members");  // other tenant's
  EXPECT_EQ(field_of(R"({"number":"600","final_destination":"nowhere!"})"), "final_destination");
  EXPECT_EQ(field_of(R"({"number":"600","final_destination":"4242"})"), "final_destination");
  EXPECT_EQ(field_of(R"({"number":"600","color":"red"})"), "color");

  // Extensions and ring groups share one number space.
  EXPECT_EQ(as_boss("POST", std::string(kGroups), R"({"number":"1001"})").status, 409);
  ASSERT_EQ(as_boss("POST", std::string(kGroups), R"({"number":"600"})").status, 201);
  EXPECT_EQ(as_boss("POST", std::string(kGroups), R"({"number":"600"})").status, 409);
  EXPECT_EQ(as_boss("PATCH", std::string(kGroups) + "/600", R"({"members":["9999"]})").status, 400);
  EXPECT_EQ(as_boss("PATCH", std::string(kGroups) + "/600", R"({"number":"601"})").status, 400);
  EXPECT_EQ(as_boss("PATCH", std::string(kGroups) + "/601", R"({"members":[]})").status, 404);
  EXPECT_TRUE(store_->get_ring_group(example_.id, "600")->members.empty());
  EXPECT_EQ(reloads_, 1);
}

// Decision 0054: PATCH changes any setting of a group; absent members keep theirs, and a
// refusal of any part (beside its field) leaves the whole group as it was.
TEST_F(CallFeatureRoutesTest, RingGroupSettingsChangeInPlaceWholeOrNotAtAll) {
  ASSERT_EQ(
      as_boss("POST", std::string(kGroups), R"({"number":"600","name":"Sales","members":["1001"]})")
          .status,
      201);
  const std::string group = std::string(kGroups) + "/600";
  const Response patched =
      as_boss("PATCH", group,
              R"({"name":"Support","strategy":"hunt","member_timeout_seconds":30,)"
              R"("final_destination":"voicemail:1002"})");
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(body_of(patched)["name"], "Support");
  EXPECT_EQ(body_of(patched)["strategy"], "hunt");
  EXPECT_EQ(body_of(patched)["member_timeout_seconds"], 30);
  EXPECT_EQ(body_of(patched)["final_destination"], "voicemail:1002");
  EXPECT_EQ(body_of(patched)["members"], json::array({"1001"})) << "absent: kept";
  EXPECT_EQ(reloads_, 2);

  const auto field_of = [&](const std::string& body) {
    const Response response = as_boss("PATCH", group, body);
    EXPECT_EQ(response.status, 400) << body;
    return body_of(response).value("field", "");
  };
  EXPECT_EQ(field_of(R"({"name":"Renamed","members":["1001","9999"]})"), "members");
  EXPECT_EQ(field_of(R"({"name":"Renamed","final_destination":"600"})"), "final_destination");
  EXPECT_EQ(field_of(R"({"name":"Renamed","final_destination":"4242"})"), "final_destination");
  EXPECT_EQ(field_of(R"({"name":"Renamed","strategy":"random"})"), "strategy");
  EXPECT_EQ(field_of(R"({"name":"Renamed","member_timeout_seconds":601})"),
            "member_timeout_seconds");
  EXPECT_EQ(field_of(R"({"name":"bad\u0001name","members":[]})"), "name");
  const auto stored = store_->get_ring_group(example_.id, "600");
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->name, "Support");
  EXPECT_EQ(stored->members, std::vector<std::string>{"1001"});
  EXPECT_EQ(stored->member_timeout_seconds, 30U);
  EXPECT_EQ(store::to_text(stored->final_destination), "voicemail:1002");
  EXPECT_EQ(reloads_, 2) << "a refusal reloads nothing";

  EXPECT_EQ(as_boss("PATCH", std::string(kGroups) + "/601", R"({"name":"x"})").status, 404);
}

TEST_F(CallFeatureRoutesTest, ForwardingAndDoNotDisturbRoundTrip) {
  const std::string base = "/api/v1/tenants/example.com/extensions/1002";
  const json initial = body_of(as_boss("GET", base + "/call-features"));
  EXPECT_EQ(initial, (json{{"number", "1002"}, {"dnd", false}, {"forwards", json::array()}}));

  Response set = as_boss("PUT", base + "/forwards/no-answer",
                         R"({"destination":"1003","no_answer_seconds":12})");
  ASSERT_EQ(set.status, 200) << set.body;
  set = as_boss("PUT", base + "/forwards/busy", R"({"destination":"voicemail"})");
  ASSERT_EQ(set.status, 200) << set.body;
  const json forwards = body_of(set)["forwards"];
  ASSERT_EQ(forwards.size(), 2U);
  EXPECT_EQ(forwards[0], (json{{"condition", "busy"}, {"destination", "voicemail:1002"}}));
  EXPECT_EQ(forwards[1],
            (json{{"condition", "no-answer"}, {"destination", "1003"}, {"no_answer_seconds", 12}}));

  const Response dnd = as_boss("PATCH", base + "/call-features", R"({"dnd":true})");
  ASSERT_EQ(dnd.status, 200) << dnd.body;
  EXPECT_TRUE(body_of(dnd)["dnd"]);
  EXPECT_TRUE(store_->get_call_features(example_.id, "1002")->dnd);

  EXPECT_EQ(as_boss("DELETE", base + "/forwards/busy").status, 204);
  EXPECT_EQ(as_boss("DELETE", base + "/forwards/busy").status, 404);
  EXPECT_EQ(store_->get_call_features(example_.id, "1002")->forwards.size(), 1U);
  EXPECT_EQ(reloads_, 4);
}

TEST_F(CallFeatureRoutesTest, ForwardingInputIsCheckedNamingTheField) {
  const std::string base = "/api/v1/tenants/example.com/extensions/1002";
  const auto refused = [&](const std::string& condition, const std::string& body) {
    const Response response = as_boss("PUT", base + "/forwards/" + condition, body);
    EXPECT_EQ(response.status, 400) << condition << " " << body;
    return body_of(response).value("field", "");
  };
  EXPECT_EQ(refused("always", R"({})"), "destination");
  EXPECT_EQ(refused("always", R"({"destination":"1002"})"), "destination");  // itself
  EXPECT_EQ(refused("always", R"({"destination":"hangup"})"), "destination");
  EXPECT_EQ(refused("always", R"({"destination":"2001"})"), "destination");  // other tenant
  EXPECT_EQ(refused("always", R"({"destination":"1003","no_answer_seconds":20})"),
            "no_answer_seconds");
  EXPECT_EQ(refused("no-answer", R"({"destination":"1003","no_answer_seconds":4})"),
            "no_answer_seconds");
  EXPECT_EQ(as_boss("PUT", base + "/forwards/sometimes", R"({"destination":"1003"})").status, 404);
  EXPECT_EQ(as_boss("PUT", "/api/v1/tenants/example.com/extensions/10x/forwards/always",
                    R"({"destination":"1003"})")
                .status,
            404);
  EXPECT_EQ(as_boss("PATCH", base + "/call-features", R"({"dnd":"yes"})").status, 400);
  EXPECT_EQ(as_boss("PATCH", base + "/call-features", R"({})").status, 400);
  EXPECT_EQ(as_boss("GET", "/api/v1/tenants/example.com/extensions/1099/call-features").status,
            404);
  EXPECT_TRUE(store_->get_call_features(example_.id, "1002")->forwards.empty());
  EXPECT_EQ(reloads_, 0);
}

TEST_F(CallFeatureRoutesTest, TenantAdminSeesNothingOfAnotherTenantAndUsersOnlyTheirOwn) {
  ASSERT_TRUE(store_->add_ring_group({.tenant_id = other_.id, .number = "700"}));
  const std::string other = "/api/v1/tenants/other.org";
  for (const auto& [method, path, body] : std::vector<std::array<std::string, 3>>{
           {"GET", other + "/ring-groups", ""},
           {"POST", other + "/ring-groups", R"({"number":"701"})"},
           {"GET", other + "/ring-groups/700", ""},
           {"PATCH", other + "/ring-groups/700", R"({"members":["2001"]})"},
           {"DELETE", other + "/ring-groups/700", ""},
           {"GET", other + "/extensions/2001/call-features", ""},
           {"PATCH", other + "/extensions/2001/call-features", R"({"dnd":true})"},
           {"PUT", other + "/extensions/2001/forwards/always", R"({"destination":"2001"})"},
           {"DELETE", other + "/extensions/2001/forwards/always", ""}}) {
    const Response response = as_boss(method, path, body);
    EXPECT_EQ(response.status, 404) << method << " " << path;
    EXPECT_EQ(body_of(response)["detail"], "no tenant other.org");
  }
  EXPECT_TRUE(store_->get_ring_group(other_.id, "700").ok());
  EXPECT_FALSE(store_->get_call_features(other_.id, "2001")->dnd);

  // The system admin reaches it; an extension's user is refused the admin routes and another
  // extension's forwarding, and sets only their own (issue 10: DND from the web app).
  const Session root = login("root", "root-password");
  EXPECT_EQ(send("GET", other + "/ring-groups/700", "", &root).status, 200);
  const Session user = login("1001@example.com", "sip-secret-1001");
  EXPECT_EQ(send("GET", std::string(kGroups), "", &user).status, 403);
  const std::string mine = "/api/v1/tenants/example.com/extensions/1001";
  const std::string theirs = "/api/v1/tenants/example.com/extensions/1002";
  EXPECT_EQ(send("PATCH", theirs + "/call-features", R"({"dnd":true})", &user).status, 403);
  EXPECT_EQ(send("PUT", theirs + "/forwards/always", R"({"destination":"1001"})", &user).status,
            403);
  EXPECT_EQ(send("GET", theirs + "/call-features", "", &user).status, 403);
  EXPECT_FALSE(store_->get_call_features(example_.id, "1002")->dnd);
  EXPECT_EQ(send("GET", other + "/extensions/2001/call-features", "", &user).status, 404);
  const Response dnd = send("PATCH", mine + "/call-features", R"({"dnd":true})", &user);
  EXPECT_EQ(dnd.status, 200) << dnd.body;
  EXPECT_TRUE(store_->get_call_features(example_.id, "1001")->dnd);
  EXPECT_EQ(
      send("PUT", mine + "/forwards/busy", R"({"destination":"voicemail:1001"})", &user).status,
      200);
  EXPECT_EQ(send("DELETE", mine + "/forwards/busy", "", &user).status, 204);
  // Without the CSRF token a cookie session changes nothing.
  Session no_csrf = boss_;
  no_csrf.csrf = "wrong";
  EXPECT_EQ(send("POST", std::string(kGroups), R"({"number":"650"})", &no_csrf).status, 403);
  EXPECT_EQ(store_->get_ring_group(example_.id, "650").error().code,
            static_cast<int>(store::StoreError::kNotFound));
}

TEST_F(CallFeatureRoutesTest, AnswersServiceUnavailableWithoutAStore) {
  make_api(/*with_stores=*/false);
  const Response response = as_boss("GET", std::string(kGroups));
  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(response.headers.find("Content-Type"), "application/problem+json");
}

}  // namespace
}  // namespace parley::http::api
