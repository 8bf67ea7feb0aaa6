// Devices and live registrations over the REST API, in process against a real SQLite store:
// devices assigned to extensions and shown with the registrations they match (by instance URN,
// or by MAC address in the User-Agent, Contact or instance), validation beside each field,
// conflicts, tenant isolation (404 across tenants), and an admin ending one registration.

#include <ctime>

#include "api_route_fixture.hpp"
#include "store/device_store.hpp"

namespace parley::http::api {
namespace {

using nlohmann::json;

constexpr std::string_view kDevices = "/api/v1/tenants/example.com/devices";
constexpr std::string_view kRegistrations = "/api/v1/tenants/example.com/registrations";

class DeviceRoutesTest : public test_support::ApiRouteTest {
 protected:
  void bind(const store::Tenant& tenant, const std::string& extension, const std::string& contact,
            const std::string& instance, const std::string& user_agent) {
    store::Binding binding;
    binding.tenant_id = tenant.id;
    binding.extension = extension;
    binding.contact_uri = contact;
    binding.instance = instance;
    binding.reg_id = instance.empty() ? 0 : 1;
    binding.call_id = "reg-" + contact;
    binding.cseq = 1;
    binding.expires_at = static_cast<store::UnixSeconds>(std::time(nullptr)) + 3600;
    binding.received = {"UDP", "192.0.2.7", 5070};
    binding.local_socket = {"UDP", "192.0.2.1", 5060};
    binding.user_agent = user_agent;
    ASSERT_TRUE(store_->upsert_binding(binding));
  }

  Response create(const json& body) { return as_boss("POST", std::string(kDevices), body.dump()); }

  // A device of other.org's 2001, stored directly.
  Result<store::Device> add_foreign_device() {
    store::Device foreign;
    foreign.tenant_id = other_.id;
    foreign.extension = "2001";
    foreign.label = "Other's phone";
    foreign.mac = "001565aabbcc";
    return store_->add_device(foreign);
  }
};

TEST_F(DeviceRoutesTest, ListsDevicesWithTheRegistrationsTheyMatch) {
  bind(example_, "1001", "sip:1001@192.0.2.7:5070",
       "<urn:uuid:0f7a1c2e-0000-1000-8000-001565aabbcc>", "Yealink SIP-T46S 66.85.0.5");
  bind(example_, "1001", "sip:1001@192.0.2.8:5060", "", "snom760/10.1.54 000413A1B2C3");
  bind(example_, "1002", "sip:1002@192.0.2.9:5060", "", "softphone 00:04:13:a1:b2:c3");

  // Matched by the MAC inside the instance uuid, written with colons.
  Response made = create({{"extension", "1001"},
                          {"label", "Reception desk"},
                          {"mac", "00:15:65:AA:BB:CC"},
                          {"model", "Yealink T46S"}});
  ASSERT_EQ(made.status, 201) << made.body;
  const json desk = body_of(made);
  EXPECT_EQ(desk["mac"], "001565aabbcc");
  EXPECT_TRUE(desk["instance"].is_null());
  EXPECT_EQ(made.headers.find("Location"), std::string(kDevices) + "/" + desk["id"].dump());
  ASSERT_EQ(desk["registrations"].size(), 1U);
  EXPECT_EQ(desk["registrations"][0]["contact"], "sip:1001@192.0.2.7:5070");
  EXPECT_EQ(desk["registrations"][0]["source"], "192.0.2.7:5070");
  EXPECT_EQ(desk["registrations"][0]["transport"], "UDP");
  EXPECT_EQ(desk["registrations"][0]["user_agent"], "Yealink SIP-T46S 66.85.0.5");

  // By the MAC in the User-Agent; the same MAC on another extension's binding does not count.
  made = create({{"extension", "1001"}, {"label", "Snom"}, {"mac", "0004.13a1.b2c3"}});
  ASSERT_EQ(made.status, 201) << made.body;
  const json snom = body_of(made);
  ASSERT_EQ(snom["registrations"].size(), 1U);
  EXPECT_EQ(snom["registrations"][0]["contact"], "sip:1001@192.0.2.8:5060");

  // By instance URN (angle brackets and the scheme's case do not matter).
  made = create({{"extension", "1001"},
                 {"label", "By URN"},
                 {"instance", "<URN:uuid:0f7a1c2e-0000-1000-8000-001565aabbcc>"}});
  ASSERT_EQ(made.status, 201) << made.body;
  EXPECT_EQ(body_of(made)["instance"], "urn:uuid:0f7a1c2e-0000-1000-8000-001565aabbcc");
  EXPECT_EQ(body_of(made)["registrations"].size(), 1U);

  const Response listed = as_boss("GET", std::string(kDevices) + "?limit=2");
  ASSERT_EQ(listed.status, 200) << listed.body;
  const json page = body_of(listed);
  ASSERT_EQ(page["items"].size(), 2U);
  EXPECT_EQ(page["items"][0]["label"], "Reception desk");
  const Response rest =
      as_boss("GET", std::string(kDevices) + "?cursor=" + page["next_cursor"].get<std::string>());
  ASSERT_EQ(body_of(rest)["items"].size(), 1U);
  EXPECT_EQ(body_of(rest)["items"][0]["label"], "By URN");
  EXPECT_TRUE(body_of(rest)["next_cursor"].is_null());

  const Response one = as_boss("GET", std::string(kDevices) + "/" + snom["id"].dump());
  ASSERT_EQ(one.status, 200);
  EXPECT_EQ(body_of(one)["label"], "Snom");
  EXPECT_EQ(as_boss("DELETE", std::string(kDevices) + "/" + snom["id"].dump()).status, 204);
  EXPECT_EQ(as_boss("GET", std::string(kDevices) + "/" + snom["id"].dump()).status, 404);
  EXPECT_EQ(as_boss("DELETE", std::string(kDevices) + "/" + snom["id"].dump()).status, 404);
  // Removing the device leaves the phone registered.
  EXPECT_EQ(body_of(as_boss("GET", std::string(kRegistrations)))["items"].size(), 3U);
}

TEST_F(DeviceRoutesTest, RefusesBadInputBesideTheFieldAndStoresNothing) {
  const auto refused = [&](const json& body, int status, const std::string& field) {
    const Response answer = create(body);
    EXPECT_EQ(answer.status, status) << body.dump() << " " << answer.body;
    EXPECT_EQ(body_of(answer)["field"], field) << body.dump();
  };
  refused({{"label", "x"}, {"mac", "001565aabbcc"}}, 400, "extension");
  refused({{"extension", "12a"}, {"label", "x"}, {"mac", "001565aabbcc"}}, 400, "extension");
  refused({{"extension", "1009"}, {"label", "x"}, {"mac", "001565aabbcc"}}, 400, "extension");
  refused({{"extension", "2001"}, {"label", "x"}, {"mac", "001565aabbcc"}}, 400, "extension");
  refused({{"extension", "1001"}, {"mac", "001565aabbcc"}}, 400, "label");
  refused({{"extension", "1001"}, {"label", ""}, {"mac", "001565aabbcc"}}, 400, "label");
  refused({{"extension", "1001"}, {"label", std::string(65, 'x')}, {"mac", "001565aabbcc"}}, 400,
          "label");
  refused({{"extension", "1001"}, {"label", "x"}, {"mac", "00:15:65:aa:bb"}}, 400, "mac");
  refused({{"extension", "1001"}, {"label", "x"}, {"mac", "00:15:65:aa:bb:cc:dd"}}, 400, "mac");
  refused({{"extension", "1001"}, {"label", "x"}, {"mac", "zz1565aabbcc"}}, 400, "mac");
  refused({{"extension", "1001"}, {"label", "x"}}, 400, "mac");
  refused({{"extension", "1001"}, {"label", "x"}, {"instance", "uuid:1234"}}, 400, "instance");
  refused({{"extension", "1001"}, {"label", "x"}, {"instance", "urn:has space"}}, 400, "instance");
  refused({{"extension", "1001"}, {"label", "x"}, {"mac", "001565aabbcc"}, {"model", "a\nb"}}, 400,
          "model");
  EXPECT_EQ(create({{"extension", "1001"}, {"label", "x"}, {"mac", 12}}).status, 400);
  EXPECT_EQ(create({{"extension", "1001"}, {"label", "x"}, {"owner", "y"}}).status, 400);
  EXPECT_TRUE(body_of(as_boss("GET", std::string(kDevices)))["items"].empty());

  ASSERT_EQ(create({{"extension", "1001"},
                    {"label", "a"},
                    {"mac", "001565aabbcc"},
                    {"instance", "urn:uuid:1"}})
                .status,
            201);
  refused({{"extension", "1002"}, {"label", "b"}, {"mac", "00-15-65-AA-BB-CC"}}, 409, "mac");
  refused({{"extension", "1002"}, {"label", "b"}, {"instance", "<urn:uuid:1>"}}, 409, "instance");
  EXPECT_EQ(body_of(as_boss("GET", std::string(kDevices)))["items"].size(), 1U);
}

TEST_F(DeviceRoutesTest, AnotherTenantsDevicesAndRegistrationsAreNotFound) {
  const auto stored = add_foreign_device();
  ASSERT_TRUE(stored);
  bind(other_, "2001", "sip:2001@192.0.2.50:5060", "", "phone 001565aabbcc");
  const std::string id = std::to_string(stored->id);
  EXPECT_EQ(as_boss("GET", "/api/v1/tenants/other.org/devices").status, 404);
  EXPECT_EQ(as_boss("GET", "/api/v1/tenants/other.org/devices/" + id).status, 404);
  EXPECT_EQ(as_boss("DELETE", "/api/v1/tenants/other.org/devices/" + id).status, 404);
  EXPECT_EQ(as_boss("GET", std::string(kDevices) + "/" + id).status, 404);
  EXPECT_EQ(as_boss("DELETE", std::string(kDevices) + "/" + id).status, 404);
  EXPECT_EQ(as_boss("POST", "/api/v1/tenants/other.org/devices",
                    json{{"extension", "2001"}, {"label", "x"}, {"mac", "001565aabbc0"}}.dump())
                .status,
            404);
  // The same MAC is free in this tenant: uniqueness is per tenant.
  EXPECT_EQ(create({{"extension", "1001"}, {"label", "mine"}, {"mac", "001565aabbcc"}}).status,
            201);

  // The other tenant's registration id, learned by its admin, means nothing here.
  const Session root = login("root", "root-password");
  const json theirs = body_of(send("GET", "/api/v1/tenants/other.org/registrations", "", &root));
  ASSERT_EQ(theirs["items"].size(), 1U);
  const auto registration = theirs["items"][0]["id"].get<std::string>();
  EXPECT_EQ(as_boss("DELETE", std::string(kRegistrations) + "/" + registration).status, 404);
  EXPECT_EQ(as_boss("DELETE", "/api/v1/tenants/other.org/registrations/" + registration).status,
            404);
  EXPECT_EQ(store_->list_bindings(other_.id, "2001", 0)->size(), 1U) << "nothing was removed";
  EXPECT_EQ(body_of(send("GET", "/api/v1/tenants/other.org/devices", "", &root))["items"].size(),
            1U);

  // Users get nothing.
  const Session user = login("1001@example.com", "sip-secret-1001");
  EXPECT_EQ(send("GET", std::string(kDevices), "", &user).status, 403);
  EXPECT_EQ(send("DELETE", std::string(kRegistrations) + "/" + registration, "", &user).status,
            403);
}

TEST_F(DeviceRoutesTest, EditsADeviceInPlaceWholeOrNotAtAll) {
  bind(example_, "1002", "sip:1002@192.0.2.9:5060", "", "Grandstream GXP2170 000b82112233");
  const Response made = create({{"extension", "1001"},
                                {"label", "Desk"},
                                {"mac", "001565aabbcc"},
                                {"instance", "urn:uuid:1"},
                                {"model", "Yealink T46S"}});
  ASSERT_EQ(made.status, 201) << made.body;
  const json desk = body_of(made);
  const std::string path = std::string(kDevices) + "/" + desk["id"].dump();
  ASSERT_EQ(create({{"extension", "1001"}, {"label", "Other"}, {"mac", "000b82ffffff"}}).status,
            201);
  const auto patch = [&](const json& body) { return as_boss("PATCH", path, body.dump()); };
  // A device as stored: without its registrations' expires_in, which counts down between reads.
  const auto steady = [](json document) {
    for (auto& registration : document["registrations"]) registration.erase("expires_in");
    return document;
  };
  const auto stored = [&] { return steady(body_of(as_boss("GET", path))); };

  // Moved to 1002 with a new MAC (written another way) and the instance cleared: it now shows
  // 1002's phone; created_at and the fields not sent stay.
  Response changed = patch({{"extension", "1002"}, {"mac", "00:0B:82:11:22:33"}, {"instance", ""}});
  ASSERT_EQ(changed.status, 200) << changed.body;
  json device = body_of(changed);
  EXPECT_EQ(device["id"], desk["id"]);
  EXPECT_EQ(device["extension"], "1002");
  EXPECT_EQ(device["mac"], "000b82112233");
  EXPECT_TRUE(device["instance"].is_null());
  EXPECT_EQ(device["label"], "Desk");
  EXPECT_EQ(device["model"], "Yealink T46S");
  EXPECT_EQ(device["created_at"], desk["created_at"]);
  ASSERT_EQ(device["registrations"].size(), 1U);
  EXPECT_EQ(device["registrations"][0]["contact"], "sip:1002@192.0.2.9:5060");
  EXPECT_EQ(stored(), steady(device));
  EXPECT_EQ(body_of(patch(json::object()))["label"], "Desk") << "an empty edit changes nothing";

  // Every refusal names its field and leaves the device exactly as it was.
  const auto refused = [&](const json& body, int status, const std::string& field) {
    const Response answer = patch(body);
    EXPECT_EQ(answer.status, status) << body.dump() << " " << answer.body;
    EXPECT_EQ(body_of(answer)["field"], field) << body.dump();
    EXPECT_EQ(stored(), steady(device)) << body.dump();
  };
  refused({{"label", "Moved"}, {"extension", "1x"}}, 400, "extension");
  refused({{"label", "Moved"}, {"extension", "1009"}}, 400, "extension");
  refused({{"label", "Moved"}, {"extension", "2001"}}, 400, "extension");
  refused({{"label", ""}}, 400, "label");
  refused({{"label", "Moved"}, {"mac", "00:0b:82"}}, 400, "mac");
  refused({{"label", "Moved"}, {"mac", ""}}, 400, "mac");
  refused({{"label", "Moved"}, {"instance", "uuid:2"}}, 400, "instance");
  refused({{"label", "Moved"}, {"model", std::string(65, 'm')}}, 400, "model");
  refused({{"label", "Moved"}, {"mac", "00-0B-82-FF-FF-FF"}}, 409, "mac");
  refused({{"label", "Moved"}, {"mac", 7}}, 400, "mac");
  EXPECT_EQ(patch({{"label", "Moved"}, {"owner", "x"}}).status, 400);
  EXPECT_EQ(stored(), steady(device));

  // A device that is not there, or not a number, is 404.
  EXPECT_EQ(as_boss("PATCH", std::string(kDevices) + "/99999", R"({"label":"x"})").status, 404);
  EXPECT_EQ(as_boss("PATCH", std::string(kDevices) + "/abc", R"({"label":"x"})").status, 404);
}

TEST_F(DeviceRoutesTest, AnotherTenantsDeviceCannotBeEdited) {
  const auto stored = add_foreign_device();
  ASSERT_TRUE(stored);
  const std::string id = std::to_string(stored->id);
  for (const std::string& path :
       {"/api/v1/tenants/other.org/devices/" + id, std::string(kDevices) + "/" + id}) {
    const Response answer = as_boss("PATCH", path, R"({"label":"Mine now"})");
    EXPECT_EQ(answer.status, 404) << path;
    EXPECT_EQ(answer.headers.find("Content-Type"), "application/problem+json");
  }
  EXPECT_EQ(store_->find_device(other_.id, stored->id)->label, "Other's phone");
  const Session user = login("1001@example.com", "sip-secret-1001");
  EXPECT_EQ(send("PATCH", std::string(kDevices) + "/" + id, R"({"label":"x"})", &user).status, 403);
}

TEST_F(DeviceRoutesTest, AnAdminEndsOneRegistration) {
  bind(example_, "1001", "sip:1001@192.0.2.7:5070", "<urn:uuid:aaaa>", "phone A");
  bind(example_, "1001", "sip:1001@192.0.2.8:5070", "", "phone B");
  // The id of the binding whose contact is `contact`, or "".
  const auto id_of = [&](const std::string& contact) {
    const json listed = body_of(as_boss("GET", std::string(kRegistrations)));
    for (const json& item : listed["items"]) {
      if (item["contact"] == contact) return item["id"].get<std::string>();
    }
    return std::string();
  };
  json items = body_of(as_boss("GET", std::string(kRegistrations)))["items"];
  ASSERT_EQ(items.size(), 2U);
  const auto first = id_of("sip:1001@192.0.2.7:5070");
  EXPECT_EQ(first.size(), 32U);
  EXPECT_NE(first, id_of("sip:1001@192.0.2.8:5070"));
  // The id stays the same when the phone refreshes its registration.
  bind(example_, "1001", "sip:1001@192.0.2.7:5070", "<urn:uuid:aaaa>", "phone A");
  EXPECT_EQ(id_of("sip:1001@192.0.2.7:5070"), first);

  EXPECT_EQ(as_boss("DELETE", std::string(kRegistrations) + "/" + first).status, 204);
  items = body_of(as_boss("GET", std::string(kRegistrations)))["items"];
  ASSERT_EQ(items.size(), 1U);
  EXPECT_NE(items[0]["id"], first);
  EXPECT_EQ(as_boss("DELETE", std::string(kRegistrations) + "/" + first).status, 404);
  EXPECT_EQ(as_boss("DELETE", std::string(kRegistrations) + "/nonsense").status, 404);

  // Without the running server's hook the API cannot end a registration: 501, nothing changes.
  RestApiOptions bare;
  api_ = std::make_unique<RestApi>(*store_, *store_, clock_, bare);
  boss_ = login("boss", "boss-password");
  const auto second = items[0]["id"].get<std::string>();
  EXPECT_EQ(as_boss("DELETE", std::string(kRegistrations) + "/" + second).status, 501);
  EXPECT_EQ(as_boss("GET", std::string(kDevices)).status, 503);
  EXPECT_EQ(body_of(as_boss("GET", std::string(kRegistrations)))["items"].size(), 1U);
}

}  // namespace
}  // namespace parley::http::api
