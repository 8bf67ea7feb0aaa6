// LocalEndpoint on real sockets on 127.0.0.1: the SDP answers it gives, what it sends on its
// own 20 ms clock, what it decodes and reports, and whom it latches to.

#include "media/local_endpoint.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <memory>
#include <thread>

#include "codec_test_util.hpp"
#include "local_endpoint_test_util.hpp"
#include "media/rtp_relay.hpp"
#include "protocol/rtp/rtp_packet.hpp"
#include "protocol/sdp/session_description.hpp"

namespace parley::media {
namespace {

namespace rtp = protocol::rtp;
namespace sdp = protocol::sdp;
using test::EchoListener;
using test::offer_sdp;
using test::run_on;
using test::UdpPeer;
using Bytes = std::vector<std::uint8_t>;
using namespace std::chrono_literals;

std::uint16_t port_base() {
  return static_cast<std::uint16_t>(24000 + (::getpid() % 40) * 100);
}

Bytes rtp_packet(std::uint8_t pt, std::uint16_t seq, std::uint32_t ts,
                 std::span<const std::uint8_t> payload, bool marker = false) {
  Bytes bytes(rtp::kRtpHeaderBytes + payload.size());
  rtp::write_header(bytes, pt, marker, seq, ts, 0x1234);
  std::copy(payload.begin(), payload.end(), bytes.begin() + rtp::kRtpHeaderBytes);
  return bytes;
}

Bytes event_packet(std::uint8_t pt, std::uint16_t seq, std::uint32_t ts, std::uint8_t event,
                   bool end, std::uint16_t duration) {
  std::array<std::uint8_t, 4> payload{};
  rtp::write_telephone_event(payload, rtp::TelephoneEvent{event, end, 10, duration});
  return rtp_packet(pt, seq, ts, payload);
}

class LocalEndpointTest : public ::testing::Test {
 protected:
  void SetUp() override { pool_.start(); }
  void TearDown() override {
    run_on(pool_, [&] { endpoint_.reset(); });
    pool_.shutdown(2s);
    EXPECT_EQ(ports_.in_use(), 0U);
  }

  void create(Duration window = 10s) {
    LocalEndpointOptions options;
    options.bind_address = *net::SocketAddress::parse("127.0.0.1:0");
    options.latch_window = window;
    run_on(pool_, [&] {
      endpoint_.reset();  // the previous one, if any, gives its port back first
      auto made = LocalEndpoint::create(pool_, 0, ports_, clock_, options, listener_);
      ASSERT_TRUE(made.ok()) << made.error().message;
      endpoint_ = std::move(made).value();
    });
    ASSERT_NE(endpoint_, nullptr);
  }

  Result<std::string> answer(const std::string& offer) {
    Result<std::string> result = Error{0, "not run"};
    run_on(pool_, [&] { result = endpoint_->answer(offer); });
    return result;
  }
  sdp::SessionDescription answered(const std::string& offer) {
    auto text = answer(offer);
    EXPECT_TRUE(text.ok()) << text.error().message;
    auto parsed = sdp::parse(text.ok() ? *text : std::string());
    EXPECT_TRUE(parsed.ok());
    return parsed.ok() ? *parsed : sdp::SessionDescription{};
  }
  LocalEndpointStats stats() {
    LocalEndpointStats copy;
    run_on(pool_, [&] { copy = endpoint_->stats(); });
    return copy;
  }
  bool sending() {
    bool value = false;
    run_on(pool_, [&] { value = endpoint_->sending(); });
    return value;
  }
  std::uint16_t port() const { return endpoint_->local_port(); }

  // Sends `packets` to the endpoint every 20 ms and returns the payloads of type `pt` that came
  // back meanwhile (and for 200 ms after).
  std::vector<Bytes> exchange(UdpPeer& peer, const std::vector<test::Packet>& packets,
                              std::uint8_t pt) {
    std::vector<Bytes> back;
    auto collect = [&] {
      while (auto got = peer.receive_view(1ms)) {
        const auto view = rtp::parse_rtp(*got);
        if (view && view->payload_type == pt) {
          back.emplace_back(view->payload.begin(), view->payload.end());
        }
      }
    };
    auto next = std::chrono::steady_clock::now();
    for (const test::Packet& packet : packets) {
      peer.send(port(), rtp_packet(pt, packet.sequence, packet.timestamp, packet.payload));
      next += 20ms;
      while (std::chrono::steady_clock::now() < next) collect();
    }
    const auto end = std::chrono::steady_clock::now() + 200ms;
    while (std::chrono::steady_clock::now() < end) collect();
    return back;
  }

  net::WorkerPool pool_{1};
  PortPool ports_{port_base(), static_cast<std::uint16_t>(port_base() + 99)};
  SteadyClock clock_;
  EchoListener listener_;
  std::unique_ptr<LocalEndpoint> endpoint_;
};

struct Choice {
  std::vector<std::string> offered;
  std::string encoding;
  int payload_type;
  int rate;
};

TEST_F(LocalEndpointTest, AnswersWithTheBestCodecOfferedInTheOfferersNumbers) {
  const std::vector<Choice> choices{
      {{"8 PCMA/8000", "0 PCMU/8000", "9 G722/8000", "111 opus/48000/2"}, "opus", 111, 16000},
      {{"8 PCMA/8000", "18 G729/8000", "9 G722/8000"}, "G722", 9, 16000},
      {{"8 PCMA/8000", "0 PCMU/8000"}, "PCMU", 0, 8000},
      {{"18 G729/8000", "8 PCMA/8000"}, "PCMA", 8, 8000},
  };
  for (const Choice& choice : choices) {
    create();
    const auto out = answered(offer_sdp(40000, choice.offered));
    ASSERT_EQ(out.media.size(), 1U);
    const sdp::Media& media = out.media[0];
    ASSERT_EQ(media.formats.size(), 1U) << choice.encoding;
    EXPECT_EQ(media.formats[0].encoding, choice.encoding);
    EXPECT_EQ(media.formats[0].payload_type, choice.payload_type);
    EXPECT_EQ(media.port, port());
    EXPECT_EQ(out.connection->address, "127.0.0.1");
    EXPECT_EQ(media.ptime, 20);
    EXPECT_FALSE(media.rtcp_mux);
    int rate = 0;
    run_on(pool_, [&] { rate = endpoint_->sample_rate(); });
    EXPECT_EQ(rate, choice.rate) << choice.encoding;
  }
}

TEST_F(LocalEndpointTest, KeepsTelephoneEventAndRtcpMuxAndRefusesOtherStreams) {
  create();
  const std::string offer =
      offer_sdp(40000, {"0 PCMU/8000", "100 telephone-event/48000", "101 telephone-event/8000"},
                "a=rtcp-mux\r\nm=video 40002 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\n");
  const auto out = answered(offer);
  ASSERT_EQ(out.media.size(), 2U);
  ASSERT_EQ(out.media[0].formats.size(), 2U);
  EXPECT_EQ(out.media[0].formats[1].encoding, "telephone-event");
  EXPECT_EQ(out.media[0].formats[1].payload_type, 101);  // the 8 kHz one
  EXPECT_TRUE(out.media[0].rtcp_mux);
  EXPECT_EQ(out.media[1].type, "video");
  EXPECT_EQ(out.media[1].port, 0);
  // The same offer again gives the same bytes; a different answer bumps the o= version.
  const auto first = answer(offer);
  const auto again = answer(offer);
  ASSERT_TRUE(first.ok() && again.ok());
  EXPECT_EQ(*first, *again);
  const auto held = answered(offer_sdp(40000, {"0 PCMU/8000"}, "a=sendonly\r\n"));
  EXPECT_EQ(held.origin.version, out.origin.version + 1);
}

TEST_F(LocalEndpointTest, AnswersOnIpv6) {
  LocalEndpointOptions options;
  options.bind_address = *net::SocketAddress::parse("[::1]:0");
  run_on(pool_, [&] {
    auto made = LocalEndpoint::create(pool_, 0, ports_, clock_, options, listener_);
    ASSERT_TRUE(made.ok()) << made.error().message;
    endpoint_ = std::move(made).value();
  });
  ASSERT_NE(endpoint_, nullptr);
  const auto out = answered(
      "v=0\r\no=- 1 1 IN IP6 ::1\r\ns=-\r\nc=IN IP6 ::1\r\nt=0 0\r\n"
      "m=audio 40000 RTP/AVP 0\r\n");
  ASSERT_TRUE(out.connection);
  EXPECT_EQ(out.connection->address_type, "IP6");
  EXPECT_EQ(out.connection->address, "::1");
  EXPECT_EQ(out.origin.address_type, "IP6");
  EXPECT_EQ(out.media[0].port, port());
}

TEST_F(LocalEndpointTest, RefusesWhatItCannotUse) {
  create();
  auto garbage = answer("this is not SDP");
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.error().code, 400);
  for (const std::string& offer :
       {offer_sdp(40000, {"18 G729/8000"}),
        offer_sdp(40000, {"0 PCMU/8000"}, "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:x\r\n",
                  "RTP/SAVP"),
        std::string("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                    "m=video 40000 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\n")}) {
    auto refused = answer(offer);
    ASSERT_FALSE(refused.ok()) << offer;
    EXPECT_EQ(refused.error().code, 488) << refused.error().message;
  }
}

TEST_F(LocalEndpointTest, SendsAContinuousStreamOnItsOwnClock) {
  create();
  UdpPeer peer;
  ASSERT_TRUE(answer(offer_sdp(peer.port(), {"8 PCMA/8000"})).ok());
  std::uint16_t last_sequence = 0;
  std::uint32_t last_timestamp = 0;
  std::uint32_t ssrc = 0;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 25; ++i) {
    const auto got = peer.receive_view(500ms);
    ASSERT_TRUE(got) << "packet " << i;
    const auto view = rtp::parse_rtp(*got);
    ASSERT_TRUE(view);
    EXPECT_EQ(view->payload_type, 8);
    EXPECT_EQ(view->payload.size(), 160U);
    if (i > 0) {
      EXPECT_EQ(view->ssrc, ssrc);
      EXPECT_EQ(view->sequence, static_cast<std::uint16_t>(last_sequence + 1));
      EXPECT_EQ(view->timestamp, last_timestamp + 160);
    }
    ssrc = view->ssrc;
    last_sequence = view->sequence;
    last_timestamp = view->timestamp;
  }
  // 25 frames of 20 ms: paced, not a burst.
  EXPECT_GE(std::chrono::steady_clock::now() - start, 400ms);
  EXPECT_GE(listener_.asked(), 25U);
}

TEST_F(LocalEndpointTest, StopsSendingWhileTheCallerHolds) {
  create();
  UdpPeer peer;
  ASSERT_TRUE(answer(offer_sdp(peer.port(), {"0 PCMU/8000"})).ok());
  ASSERT_TRUE(peer.receive_view(500ms));
  for (const auto& [direction, answered_direction] :
       {std::pair{"sendonly", sdp::Direction::kRecvOnly},
        std::pair{"inactive", sdp::Direction::kInactive}}) {
    const auto held =
        answered(offer_sdp(peer.port(), {"0 PCMU/8000"}, std::string("a=") + direction + "\r\n"));
    ASSERT_EQ(held.media.size(), 1U);
    EXPECT_EQ(held.media[0].direction, answered_direction) << direction;
    EXPECT_FALSE(sending());
    peer.drain();
    EXPECT_FALSE(peer.receive_view(200ms)) << "media sent while held (" << direction << ")";
  }
  // Old-style hold: c=0.0.0.0.
  std::string old_style = offer_sdp(peer.port(), {"0 PCMU/8000"});
  old_style.replace(old_style.find("c=IN IP4 127.0.0.1"), 18, "c=IN IP4 0.0.0.0");
  ASSERT_TRUE(answer(old_style).ok());
  EXPECT_FALSE(sending());
  const auto resumed = answered(offer_sdp(peer.port(), {"0 PCMU/8000"}));
  EXPECT_EQ(resumed.media[0].effective_direction(resumed.direction), sdp::Direction::kSendRecv);
  EXPECT_TRUE(sending());
  const auto got = peer.receive_view(500ms);
  ASSERT_TRUE(got) << "no media after resume";
  const auto view = rtp::parse_rtp(*got);
  ASSERT_TRUE(view);
  EXPECT_TRUE(view->marker) << "the first packet after a pause carries the marker";
}

TEST_F(LocalEndpointTest, EchoesPcmuAtItsLevelAndPitch) {
  create();
  UdpPeer peer;
  ASSERT_TRUE(answer(offer_sdp(peer.port(), {"0 PCMU/8000"})).ok());
  const CodecSpec pcmu{"PCMU", 8000, 1, ""};
  const auto back = exchange(peer, test::tone_packets(pcmu, 700.0, -10.0, 60), 0);
  const auto track = test::decode_all(pcmu, back);
  const auto window = test::tail(track, 8000, 400);
  ASSERT_FALSE(window.empty()) << back.size() << " packets came back";
  // Silence before the first echo, then the tone: judge the end of what came back.
  EXPECT_NEAR(tone_level_dbm0(window.subspan(0, 1600), 700.0, 8000), -10.0, 1.0);
  EXPECT_GT(tone_to_residual_db(window.subspan(0, 1600), 700.0, 8000), 25.0);
  const auto stats_now = stats();
  EXPECT_GE(stats_now.frames_decoded, 55U);
  EXPECT_EQ(stats_now.dropped_foreign, 0U);
  EXPECT_GE(listener_.heard(), 55U);
}

TEST_F(LocalEndpointTest, EchoesOpusThroughItsSixteenKilohertzPcm) {
  create();
  UdpPeer peer;
  ASSERT_TRUE(answer(offer_sdp(peer.port(), {"111 opus/48000/2", "0 PCMU/8000"})).ok());
  const CodecSpec opus{"opus", 48000, 2, ""};
  const auto back = exchange(peer, test::tone_packets(opus, 700.0, -10.0, 60), 111);
  const auto track = test::decode_all(opus, back);
  const auto window = test::tail(track, 48000, 400);
  ASSERT_FALSE(window.empty()) << back.size() << " packets came back";
  EXPECT_NEAR(tone_level_dbm0(window.subspan(0, 9600), 700.0, 48000), -10.0, 2.0);
  EXPECT_GT(tone_to_residual_db(window.subspan(0, 9600), 700.0, 48000), 15.0);
}

TEST_F(LocalEndpointTest, ReportsEachKeyPressOnceAsBeginAndEnd) {
  create();
  UdpPeer peer;
  ASSERT_TRUE(answer(offer_sdp(peer.port(), {"0 PCMU/8000", "101 telephone-event/8000"})).ok());
  std::uint16_t seq = 10;
  // '5': three updates and three end packets of one event (one timestamp).
  for (std::uint16_t duration : {160, 320, 480}) {
    peer.send(port(), event_packet(101, seq++, 8000, 5, false, duration));
  }
  for (int i = 0; i < 3; ++i) peer.send(port(), event_packet(101, seq++, 8000, 5, true, 640));
  // '#': only its end packets arrive (the first ones were lost).
  for (int i = 0; i < 3; ++i) peer.send(port(), event_packet(101, seq++, 9600, 11, true, 800));
  // A late repeat of '5' must not count again.
  peer.send(port(), event_packet(101, seq++, 8000, 5, true, 640));
  std::vector<DtmfDigit> digits;
  for (int i = 0; i < 100 && digits.size() < 4; ++i) {
    std::this_thread::sleep_for(10ms);
    digits = listener_.digits();
  }
  std::this_thread::sleep_for(50ms);
  digits = listener_.digits();
  ASSERT_EQ(digits.size(), 4U);
  EXPECT_EQ(digits[0].digit, '5');
  EXPECT_FALSE(digits[0].end);
  EXPECT_EQ(digits[1].digit, '5');
  EXPECT_TRUE(digits[1].end);
  EXPECT_EQ(digits[1].duration, 80ms);
  EXPECT_EQ(digits[2].digit, '#');
  EXPECT_FALSE(digits[2].end);
  EXPECT_EQ(digits[3].digit, '#');
  EXPECT_TRUE(digits[3].end);
  EXPECT_EQ(digits[3].duration, 100ms);
}

TEST_F(LocalEndpointTest, AStormOfKeyPressesReachesTheApplicationAtAHumansPaceOnly) {
  create();
  UdpPeer peer;
  ASSERT_TRUE(answer(offer_sdp(peer.port(), {"0 PCMU/8000", "101 telephone-event/8000"})).ok());
  // 400 distinct events (one end packet each) within about 50 ms: paused every 50 packets only
  // so that the kernel's receive buffer keeps them all.
  constexpr int kStorm = 400;
  std::uint16_t seq = 1;
  for (int i = 0; i < kStorm; ++i) {
    peer.send(port(), event_packet(101, seq++, 8000U + 400U * static_cast<std::uint32_t>(i),
                                   static_cast<std::uint8_t>(i % 10), true, 320));
    if (i % 50 == 49) std::this_thread::sleep_for(5ms);
  }
  LocalEndpointStats counted;
  for (int i = 0; i < 200; ++i) {
    counted = stats();
    if (counted.rtp_received == kStorm) break;
    std::this_thread::sleep_for(5ms);
  }
  ASSERT_EQ(counted.rtp_received, static_cast<std::uint64_t>(kStorm));
  const std::size_t heard = listener_.digits().size() / 2;  // a begin and an end each
  EXPECT_GE(heard, 30U);                                    // the burst
  EXPECT_LE(heard, 60U);  // and what the budget refilled meanwhile (15 a second)
  EXPECT_EQ(counted.dropped_dtmf + heard, static_cast<std::uint64_t>(kStorm));
  // A second later a person's key press is heard again.
  std::this_thread::sleep_for(1100ms);
  peer.send(port(), event_packet(101, seq++, 900000, 11, true, 320));
  std::vector<DtmfDigit> digits;
  for (int i = 0; i < 100; ++i) {
    digits = listener_.digits();
    if (!digits.empty() && digits.back().digit == '#') break;
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_FALSE(digits.empty());
  EXPECT_EQ(digits.back().digit, '#');
  EXPECT_TRUE(digits.back().end);
}

TEST_F(LocalEndpointTest, LatchesToTheSdpAddressAndDropsStrangers) {
  create();
  UdpPeer caller;
  UdpPeer stranger;
  ASSERT_TRUE(answer(offer_sdp(caller.port(), {"0 PCMU/8000"})).ok());
  const std::array<std::uint8_t, 160> silence{};
  caller.send(port(), rtp_packet(0, 1, 160, silence));
  for (std::uint16_t i = 0; i < 5; ++i) stranger.send(port(), rtp_packet(0, 100 + i, 0, silence));
  std::this_thread::sleep_for(100ms);
  const auto after = stats();
  ASSERT_TRUE(after.latched);
  EXPECT_EQ(after.latched->port(), caller.port());
  EXPECT_EQ(after.rtp_received, 1U);
  EXPECT_EQ(after.dropped_foreign, 5U);
}

TEST_F(LocalEndpointTest, LatchesBehindNatWithinTheWindowAndSendsThere) {
  create();
  UdpPeer behind_nat;
  // The SDP names a private address nobody answers at; RTP comes from elsewhere.
  ASSERT_TRUE(answer(offer_sdp(9, {"0 PCMU/8000"})).ok());
  const std::array<std::uint8_t, 160> silence{};
  behind_nat.send(port(), rtp_packet(0, 1, 160, silence));
  const auto got = behind_nat.receive_view(500ms);
  ASSERT_TRUE(got) << "media did not follow the latched source";
  EXPECT_EQ(stats().latched->port(), behind_nat.port());
}

TEST_F(LocalEndpointTest, NoNatLatchAfterTheWindow) {
  create(/*window=*/0s);
  UdpPeer other;
  ASSERT_TRUE(answer(offer_sdp(9, {"0 PCMU/8000"})).ok());
  const std::array<std::uint8_t, 160> silence{};
  other.send(port(), rtp_packet(0, 1, 160, silence));
  std::this_thread::sleep_for(100ms);
  const auto after = stats();
  EXPECT_FALSE(after.latched);
  EXPECT_EQ(after.dropped_foreign, 1U);
}

}  // namespace
}  // namespace parley::media
