#include "media/rtp_relay.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <optional>
#include <vector>

#include "media/recording_tap.hpp"
#include "net/worker_pool.hpp"
#include "protocol/rtp/rtp_packet.hpp"
#include "support/udp_test_peer.hpp"

namespace parley::media {
namespace {

namespace rtp = protocol::rtp;
using namespace std::chrono_literals;
using Bytes = std::vector<std::uint8_t>;

using Peer = parley::test::UdpTestPeer;
using parley::test::open_descriptors;
using parley::test::run_on;

Bytes rtp_packet(std::uint8_t pt, std::uint16_t seq, std::uint32_t ts, std::uint32_t ssrc,
                 std::uint8_t fill = 0x55, std::size_t payload = 20) {
  Bytes bytes(rtp::kRtpHeaderBytes + payload, fill);
  rtp::write_header(bytes, pt, false, seq, ts, ssrc);
  return bytes;
}

// An RR with one report block (32 bytes).
Bytes receiver_report(std::uint32_t ssrc) {
  Bytes bytes(32, 0);
  bytes[0] = 0x81;
  bytes[1] = 201;
  bytes[3] = 7;
  bytes[4] = static_cast<std::uint8_t>(ssrc >> 24U);
  bytes[5] = static_cast<std::uint8_t>(ssrc >> 16U);
  bytes[6] = static_cast<std::uint8_t>(ssrc >> 8U);
  bytes[7] = static_cast<std::uint8_t>(ssrc);
  return bytes;
}

std::uint32_t rtcp_sender_ssrc(const Bytes& bytes) {
  return (std::uint32_t{bytes[4]} << 24U) | (std::uint32_t{bytes[5]} << 16U) |
         (std::uint32_t{bytes[6]} << 8U) | bytes[7];
}

// Ports below the usual ephemeral range, spread by process so parallel test runs rarely meet;
// when they do, create() moves on to the next free pair.
std::uint16_t port_base() {
  return static_cast<std::uint16_t>(20000 + (::getpid() % 50) * 200);
}

// Test-only codec: inverts every payload byte and emits one 160-sample frame per packet.
class InvertingTranscoder final : public Transcoder {
 public:
  void push(std::uint16_t /*sequence*/, std::uint32_t /*timestamp*/,
            std::span<const std::uint8_t> payload) override {
    pending_ = true;
    frame_.assign(payload.begin(), payload.end());
    for (auto& byte : frame_) byte = static_cast<std::uint8_t>(~byte);
    ++decoded_;
  }
  bool pop(EncodedFrame& frame) override {
    if (!pending_) return false;
    pending_ = false;
    frame.payload = frame_;
    frame.samples = 160;
    return true;
  }
  std::uint64_t frames_decoded() const override { return decoded_; }
  std::uint64_t frames_concealed() const override { return 0; }
  std::uint64_t packets_dropped() const override { return 0; }

 private:
  bool pending_ = false;
  Bytes frame_;
  std::uint64_t decoded_ = 0;
};

Forwarding passthrough(std::uint8_t in, std::uint8_t out) {
  Forwarding forwarding;
  forwarding.payload_map[in] = out;
  return forwarding;
}

class RtpRelayTest : public ::testing::Test {
 protected:
  void SetUp() override { pool_.start(); }
  void TearDown() override {
    run_on(pool_, [&] { relay_.reset(); });
    pool_.shutdown(2s);
    EXPECT_EQ(ports_.in_use(), 0U);
  }

  void create(Duration window = 10s) {
    RelayOptions options;
    options.bind_address = *net::SocketAddress::parse("127.0.0.1:0");
    options.latch_window = window;
    run_on(pool_, [&] {
      auto relay = RtpRelay::create(pool_, 0, ports_, clock_, options);
      ASSERT_TRUE(relay.ok()) << relay.error().message;
      relay_ = std::move(*relay);
    });
    ASSERT_NE(relay_, nullptr);
    port_a_ = relay_->local_port(Leg::kA);
    port_b_ = relay_->local_port(Leg::kB);
  }

  void remote(Leg leg, const net::SocketAddress& rtp_address, bool mux = false,
              bool receives = true, net::SocketAddress rtcp_address = {}) {
    LegRemote remote;
    remote.rtp = rtp_address;
    remote.rtcp = rtcp_address;
    remote.rtcp_mux = mux;
    remote.receives = receives;
    run_on(pool_, [&] { relay_->set_remote(leg, remote); });
  }

  void forward(Leg from, Forwarding forwarding) {
    run_on(pool_, [&] { relay_->set_forwarding(from, std::move(forwarding)); });
  }

  LegStats stats(Leg leg) {
    LegStats copy;
    run_on(pool_, [&] { copy = relay_->stats(leg); });
    return copy;
  }

  net::SocketAddress relay_address(std::uint16_t port) const {
    return *net::SocketAddress::parse("127.0.0.1", port);
  }

  net::WorkerPool pool_{1};
  PortPool ports_{port_base(), static_cast<std::uint16_t>(port_base() + 199)};
  ManualClock clock_;  // read and moved only on the worker thread
  std::unique_ptr<RtpRelay> relay_;
  std::uint16_t port_a_ = 0;
  std::uint16_t port_b_ = 0;
  Peer a_;
  Peer b_;
};

TEST_F(RtpRelayTest, RelaysWithMappedPayloadTypeAndOneContinuousStream) {
  create();
  EXPECT_EQ(port_a_ % 2, 0);
  EXPECT_EQ(port_b_ % 2, 0);
  EXPECT_NE(port_a_, port_b_);
  EXPECT_EQ(ports_.in_use(), 2U);
  remote(Leg::kA, a_.address());
  remote(Leg::kB, b_.address());
  forward(Leg::kA, passthrough(96, 111));
  forward(Leg::kB, passthrough(111, 96));

  std::optional<std::uint32_t> out_ssrc;
  std::uint16_t last_seq = 0;
  std::uint32_t last_ts = 0;
  for (int i = 0; i < 5; ++i) {
    a_.send(port_a_, rtp_packet(96, static_cast<std::uint16_t>(65533 + i),
                                1000 + 160 * static_cast<std::uint32_t>(i), 0x1111, 0x10));
    const auto got = b_.receive_from();
    ASSERT_TRUE(got.has_value()) << i;
    EXPECT_EQ(got->from, relay_address(port_b_));
    const auto view = rtp::parse_rtp(got->bytes);
    ASSERT_TRUE(view.has_value());
    EXPECT_EQ(view->payload_type, 111);
    EXPECT_NE(view->ssrc, 0x1111U);
    EXPECT_EQ(view->payload.size(), 20U);
    EXPECT_EQ(view->payload[0], 0x10);
    if (i == 0) {
      out_ssrc = view->ssrc;
    } else {
      EXPECT_EQ(view->ssrc, *out_ssrc);
      EXPECT_EQ(view->sequence, static_cast<std::uint16_t>(last_seq + 1));
      EXPECT_EQ(view->timestamp - last_ts, 160U);
      EXPECT_FALSE(view->marker);
    }
    last_seq = view->sequence;
    last_ts = view->timestamp;
  }

  // The caller's phone switches SSRC (e.g. after a transfer), 1 s later by the clock.
  run_on(pool_, [&] { clock_.advance(1s); });
  for (int i = 0; i < 3; ++i) {
    a_.send(port_a_, rtp_packet(96, static_cast<std::uint16_t>(9000 + i),
                                7777777 + 160 * static_cast<std::uint32_t>(i), 0x2222, 0x20));
    const auto got = b_.receive_from();
    ASSERT_TRUE(got.has_value()) << i;
    const auto view = rtp::parse_rtp(got->bytes);
    ASSERT_TRUE(view.has_value());
    EXPECT_EQ(view->ssrc, *out_ssrc);
    EXPECT_EQ(view->payload[0], 0x20);
    EXPECT_EQ(view->sequence, static_cast<std::uint16_t>(last_seq + 1));
    if (i == 0) {
      EXPECT_TRUE(view->marker);                    // the receiver resynchronises
      EXPECT_EQ(view->timestamp - last_ts, 8000U);  // one second at 8 kHz
    } else {
      EXPECT_EQ(view->timestamp - last_ts, 160U);
    }
    last_seq = view->sequence;
    last_ts = view->timestamp;
  }

  // And the other way, with the reverse mapping and another SSRC of our own.
  b_.send(port_b_, rtp_packet(111, 1, 1, 0x3333));
  const auto back = a_.receive_from();
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->from, relay_address(port_a_));
  const auto back_view = rtp::parse_rtp(back->bytes);
  ASSERT_TRUE(back_view.has_value());
  EXPECT_EQ(back_view->payload_type, 96);
  EXPECT_NE(back_view->ssrc, *out_ssrc);

  const LegStats a = stats(Leg::kA);
  const LegStats b = stats(Leg::kB);
  EXPECT_EQ(a.rtp_received, 8U);
  EXPECT_EQ(b.rtp_sent, 8U);
  EXPECT_EQ(b.rtp_received, 1U);
  EXPECT_EQ(a.rtp_sent, 1U);
  ASSERT_TRUE(a.latched.has_value());
  EXPECT_EQ(*a.latched, a_.address());
  EXPECT_EQ(a.dropped_payload + a.dropped_foreign + a.dropped_malformed, 0U);
}

TEST_F(RtpRelayTest, DropsPayloadTypesTheLegDidNotNegotiate) {
  create();
  remote(Leg::kA, a_.address());
  remote(Leg::kB, b_.address());
  forward(Leg::kA, passthrough(0, 0));
  a_.send(port_a_, rtp_packet(18, 1, 1, 1));  // G.729: not in the plan
  a_.send(port_a_, rtp_packet(0, 2, 161, 1, 0x77));
  const auto got = b_.receive_from();
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(rtp::parse_rtp(got->bytes)->payload[0], 0x77);
  EXPECT_TRUE(b_.silent());
  EXPECT_EQ(stats(Leg::kA).dropped_payload, 1U);
}

// Records what the relay reports, on the worker thread; read after run_on() synchronises.
class DigitLog final : public RtpRelay::Listener {
 public:
  void on_dtmf_digit(Leg leg, char digit) override { digits.emplace_back(leg, digit); }
  std::vector<std::pair<Leg, char>> digits;
};

Bytes event_packet(std::uint8_t pt, std::uint16_t seq, std::uint32_t ts, std::uint8_t event,
                   bool end) {
  Bytes bytes(rtp::kRtpHeaderBytes + 4, 0);
  rtp::write_header(bytes, pt, false, seq, ts, 0x4444);
  rtp::write_telephone_event(std::span<std::uint8_t>(bytes).subspan(rtp::kRtpHeaderBytes),
                             rtp::TelephoneEvent{event, end, 10, 160});
  return bytes;
}

TEST_F(RtpRelayTest, TapsAcceptedRtpOfBothLegsAndReportsEachDigitOnce) {
  create();
  remote(Leg::kA, a_.address());
  remote(Leg::kB, b_.address());
  Forwarding from_a = passthrough(0, 0);
  from_a.dtmf_input_pt = 101;  // the other leg has no telephone-event: not relayed
  forward(Leg::kA, std::move(from_a));
  forward(Leg::kB, passthrough(8, 8));
  auto tap = std::make_shared<RecordingTap>();
  DigitLog log;
  run_on(pool_, [&] {
    relay_->set_listener(&log);
    relay_->set_recording_tap(tap);
  });
  a_.send(port_a_, rtp_packet(0, 1, 160, 1, 0x11));
  ASSERT_TRUE(b_.receive_from().has_value());
  b_.send(port_b_, rtp_packet(8, 7, 999, 2, 0x22));
  ASSERT_TRUE(a_.receive_from().has_value());
  // '*' then '1', each as three packets of one event (same timestamp), the last an end.
  std::uint16_t seq = 2;
  for (const auto& [event, ts] : {std::pair{10, 1000U}, std::pair{1, 2000U}}) {
    for (int i = 0; i < 3; ++i) {
      a_.send(port_a_, event_packet(101, seq++, ts, static_cast<std::uint8_t>(event), i == 2));
    }
  }
  a_.send(port_a_, rtp_packet(18, seq++, 3000, 1));  // not negotiated: neither tapped nor relayed
  EXPECT_TRUE(b_.silent());  // events are not relayed to a leg without telephone-event
  run_on(pool_, [&] { relay_->set_recording_tap(nullptr); });
  a_.send(port_a_, rtp_packet(0, seq++, 4000, 1, 0x33));
  ASSERT_TRUE(b_.receive_from().has_value());
  run_on(pool_, [&] { relay_->set_listener(nullptr); });

  EXPECT_EQ(log.digits, (std::vector<std::pair<Leg, char>>{{Leg::kA, '*'}, {Leg::kA, '1'}}));
  std::vector<std::pair<std::uint8_t, std::uint8_t>> tapped;  // channel, payload type
  TappedPacket packet;
  while (tap->pop(packet)) tapped.emplace_back(packet.channel, packet.payload_type);
  EXPECT_EQ(tapped.size(), 8U);  // 2 voice + 6 events; nothing after the tap was removed
  ASSERT_GE(tapped.size(), 2U);
  EXPECT_EQ(tapped[0], (std::pair<std::uint8_t, std::uint8_t>{0, 0}));
  EXPECT_EQ(tapped[1], (std::pair<std::uint8_t, std::uint8_t>{1, 8}));
  EXPECT_EQ(tap->dropped(), 0U);
}

TEST_F(RtpRelayTest, RelaysRtcpToTheOtherLegsRtcpPortWithOurSsrc) {
  create();
  Peer a_rtcp;
  Peer b_rtcp;
  remote(Leg::kA, a_.address(), false, true, a_rtcp.address());
  remote(Leg::kB, b_.address(), false, true, b_rtcp.address());
  forward(Leg::kA, passthrough(0, 0));
  forward(Leg::kB, passthrough(0, 0));

  a_.send(port_a_, rtp_packet(0, 1, 1, 0xAAAA));
  const auto media = b_.receive_from();
  ASSERT_TRUE(media.has_value());
  const std::uint32_t ssrc_seen_by_b = rtp::parse_rtp(media->bytes)->ssrc;

  a_rtcp.send(static_cast<std::uint16_t>(port_a_ + 1), receiver_report(0xAAAA));
  const auto report = b_rtcp.receive_from();
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(report->from, relay_address(static_cast<std::uint16_t>(port_b_ + 1)));
  EXPECT_TRUE(rtp::valid_rtcp(report->bytes));
  EXPECT_EQ(rtcp_sender_ssrc(report->bytes), ssrc_seen_by_b);
  EXPECT_EQ(report->bytes.size(), 32U);

  b_rtcp.send(static_cast<std::uint16_t>(port_b_ + 1), receiver_report(0xBBBB));
  ASSERT_TRUE(a_rtcp.receive_from().has_value());

  a_rtcp.send(static_cast<std::uint16_t>(port_a_ + 1), Bytes{1, 2, 3, 4});  // not RTCP
  EXPECT_TRUE(b_rtcp.silent());
  EXPECT_EQ(stats(Leg::kA).rtcp_received, 1U);
  EXPECT_EQ(stats(Leg::kA).dropped_malformed, 1U);
  EXPECT_EQ(stats(Leg::kB).rtcp_sent, 1U);
  EXPECT_EQ(stats(Leg::kA).rtcp_sent, 1U);
}

TEST_F(RtpRelayTest, DemultiplexesRtcpMux) {
  create();
  Peer a_rtcp;
  remote(Leg::kA, a_.address(), false, true, a_rtcp.address());
  remote(Leg::kB, b_.address(), /*mux=*/true);
  forward(Leg::kA, passthrough(0, 0));
  forward(Leg::kB, passthrough(0, 0));

  // A's RTCP (own port) goes to B's one muxed port, from our B RTP port.
  a_rtcp.send(static_cast<std::uint16_t>(port_a_ + 1), receiver_report(1));
  const auto at_b = b_.receive_from();
  ASSERT_TRUE(at_b.has_value());
  EXPECT_EQ(at_b->from, relay_address(port_b_));
  EXPECT_TRUE(rtp::is_rtcp(at_b->bytes));

  // B sends RTP and RTCP on the same port; each goes to its own place at A.
  b_.send(port_b_, rtp_packet(0, 5, 800, 2));
  b_.send(port_b_, receiver_report(2));
  const auto media = a_.receive_from();
  ASSERT_TRUE(media.has_value());
  EXPECT_TRUE(rtp::parse_rtp(media->bytes).has_value());
  const auto report = a_rtcp.receive_from();
  ASSERT_TRUE(report.has_value());
  EXPECT_TRUE(rtp::valid_rtcp(report->bytes));
  EXPECT_EQ(report->from, relay_address(static_cast<std::uint16_t>(port_a_ + 1)));
  const LegStats b = stats(Leg::kB);
  EXPECT_EQ(b.rtp_received, 1U);
  EXPECT_EQ(b.rtcp_received, 1U);
  EXPECT_EQ(b.rtcp_sent, 1U);
}

TEST_F(RtpRelayTest, LatchesToANattedSourceWithinTheWindow) {
  create();
  Peer nat;  // where A's packets really come from; its SDP named a private address
  remote(Leg::kA, *net::SocketAddress::parse("127.0.0.1:9"));
  remote(Leg::kB, b_.address());
  forward(Leg::kA, passthrough(0, 0));
  forward(Leg::kB, passthrough(0, 0));

  nat.send(port_a_, rtp_packet(13, 1, 1, 1));  // comfort noise: not negotiated, no latch
  EXPECT_TRUE(b_.silent());
  EXPECT_FALSE(stats(Leg::kA).latched.has_value());
  nat.send(port_a_, rtp_packet(0, 2, 161, 1));
  ASSERT_TRUE(b_.receive_from().has_value());
  ASSERT_TRUE(stats(Leg::kA).latched.has_value());
  EXPECT_EQ(*stats(Leg::kA).latched, nat.address());

  // Symmetric RTP: B's media goes to where A's came from, not to the SDP address.
  b_.send(port_b_, rtp_packet(0, 1, 1, 2));
  const auto got = nat.receive_from();
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->from, relay_address(port_a_));
  EXPECT_EQ(stats(Leg::kA).dropped_foreign, 1U);
}

// Decision 0047: a re-INVITE naming the same (private) address, e.g. the answer of a held
// phone behind NAT that sends nothing, keeps the latch: media still reaches the NAT's source,
// not the private address, and no stranger can latch in a new window.
TEST_F(RtpRelayTest, TheSameSdpAddressAgainKeepsTheLatch) {
  create();
  Peer nat;
  Peer stranger;
  const auto private_address = *net::SocketAddress::parse("127.0.0.1:9");
  remote(Leg::kA, private_address);
  remote(Leg::kB, b_.address());
  forward(Leg::kA, passthrough(0, 0));
  forward(Leg::kB, passthrough(0, 0));
  nat.send(port_a_, rtp_packet(0, 1, 1, 1));
  ASSERT_TRUE(b_.receive_from().has_value());
  ASSERT_EQ(stats(Leg::kA).latched, nat.address());

  remote(Leg::kA, private_address, false, /*receives=*/true);
  EXPECT_EQ(stats(Leg::kA).latched, nat.address());
  stranger.send(port_a_, rtp_packet(0, 2, 161, 1, 0xEE));
  EXPECT_TRUE(b_.silent());
  EXPECT_EQ(stats(Leg::kA).dropped_foreign, 1U);
  b_.send(port_b_, rtp_packet(0, 1, 1, 2));
  EXPECT_TRUE(nat.receive_from().has_value());
  EXPECT_TRUE(stranger.silent());
}

TEST_F(RtpRelayTest, OutsideTheWindowOnlyTheSdpAddressLatches) {
  create(2s);
  Peer stranger;
  remote(Leg::kA, a_.address());
  remote(Leg::kB, b_.address());
  forward(Leg::kA, passthrough(0, 0));
  run_on(pool_, [&] { clock_.advance(3s); });
  stranger.send(port_a_, rtp_packet(0, 1, 1, 1, 0xEE));
  EXPECT_TRUE(b_.silent());
  EXPECT_FALSE(stats(Leg::kA).latched.has_value());
  a_.send(port_a_, rtp_packet(0, 1, 1, 1, 0x11));
  const auto got = b_.receive_from();
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(rtp::parse_rtp(got->bytes)->payload[0], 0x11);
  EXPECT_EQ(*stats(Leg::kA).latched, a_.address());

  // A new SDP from A opens a new window: now a moved phone may latch again.
  Peer moved;
  remote(Leg::kA, *net::SocketAddress::parse("127.0.0.1:9"));
  moved.send(port_a_, rtp_packet(0, 2, 161, 1, 0x22));
  const auto after = b_.receive_from();
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(rtp::parse_rtp(after->bytes)->payload[0], 0x22);
  EXPECT_EQ(*stats(Leg::kA).latched, moved.address());
}

// RTP bleed: once latched, a stream injected from another port mid-call never reaches the
// other side, and the media going back is not diverted to it.
TEST_F(RtpRelayTest, DropsASpoofedStreamMidCall) {
  create();
  Peer attacker;
  Peer b_rtcp;
  remote(Leg::kA, a_.address());
  remote(Leg::kB, b_.address(), false, true, b_rtcp.address());
  forward(Leg::kA, passthrough(0, 0));
  forward(Leg::kB, passthrough(0, 0));
  a_.send(port_a_, rtp_packet(0, 1, 1, 1, 0x11));
  ASSERT_TRUE(b_.receive_from().has_value());
  b_.send(port_b_, rtp_packet(0, 1, 1, 2, 0x21));
  ASSERT_TRUE(a_.receive_from().has_value());

  // Still inside the latch window: latching, not the window, is what stops it now.
  for (int i = 0; i < 10; ++i) {
    const auto seq = static_cast<std::uint16_t>(2 + i);
    attacker.send(port_a_, rtp_packet(0, seq, 161, 1, 0xEE));
    attacker.send(port_b_, rtp_packet(0, seq, 161, 2, 0xEE));
  }
  a_.send(port_a_, rtp_packet(0, 2, 161, 1, 0x12));
  b_.send(port_b_, rtp_packet(0, 2, 161, 2, 0x22));
  const auto at_b = b_.receive_from();
  ASSERT_TRUE(at_b.has_value());
  EXPECT_EQ(rtp::parse_rtp(at_b->bytes)->payload[0], 0x12);
  const auto at_a = a_.receive_from();
  ASSERT_TRUE(at_a.has_value());
  EXPECT_EQ(rtp::parse_rtp(at_a->bytes)->payload[0], 0x22);
  EXPECT_TRUE(b_.silent());
  EXPECT_TRUE(a_.silent(50ms));
  EXPECT_TRUE(attacker.silent(50ms));

  const LegStats a = stats(Leg::kA);
  const LegStats b = stats(Leg::kB);
  EXPECT_EQ(a.dropped_foreign, 10U);
  EXPECT_EQ(b.dropped_foreign, 10U);
  EXPECT_EQ(a.rtp_received, 2U);
  EXPECT_EQ(b.rtp_received, 2U);
  EXPECT_EQ(*a.latched, a_.address());
  EXPECT_EQ(*b.latched, b_.address());

  // RTCP from a stranger once the leg's RTCP latched is refused too.
  b_rtcp.send(static_cast<std::uint16_t>(port_b_ + 1), receiver_report(2));
  attacker.send(static_cast<std::uint16_t>(port_b_ + 1), receiver_report(2));
  EXPECT_TRUE(a_.silent());  // A has no RTCP address of its own here: port + 1 of its RTP
  EXPECT_EQ(stats(Leg::kB).dropped_foreign, 11U);
}

TEST_F(RtpRelayTest, DropsAndCountsGarbage) {
  create();
  remote(Leg::kA, a_.address());
  remote(Leg::kB, b_.address());
  forward(Leg::kA, passthrough(0, 0));
  a_.send(port_a_, Bytes{'h', 'e', 'l', 'l', 'o'});
  a_.send(port_a_, Bytes(12, 0x00));               // version 0
  a_.send(port_a_, Bytes{0x8F, 0x00, 0, 1});       // 15 CSRCs announced, none there
  a_.send(port_a_, Bytes{0x80, 200, 0, 9, 0, 0});  // RTCP-looking, truncated
  a_.send(port_a_, Bytes{});
  a_.send(port_a_, rtp_packet(0, 1, 1, 1, 0x42));
  const auto got = b_.receive_from();
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(rtp::parse_rtp(got->bytes)->payload[0], 0x42);
  EXPECT_TRUE(b_.silent());
  const LegStats a = stats(Leg::kA);
  EXPECT_EQ(a.dropped_malformed, 5U);
  EXPECT_EQ(a.rtp_received, 1U);
}

TEST_F(RtpRelayTest, HoldSendsNothing) {
  create();
  Peer b_rtcp;
  remote(Leg::kA, a_.address());
  remote(Leg::kB, b_.address(), false, /*receives=*/false, b_rtcp.address());
  forward(Leg::kA, passthrough(0, 0));
  forward(Leg::kB, passthrough(0, 0));
  const TimePoint before = [&] {
    TimePoint t;
    run_on(pool_, [&] { t = relay_->last_rtp(); });
    return t;
  }();
  run_on(pool_, [&] { clock_.advance(5s); });
  a_.send(port_a_, rtp_packet(0, 1, 1, 1));
  a_.send(static_cast<std::uint16_t>(port_a_ + 1), receiver_report(1));
  EXPECT_TRUE(b_.silent());
  EXPECT_TRUE(b_rtcp.silent(50ms));
  LegStats a = stats(Leg::kA);
  EXPECT_EQ(a.rtp_received, 1U);
  EXPECT_EQ(a.dropped_payload, 2U);
  TimePoint after;
  run_on(pool_, [&] { after = relay_->last_rtp(); });
  EXPECT_EQ(after - before, Duration(5s));  // media still arrives: the call is alive

  remote(Leg::kB, b_.address(), false, /*receives=*/true, b_rtcp.address());
  a_.send(port_a_, rtp_packet(0, 2, 161, 1));
  EXPECT_TRUE(b_.receive_from().has_value());
}

TEST_F(RtpRelayTest, TranscodedDirectionFramesNewPacketsAndTerminatesItsRtcp) {
  create();
  Peer b_rtcp;
  remote(Leg::kA, a_.address());
  remote(Leg::kB, b_.address(), false, true, b_rtcp.address());
  Forwarding plan;
  plan.transcoder = std::make_unique<InvertingTranscoder>();
  plan.transcode_input_pt = 0;
  plan.transcode_output_pt = 8;
  plan.payload_map[101] = 101;  // telephone-event passes beside the transcoded audio
  forward(Leg::kA, std::move(plan));

  std::uint16_t last_seq = 0;
  std::uint32_t last_ts = 0;
  for (int i = 0; i < 4; ++i) {
    a_.send(port_a_, rtp_packet(0, static_cast<std::uint16_t>(10 + i),
                                160 * static_cast<std::uint32_t>(i), 7, 0x0F, 160));
    const auto got = b_.receive_from();
    ASSERT_TRUE(got.has_value());
    const auto view = rtp::parse_rtp(got->bytes);
    ASSERT_TRUE(view.has_value());
    EXPECT_EQ(view->payload_type, 8);
    ASSERT_EQ(view->payload.size(), 160U);
    EXPECT_EQ(view->payload[0], 0xF0);
    EXPECT_EQ(view->marker, i == 0);
    if (i > 0) {
      EXPECT_EQ(view->sequence, static_cast<std::uint16_t>(last_seq + 1));
      EXPECT_EQ(view->timestamp - last_ts, 160U);
    }
    last_seq = view->sequence;
    last_ts = view->timestamp;
  }
  a_.send(port_a_, rtp_packet(101, 14, 640, 7, 0x05, 4));
  const auto event = b_.receive_from();
  ASSERT_TRUE(event.has_value());
  const auto event_view = rtp::parse_rtp(event->bytes);
  EXPECT_EQ(event_view->payload_type, 101);
  EXPECT_EQ(event_view->sequence, static_cast<std::uint16_t>(last_seq + 1));

  // Terminated, not relayed (Parley sends its own reports: rtp_relay_rtcp_test.cpp).
  a_.send(static_cast<std::uint16_t>(port_a_ + 1), receiver_report(7));
  EXPECT_TRUE(b_rtcp.silent());
  const LegStats a = stats(Leg::kA);
  EXPECT_EQ(a.rtcp_received, 1U);
  EXPECT_EQ(a.rtcp_terminated, 1U);
  EXPECT_EQ(a.dropped_payload, 0U);
  EXPECT_EQ(stats(Leg::kB).rtp_sent, 5U);
}

TEST(RtpRelayPorts, ExhaustedRangeIsA503AndLeaksNothing) {
  net::WorkerPool pool(1);
  pool.start();
  SteadyClock clock;
  PortPool one_pair(port_base(), static_cast<std::uint16_t>(port_base() + 1));
  EXPECT_EQ(one_pair.capacity(), 1U);
  RelayOptions options;
  options.bind_address = *net::SocketAddress::parse("127.0.0.1");
  run_on(pool, [&] {
    auto relay = RtpRelay::create(pool, 0, one_pair, clock, options);
    ASSERT_FALSE(relay.ok());
    EXPECT_EQ(relay.error().code, 503);
  });
  EXPECT_EQ(one_pair.in_use(), 0U);
  pool.shutdown(2s);
}

TEST(RtpRelayPorts, PortPoolHandsOutEvenPortsRoundRobin) {
  PortPool pool(10001, 10008);  // even ports 10002, 10004, 10006 (10008 has no RTCP port)
  EXPECT_EQ(pool.capacity(), 3U);
  const auto first = pool.acquire();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(*first, 10002);
  pool.release(*first);
  EXPECT_EQ(*pool.acquire(), 10004);  // not the one just released
  EXPECT_EQ(*pool.acquire(), 10006);
  EXPECT_EQ(*pool.acquire(), 10002);
  EXPECT_FALSE(pool.acquire().has_value());
  EXPECT_EQ(pool.in_use(), 3U);
  pool.release(10003);  // not a port of ours: ignored
  pool.release(20000);
  EXPECT_EQ(pool.in_use(), 3U);
  pool.release(10004);
  pool.release(10004);  // twice: counted once
  EXPECT_EQ(pool.in_use(), 2U);
}

// A seeded pool starts its round robin at the seed's pair and still hands out every pair once.
TEST(RtpRelayPorts, ASeededPoolStartsAtTheSeedsPair) {
  PortPool pool(10002, 10009, /*start_seed=*/6);  // 4 pairs: 6 % 4 = pair 2, port 10006
  EXPECT_EQ(*pool.acquire(), 10006);
  EXPECT_EQ(*pool.acquire(), 10008);
  EXPECT_EQ(*pool.acquire(), 10002);
  EXPECT_EQ(*pool.acquire(), 10004);
  EXPECT_FALSE(pool.acquire().has_value());
  PortPool empty(10002, 10002, 7);  // no whole pair: nothing to start at
  EXPECT_EQ(empty.capacity(), 0U);
  EXPECT_FALSE(empty.acquire().has_value());
}

// A port bound by something outside the pool, for as long as the object lives.
class HeldPort {
 public:
  explicit HeldPort(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {
    const auto address = *net::SocketAddress::parse("127.0.0.1", port);
    bound_ = ::bind(fd_, address.data(), address.size()) == 0;
  }
  ~HeldPort() { ::close(fd_); }
  HeldPort(const HeldPort&) = delete;
  HeldPort& operator=(const HeldPort&) = delete;
  bool bound() const { return bound_; }

 private:
  int fd_;
  bool bound_ = false;
};

TEST(RtpRelayPorts, ALongRunOfPortsHeldOutsideThePoolIsJumpedNotWalked) {
  // Another server given the same range holds its ports in one long run; ours starts right at
  // it. Walking it pair by pair would give up (503) long before its end.
  net::WorkerPool pool(1);
  pool.start();
  SteadyClock clock;
  const auto first = static_cast<std::uint16_t>(10000 + (::getpid() % 12) * 800);
  PortPool ports(first, static_cast<std::uint16_t>(first + 799), /*start_seed=*/0);  // 400 pairs
  constexpr int kHeldPairs = 300;
  std::vector<std::unique_ptr<HeldPort>> held;
  for (int pair = 0; pair < kHeldPairs; ++pair) {
    held.push_back(std::make_unique<HeldPort>(static_cast<std::uint16_t>(first + 2 * pair)));
    if (!held.back()->bound()) GTEST_SKIP() << "port " << first + 2 * pair << " is in use";
  }
  RelayOptions options;
  options.bind_address = *net::SocketAddress::parse("127.0.0.1");
  run_on(pool, [&] {
    for (int call = 0; call < 20; ++call) {
      auto relay = RtpRelay::create(pool, 0, ports, clock, options);
      ASSERT_TRUE(relay.ok()) << "call " << call << ": " << relay.error().message;
      for (const Leg leg : {Leg::kA, Leg::kB}) {
        EXPECT_GE((*relay)->local_port(leg), first + 2 * kHeldPairs);
      }
    }
  });
  EXPECT_EQ(ports.in_use(), 0U);
  pool.shutdown(2s);
}

TEST(RtpRelayPorts, ManyRelaysComeAndGoWithoutLeakingPortsOrDescriptors) {
  net::WorkerPool pool(1);
  pool.start();
  SteadyClock clock;
  PortPool ports(port_base(), static_cast<std::uint16_t>(port_base() + 199));
  RelayOptions options;
  options.bind_address = *net::SocketAddress::parse("127.0.0.1");
  options.batch = 8;
  constexpr int kRounds = 201;
  constexpr int kPerRound = 50;  // 10,050 relays, 40,200 sockets
  std::size_t descriptors = 0;
  for (int round = 0; round < kRounds; ++round) {
    // After the first round: the loop's reactor opens its own descriptors on first use.
    if (round == 1) descriptors = open_descriptors();
    run_on(pool, [&] {
      std::vector<std::unique_ptr<RtpRelay>> live;
      for (int i = 0; i < kPerRound; ++i) {
        auto relay = RtpRelay::create(pool, 0, ports, clock, options);
        ASSERT_TRUE(relay.ok()) << relay.error().message;
        live.push_back(std::move(*relay));
      }
      EXPECT_EQ(ports.in_use(), 2U * kPerRound);
    });
    if (HasFatalFailure()) break;
  }
  EXPECT_EQ(ports.in_use(), 0U);
  EXPECT_EQ(open_descriptors(), descriptors);
  pool.shutdown(2s);
}

}  // namespace
}  // namespace parley::media
