// IVR menus and schedules over the REST API, in process against a real SQLite store: round trip
// with the digit options, validation naming the field (and nothing stored on refusal), the name
// space menus and schedules share, an options change applied whole or not at all, tenant
// scoping and the reload hook. tests/integration/api_ivr_voicemail_test.py drives them over
// HTTPS and places calls to them.

#include <filesystem>
#include <fstream>

#include "api_route_fixture.hpp"

namespace parley::http::api {
namespace {

using nlohmann::json;

class IvrRoutesTest : public test_support::ApiRouteTest {
 protected:
  static constexpr std::string_view kMenus = "/api/v1/tenants/example.com/ivrs";
  static constexpr std::string_view kSchedules = "/api/v1/tenants/example.com/schedules";

  std::string field_of(std::string_view path, const std::string& body, int status = 400) {
    const Response response = as_boss("POST", std::string(path), body);
    EXPECT_EQ(response.status, status) << body << " -> " << response.body;
    EXPECT_EQ(response.headers.find("Content-Type"), "application/problem+json");
    return body_of(response).value("field", "");
  }
};

TEST_F(IvrRoutesTest, MenuRoundTripsWithItsOptions) {
  const Response created = as_boss(
      "POST", std::string(kMenus),
      R"({"name":"main","number":"500","greeting_text":"Press 1 for sales","timeout_seconds":7,)"
      R"("max_attempts":2,"fallback":"voicemail:1001","direct_dial":true,)"
      R"("options":{"1":"1002","#":"hangup","0":"menu:main"}})");
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.headers.find("Location"), "/api/v1/tenants/example.com/ivrs/main");
  const json menu = body_of(created);
  EXPECT_EQ(menu["number"], "500");
  EXPECT_EQ(menu["timeout_seconds"], 7);
  EXPECT_EQ(menu["direct_dial"], true);
  EXPECT_EQ(menu["has_greeting_file"], false);
  EXPECT_EQ(menu["options"], json::parse(R"({"0":"menu:main","1":"1002","#":"hangup"})"));
  EXPECT_EQ(reloads_, 1);

  // PATCH replaces the options as a whole and keeps what it does not name.
  const Response patched = as_boss("PATCH", std::string(kMenus) + "/main",
                                   R"({"options":{"2":"1003"},"max_attempts":4})");
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(body_of(patched)["options"], json::parse(R"({"2":"1003"})"));
  EXPECT_EQ(body_of(patched)["max_attempts"], 4);
  EXPECT_EQ(body_of(patched)["greeting_text"], "Press 1 for sales");
  const auto stored = store_->list_ivr_menus(example_.id);
  ASSERT_TRUE(stored && stored->size() == 1U);
  ASSERT_EQ(stored->at(0).options.size(), 1U);
  EXPECT_EQ(stored->at(0).options[0].digit, '2');

  ASSERT_EQ(as_boss("POST", std::string(kMenus), R"({"name":"after"})").status, 201);
  const json first = body_of(as_boss("GET", std::string(kMenus) + "?limit=1"));
  ASSERT_EQ(first["items"].size(), 1U);
  EXPECT_EQ(first["items"][0]["name"], "after");
  EXPECT_EQ(first["next_cursor"], "after");
  const json rest = body_of(as_boss("GET", std::string(kMenus) + "?limit=1&cursor=after"));
  ASSERT_EQ(rest["items"].size(), 1U);
  EXPECT_EQ(rest["items"][0]["name"], "main");
  EXPECT_TRUE(rest["next_cursor"].is_null());

  EXPECT_EQ(as_boss("DELETE", std::string(kMenus) + "/main").status, 204);
  EXPECT_EQ(as_boss("GET", std::string(kMenus) + "/main").status, 404);
  EXPECT_EQ(as_boss("DELETE", std::string(kMenus) + "/main").status, 404);
}

TEST_F(IvrRoutesTest, MenuInputIsCheckedBesideItsFieldAndNothingIsStored) {
  EXPECT_EQ(field_of(kMenus, R"({"number":"500"})"), "name");
  EXPECT_EQ(field_of(kMenus, R"({"name":"Main Menu"})"), "name");
  EXPECT_EQ(field_of(kMenus, R"({"name":"m","number":"5x"})"), "number");
  EXPECT_EQ(field_of(kMenus, R"({"name":"m","timeout_seconds":0})"), "timeout_seconds");
  EXPECT_EQ(field_of(kMenus, R"({"name":"m","max_attempts":11})"), "max_attempts");
  EXPECT_EQ(field_of(kMenus, R"({"name":"m","fallback":"../../etc"})"), "fallback");
  EXPECT_EQ(field_of(kMenus, R"({"name":"m","options":{"x":"1001"}})"), "options");
  EXPECT_EQ(field_of(kMenus, R"({"name":"m","options":{"1":"voicemail:abc"}})"), "options");
  EXPECT_EQ(field_of(kMenus, R"({"name":"m","options":["1001"]})"), "options");
  EXPECT_EQ(field_of(kMenus, R"({"name":"m","greeting_text":")" + std::string(1001, 'a') + "\"}"),
            "greeting_text");
  EXPECT_EQ(field_of(kMenus, R"({"name":"m","number":"1001"})", 409), "number")
      << "an extension's number";
  EXPECT_EQ(field_of(kMenus, R"({"name":"m","surprise":1})"), "surprise");
  EXPECT_TRUE(store_->list_ivr_menus(example_.id)->empty());
  EXPECT_EQ(reloads_, 0);
}

TEST_F(IvrRoutesTest, RefusedOptionsChangeLeavesTheMenuAsItWas) {
  ASSERT_EQ(
      as_boss("POST", std::string(kMenus), R"({"name":"main","options":{"1":"1002"}})").status,
      201);
  const Response refused = as_boss("PATCH", std::string(kMenus) + "/main",
                                   R"({"timeout_seconds":9,"options":{"2":"bogus dest"}})");
  EXPECT_EQ(refused.status, 400);
  EXPECT_EQ(body_of(refused)["field"], "options");
  const json menu = body_of(as_boss("GET", std::string(kMenus) + "/main"));
  EXPECT_EQ(menu["timeout_seconds"], store::kDefaultIvrTimeoutSeconds);
  EXPECT_EQ(menu["options"], json::parse(R"({"1":"1002"})"));
}

TEST_F(IvrRoutesTest, ScheduleRoundTripsAndChecksZoneHoursAndDestinations) {
  const std::filesystem::path zones = dir_.path() / "zoneinfo";
  std::filesystem::create_directories(zones / "Europe");
  std::ofstream(zones / "Europe" / "Berlin") << "TZif";
  RestApiOptions options;
  options.ivr = store_.get();
  options.zoneinfo_dir = zones;
  api_ = std::make_unique<RestApi>(*store_, *store_, clock_, options);

  EXPECT_EQ(field_of(kSchedules, R"({"name":"day","closed_destination":"hangup"})"),
            "open_destination");
  EXPECT_EQ(field_of(kSchedules,
                     R"({"name":"day","open_destination":"1001","closed_destination":"hangup",)"
                     R"("time_zone":"Mars/Olympus"})"),
            "time_zone");
  EXPECT_EQ(field_of(kSchedules,
                     R"({"name":"day","open_destination":"1001","closed_destination":"hangup",)"
                     R"("hours":"someday 25:00-26:00"})"),
            "hours");
  EXPECT_EQ(field_of(kSchedules,
                     R"({"name":"day","open_destination":"1001","closed_destination":"hangup",)"
                     R"("holidays":"2026-13-45"})"),
            "holidays");
  EXPECT_TRUE(store_->list_schedules(example_.id)->empty());

  const Response created =
      as_boss("POST", std::string(kSchedules),
              R"({"name":"day","number":"510","time_zone":"Europe/Berlin",)"
              R"("hours":"mon-fri 09:00-17:00","holidays":"2026-12-25",)"
              R"("open_destination":"1001","closed_destination":"voicemail:1001"})");
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(body_of(created)["time_zone"], "Europe/Berlin");
  EXPECT_EQ(field_of(kMenus, R"({"name":"day"})", 409), "name") << "menus share the name space";

  const Response patched =
      as_boss("PATCH", std::string(kSchedules) + "/day", R"({"closed_destination":"hangup"})");
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(body_of(patched)["closed_destination"], "hangup");
  EXPECT_EQ(body_of(patched)["hours"], "mon-fri 09:00-17:00");
  EXPECT_EQ(store_->list_schedules(example_.id)->at(0).closed_destination, "hangup");
  EXPECT_EQ(as_boss("DELETE", std::string(kSchedules) + "/day").status, 204);
  EXPECT_TRUE(store_->list_schedules(example_.id)->empty());
}

TEST_F(IvrRoutesTest, AnotherTenantsMenusLookMissingAndUsersAreRefused) {
  ASSERT_EQ(as_boss("POST", std::string(kMenus), R"({"name":"main"})").status, 201);
  ASSERT_TRUE(store_->add_admin({"stranger", *hash_password("stranger-password"),
                                 store::AdminRole::kTenantAdmin, other_.id}));
  const Session stranger = login("stranger", "stranger-password");
  EXPECT_EQ(send("GET", std::string(kMenus) + "/main", "", &stranger).status, 404);
  EXPECT_EQ(send("GET", std::string(kMenus), "", &stranger).status, 404);
  EXPECT_EQ(send("DELETE", std::string(kMenus) + "/main", "", &stranger).status, 404);
  EXPECT_EQ(send("GET", std::string(kSchedules), "", &stranger).status, 404);
  const Session user = login("1001@example.com", "sip-secret-1001");
  EXPECT_EQ(send("GET", std::string(kMenus), "", &user).status, 403);
  EXPECT_EQ(store_->list_ivr_menus(example_.id)->size(), 1U);

  make_api(false);
  EXPECT_EQ(as_boss("GET", std::string(kMenus)).status, 503);
}

}  // namespace
}  // namespace parley::http::api
