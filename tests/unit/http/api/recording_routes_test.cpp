// Call recordings over the REST API, in process against a real SQLite store and real files:
// the tenant's list, the audio whole and in byte ranges (206, 416, ignored multi-ranges), and
// the refusals that keep files safe: another tenant's recording, an id that is not one, and a
// row whose path leads out of the recordings folder (directly or through a symbolic link) all
// answer 404 without a byte of the file.

#include <fstream>
#include <set>

#include "api_route_fixture.hpp"
#include "store/recording_store.hpp"

namespace parley::http::api {
namespace {

using nlohmann::json;

class RecordingRoutesTest : public test_support::ApiRouteTest {
 protected:
  // A file of `bytes` at `path` and its row; returns the row's id.
  store::RecordingId add(const store::Tenant& tenant, const std::filesystem::path& path,
                         const std::string& bytes, const std::string& caller = "1001") {
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << bytes;
    store::Recording recording;
    recording.tenant_id = tenant.id;
    recording.call_id = "call-" + std::to_string(++calls_) + "@test";
    recording.caller = caller;
    recording.callee = "1002";
    recording.path = path.string();
    recording.size_bytes = bytes.size();
    recording.duration_ms = 1500;
    recording.started_at = 1'700'000'000'000 + calls_;
    return *store_->insert_recording(recording);
  }

  std::string audio(store::RecordingId id, const std::string& domain = "example.com") {
    return "/api/v1/tenants/" + domain + "/recordings/" + std::to_string(id) + "/audio";
  }

  int calls_ = 0;
};

constexpr std::string_view kList = "/api/v1/tenants/example.com/recordings";
const std::string kBytes = "RIFF....WAVEfmt 0123456789";  // 26 bytes

TEST_F(RecordingRoutesTest, ListsTheTenantsRecordingsNewestFirst) {
  const auto first = add(example_, recordings_dir_ / "example.com/a.wav", kBytes);
  const auto second = add(example_, recordings_dir_ / "example.com/b.wav", kBytes, "1003");
  add(other_, recordings_dir_ / "other.org/c.wav", kBytes, "2001");
  const Response listed = as_boss("GET", std::string(kList));
  ASSERT_EQ(listed.status, 200) << listed.body;
  const json items = body_of(listed)["items"];
  ASSERT_EQ(items.size(), 2U);
  EXPECT_EQ(items[0]["id"], second);
  EXPECT_EQ(items[0]["caller"], "1003");
  EXPECT_EQ(items[0]["duration_ms"], 1500);
  EXPECT_EQ(items[0]["size_bytes"], kBytes.size());
  EXPECT_EQ(items[0]["audio_url"], audio(second));
  EXPECT_FALSE(items[0].contains("path")) << "the server's file layout stays private";
  EXPECT_EQ(items[1]["id"], first);

  const json filtered = body_of(as_boss("GET", std::string(kList) + "?extension=1003"));
  ASSERT_EQ(filtered["items"].size(), 1U);
  EXPECT_EQ(filtered["items"][0]["id"], second);
  EXPECT_EQ(body_of(as_boss("GET", std::string(kList) + "?limit=1"))["items"].size(), 1U);
  EXPECT_EQ(as_boss("GET", std::string(kList) + "?extension=10x").status, 400);
  EXPECT_EQ(as_boss("GET", std::string(kList) + "?limit=0").status, 400);
}

TEST_F(RecordingRoutesTest, ServesTheAudioWholeAndInByteRanges) {
  const auto id = add(example_, recordings_dir_ / "example.com/2026/12/call.wav", kBytes);
  const Response whole = as_boss("GET", audio(id));
  ASSERT_EQ(whole.status, 200) << whole.body;
  EXPECT_EQ(whole.body, kBytes);
  EXPECT_EQ(whole.headers.find("Content-Type"), "audio/wav");
  EXPECT_EQ(whole.headers.find("Accept-Ranges"), "bytes");
  EXPECT_FALSE(whole.headers.contains("Content-Range"));

  const auto ranged = [&](const std::string& range) {
    return send("GET", audio(id), "", &boss_, range);
  };
  Response part = ranged("bytes=0-3");
  EXPECT_EQ(part.status, 206);
  EXPECT_EQ(part.body, "RIFF");
  EXPECT_EQ(part.headers.find("Content-Range"), "bytes 0-3/26");
  part = ranged("bytes=16-");
  EXPECT_EQ(part.status, 206);
  EXPECT_EQ(part.body, "0123456789");
  EXPECT_EQ(part.headers.find("Content-Range"), "bytes 16-25/26");
  part = ranged("bytes=-4");
  EXPECT_EQ(part.body, "6789");
  EXPECT_EQ(part.headers.find("Content-Range"), "bytes 22-25/26");
  part = ranged("bytes=20-1000");
  EXPECT_EQ(part.body, "456789");

  const Response beyond = ranged("bytes=26-");
  EXPECT_EQ(beyond.status, 416);
  EXPECT_EQ(beyond.headers.find("Content-Range"), "bytes */26");
  EXPECT_EQ(beyond.headers.find("Content-Type"), "application/problem+json");
  // What this server does not serve as a part (several ranges, other units, nonsense) gets the
  // whole file, as RFC 9110 allows.
  for (const char* ignored : {"bytes=0-1,4-5", "pages=1-2", "bytes=5-2", "bytes=x-", "bytes"}) {
    const Response answer = ranged(ignored);
    EXPECT_EQ(answer.status, 200) << ignored;
    EXPECT_EQ(answer.body, kBytes) << ignored;
  }
}

TEST_F(RecordingRoutesTest, AnswersEachFormatWithItsTypeAndName) {
  const auto wav = add(example_, recordings_dir_ / "example.com/call.wav", kBytes);
  const auto opus = add(example_, recordings_dir_ / "example.com/call.opus", "OggS....OpusHead");
  const Response listed = as_boss("GET", std::string(kList));
  ASSERT_EQ(listed.status, 200) << listed.body;
  EXPECT_EQ(listed.headers.find("Content-Type"), "application/json");
  EXPECT_EQ(listed.headers.find("Cache-Control"), "no-store");
  EXPECT_FALSE(listed.headers.contains("Content-Disposition"));
  const json items = body_of(listed)["items"];
  ASSERT_EQ(items.size(), 2U);
  EXPECT_EQ(items[0]["id"], opus);
  EXPECT_EQ(items[0]["format"], "ogg");
  EXPECT_EQ(items[1]["format"], "wav");

  const auto expect_audio = [&](const std::string& path, const std::string& type,
                                const std::string& disposition) {
    const Response answer = as_boss("GET", path);
    EXPECT_EQ(answer.status, 200) << path << " " << answer.body;
    EXPECT_EQ(answer.headers.find("Content-Type"), type) << path;
    EXPECT_EQ(answer.headers.find("Content-Disposition"), disposition) << path;
    EXPECT_EQ(answer.headers.find("Cache-Control"), "private, no-store") << path;
    EXPECT_EQ(answer.headers.find("Accept-Ranges"), "bytes") << path;
  };
  const std::string wav_name = "recording-" + std::to_string(wav);
  const std::string opus_name = "recording-" + std::to_string(opus);
  expect_audio(audio(wav), "audio/wav", "inline; filename=\"" + wav_name + ".wav\"");
  expect_audio(audio(opus), "audio/ogg", "inline; filename=\"" + opus_name + ".opus\"");
  expect_audio(audio(wav) + "?download=1", "audio/wav",
               "attachment; filename=\"" + wav_name + ".wav\"");
  expect_audio(audio(opus) + "?download=1", "audio/ogg",
               "attachment; filename=\"" + opus_name + ".opus\"");
  expect_audio(audio(opus) + "?download=no", "audio/ogg",
               "inline; filename=\"" + opus_name + ".opus\"");
  // A part of an Ogg file keeps its type.
  const Response part = send("GET", audio(opus), "", &boss_, "bytes=0-3");
  EXPECT_EQ(part.status, 206);
  EXPECT_EQ(part.body, "OggS");
  EXPECT_EQ(part.headers.find("Content-Type"), "audio/ogg");
}

TEST_F(RecordingRoutesTest, NeverServesAnotherTenantsOrAnOutsideFile) {
  const auto foreign = add(other_, recordings_dir_ / "other.org/secret.wav", kBytes);
  Response answer = as_boss("GET", audio(foreign));
  EXPECT_EQ(answer.status, 404);
  EXPECT_EQ(body_of(answer)["detail"],
            "no recording " + std::to_string(foreign) + " in example.com");
  answer = as_boss("GET", audio(foreign, "other.org"));
  EXPECT_EQ(answer.status, 404);
  EXPECT_EQ(body_of(answer)["detail"], "no tenant other.org");
  EXPECT_EQ(as_boss("GET", "/api/v1/tenants/other.org/recordings").status, 404);

  // Rows whose file lies outside the recordings folder: a plain path, a "..", a symbolic link.
  const auto outside = add(example_, dir_.path() / "data" / "parley-copy.db", "not audio");
  const auto dotdot =
      add(example_, recordings_dir_ / "example.com" / ".." / ".." / "escape.wav", "not audio");
  std::filesystem::create_symlink(dir_.path() / "data" / "parley-copy.db",
                                  recordings_dir_ / "example.com" / "link.wav");
  const auto linked = add(example_, recordings_dir_ / "example.com" / "target.wav", "x");
  store::Recording via_link;
  via_link.tenant_id = example_.id;
  via_link.call_id = "link@test";
  via_link.caller = "1001";
  via_link.callee = "1002";
  via_link.path = (recordings_dir_ / "example.com" / "link.wav").string();
  const auto link_id = *store_->insert_recording(via_link);
  for (const auto id : {outside, dotdot, link_id}) {
    answer = as_boss("GET", audio(id));
    EXPECT_EQ(answer.status, 404) << id;
    EXPECT_EQ(answer.body.find("not audio"), std::string::npos);
  }
  EXPECT_EQ(as_boss("GET", audio(linked)).status, 200);
  // An id that is not a positive number, or a path that tries to climb, names nothing.
  for (const char* path : {"/api/v1/tenants/example.com/recordings/0/audio",
                           "/api/v1/tenants/example.com/recordings/-1/audio",
                           "/api/v1/tenants/example.com/recordings/..%2F..%2Fparley.db/audio",
                           "/api/v1/tenants/example.com/recordings/99999999999999999999/audio"}) {
    EXPECT_EQ(as_boss("GET", path).status, 404) << path;
  }
  EXPECT_EQ(as_boss("GET", "/api/v1/tenants/example.com/recordings/../../audio").status, 404);

  // Users and strangers get nothing.
  const Session user = login("1001@example.com", "sip-secret-1001");
  EXPECT_EQ(send("GET", audio(linked), "", &user).status, 403);
  EXPECT_EQ(send("GET", audio(linked), "", nullptr).status, 401);
}

TEST_F(RecordingRoutesTest, WalksMoreThanAThousandRecordingsPageByPage) {
  // 1,205 rows of example.com, three per millisecond (the cursor needs the id as a tie-break),
  // with other.org's rows between them that must never show.
  std::set<store::RecordingId> made;
  for (int i = 0; i < 1205; ++i) {
    store::Recording recording;
    recording.tenant_id = example_.id;
    recording.call_id = "bulk-" + std::to_string(i);
    recording.caller = "1001";
    recording.callee = "1002";
    recording.path = (recordings_dir_ / "example.com" / "bulk.wav").string();
    recording.started_at = 1'700'000'000'000 + i / 3;
    made.insert(*store_->insert_recording(recording));
    if (i % 100 == 0) {
      recording.tenant_id = other_.id;
      ASSERT_TRUE(store_->insert_recording(recording));
    }
  }
  for (const std::size_t limit : {1000U, 97U}) {
    std::set<store::RecordingId> seen;
    std::optional<std::pair<std::int64_t, std::int64_t>> previous;
    std::string cursor;
    int pages = 0;
    for (; pages < 50; ++pages) {
      std::string path = std::string(kList) + "?limit=" + std::to_string(limit);
      if (!cursor.empty()) path += "&cursor=" + cursor;
      const Response page = as_boss("GET", path);
      ASSERT_EQ(page.status, 200) << page.body;
      const json body = body_of(page);
      ASSERT_LE(body["items"].size(), limit);
      for (const json& item : body["items"]) {
        const std::pair<std::int64_t, std::int64_t> key{item["started_ms"].get<std::int64_t>(),
                                                        item["id"].get<std::int64_t>()};
        if (previous) EXPECT_LT(key, *previous) << "newest first, each row once";
        previous = key;
        EXPECT_TRUE(seen.insert(item["id"].get<store::RecordingId>()).second) << item;
      }
      if (body["next_cursor"].is_null()) break;
      cursor = body["next_cursor"].get<std::string>();
    }
    EXPECT_EQ(seen, made) << "limit " << limit << ": no row missing, none foreign";
    EXPECT_EQ(pages + 1, limit == 1000 ? 2 : 13) << "limit " << limit;
  }
  // A filter holds across pages; a cursor this server never gave out is refused.
  const json filtered = body_of(as_boss("GET", std::string(kList) + "?extension=1003"));
  EXPECT_TRUE(filtered["items"].empty());
  EXPECT_TRUE(filtered["next_cursor"].is_null());
  for (const char* bad : {"5", "x.1", "1.", ".1", "1.2.3", "99999999999999999999.1"}) {
    const Response refused = as_boss("GET", std::string(kList) + "?cursor=" + bad);
    EXPECT_EQ(refused.status, 400) << bad;
    EXPECT_EQ(body_of(refused)["field"], "cursor") << bad;
  }
}

TEST_F(RecordingRoutesTest, FindsAnOldRecordingBeyondTheNewestThousand) {
  const auto oldest = add(example_, recordings_dir_ / "example.com/old.wav", kBytes);
  for (int i = 0; i < 1001; ++i) add(example_, recordings_dir_ / "example.com/new.wav", "x");
  const Response answer = as_boss("GET", audio(oldest));
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(answer.body, kBytes);
}

TEST_F(RecordingRoutesTest, StreamsLargeAudioFromTheOpenFileEvenWhenItIsDeleted) {
  std::string bytes(3 * 1024 * 1024 + 17, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>((i * 7919) >> 5);
  const auto path = recordings_dir_ / "example.com/long.wav";
  const auto id = add(example_, path, bytes);
  const auto content = [](const Response& response) {
    if (!response.file) return response.body;
    std::string read(response.file->length(), '\0');
    EXPECT_TRUE(response.file->read(0, read));
    return read;
  };
  const Response whole = as_boss("GET", audio(id));
  ASSERT_EQ(whole.status, 200);
  ASSERT_TRUE(whole.file) << "a large file is not read into the answer";
  EXPECT_TRUE(whole.body.empty());
  EXPECT_EQ(whole.file->length(), bytes.size());
  // Ranges are no longer capped: an open-ended one runs to the end of the file.
  const Response tail = send("GET", audio(id), "", &boss_, "bytes=1000-");
  ASSERT_EQ(tail.status, 206);
  EXPECT_EQ(tail.headers.find("Content-Range"),
            "bytes 1000-" + std::to_string(bytes.size() - 1) + "/" + std::to_string(bytes.size()));
  const Response last = send("GET", audio(id), "", &boss_, "bytes=-5");
  EXPECT_EQ(last.status, 206);
  EXPECT_EQ(content(last), bytes.substr(bytes.size() - 5));
  const Response end =
      send("GET", audio(id), "", &boss_, "bytes=" + std::to_string(bytes.size() - 1) + "-");
  EXPECT_EQ(content(end), bytes.substr(bytes.size() - 1));
  EXPECT_EQ(
      send("GET", audio(id), "", &boss_, "bytes=" + std::to_string(bytes.size()) + "-").status,
      416);

  // Deleted after the answer was made (a retention job, say): what was promised is sent whole.
  std::filesystem::remove(path);
  EXPECT_EQ(content(whole), bytes);
  EXPECT_EQ(content(tail), bytes.substr(1000));
  EXPECT_EQ(as_boss("GET", audio(id)).status, 404) << "a new request finds no file";
}

TEST_F(RecordingRoutesTest, AnswersServiceUnavailableWithoutAStore) {
  make_api(false);
  EXPECT_EQ(as_boss("GET", std::string(kList)).status, 503);
  EXPECT_EQ(as_boss("GET", audio(1)).status, 503);
}

}  // namespace
}  // namespace parley::http::api
