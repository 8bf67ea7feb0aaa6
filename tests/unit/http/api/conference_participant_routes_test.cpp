// The live participants of conference rooms over the REST API (decision 0034), in process
// against a real SQLite store and an in-memory ConferenceControl standing in for the running
// rooms (tests/integration/conference_moderator_test.py drives the real ones over HTTPS): who
// may list, mute and remove (a tenant admin; a user only while moderating that room), problem
// documents for unknown rooms and participants, and 503 without a running server.

#include <string>
#include <vector>

#include "api_route_fixture.hpp"
#include "http/api/conference_control.hpp"

namespace parley::http::api {
namespace {

using nlohmann::json;

// The participants of room 800 of one tenant, in memory.
class Rooms final : public ConferenceControl {
 public:
  std::vector<ConferenceParticipant> participants(store::TenantId tenant,
                                                  std::string_view number) const override {
    return tenant == tenant_ && number == "800" ? people : std::vector<ConferenceParticipant>{};
  }
  ParticipantOutcome set_muted(store::TenantId tenant, std::string_view number, std::string_view id,
                               bool muted) override {
    if (auto* person = find(tenant, number, id)) {
      person->muted = muted;
      return ParticipantOutcome::kDone;
    }
    return ParticipantOutcome::kNotFound;
  }
  ParticipantOutcome remove(store::TenantId tenant, std::string_view number,
                            std::string_view id) override {
    if (find(tenant, number, id) == nullptr) return ParticipantOutcome::kNotFound;
    removed.emplace_back(id);
    return ParticipantOutcome::kDone;
  }

  store::TenantId tenant_ = 0;
  std::vector<ConferenceParticipant> people;
  std::vector<std::string> removed;

 private:
  ConferenceParticipant* find(store::TenantId tenant, std::string_view number,
                              std::string_view id) {
    if (tenant != tenant_ || number != "800") return nullptr;
    for (auto& person : people) {
      if (person.id == id) return &person;
    }
    return nullptr;
  }
};

class ParticipantRoutesTest : public test_support::ApiRouteTest {
 protected:
  void SetUp() override {
    ApiRouteTest::SetUp();
    ASSERT_TRUE(store_->add_conference_room({.tenant_id = example_.id, .number = "800"}));
    ASSERT_TRUE(store_->add_conference_room({.tenant_id = other_.id, .number = "900"}));
    rooms_.tenant_ = example_.id;
    rooms_.people = {{"1", "1001", false, false, 1000}, {"2", "1003", false, true, 2000}};
    with_control(&rooms_);
  }

  void with_control(ConferenceControl* control) {
    RestApiOptions options;
    options.conference_rooms = store_.get();
    options.conference_control = control;
    api_ = std::make_unique<RestApi>(*store_, *store_, clock_, options);
    boss_ = login("boss", "boss-password");
  }

  static constexpr std::string_view kPath =
      "/api/v1/tenants/example.com/conference-rooms/800/participants";
  Rooms rooms_;
};

TEST_F(ParticipantRoutesTest, AdminListsMutesUnmutesAndRemoves) {
  const Response listed = as_boss("GET", std::string(kPath));
  ASSERT_EQ(listed.status, 200) << listed.body;
  const json items = body_of(listed)["items"];
  ASSERT_EQ(items.size(), 2U);
  EXPECT_EQ(items[0]["id"], "1");
  EXPECT_EQ(items[0]["caller"], "1001");
  EXPECT_EQ(items[0]["muted"], false);
  EXPECT_EQ(items[1]["moderator"], true);
  EXPECT_EQ(items[1]["joined_ms"], 2000);

  const Response muted = as_boss("POST", std::string(kPath) + "/1/mute");
  ASSERT_EQ(muted.status, 200) << muted.body;
  EXPECT_EQ(body_of(muted)["muted"], true);
  EXPECT_TRUE(rooms_.people[0].muted);
  EXPECT_EQ(body_of(as_boss("POST", std::string(kPath) + "/1/unmute"))["muted"], false);
  EXPECT_FALSE(rooms_.people[0].muted);

  EXPECT_EQ(as_boss("DELETE", std::string(kPath) + "/1").status, 204);
  EXPECT_EQ(rooms_.removed, std::vector<std::string>{"1"});
}

TEST_F(ParticipantRoutesTest, UnknownRoomsAndParticipantsAreProblems) {
  const Response unknown = as_boss("POST", std::string(kPath) + "/99/mute");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.headers.find("Content-Type"), "application/problem+json");
  EXPECT_EQ(body_of(unknown)["field"], "id");
  EXPECT_EQ(as_boss("DELETE", std::string(kPath) + "/99").status, 404);
  EXPECT_EQ(as_boss("GET", "/api/v1/tenants/example.com/conference-rooms/801/participants").status,
            404);
  // Another tenant's room answers as a missing one.
  EXPECT_EQ(as_boss("GET", "/api/v1/tenants/other.org/conference-rooms/900/participants").status,
            404);
  EXPECT_TRUE(rooms_.removed.empty());
  EXPECT_FALSE(rooms_.people[0].muted);
}

TEST_F(ParticipantRoutesTest, UsersSteerOnlyTheRoomsTheyModerate) {
  Session moderator = login("1003@example.com", "sip-secret-1003");
  Session plain = login("1001@example.com", "sip-secret-1001");
  const Response listed = send("GET", std::string(kPath), "", &moderator);
  ASSERT_EQ(listed.status, 200) << listed.body;
  EXPECT_EQ(send("POST", std::string(kPath) + "/1/mute", "", &moderator).status, 200);
  EXPECT_TRUE(rooms_.people[0].muted);

  EXPECT_EQ(send("GET", std::string(kPath), "", &plain).status, 404);
  EXPECT_EQ(send("POST", std::string(kPath) + "/1/unmute", "", &plain).status, 404);
  EXPECT_EQ(send("DELETE", std::string(kPath) + "/2", "", &plain).status, 404);
  EXPECT_TRUE(rooms_.people[0].muted);
  EXPECT_TRUE(rooms_.removed.empty());

  // Without the CSRF token a change is refused.
  Session no_csrf = moderator;
  no_csrf.csrf.clear();
  EXPECT_NE(send("DELETE", std::string(kPath) + "/1", "", &no_csrf).status, 204);
  EXPECT_TRUE(rooms_.removed.empty());

  // A moderator who left is a plain user again.
  rooms_.people[1].moderator = false;
  EXPECT_EQ(send("GET", std::string(kPath), "", &moderator).status, 404);
}

TEST_F(ParticipantRoutesTest, WithoutARunningServerTheRoutesAnswer503) {
  with_control(nullptr);
  const Response response = as_boss("GET", std::string(kPath));
  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(response.headers.find("Content-Type"), "application/problem+json");
}

}  // namespace
}  // namespace parley::http::api
