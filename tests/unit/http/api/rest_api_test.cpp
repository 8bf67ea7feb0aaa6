// The REST API in process (no sockets): RestApi::handle against a real SQLite store. The HTTPS
// path, cookies in a real client and SIP registration are covered by
// tests/integration/api_test.py.

#include "http/api/rest_api.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "http/api/credentials.hpp"
#include "protocol/sip/digest.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "support/temp_dir.hpp"

namespace parley::http::api {
namespace {

using nlohmann::json;
using protocol::sip::DigestAlgorithm;

constexpr store::UnixSeconds kNow = 1'700'000'000;

class RestApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store::sqlite::SqliteStoreOptions options;
    options.data_dir = dir_.path() / "data";
    options.wall_clock = [this] { return now_; };
    store_ = std::move(store::sqlite::SqliteStore::open(options)).value();
    auto example = store_->add_tenant({"example.com", "Example", true});
    auto other = store_->add_tenant({"other.org", "Other", false});
    ASSERT_TRUE(example.ok() && other.ok());
    example_ = *example;
    other_ = *other;
    add_user(example_, "1001", "sip-secret-1001");
    add_user(example_, "1002", "sip-secret-1002");
    add_user(other_, "2001", "sip-secret-2001");
    add_admin("root", store::AdminRole::kSystemAdmin, std::nullopt);
    add_admin("boss", store::AdminRole::kTenantAdmin, example_.id);

    RestApiOptions api_options;
    api_options.version = "9.9.9";
    api_options.wall_clock = [this] { return now_; };
    api_options.directory_changed = [this] { ++directory_changes_; };
    api_options.login_throttle.max_failures_per_ip = 5;
    api_options.login_throttle.ban_duration = std::chrono::seconds(30);
    api_ = std::make_unique<RestApi>(*store_, *store_, clock_, api_options);
  }

  void add_user(const store::Tenant& tenant, const std::string& number,
                const std::string& password) {
    ASSERT_TRUE(store_->add_extension(
        {tenant.id,
         number,
         "User " + number,
         {"", protocol::sip::ha1(DigestAlgorithm::kSha256, number, tenant.domain, password)}}));
  }

  void add_admin(const std::string& name, store::AdminRole role,
                 std::optional<store::TenantId> tenant) {
    ASSERT_TRUE(store_->add_admin({name, *hash_password("admin-password-" + name), role, tenant}));
  }

  Response send(std::string method, std::string target, std::string body = "",
                std::vector<std::pair<std::string, std::string>> headers = {},
                std::string from = "192.0.2.10") {
    Request request;
    request.method = std::move(method);
    request.target = target;
    const auto question = target.find('?');
    request.path = target.substr(0, question);
    if (question != std::string::npos) request.query = target.substr(question + 1);
    request.body = std::move(body);
    if (!request.body.empty()) request.headers.set("Content-Type", "application/json");
    for (auto& [name, value] : headers) request.headers.set(name, std::move(value));
    request.remote = *net::SocketAddress::parse(from + ":40000", 0);
    return api_->handle(request);
  }

  struct Session {
    std::string cookie;
    std::string csrf;
    json who;
  };

  Session login(const std::string& username, const std::string& password) {
    const Response response = send("POST", "/api/v1/session",
                                   json{{"username", username}, {"password", password}}.dump());
    EXPECT_EQ(response.status, 200) << response.body;
    Session session;
    const std::string set_cookie(response.headers.find("Set-Cookie").value_or(""));
    session.cookie = set_cookie.substr(0, set_cookie.find(';'));
    session.who = json::parse(response.body, nullptr, false);
    if (session.who.contains("csrf_token")) session.csrf = session.who["csrf_token"];
    return session;
  }

  Response as(const Session& session, std::string method, std::string target, std::string body = "",
              bool with_csrf = true) {
    std::vector<std::pair<std::string, std::string>> headers{{"Cookie", session.cookie}};
    if (with_csrf) headers.emplace_back("X-CSRF-Token", session.csrf);
    return send(std::move(method), std::move(target), std::move(body), std::move(headers));
  }

  Response with_token(const std::string& token, std::string method, std::string target,
                      std::string body = "") {
    return send(std::move(method), std::move(target), std::move(body),
                {{"Authorization", "Bearer " + token}});
  }

  static json body_of(const Response& response) {
    return json::parse(response.body, nullptr, false);
  }

  test::TempDir dir_;
  store::UnixSeconds now_ = kNow;
  ManualClock clock_;
  std::unique_ptr<store::sqlite::SqliteStore> store_;
  std::unique_ptr<RestApi> api_;
  store::Tenant example_;
  store::Tenant other_;
  int directory_changes_ = 0;
};

TEST_F(RestApiTest, AdminSignsInWithAStrictSessionCookie) {
  const Response response =
      send("POST", "/api/v1/session", R"({"username":"root","password":"admin-password-root"})");
  ASSERT_EQ(response.status, 200) << response.body;
  const std::string cookie(*response.headers.find("Set-Cookie"));
  EXPECT_TRUE(cookie.starts_with("parley_session=")) << cookie;
  for (const char* flag : {"; HttpOnly", "; Secure", "; SameSite=Strict", "; Path=/"}) {
    EXPECT_NE(cookie.find(flag), std::string::npos) << flag << " missing in " << cookie;
  }
  const json who = body_of(response);
  EXPECT_EQ(who["role"], "system_admin");
  EXPECT_EQ(who["username"], "root");
  EXPECT_TRUE(who["tenant"].is_null());
  EXPECT_EQ(who["csrf_token"].get<std::string>().size(), 43U);
  EXPECT_EQ(response.headers.find("Cache-Control"), "no-store");

  Session session{cookie.substr(0, cookie.find(';')), who["csrf_token"], who};
  const Response me = as(session, "GET", "/api/v1/session");
  ASSERT_EQ(me.status, 200);
  EXPECT_EQ(body_of(me)["csrf_token"], who["csrf_token"]);

  // Sign out: the cookie is cleared and no longer works.
  const Response out = as(session, "DELETE", "/api/v1/session");
  EXPECT_EQ(out.status, 204);
  EXPECT_NE(out.headers.find("Set-Cookie")->find("Max-Age=0"), std::string_view::npos);
  EXPECT_EQ(as(session, "GET", "/api/v1/session").status, 401);
}

TEST_F(RestApiTest, WrongPasswordAndUnknownNameGetTheSameAnswer) {
  const Response wrong =
      send("POST", "/api/v1/session", R"({"username":"root","password":"nope"})");
  const Response unknown =
      send("POST", "/api/v1/session", R"({"username":"nobody","password":"nope"})");
  const Response wrong_user =
      send("POST", "/api/v1/session", R"({"username":"1001@example.com","password":"nope"})");
  const Response unknown_user =
      send("POST", "/api/v1/session", R"({"username":"1999@nowhere.net","password":"nope"})");
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(wrong.body, unknown.body);
  EXPECT_EQ(wrong.body, wrong_user.body);
  EXPECT_EQ(wrong.body, unknown_user.body);
  EXPECT_FALSE(wrong.headers.contains("Set-Cookie"));
  EXPECT_EQ(wrong.headers.find("Content-Type"), "application/problem+json");
}

TEST_F(RestApiTest, RepeatedFailuresAreThrottledPerAddress) {
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(
        send("POST", "/api/v1/session", R"({"username":"root","password":"x"})", {}, "192.0.2.99")
            .status,
        401);
  }
  // Banned now, even with the right password; another address is unaffected.
  const Response banned =
      send("POST", "/api/v1/session", R"({"username":"root","password":"admin-password-root"})", {},
           "192.0.2.99");
  EXPECT_EQ(banned.status, 429);
  EXPECT_EQ(banned.headers.find("Retry-After"), "30");
  EXPECT_EQ(send("POST", "/api/v1/session",
                 R"({"username":"root","password":"admin-password-root"})", {}, "192.0.2.100")
                .status,
            200);
  clock_.advance(std::chrono::seconds(31));
  EXPECT_EQ(send("POST", "/api/v1/session",
                 R"({"username":"root","password":"admin-password-root"})", {}, "192.0.2.99")
                .status,
            200);
}

TEST_F(RestApiTest, ExtensionUserSeesItsDirectoryAndOnlyItsOwnCalls) {
  for (const char* caller : {"1001", "1002"}) {
    store::CallRecord record;
    record.tenant_id = example_.id;
    record.call_id = std::string("c-") + caller;
    record.caller = caller;
    record.callee = "1099";
    record.start_ms = 5000;
    record.end_ms = 6000;
    ASSERT_TRUE(store_->insert_call_record(record));
  }
  Session user = login("1001@Example.COM", "sip-secret-1001");
  EXPECT_EQ(user.who["role"], "user");
  EXPECT_EQ(user.who["extension"], "1001");
  EXPECT_EQ(user.who["tenant"], "example.com");
  EXPECT_EQ(user.who["username"], "1001@example.com");

  const json directory = body_of(as(user, "GET", "/api/v1/directory"));
  ASSERT_EQ(directory["items"].size(), 2U);
  EXPECT_EQ(directory["items"][1], (json{{"number", "1002"}, {"display_name", "User 1002"}}));

  const json mine = body_of(as(user, "GET", "/api/v1/me/call-records"));
  ASSERT_EQ(mine["items"].size(), 1U);
  EXPECT_EQ(mine["items"][0]["call_id"], "c-1001");
  EXPECT_EQ(as(user, "GET", "/api/v1/me/call-records?extension=1002").status, 403);
  EXPECT_EQ(as(user, "GET", "/api/v1/tenants/example.com/call-records").status, 403);
  EXPECT_EQ(as(user, "GET", "/api/v1/tenants").status, 403);
  EXPECT_EQ(as(user, "GET", "/api/v1/status").status, 403);
}

TEST_F(RestApiTest, CookieRequestsThatChangeThingsNeedTheCsrfToken) {
  Session admin = login("root", "admin-password-root");
  const std::string body = R"({"number":"1003"})";
  EXPECT_EQ(as(admin, "POST", "/api/v1/tenants/example.com/extensions", body, false).status, 403);
  Session forged = admin;
  forged.csrf = std::string(43, 'A');
  EXPECT_EQ(as(forged, "POST", "/api/v1/tenants/example.com/extensions", body).status, 403);
  EXPECT_EQ(as(forged, "DELETE", "/api/v1/session").status, 403);
  EXPECT_FALSE(store_->get_extension(example_.id, "1003").ok());  // nothing changed
  EXPECT_EQ(as(admin, "POST", "/api/v1/tenants/example.com/extensions", body).status, 201);
  EXPECT_EQ(as(admin, "GET", "/api/v1/tenants", "", false).status, 200);  // reads need none
}

TEST_F(RestApiTest, ForgedAndExpiredSessionsAreRefused) {
  Session admin = login("root", "admin-password-root");
  Session forged{"parley_session=" + random_token(), admin.csrf, {}};
  EXPECT_EQ(as(forged, "GET", "/api/v1/session").status, 401);
  now_ += 8 * 3600 + 1;
  EXPECT_EQ(as(admin, "GET", "/api/v1/session").status, 401);
  EXPECT_EQ(with_token("prly_forged", "GET", "/api/v1/tenants").status, 401);
  EXPECT_EQ(send("GET", "/api/v1/tenants", "", {{"Authorization", "Basic cm9vdDpyb290"}}).status,
            401);
}

TEST_F(RestApiTest, BearerTokensActAsTenantAdminsOfTheirTenant) {
  const std::string token = new_api_token();
  ASSERT_TRUE(store_->add_api_token({secret_digest(token), example_.id, "ci"}));

  const json tenants = body_of(with_token(token, "GET", "/api/v1/tenants"));
  ASSERT_EQ(tenants["items"].size(), 1U);
  EXPECT_EQ(tenants["items"][0]["domain"], "example.com");

  // Another tenant answers exactly like a missing one.
  const Response foreign = with_token(token, "GET", "/api/v1/tenants/other.org/extensions");
  const Response missing = with_token(token, "GET", "/api/v1/tenants/missing.org/extensions");
  EXPECT_EQ(foreign.status, 404);
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(body_of(foreign)["detail"], "no tenant other.org");
  EXPECT_EQ(with_token(token, "DELETE", "/api/v1/tenants/other.org/extensions/2001").status, 404);
  EXPECT_TRUE(store_->get_extension(other_.id, "2001").ok());

  EXPECT_EQ(with_token(token, "POST", "/api/v1/tenants", R"({"domain":"new.org"})").status, 403);
  EXPECT_EQ(with_token(token, "DELETE", "/api/v1/tenants/example.com").status, 403);
  EXPECT_EQ(
      with_token(token, "POST", "/api/v1/tenants/example.com/extensions", R"({"number":"1010"})")
          .status,
      201);  // no CSRF token needed
  const json who = body_of(with_token(token, "GET", "/api/v1/session"));
  EXPECT_EQ(who["role"], "tenant_admin");
  EXPECT_EQ(who["username"], "token:ci");
  EXPECT_FALSE(who.contains("csrf_token"));
}

TEST_F(RestApiTest, TenantAdminCannotReadAnotherTenant) {
  Session boss = login("boss", "admin-password-boss");
  EXPECT_EQ(boss.who["tenant"], "example.com");
  EXPECT_EQ(as(boss, "GET", "/api/v1/tenants/example.com").status, 200);
  EXPECT_EQ(as(boss, "GET", "/api/v1/tenants/other.org").status, 404);
  EXPECT_EQ(as(boss, "GET", "/api/v1/tenants/other.org/call-records").status, 404);
  EXPECT_EQ(as(boss, "GET", "/api/v1/tenants/other.org/registrations").status, 404);
  const json status = body_of(as(boss, "GET", "/api/v1/status"));
  EXPECT_EQ(status["scope"], "example.com");
  EXPECT_EQ(status["counts"]["extensions"], 2);
}

TEST_F(RestApiTest, CreatesExtensionsWithGeneratedPasswordsThatRegister) {
  Session admin = login("root", "admin-password-root");
  const Response created = as(admin, "POST", "/api/v1/tenants/example.com/extensions",
                              R"({"number":"1005","display_name":"Eve"})");
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.headers.find("Location"), "/api/v1/tenants/example.com/extensions/1005");
  const std::string password = body_of(created)["password"];
  EXPECT_EQ(password.size(), 20U);
  EXPECT_EQ(directory_changes_, 1);
  // The store holds the HA1 of the password the answer showed.
  EXPECT_EQ(store_->get_extension(example_.id, "1005")->credentials.ha1_sha256,
            protocol::sip::ha1(DigestAlgorithm::kSha256, "1005", "example.com", password));
  EXPECT_EQ(login("1005@example.com", password).who["role"], "user");

  const Response chosen = as(admin, "POST", "/api/v1/tenants/example.com/extensions",
                             R"({"number":"1006","password":"long enough pw"})");
  ASSERT_EQ(chosen.status, 201);
  EXPECT_FALSE(body_of(chosen).contains("password"));
}

TEST_F(RestApiTest, RefusesInvalidInputNamingTheField) {
  Session admin = login("root", "admin-password-root");
  const auto field_of = [&](const Response& response) {
    return body_of(response).value("field", std::string());
  };
  const std::string extensions = "/api/v1/tenants/example.com/extensions";
  Response bad_number = as(admin, "POST", extensions, R"({"number":"12a"})");
  EXPECT_EQ(bad_number.status, 400);
  EXPECT_EQ(field_of(bad_number), "number");
  Response duplicate = as(admin, "POST", extensions, R"({"number":"1001"})");
  EXPECT_EQ(duplicate.status, 409);
  Response short_password = as(admin, "POST", extensions, R"({"number":"1007","password":"x"})");
  EXPECT_EQ(field_of(short_password), "password");
  Response bad_domain = as(admin, "POST", "/api/v1/tenants", R"({"domain":"bad domain!"})");
  EXPECT_EQ(bad_domain.status, 400);
  EXPECT_EQ(field_of(bad_domain), "domain");
  // A taken domain and a second default are 409s beside their inputs (the admin page's Tenants).
  Response taken_domain = as(admin, "POST", "/api/v1/tenants", R"({"domain":"Other.ORG"})");
  EXPECT_EQ(taken_domain.status, 409);
  EXPECT_EQ(field_of(taken_domain), "domain");
  Response second_default =
      as(admin, "POST", "/api/v1/tenants", R"({"domain":"third.org","is_default":true})");
  EXPECT_EQ(second_default.status, 409);
  EXPECT_EQ(field_of(second_default), "is_default");
  EXPECT_FALSE(store_->get_tenant_by_domain("third.org").ok());
  Response unknown_field = as(admin, "POST", extensions, R"({"number":"1007","admin":true})");
  EXPECT_EQ(field_of(unknown_field), "admin");
  Response wrong_type = as(admin, "POST", extensions, R"({"number":1007})");
  EXPECT_EQ(field_of(wrong_type), "number");
  EXPECT_EQ(as(admin, "POST", extensions, R"({"number":)").status, 400);
  EXPECT_EQ(as(admin, "POST", extensions, "[1,2]").status, 400);
  EXPECT_EQ(as(admin, "POST", extensions, std::string(5000, '[')).status, 400);
  EXPECT_EQ(
      send("POST", "/api/v1/session", "username=root", {{"Content-Type", "text/plain"}}).status,
      415);
  EXPECT_FALSE(store_->get_extension(example_.id, "1007").ok());
  EXPECT_EQ(directory_changes_, 0);
}

TEST_F(RestApiTest, StoresSqlLookingTextLiterally) {
  Session admin = login("root", "admin-password-root");
  const std::string name = "Robert'); DROP TABLE extensions;--";
  ASSERT_EQ(as(admin, "POST", "/api/v1/tenants/example.com/extensions",
               json{{"number", "1008"}, {"display_name", name}}.dump())
                .status,
            201);
  EXPECT_EQ(
      body_of(as(admin, "GET", "/api/v1/tenants/example.com/extensions/1008"))["display_name"],
      name);
  EXPECT_EQ(as(admin, "GET", "/api/v1/tenants/example.com/extensions/1' OR '1'='1").status, 404);
}

TEST_F(RestApiTest, PaginatesWithLimitAndCursor) {
  Session admin = login("root", "admin-password-root");
  for (int i = 10; i < 15; ++i) add_user(example_, "20" + std::to_string(i), "pw");
  std::vector<std::string> numbers;
  std::string cursor;
  for (int pages = 0; pages < 10; ++pages) {
    const json page = body_of(
        as(admin, "GET", "/api/v1/tenants/example.com/extensions?limit=3&cursor=" + cursor));
    for (const auto& item : page["items"]) numbers.push_back(item["number"]);
    if (page["next_cursor"].is_null()) break;
    cursor = page["next_cursor"];
  }
  EXPECT_EQ(numbers,
            (std::vector<std::string>{"1001", "1002", "2010", "2011", "2012", "2013", "2014"}));
  EXPECT_EQ(as(admin, "GET", "/api/v1/tenants?limit=0").status, 400);
  EXPECT_EQ(as(admin, "GET", "/api/v1/tenants?limit=5000").status, 400);
  EXPECT_EQ(as(admin, "GET", "/api/v1/tenants/example.com/call-records?cursor=zzz").status, 400);
}

TEST_F(RestApiTest, ExportsCallRecordsAsCsv) {
  store::CallRecord record;
  record.tenant_id = example_.id;
  record.call_id = "=HYPERLINK(\"evil\")";
  record.caller = "+15551234";
  record.callee = "1002";
  record.start_ms = 1'700'000'000'000;
  record.answer_ms = record.start_ms + 1000;
  record.end_ms = record.start_ms + 61'500;
  record.disposition = store::Disposition::kAnswered;
  ASSERT_TRUE(store_->insert_call_record(record));
  Session admin = login("root", "admin-password-root");
  const Response csv = as(admin, "GET", "/api/v1/tenants/example.com/call-records?format=csv");
  ASSERT_EQ(csv.status, 200);
  EXPECT_EQ(csv.headers.find("Content-Type"), "text/csv; charset=utf-8");
  EXPECT_NE(csv.body.find("\"'=HYPERLINK(\"\"evil\"\")\",\"+15551234\",\"1002\","
                          "2023-11-14T22:13:20.000Z,2023-11-14T22:13:21.000Z,"
                          "2023-11-14T22:14:21.500Z,60.5,answered"),
            std::string::npos)
      << csv.body;
  const Response by_accept = send("GET", "/api/v1/tenants/example.com/call-records", "",
                                  {{"Cookie", admin.cookie}, {"Accept", "text/csv"}});
  EXPECT_EQ(by_accept.body, csv.body);
  const json filtered = body_of(as(
      admin, "GET",
      "/api/v1/tenants/example.com/call-records?from=2023-11-14T22:13:20Z&disposition=answered"));
  EXPECT_EQ(filtered["items"].size(), 1U);
  EXPECT_EQ(
      body_of(as(admin, "GET",
                 "/api/v1/tenants/example.com/call-records?from=2023-11-14T22:13:21Z"))["items"]
          .size(),
      0U);
  EXPECT_EQ(as(admin, "GET", "/api/v1/tenants/example.com/call-records?disposition=x").status, 400);
}

TEST_F(RestApiTest, UnknownPathsAndMethodsAreProblems) {
  EXPECT_EQ(send("GET", "/api/v1/nothing").status, 404);
  const Response wrong_method = send("PUT", "/api/v1/session");
  EXPECT_EQ(wrong_method.status, 405);
  EXPECT_EQ(wrong_method.headers.find("Allow"), "POST, GET, DELETE");
  EXPECT_EQ(send("GET", "/api/v1/tenants").status, 401);
  const Response openapi = send("GET", "/api/v1/openapi.json");
  EXPECT_EQ(openapi.status, 200);
  EXPECT_EQ(openapi.body, RestApi::openapi_document());
}

TEST_F(RestApiTest, PatchAndDeleteApplyWholeAndReachTheDirectory) {
  Session admin = login("root", "admin-password-root");
  const std::string url = "/api/v1/tenants/example.com/extensions/1002";
  EXPECT_EQ(as(admin, "PATCH", url, R"({"display_name":"Bob","password":"x"})").status, 400);
  EXPECT_EQ(store_->get_extension(example_.id, "1002")->display_name, "User 1002");
  const Response renamed = as(admin, "PATCH", url, R"({"display_name":"Bob"})");
  ASSERT_EQ(renamed.status, 200);
  EXPECT_EQ(body_of(renamed)["display_name"], "Bob");
  const Response rekeyed = as(admin, "PATCH", url, R"({"generate_password":true})");
  ASSERT_EQ(rekeyed.status, 200);
  EXPECT_EQ(login("1002@example.com", body_of(rekeyed)["password"]).who["extension"], "1002");
  EXPECT_EQ(as(admin, "DELETE", url).status, 204);
  EXPECT_EQ(as(admin, "GET", url).status, 404);
  EXPECT_EQ(as(admin, "PATCH", "/api/v1/tenants/other.org", R"({"is_default":true})").status, 200);
  EXPECT_TRUE(store_->get_default_tenant()->id == other_.id);
  EXPECT_EQ(as(admin, "DELETE", "/api/v1/tenants/other.org").status, 204);
  EXPECT_EQ(directory_changes_, 5);
}

}  // namespace
}  // namespace parley::http::api
