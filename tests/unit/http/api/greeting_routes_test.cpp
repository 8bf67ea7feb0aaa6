// A voicemail greeting uploaded over the REST API, in process against a real SQLite store: what
// is accepted is told by the bytes (a WAV the player reads) and not by Content-Type, what is
// refused (415 for non-audio and unsupported WAVs, 413 over the bound) reaches nothing, the box's
// user and admins may upload and other users and tenants may not, and DELETE returns the box to
// the default greeting. The writing itself is app/'s VoicemailService (the save_greeting hook),
// exercised by integration.api_greeting_test.

#include <cstring>
#include <vector>

#include "api_route_fixture.hpp"
#include "store/voicemail_store.hpp"

namespace parley::http::api {
namespace {

using nlohmann::json;

// A mono 16-bit PCM WAV of `samples` at `rate` Hz, with `channels` written in the header.
std::string wav(int rate, std::size_t samples, int channels = 1, int bits = 16) {
  std::string out;
  const auto put32 = [&](std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out += static_cast<char>((v >> (8 * i)) & 0xFFU);
  };
  const auto put16 = [&](std::uint16_t v) {
    out += static_cast<char>(v & 0xFFU);
    out += static_cast<char>(v >> 8U);
  };
  const auto data = static_cast<std::uint32_t>(samples * 2);
  out += "RIFF";
  put32(36 + data);
  out += "WAVEfmt ";
  put32(16);
  put16(1);
  put16(static_cast<std::uint16_t>(channels));
  put32(static_cast<std::uint32_t>(rate));
  put32(static_cast<std::uint32_t>(rate * 2 * channels));
  put16(static_cast<std::uint16_t>(2 * channels));
  put16(static_cast<std::uint16_t>(bits));
  out += "data";
  put32(data);
  for (std::size_t i = 0; i < samples; ++i) put16(static_cast<std::uint16_t>(i * 37));
  return out;
}

class GreetingRoutesTest : public test_support::ApiRouteTest {
 protected:
  void SetUp() override {
    ApiRouteTest::SetUp();
    RestApiOptions options;
    options.voicemail = store_.get();
    options.voicemail_dir = voicemail_dir_;
    options.max_greeting_bytes = 64 * 1024;
    options.save_greeting = [this](store::TenantId tenant, const std::string& box,
                                   std::span<const std::int16_t> samples,
                                   int rate) -> Result<void> {
      saved_.push_back(
          {tenant, box, std::vector<std::int16_t>(samples.begin(), samples.end()), rate});
      return store_->set_voicemail_greeting(tenant, box, "/data/voicemail/greeting.wav");
    };
    api_ = std::make_unique<RestApi>(*store_, *store_, clock_, options);
    boss_ = login("boss", "boss-password");
  }

  Response put(const std::string& box, std::string body, const Session* session,
               const std::string& content_type = "audio/wav",
               const std::string& domain = "example.com") {
    Request request;
    request.method = "PUT";
    request.path = request.target =
        "/api/v1/tenants/" + domain + "/voicemail-boxes/" + box + "/greeting";
    request.body = std::move(body);
    request.headers.set("Content-Type", content_type);
    request.headers.set("Cookie", session->cookie);
    request.headers.set("X-CSRF-Token", session->csrf);
    request.remote = *net::SocketAddress::parse("192.0.2.10:40000", 0);
    return api_->handle(request);
  }

  std::string greeting_of(const std::string& box) {
    return store_->get_voicemail_settings(example_.id, box)->greeting_path;
  }

  struct Saved {
    store::TenantId tenant;
    std::string box;
    std::vector<std::int16_t> samples;
    int rate;
  };
  std::vector<Saved> saved_;
};

TEST_F(GreetingRoutesTest, StoresAWavGreetingWhateverTheContentTypeSays) {
  const Response answer = put("1001", wav(16000, 8000), &boss_, "application/octet-stream");
  ASSERT_EQ(answer.status, 200) << answer.body;
  EXPECT_EQ(body_of(answer)["sample_rate"], 16000);
  EXPECT_EQ(body_of(answer)["duration_ms"], 500);
  ASSERT_EQ(saved_.size(), 1U);
  EXPECT_EQ(saved_[0].tenant, example_.id);
  EXPECT_EQ(saved_[0].box, "1001");
  EXPECT_EQ(saved_[0].rate, 16000);
  ASSERT_EQ(saved_[0].samples.size(), 8000U);
  EXPECT_EQ(saved_[0].samples[3], 3 * 37);
  EXPECT_EQ(greeting_of("1001"), "/data/voicemail/greeting.wav");
  EXPECT_EQ(put("1002", wav(8000, 4000), &boss_).status, 200);
  EXPECT_EQ(saved_.back().rate, 8000);

  // DELETE: the default greeting again.
  EXPECT_EQ(as_boss("DELETE", "/api/v1/tenants/example.com/voicemail-boxes/1001/greeting").status,
            204);
  EXPECT_EQ(greeting_of("1001"), "");
}

TEST_F(GreetingRoutesTest, RefusesWhatIsNotAGreetingAndKeepsTheOldOne) {
  ASSERT_EQ(put("1001", wav(8000, 4000), &boss_).status, 200);
  saved_.clear();
  const auto refused = [&](std::string body, int status, const std::string& why) {
    const Response answer = put("1001", std::move(body), &boss_);
    EXPECT_EQ(answer.status, status) << why << ": " << answer.body;
    EXPECT_EQ(answer.headers.find("Content-Type"), "application/problem+json") << why;
    return body_of(answer).value("detail", "");
  };
  EXPECT_NE(refused("hello, this is a text file\n", 415, "text").find("neither a WAV"),
            std::string::npos);
  refused("", 415, "empty");
  // Bytes that start like Ogg but whose first page does not check out.
  EXPECT_NE(
      refused(std::string("OggS\0\x02", 6) + std::string(40, '\0'), 415, "broken Ogg").find("Ogg"),
      std::string::npos);
  refused(std::string("RIFF\x10\0\0\0WAVEjunk", 16), 415, "a truncated WAV");
  EXPECT_NE(refused(wav(44100, 4410), 415, "44.1 kHz").find("44100"), std::string::npos);
  EXPECT_NE(refused(wav(8000, 4000, 2), 415, "stereo").find("mono"), std::string::npos);
  refused(wav(8000, 4000, 1, 8), 415, "8-bit");
  refused(wav(8000, 10), 415, "shorter than a frame");
  refused(std::string(65 * 1024, 'x'), 413, "over the bound");
  EXPECT_TRUE(saved_.empty()) << "nothing refused reached the writer";
  EXPECT_EQ(greeting_of("1001"), "/data/voicemail/greeting.wav") << "the old greeting stays";
}

TEST_F(GreetingRoutesTest, OnlyTheBoxUserAndItsAdminsMayChangeIt) {
  const Session user = login("1001@example.com", "sip-secret-1001");
  EXPECT_EQ(put("1001", wav(8000, 4000), &user).status, 200);
  EXPECT_EQ(put("1002", wav(8000, 4000), &user).status, 403);
  EXPECT_EQ(put("2001", wav(8000, 4000), &boss_, "audio/wav", "other.org").status, 404);
  EXPECT_EQ(put("1099", wav(8000, 4000), &boss_).status, 404);
  EXPECT_EQ(as_boss("DELETE", "/api/v1/tenants/other.org/voicemail-boxes/2001/greeting").status,
            404);
  EXPECT_EQ(saved_.size(), 1U);

  // Without the running server's writer the route says so.
  RestApiOptions bare;
  bare.voicemail = store_.get();
  bare.voicemail_dir = voicemail_dir_;
  api_ = std::make_unique<RestApi>(*store_, *store_, clock_, bare);
  boss_ = login("boss", "boss-password");
  EXPECT_EQ(put("1001", wav(8000, 4000), &boss_).status, 503);
}

}  // namespace
}  // namespace parley::http::api
