// Voicemail boxes over the REST API, in process against a real SQLite store and real files: the
// boxes with settings and counts, a box's messages and their audio with byte ranges, marking
// and deleting (row and file), PIN reset stored only as a hash, a user reaching only their own
// box, another tenant's boxes looking missing, and a message row pointing outside the voicemail
// folder never being read or deleted.

#include <filesystem>
#include <fstream>

#include "api_route_fixture.hpp"

namespace parley::http::api {
namespace {

using nlohmann::json;

class VoicemailRoutesTest : public test_support::ApiRouteTest {
 protected:
  static constexpr std::string_view kBoxes = "/api/v1/tenants/example.com/voicemail-boxes";

  // A message in `box` whose WAV file holds `bytes`; returns its id.
  store::VoicemailId deposit(const std::string& box, const std::string& bytes,
                             const std::filesystem::path& folder) {
    std::filesystem::create_directories(folder);
    const auto path = folder / ("message-" + std::to_string(++deposits_) + ".wav");
    std::ofstream(path, std::ios::binary) << bytes;
    store::VoicemailMessage message;
    message.tenant_id = box.starts_with("2") ? other_.id : example_.id;
    message.box = box;
    message.caller = "1003";
    message.received_at = 1'700'000'000'000 + deposits_;
    message.duration_ms = 2000;
    message.size_bytes = bytes.size();
    message.path = path.string();
    auto id = store_->insert_voicemail(message);
    EXPECT_TRUE(id.ok());
    return id ? *id : 0;
  }

  std::string wav_ = "RIFF" + std::string(300, 'x');
  int deposits_ = 0;
};

TEST_F(VoicemailRoutesTest, AdminSeesBoxesMessagesAndAudio) {
  const auto id = deposit("1002", wav_, voicemail_dir_ / "1" / "1002");
  const json boxes = body_of(as_boss("GET", std::string(kBoxes)));
  ASSERT_EQ(boxes["items"].size(), 3U) << boxes.dump();
  const json& box = boxes["items"][1];
  EXPECT_EQ(box["box"], "1002");
  EXPECT_EQ(box["new_messages"], 1);
  EXPECT_EQ(box["enabled"], true);
  EXPECT_EQ(box["has_pin"], false);
  EXPECT_EQ(box["max_messages"], store::kDefaultVoicemailMaxMessages);

  const json messages = body_of(as_boss("GET", std::string(kBoxes) + "/1002/messages"));
  ASSERT_EQ(messages["items"].size(), 1U);
  const json& message = messages["items"][0];
  EXPECT_EQ(message["id"], id);
  EXPECT_EQ(message["state"], "new");
  const std::string audio = message["audio_url"];
  EXPECT_EQ(audio, std::string(kBoxes) + "/1002/messages/" + std::to_string(id) + "/audio");

  const Response whole = as_boss("GET", audio);
  EXPECT_EQ(whole.status, 200);
  EXPECT_EQ(whole.body, wav_);
  EXPECT_EQ(whole.headers.find("Content-Type"), "audio/wav");
  const Response part = send("GET", audio, "", &boss_, "bytes=0-3");
  EXPECT_EQ(part.status, 206);
  EXPECT_EQ(part.body, "RIFF");
  EXPECT_EQ(part.headers.find("Content-Range"), "bytes 0-3/304");
  EXPECT_EQ(send("GET", audio, "", &boss_, "bytes=999-").status, 416);

  const Response saved =
      as_boss("PATCH", std::string(kBoxes) + "/1002/messages/" + std::to_string(id),
              R"({"state":"saved"})");
  ASSERT_EQ(saved.status, 200) << saved.body;
  EXPECT_EQ(store_->count_voicemail(example_.id, "1002")->saved_messages, 1U);
  EXPECT_EQ(as_boss("PATCH", std::string(kBoxes) + "/1002/messages/" + std::to_string(id),
                    R"({"state":"heard"})")
                .status,
            400);
}

TEST_F(VoicemailRoutesTest, SettingsChangeAndThePinIsStoredHashed) {
  const Response changed = as_boss("PATCH", std::string(kBoxes) + "/1001",
                                   R"({"enabled":false,"max_messages":7,"pin":"2468"})");
  ASSERT_EQ(changed.status, 200) << changed.body;
  EXPECT_EQ(body_of(changed)["enabled"], false);
  EXPECT_EQ(body_of(changed)["max_messages"], 7);
  EXPECT_EQ(body_of(changed)["has_pin"], true);
  EXPECT_FALSE(body_of(changed).contains("pin"));
  const auto settings = store_->get_voicemail_settings(example_.id, "1001");
  EXPECT_TRUE(settings->pin_hash.starts_with("$argon2")) << settings->pin_hash;
  EXPECT_EQ(settings->pin_hash.find("2468"), std::string::npos);
  EXPECT_GE(reloads_, 1);

  for (const char* bad :
       {R"({"pin":"12"})", R"({"pin":"12ab"})", R"({"max_messages":0})", R"({"enabled":"yes"})"}) {
    const Response refused = as_boss("PATCH", std::string(kBoxes) + "/1001", bad);
    EXPECT_EQ(refused.status, 400) << bad;
    EXPECT_FALSE(body_of(refused).value("field", "").empty()) << bad;
  }
  EXPECT_EQ(store_->get_voicemail_settings(example_.id, "1001")->max_messages, 7U);
  EXPECT_EQ(as_boss("PATCH", std::string(kBoxes) + "/1001", R"({"pin":""})").status, 200);
  EXPECT_TRUE(store_->get_voicemail_settings(example_.id, "1001")->pin_hash.empty());
  EXPECT_EQ(as_boss("PATCH", std::string(kBoxes) + "/4711", R"({"pin":"2468"})").status, 404);
}

TEST_F(VoicemailRoutesTest, UserReachesOnlyTheirOwnBox) {
  const auto own = deposit("1001", wav_, voicemail_dir_ / "1" / "1001");
  const auto other = deposit("1002", wav_, voicemail_dir_ / "1" / "1002");
  const Session user = login("1001@example.com", "sip-secret-1001");
  EXPECT_EQ(send("GET", std::string(kBoxes), "", &user).status, 403);
  EXPECT_EQ(send("GET", std::string(kBoxes) + "/1001", "", &user).status, 200);
  EXPECT_EQ(send("GET", std::string(kBoxes) + "/1002", "", &user).status, 403);
  EXPECT_EQ(send("GET", std::string(kBoxes) + "/1002/messages", "", &user).status, 403);
  const std::string other_audio =
      std::string(kBoxes) + "/1002/messages/" + std::to_string(other) + "/audio";
  EXPECT_EQ(send("GET", other_audio, "", &user).status, 403);
  EXPECT_EQ(
      send("DELETE", std::string(kBoxes) + "/1002/messages/" + std::to_string(other), "", &user)
          .status,
      403);
  EXPECT_EQ(send("PATCH", std::string(kBoxes) + "/1001", R"({"max_messages":5})", &user).status,
            403);
  EXPECT_EQ(send("PATCH", std::string(kBoxes) + "/1001", R"({"pin":"97531"})", &user).status, 200);

  const json mine = body_of(send("GET", std::string(kBoxes) + "/1001/messages", "", &user));
  ASSERT_EQ(mine["items"].size(), 1U);
  EXPECT_EQ(send("GET", mine["items"][0]["audio_url"].get<std::string>(), "", &user).body, wav_);
  const auto file = store_->list_voicemail(example_.id, "1001", 10)->at(0).path;
  EXPECT_EQ(send("DELETE", std::string(kBoxes) + "/1001/messages/" + std::to_string(own), "", &user)
                .status,
            204);
  EXPECT_FALSE(std::filesystem::exists(file));
  EXPECT_TRUE(store_->list_voicemail(example_.id, "1001", 10)->empty());
  EXPECT_EQ(send("DELETE", std::string(kBoxes) + "/1001/messages/" + std::to_string(own), "", &user)
                .status,
            404);
  EXPECT_EQ(store_->count_voicemail(example_.id, "1002")->new_messages, 1U);
}

TEST_F(VoicemailRoutesTest, AnotherTenantsBoxesLookMissing) {
  const auto id = deposit("2001", wav_, voicemail_dir_ / "2" / "2001");
  const std::string theirs = "/api/v1/tenants/other.org/voicemail-boxes/2001";
  for (const std::string& path :
       {theirs, theirs + "/messages", theirs + "/messages/" + std::to_string(id) + "/audio"}) {
    EXPECT_EQ(as_boss("GET", path).status, 404) << path;
  }
  EXPECT_EQ(as_boss("DELETE", theirs + "/messages/" + std::to_string(id)).status, 404);
  EXPECT_EQ(store_->count_voicemail(other_.id, "2001")->new_messages, 1U);
}

TEST_F(VoicemailRoutesTest, AFileOutsideTheVoicemailFolderIsNeverReadNorDeleted) {
  const std::filesystem::path outside = dir_.path() / "secret";
  const auto id = deposit("1001", "top secret", outside);
  const std::string message = std::string(kBoxes) + "/1001/messages/" + std::to_string(id);
  const Response read = as_boss("GET", message + "/audio");
  EXPECT_EQ(read.status, 404);
  EXPECT_EQ(read.body.find("top secret"), std::string::npos);
  EXPECT_EQ(as_boss("DELETE", message).status, 204);
  EXPECT_TRUE(std::filesystem::exists(outside / "message-1.wav"));
  EXPECT_EQ(as_boss("GET", message + "/audio").status, 404);
  EXPECT_EQ(as_boss("GET", std::string(kBoxes) + "/1001/messages/abc/audio").status, 404);
}

}  // namespace
}  // namespace parley::http::api
