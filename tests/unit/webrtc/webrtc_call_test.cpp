// A WebRTC leg end to end through the media plane, with real sockets on loopback: a "browser"
// made of Parley's own STUN writer, a DTLS client endpoint with its own certificate and SRTP
// sessions talks to MediaService as a browser would, and a plain RTP phone sits on the other leg.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <functional>
#include <future>
#include <optional>
#include <string>
#include <vector>

#include "media/call_media.hpp"
#include "media/codecs/registry.hpp"
#include "media/codecs/tone.hpp"
#include "media/rtp_relay.hpp"
#include "net/worker_pool.hpp"
#include "protocol/rtp/rtp_packet.hpp"
#include "protocol/sdp/session_description.hpp"
#include "protocol/stun/integrity.hpp"
#include "protocol/stun/message.hpp"
#include "protocol/stun/writer.hpp"
#include "support/udp_test_peer.hpp"
#include "test_browser.hpp"
#include "webrtc/dtls_endpoint.hpp"
#include "webrtc/dtls_identity.hpp"
#include "webrtc/webrtc_leg.hpp"

namespace parley::webrtc {
namespace {

namespace rtp = protocol::rtp;
namespace sdp = protocol::sdp;
namespace stun = protocol::stun;
using namespace std::chrono_literals;
using Bytes = std::vector<std::uint8_t>;
using sip::MediaSide;
using test::attribute;
using test::binding_request;

template <typename T>
T run_on(net::WorkerPool& pool, const std::function<T()>& task) {
  std::promise<T> done;
  pool.post(0, [&] { done.set_value(task()); });
  auto future = done.get_future();
  EXPECT_EQ(future.wait_for(10s), std::future_status::ready);
  return future.get();
}

// Parallel test processes each take their own slice of ports.
std::uint16_t port_base() {
  return static_cast<std::uint16_t>(36000 + (::getpid() % 20) * 50);
}

using Socket = parley::test::UdpTestPeer;

Bytes rtp_packet(std::uint8_t pt, std::uint16_t seq, std::uint32_t ts, std::uint32_t ssrc,
                 std::uint8_t fill) {
  Bytes bytes(rtp::kRtpHeaderBytes + 160, fill);
  rtp::write_header(bytes, pt, false, seq, ts, ssrc);
  return bytes;
}

std::string phone_answer(std::uint16_t port) {
  return "v=0\r\no=phone 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
         "m=audio " +
         std::to_string(port) +
         " RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
         "m=video 0 RTP/AVP 96\r\n";
}

class WebRtcCallTest : public ::testing::Test {
 protected:
  WebRtcCallTest() : pool_(1), ports_(port_base(), static_cast<std::uint16_t>(port_base() + 49)) {
    auto identity = DtlsIdentity::generate();
    EXPECT_TRUE(identity.ok());
    server_identity_ = std::move(identity).value();
    factory_ = std::make_unique<WebRtcLegFactory>(server_identity_);
    pool_.start();
  }

  ~WebRtcCallTest() override {
    run_on<bool>(pool_, [this] {
      call_.reset();
      return true;
    });
    pool_.shutdown(std::chrono::milliseconds(200));
  }

  // Caller = browser, callee = plain phone. Returns the SDP answer the browser gets.
  sdp::SessionDescription set_up_call(bool prefers_opus = false) {
    media::MediaOptions options;
    options.bind_address = *net::SocketAddress::parse("127.0.0.1:0");
    options.webrtc = factory_.get();
    options.webrtc_prefers_opus = prefers_opus;
    service_ = std::make_unique<media::MediaService>(pool_, ports_, clock_, options);
    const std::string answer = run_on<std::string>(pool_, [this] {
      auto created = service_->create(sip::CallMediaInfo{1, "1001", "1002"});
      EXPECT_TRUE(created.ok());
      call_ = std::move(created).value();
      auto offer = call_->offer(MediaSide::kCaller, browser_.offer());
      EXPECT_TRUE(offer.ok()) << offer.error().message;
      relayed_offer_ = *offer;
      auto answered = call_->answer(MediaSide::kCallee, phone_answer(phone_.port()));
      EXPECT_TRUE(answered.ok()) << answered.error().message;
      return answered.ok() ? *answered : std::string();
    });
    auto parsed = sdp::parse(answer);
    EXPECT_TRUE(parsed.ok()) << answer;
    return parsed.ok() ? *parsed : sdp::SessionDescription{};
  }

  std::uint16_t phone_side_port() const {
    auto relayed = sdp::parse(relayed_offer_);
    EXPECT_TRUE(relayed.ok());
    return relayed.ok() ? relayed->media[0].port : 0;
  }

  net::WorkerPool pool_;
  media::PortPool ports_;
  SteadyClock clock_;
  std::shared_ptr<const DtlsIdentity> server_identity_;
  std::unique_ptr<WebRtcLegFactory> factory_;
  std::unique_ptr<media::MediaService> service_;
  std::unique_ptr<sip::CallMedia> call_;
  std::string relayed_offer_;
  test::TestBrowser browser_;
  Socket phone_;
  std::uint16_t relay_port_ = 0;

  void connect_browser(const sdp::SessionDescription& answer) {
    ASSERT_NO_FATAL_FAILURE(browser_.connect(answer));
    relay_port_ = browser_.far_port();
  }
  Bytes protect(Bytes packet) { return browser_.protect(std::move(packet)); }
};

TEST_F(WebRtcCallTest, AnswersTheBrowserWithIceLiteDtlsAndOneBundledAudioStream) {
  const sdp::SessionDescription answer = set_up_call();
  ASSERT_EQ(answer.media.size(), 2U);
  const sdp::Media& audio = answer.media[0];
  EXPECT_EQ(audio.protocol, "UDP/TLS/RTP/SAVPF");
  EXPECT_TRUE(audio.rtcp_mux);
  EXPECT_NE(audio.port, 0);
  EXPECT_EQ(attribute(audio, "setup")->value, "passive");
  EXPECT_EQ(attribute(audio, "mid")->value, "0");
  EXPECT_EQ(attribute(audio, "fingerprint")->value, server_identity_->fingerprint());
  EXPECT_NE(attribute(audio, "candidate"), nullptr);
  EXPECT_EQ(attribute(audio, "extmap"), nullptr);
  // The browser gets PCMU, which the phone answered: no transcoding needed.
  ASSERT_FALSE(audio.formats.empty());
  EXPECT_EQ(audio.formats[0].encoding, "PCMU");
  EXPECT_EQ(answer.media[1].port, 0);
  EXPECT_EQ(attribute(answer.media[1], "mid")->value, "1");
  bool lite = false;
  bool bundle = false;
  for (const auto& item : answer.attributes) {
    lite = lite || item.name == "ice-lite";
    bundle = bundle || (item.name == "group" && item.value == "BUNDLE 0");
  }
  EXPECT_TRUE(lite);
  EXPECT_TRUE(bundle);

  // The phone sees plain RTP/AVP without any of the browser's transport details.
  auto relayed = sdp::parse(relayed_offer_);
  ASSERT_TRUE(relayed.ok());
  EXPECT_EQ(relayed->media[0].protocol, "RTP/AVP");
  EXPECT_EQ(attribute(relayed->media[0], "fingerprint"), nullptr);
  EXPECT_EQ(attribute(relayed->media[0], "ice-ufrag"), nullptr);
  EXPECT_EQ(attribute(relayed->media[0], "candidate"), nullptr);
}

// Decision 0055: the browser transfers its call, so a plain phone takes the browser's leg. The
// offer for the new agent is plain (the browser's WebRTC details are not the newcomer's); only
// webrtc_offer() renders it for a browser; the phone's plain answer turns the leg plain.
TEST_F(WebRtcCallTest, TransferOfferForAPhoneInTheBrowsersPlaceIsPlain) {
  set_up_call();
  Socket newcomer;
  struct Offers {
    std::string plain;
    std::string rendered;
    bool answered = false;
  };
  const Offers offers = run_on<Offers>(pool_, [this, &newcomer] {
    Offers out;
    auto plain = call_->transfer_offer(MediaSide::kCaller);
    EXPECT_TRUE(plain.ok()) << plain.error().message;
    if (plain.ok()) out.plain = *plain;
    auto rendered = call_->webrtc_offer(MediaSide::kCaller);
    EXPECT_TRUE(rendered.ok()) << rendered.error().message;
    if (rendered.ok()) out.rendered = *rendered;
    auto answered = call_->answer(MediaSide::kCaller, phone_answer(newcomer.port()));
    EXPECT_TRUE(answered.ok()) << answered.error().message;
    out.answered = answered.ok();
    return out;
  });
  auto plain = sdp::parse(offers.plain);
  ASSERT_TRUE(plain.ok()) << offers.plain;
  EXPECT_EQ(plain->media[0].protocol, "RTP/AVP");
  EXPECT_EQ(attribute(plain->media[0], "fingerprint"), nullptr);
  EXPECT_EQ(attribute(plain->media[0], "ice-ufrag"), nullptr);
  EXPECT_EQ(attribute(plain->media[0], "candidate"), nullptr);
  auto rendered = sdp::parse(offers.rendered);
  ASSERT_TRUE(rendered.ok()) << offers.rendered;
  EXPECT_EQ(rendered->media[0].protocol, "UDP/TLS/RTP/SAVPF");
  EXPECT_NE(attribute(rendered->media[0], "fingerprint"), nullptr);
  EXPECT_TRUE(offers.answered);
}

TEST_F(WebRtcCallTest, SrtpFromTheBrowserReachesThePhoneAsRtpAndBack) {
  const sdp::SessionDescription answer = set_up_call();
  ASSERT_NO_FATAL_FAILURE(connect_browser(answer));
  auto relayed = sdp::parse(relayed_offer_);
  ASSERT_TRUE(relayed.ok());
  const std::uint16_t phone_side_port = relayed->media[0].port;

  // Browser -> phone: SRTP in, plain PCMU out.
  browser_.socket().send(relay_port_, protect(rtp_packet(0, 100, 1000, 0xB0B, 0x11)));
  auto at_phone = phone_.receive();
  ASSERT_TRUE(at_phone.has_value());
  auto view = rtp::parse_rtp(*at_phone);
  ASSERT_TRUE(view.has_value());
  EXPECT_EQ(view->payload_type, 0);
  ASSERT_EQ(view->payload.size(), 160U);
  EXPECT_EQ(view->payload[0], 0x11);

  // Phone -> browser: plain in, SRTP out that the browser's session authenticates.
  phone_.send(phone_side_port, rtp_packet(0, 500, 8000, 0xCAFE, 0x22));
  auto at_browser = browser_.socket().receive();
  ASSERT_TRUE(at_browser.has_value());
  EXPECT_NE(at_browser->size(), rtp::kRtpHeaderBytes + 160);  // carries the tag
  const auto packet = browser_.unprotect(*at_browser);
  ASSERT_TRUE(packet.has_value());
  auto clear_view = rtp::parse_rtp(*packet);
  ASSERT_TRUE(clear_view.has_value());
  EXPECT_EQ(clear_view->payload[0], 0x22);
}

TEST_F(WebRtcCallTest, ForgedOrUnkeyedMediaNeverReachesThePhone) {
  const sdp::SessionDescription answer = set_up_call();
  const sdp::Media& audio = answer.media[0];
  const std::string ufrag = attribute(audio, "ice-ufrag")->value;
  // Before ICE: a binding request with a wrong password is refused (401), no media address.
  browser_.socket().send(audio.port,
                         binding_request(ufrag + ":brws", "wrongwrongwrongwrongwrong", true));
  auto refused = browser_.socket().receive();
  ASSERT_TRUE(refused.has_value());
  auto parsed = stun::parse_message(*refused);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->message_class, stun::MessageClass::kErrorResponse);

  ASSERT_NO_FATAL_FAILURE(connect_browser(answer));
  // Tampered SRTP: one payload bit flipped after protection.
  Bytes forged = protect(rtp_packet(0, 101, 1160, 0xB0B, 0x33));
  forged[rtp::kRtpHeaderBytes + 3] ^= 0x01U;
  browser_.socket().send(relay_port_, forged);
  // Plain RTP on the WebRTC leg: not SRTP, fails authentication.
  browser_.socket().send(relay_port_, rtp_packet(0, 102, 1320, 0xB0B, 0x44));
  // Garbage of every RFC 7983 class.
  browser_.socket().send(relay_port_, Bytes{0x00, 0x01, 0x00, 0x00});
  browser_.socket().send(relay_port_, Bytes{22, 0xfe, 0xfd, 0, 0, 0, 0});
  browser_.socket().send(relay_port_, Bytes{0x70, 1, 2, 3});
  EXPECT_FALSE(phone_.receive(300ms).has_value());

  // From another address with valid keys: refused, ICE did not check that address.
  Socket stranger;
  stranger.send(relay_port_, protect(rtp_packet(0, 103, 1480, 0xB0B, 0x55)));
  EXPECT_FALSE(phone_.receive(300ms).has_value());

  // The real browser still gets through afterwards.
  browser_.socket().send(relay_port_, protect(rtp_packet(0, 104, 1640, 0xB0B, 0x66)));
  auto at_phone = phone_.receive();
  ASSERT_TRUE(at_phone.has_value());
  auto view = rtp::parse_rtp(*at_phone);
  ASSERT_TRUE(view.has_value());
  EXPECT_EQ(view->payload[0], 0x66);
}

// A browser that offers Opus gets Opus even though the phone answered PCMU only; the relay
// decrypts, transcodes and encrypts, and each side hears the other's tone.
TEST_F(WebRtcCallTest, BrowserGetsOpusAndHearsThePhoneThroughTranscoding) {
  const sdp::SessionDescription answer = set_up_call(/*prefers_opus=*/true);
  ASSERT_FALSE(answer.media.empty());
  ASSERT_FALSE(answer.media[0].formats.empty());
  EXPECT_EQ(answer.media[0].formats[0].encoding, "opus");
  ASSERT_NO_FATAL_FAILURE(connect_browser(answer));
  const std::uint16_t phone_port = phone_side_port();

  auto opus = media::create_codec({"opus", 48000, 2, "", media::CodecUse::kBoth});
  auto pcmu = media::create_codec({"PCMU", 8000, 1, "", media::CodecUse::kBoth});
  ASSERT_TRUE(opus.ok());
  ASSERT_TRUE(pcmu.ok());
  constexpr double kPi = 3.14159265358979323846;
  auto tone = [&](double frequency, int rate, int samples, int start) {
    std::vector<std::int16_t> pcm(static_cast<std::size_t>(samples));
    for (int i = 0; i < samples; ++i) {
      pcm[static_cast<std::size_t>(i)] =
          static_cast<std::int16_t>(8000.0 * std::sin(2.0 * kPi * frequency * (start + i) / rate));
    }
    return pcm;
  };

  // Browser -> phone: 1 kHz in Opus, heard as PCMU.
  std::vector<std::int16_t> heard_by_phone;
  for (int frame = 0; frame < 25; ++frame) {
    const auto pcm = tone(1000.0, 48000, 960, frame * 960);
    Bytes packet(rtp::kRtpHeaderBytes + 400);
    auto size = (*opus)->encode(pcm, std::span(packet).subspan(rtp::kRtpHeaderBytes));
    ASSERT_TRUE(size.ok());
    packet.resize(rtp::kRtpHeaderBytes + *size);
    rtp::write_header(packet, 111, frame == 0, static_cast<std::uint16_t>(200 + frame),
                      static_cast<std::uint32_t>(frame * 960), 0xB0B);
    browser_.socket().send(relay_port_, protect(packet));
    while (auto got = phone_.receive(frame < 24 ? 20ms : 300ms)) {
      auto view = rtp::parse_rtp(*got);
      ASSERT_TRUE(view.has_value());
      ASSERT_EQ(view->payload_type, 0);
      std::vector<std::int16_t> pcm8(view->payload.size());
      auto decoded = (*pcmu)->decode(view->payload, pcm8);
      ASSERT_TRUE(decoded.ok());
      heard_by_phone.insert(heard_by_phone.end(), pcm8.begin(), pcm8.end());
    }
  }
  ASSERT_GE(heard_by_phone.size(), 1600U);
  const std::span<const std::int16_t> tail =
      std::span<const std::int16_t>(heard_by_phone).last(1600);
  EXPECT_GT(media::tone_to_residual_db(tail, 1000.0, 8000), 10.0);

  // Phone -> browser: 1.6 kHz in PCMU, heard in Opus after SRTP.
  std::vector<std::int16_t> heard_by_browser;
  for (int frame = 0; frame < 25; ++frame) {
    const auto pcm = tone(1600.0, 8000, 160, frame * 160);
    Bytes packet(rtp::kRtpHeaderBytes + 160);
    auto size = (*pcmu)->encode(pcm, std::span(packet).subspan(rtp::kRtpHeaderBytes));
    ASSERT_TRUE(size.ok());
    rtp::write_header(packet, 0, frame == 0, static_cast<std::uint16_t>(700 + frame),
                      static_cast<std::uint32_t>(frame * 160), 0xCAFE);
    phone_.send(phone_port, packet);
    ASSERT_NO_FATAL_FAILURE(
        browser_.hear_opus(**opus, heard_by_browser, frame < 24 ? 20ms : 300ms));
  }
  ASSERT_GE(heard_by_browser.size(), 9600U);
  const std::span<const std::int16_t> heard =
      std::span<const std::int16_t>(heard_by_browser).last(9600);
  EXPECT_GT(media::tone_to_residual_db(heard, 1600.0, 48000), 10.0);
}

}  // namespace
}  // namespace parley::webrtc
