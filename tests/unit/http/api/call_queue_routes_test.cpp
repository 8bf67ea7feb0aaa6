// Call queues over the REST API, in process against a real SQLite store: round trip with
// members and settings, PATCH of settings and members applied whole or not at all, validation
// naming the field, tenant scoping and the reload hook.

#include <array>

#include "api_route_fixture.hpp"

namespace parley::http::api {
namespace {

using nlohmann::json;
using CallQueueRoutesTest = test_support::ApiRouteTest;

constexpr std::string_view kQueues = "/api/v1/tenants/example.com/queues";

TEST_F(CallQueueRoutesTest, QueueRoundTripsThroughCreateListPatchAndDelete) {
  const Response created = as_boss(
      "POST", std::string(kQueues),
      R"({"number":"700","name":"Support","strategy":"round-robin","ring_timeout_seconds":20,)"
      R"("wrap_up_seconds":5,"max_wait_seconds":120,"max_callers":3,"fallback":"voicemail:1003",)"
      R"("members":["1002","1001"]})");
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.headers.find("Location"), "/api/v1/tenants/example.com/queues/700");
  EXPECT_EQ(body_of(created), (json{{"number", "700"},
                                    {"name", "Support"},
                                    {"strategy", "round-robin"},
                                    {"ring_timeout_seconds", 20},
                                    {"wrap_up_seconds", 5},
                                    {"max_wait_seconds", 120},
                                    {"max_callers", 3},
                                    {"fallback", "voicemail:1003"},
                                    {"members", {"1002", "1001"}},
                                    {"created_at", body_of(created)["created_at"]}}));
  EXPECT_EQ(reloads_, 1);

  ASSERT_EQ(as_boss("POST", std::string(kQueues), R"({"number":"701"})").status, 201);
  const json listed = body_of(as_boss("GET", std::string(kQueues)));
  ASSERT_EQ(listed["items"].size(), 2U);
  EXPECT_EQ(listed["items"][1]["strategy"], "ring-all");
  EXPECT_EQ(listed["items"][1]["fallback"], "hangup");
  EXPECT_EQ(listed["items"][1]["members"], json::array());

  const Response patched = as_boss("PATCH", std::string(kQueues) + "/700",
                                   R"({"strategy":"longest-idle","fallback":"hangup",)"
                                   R"("members":["1003"]})");
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(body_of(patched)["strategy"], "longest-idle");
  EXPECT_EQ(body_of(patched)["fallback"], "hangup");
  EXPECT_EQ(body_of(patched)["members"], json::array({"1003"}));
  EXPECT_EQ(body_of(patched)["ring_timeout_seconds"], 20) << "an absent setting stays";
  const auto stored = store_->list_call_queues(example_.id);
  EXPECT_EQ(stored->at(0).fallback, "");
  EXPECT_EQ(stored->at(0).members, std::vector<std::string>{"1003"});
  EXPECT_EQ(reloads_, 3);

  EXPECT_EQ(as_boss("GET", std::string(kQueues) + "/700").status, 200);
  EXPECT_EQ(as_boss("DELETE", std::string(kQueues) + "/700").status, 204);
  EXPECT_EQ(as_boss("GET", std::string(kQueues) + "/700").status, 404);
  EXPECT_EQ(as_boss("DELETE", std::string(kQueues) + "/700").status, 404);
  EXPECT_EQ(as_boss("PATCH", std::string(kQueues) + "/700", R"({"name":"x"})").status, 404);
  EXPECT_EQ(reloads_, 4);
}

TEST_F(CallQueueRoutesTest, QueueInputIsCheckedAndNothingChangesOnRefusal) {
  const auto field_of = [&](const std::string& method, const std::string& path,
                            const std::string& body) {
    const Response response = as_boss(method, path, body);
    EXPECT_EQ(response.status, 400) << method << " " << body;
    EXPECT_EQ(response.headers.find("Content-Type"), "application/problem+json");
    return body_of(response).value("field", "");
  };
  const std::string create(kQueues);
  EXPECT_EQ(field_of("POST", create, R"({"name":"No number"})"), "number");
  EXPECT_EQ(field_of("POST", create, R"({"number":"7a"})"), "number");
  EXPECT_EQ(field_of("POST", create, R"({"number":"700","strategy":"random"})"), "strategy");
  EXPECT_EQ(field_of("POST", create, R"({"number":"700","ring_timeout_seconds":1})"),
            "ring_timeout_seconds");
  EXPECT_EQ(field_of("POST", create, R"({"number":"700","wrap_up_seconds":601})"),
            "wrap_up_seconds");
  EXPECT_EQ(field_of("POST", create, R"({"number":"700","max_wait_seconds":-1})"),
            "max_wait_seconds");
  EXPECT_EQ(field_of("POST", create, R"({"number":"700","max_callers":10001})"), "max_callers");
  EXPECT_EQ(field_of("POST", create, R"({"number":"700","fallback":"somewhere"})"), "fallback");
  EXPECT_EQ(field_of("POST", create, R"({"number":"700","members":["1001","1001"]})"), "members");
  EXPECT_EQ(field_of("POST", create, R"({"number":"700","members":["2001"]})"), "members");
  EXPECT_EQ(field_of("POST", create, R"({"number":"700","members":"1001"})"), "members");
  EXPECT_EQ(field_of("POST", create, R"({"number":"700","priority":1})"), "priority");
  EXPECT_EQ(as_boss("POST", create, R"({"number":"1002"})").status, 409);
  EXPECT_TRUE(store_->list_call_queues(example_.id)->empty());

  ASSERT_EQ(as_boss("POST", create, R"({"number":"700","members":["1001"]})").status, 201);
  EXPECT_EQ(as_boss("POST", create, R"({"number":"700"})").status, 409);
  const std::string queue = create + "/700";
  // A bad member refuses the settings that came with it too.
  EXPECT_EQ(field_of("PATCH", queue, R"({"name":"Changed","members":["1001","9999"]})"), "members");
  EXPECT_EQ(field_of("PATCH", queue, R"({"name":"Changed","ring_timeout_seconds":0})"),
            "ring_timeout_seconds");
  EXPECT_EQ(field_of("PATCH", queue, R"({"number":"701"})"), "number");
  const auto stored = store_->list_call_queues(example_.id);
  EXPECT_EQ(stored->at(0).name, "");
  EXPECT_EQ(stored->at(0).ring_timeout_s, 15U);
  EXPECT_EQ(stored->at(0).members, std::vector<std::string>{"1001"});
  EXPECT_EQ(reloads_, 1);
}

TEST_F(CallQueueRoutesTest, TenantAdminSeesNothingOfAnotherTenantAndUsersNothingAtAll) {
  ASSERT_TRUE(store_->add_call_queue({.tenant_id = other_.id, .number = "900"}));
  const std::string other = "/api/v1/tenants/other.org/queues";
  for (const auto& [method, path, body] :
       std::vector<std::array<std::string, 3>>{{"GET", other, ""},
                                               {"POST", other, R"({"number":"901"})"},
                                               {"GET", other + "/900", ""},
                                               {"PATCH", other + "/900", R"({"members":["2001"]})"},
                                               {"DELETE", other + "/900", ""}}) {
    const Response response = as_boss(method, path, body);
    EXPECT_EQ(response.status, 404) << method << " " << path;
    EXPECT_EQ(body_of(response)["detail"], "no tenant other.org");
  }
  EXPECT_TRUE(store_->list_call_queues(other_.id)->at(0).members.empty());

  const Session root = login("root", "root-password");
  EXPECT_EQ(send("GET", other + "/900", "", &root).status, 200);
  const Session user = login("1001@example.com", "sip-secret-1001");
  EXPECT_EQ(send("GET", std::string(kQueues), "", &user).status, 403);
  Session no_csrf = boss_;
  no_csrf.csrf = "wrong";
  EXPECT_EQ(send("POST", std::string(kQueues), R"({"number":"750"})", &no_csrf).status, 403);
  EXPECT_TRUE(store_->list_call_queues(example_.id)->empty());
}

TEST_F(CallQueueRoutesTest, AnswersServiceUnavailableWithoutAStore) {
  make_api(false);
  EXPECT_EQ(as_boss("GET", std::string(kQueues)).status, 503);
}

}  // namespace
}  // namespace parley::http::api
