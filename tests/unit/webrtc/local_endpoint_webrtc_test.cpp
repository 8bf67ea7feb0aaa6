// A browser calling an application (decision 0043): LocalEndpoint terminates the WebRTC leg
// itself, with real sockets on loopback. The "browser" (test_browser.hpp) checks ICE, runs
// DTLS as the client and sends SRTP Opus; an echo listener plays back what it hears, and the
// browser must decrypt and hear its own tone. Forged, plain and unchecked media never reach the
// application, and nothing leaves in the clear before the handshake.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "media/codecs/registry.hpp"
#include "media/codecs/tone.hpp"
#include "media/local_endpoint.hpp"
#include "media/local_endpoint_test_util.hpp"
#include "media/rtp_relay.hpp"
#include "protocol/rtp/rtp_packet.hpp"
#include "protocol/sdp/session_description.hpp"
#include "test_browser.hpp"
#include "webrtc/dtls_identity.hpp"
#include "webrtc/webrtc_leg.hpp"

namespace parley::webrtc {
namespace {

namespace rtp = protocol::rtp;
namespace sdp = protocol::sdp;
using namespace std::chrono_literals;
using test::attribute;
using test::Bytes;

// webrtc's test ports (62000-62999); parallel test processes each take their own slice.
std::uint16_t port_base() {
  return static_cast<std::uint16_t>(62000 + (::getpid() % 40) * 20);
}

class LocalEndpointWebRtcTest : public ::testing::Test {
 protected:
  LocalEndpointWebRtcTest()
      : pool_(1), ports_(port_base(), static_cast<std::uint16_t>(port_base() + 19)) {
    auto identity = DtlsIdentity::generate();
    EXPECT_TRUE(identity.ok());
    server_identity_ = std::move(identity).value();
    factory_ = std::make_unique<WebRtcLegFactory>(server_identity_);
    pool_.start();
  }
  ~LocalEndpointWebRtcTest() override {
    parley::test::run_on(pool_, [this] { endpoint_.reset(); });
    pool_.shutdown(std::chrono::milliseconds(200));
  }

  // The endpoint's answer to `offer` (an error's message when it refuses).
  Result<std::string> answer(const std::string& offer, bool webrtc = true) {
    media::LocalEndpointOptions options;
    options.bind_address = *net::SocketAddress::parse("127.0.0.1:0");
    options.webrtc = webrtc ? factory_.get() : nullptr;
    Result<std::string> result = Error{500, "not run"};
    parley::test::run_on(pool_, [&] {
      auto made = media::LocalEndpoint::create(pool_, 0, ports_, clock_, options, listener_);
      ASSERT_TRUE(made.ok()) << made.error().message;
      endpoint_ = std::move(made).value();
      result = endpoint_->answer(offer);
    });
    return result;
  }

  sdp::SessionDescription connected() {
    auto text = answer(browser_.offer());
    EXPECT_TRUE(text.ok()) << text.error().message;
    auto parsed = sdp::parse(text.ok() ? *text : std::string());
    EXPECT_TRUE(parsed.ok());
    if (!parsed.ok()) return {};
    browser_.connect(*parsed);
    return *parsed;
  }

  media::LocalEndpointStats stats() {
    media::LocalEndpointStats copy;
    parley::test::run_on(pool_, [&] { copy = endpoint_->stats(); });
    return copy;
  }
  media::SecureLegStats secure_stats() {
    media::SecureLegStats copy;
    parley::test::run_on(pool_, [&] {
      ASSERT_NE(endpoint_->secure_stats(), nullptr);
      copy = *endpoint_->secure_stats();
    });
    return copy;
  }

  net::WorkerPool pool_;
  media::PortPool ports_;
  SteadyClock clock_;
  std::shared_ptr<const DtlsIdentity> server_identity_;
  std::unique_ptr<WebRtcLegFactory> factory_;
  media::test::EchoListener listener_;
  std::unique_ptr<media::LocalEndpoint> endpoint_;
  test::TestBrowser browser_;
};

TEST_F(LocalEndpointWebRtcTest, AnswersTheBrowserIceLiteWithOpusAndOneBundledAudioStream) {
  auto text = answer(browser_.offer());
  ASSERT_TRUE(text.ok()) << text.error().message;
  auto ours = sdp::parse(*text);
  ASSERT_TRUE(ours.ok()) << *text;
  ASSERT_EQ(ours->media.size(), 2U);
  const sdp::Media& audio = ours->media[0];
  EXPECT_EQ(audio.protocol, "UDP/TLS/RTP/SAVPF");
  EXPECT_TRUE(audio.rtcp_mux);
  ASSERT_FALSE(audio.formats.empty());
  EXPECT_EQ(audio.formats[0].encoding, "opus");
  EXPECT_EQ(attribute(audio, "setup")->value, "passive");
  EXPECT_EQ(attribute(audio, "mid")->value, "0");
  EXPECT_EQ(attribute(audio, "fingerprint")->value, server_identity_->fingerprint());
  ASSERT_NE(attribute(audio, "candidate"), nullptr);
  EXPECT_NE(
      attribute(audio, "candidate")->value.find(" " + std::to_string(audio.port) + " typ host"),
      std::string::npos);
  EXPECT_EQ(ours->media[1].port, 0);
  EXPECT_EQ(attribute(ours->media[1], "mid")->value, "1");
  EXPECT_TRUE(test::has_session_attribute(*ours, "ice-lite", ""));
  EXPECT_TRUE(test::has_session_attribute(*ours, "group", "BUNDLE 0"));
}

TEST_F(LocalEndpointWebRtcTest, RefusesBrowsersWithoutWebRtcMediaAndOffersWithoutKeys) {
  auto refused = answer(browser_.offer(), /*webrtc=*/false);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, 488);
  std::string no_fingerprint = browser_.offer();
  while (no_fingerprint.find("a=fingerprint:") != std::string::npos) {
    const auto at = no_fingerprint.find("a=fingerprint:");
    no_fingerprint.erase(at, no_fingerprint.find("\r\n", at) + 2 - at);
  }
  auto keyless = answer(no_fingerprint);
  ASSERT_FALSE(keyless.ok());
  EXPECT_EQ(keyless.error().code, 488);
}

TEST_F(LocalEndpointWebRtcTest, TheBrowserHearsItsOwnToneBackOverSrtp) {
  ASSERT_NO_FATAL_FAILURE(connected());
  auto opus = media::create_codec({"opus", 48000, 2, "", media::CodecUse::kBoth});
  ASSERT_TRUE(opus.ok());
  constexpr double kPi = 3.14159265358979323846;
  std::vector<std::int16_t> heard;
  for (int frame = 0; frame < 40; ++frame) {
    std::vector<std::int16_t> pcm(960);
    for (std::size_t i = 0; i < pcm.size(); ++i) {
      pcm[i] = static_cast<std::int16_t>(
          8000.0 * std::sin(2.0 * kPi * 1000.0 *
                            static_cast<double>(frame * 960 + static_cast<int>(i)) / 48000.0));
    }
    Bytes packet(rtp::kRtpHeaderBytes + 400);
    auto size = (*opus)->encode(pcm, std::span(packet).subspan(rtp::kRtpHeaderBytes));
    ASSERT_TRUE(size.ok());
    packet.resize(rtp::kRtpHeaderBytes + *size);
    rtp::write_header(packet, 111, frame == 0, static_cast<std::uint16_t>(300 + frame),
                      static_cast<std::uint32_t>(frame * 960), 0xB0B);
    browser_.socket().send(browser_.far_port(), browser_.protect(packet));
    // The endpoint sends one frame per 20 ms of its own clock, whatever it hears: one frame
    // heard per frame sent keeps the test at that pace, so the echo never runs dry.
    ASSERT_NO_FATAL_FAILURE(browser_.hear_opus(**opus, heard, 40ms, 1));
  }
  // Its first frames were silence (nothing to echo yet): judge the best 200 ms.
  ASSERT_GE(heard.size(), 20U * 960U);
  double best = -100.0;
  for (std::size_t at = 0; at + 9600 <= heard.size(); at += 960) {
    best =
        std::max(best, media::tone_to_residual_db(
                           std::span<const std::int16_t>(heard).subspan(at, 9600), 1000.0, 48000));
  }
  EXPECT_GT(best, 10.0);
  EXPECT_GT(listener_.heard(), 20U);
  EXPECT_TRUE(secure_stats().dtls_connected);
  EXPECT_EQ(secure_stats().srtp_auth_failed, 0U);
}

TEST_F(LocalEndpointWebRtcTest, ForgedPlainAndUncheckedMediaNeverReachTheApplication) {
  // Before any ICE check nothing is sent, and SRTP has no keys.
  auto text = answer(browser_.offer());
  ASSERT_TRUE(text.ok());
  auto parsed = sdp::parse(*text);
  ASSERT_TRUE(parsed.ok());
  EXPECT_FALSE(browser_.socket().receive(100ms).has_value());
  ASSERT_NO_FATAL_FAILURE(browser_.connect(*parsed));
  const std::uint64_t before = listener_.heard();

  Bytes plain(rtp::kRtpHeaderBytes + 160, 0x55);
  rtp::write_header(plain, 0, false, 10, 1600, 0xB0B);
  Bytes forged = browser_.protect(plain);
  forged[rtp::kRtpHeaderBytes + 3] ^= 0x01U;
  browser_.socket().send(browser_.far_port(), forged);
  browser_.socket().send(browser_.far_port(), plain);
  parley::test::UdpTestPeer stranger;  // valid keys, but ICE never checked its address
  rtp::write_header(plain, 0, false, 11, 1760, 0xB0B);
  stranger.send(browser_.far_port(), browser_.protect(plain));
  std::this_thread::sleep_for(200ms);

  EXPECT_EQ(listener_.heard(), before);
  EXPECT_EQ(stats().rtp_received, 0U);
  EXPECT_GE(secure_stats().srtp_auth_failed, 2U);
  EXPECT_GE(stats().dropped_foreign, 1U);
}

}  // namespace
}  // namespace parley::webrtc
