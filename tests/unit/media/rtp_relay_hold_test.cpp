// The relay's music on hold (decision 0017): while a Forwarding carries MusicOnHold, the other
// leg gets one music frame per 20 ms in its payload type, the holder's RTP is not relayed, and
// resuming continues the same outgoing stream.

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <future>
#include <optional>
#include <vector>

#include "media/music_on_hold.hpp"
#include "media/rtp_relay.hpp"
#include "net/worker_pool.hpp"
#include "protocol/rtp/rtp_packet.hpp"
#include "support/udp_test_peer.hpp"

namespace parley::media {
namespace {

namespace rtp = protocol::rtp;
using namespace std::chrono_literals;
using Bytes = std::vector<std::uint8_t>;

using Peer = parley::test::UdpTestPeer;
using parley::test::run_on;

Bytes rtp_packet(std::uint8_t pt, std::uint16_t seq, std::uint32_t ts, std::uint8_t fill) {
  Bytes bytes(rtp::kRtpHeaderBytes + 160, fill);
  rtp::write_header(bytes, pt, false, seq, ts, 0x1234);
  return bytes;
}

std::uint16_t port_base() {
  return static_cast<std::uint16_t>(30000 + (::getpid() % 50) * 100);
}

class RtpRelayHoldTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pool_.start();
    RelayOptions options;
    options.bind_address = *net::SocketAddress::parse("127.0.0.1:0");
    run_on(pool_, [&] {
      auto relay = RtpRelay::create(pool_, 0, ports_, clock_, options);
      ASSERT_TRUE(relay.ok()) << relay.error().message;
      relay_ = std::move(*relay);
    });
    ASSERT_NE(relay_, nullptr);
    remote(Leg::kA, a_, true);
    remote(Leg::kB, b_, true);
    forward(Leg::kA, plan(false));
    forward(Leg::kB, plan(false));
  }
  void TearDown() override {
    run_on(pool_, [&] { relay_.reset(); });
    pool_.shutdown(2s);
    EXPECT_EQ(ports_.in_use(), 0U);
  }

  // PCMU both ways; with music for the other leg when `holds`.
  static Forwarding plan(bool holds) {
    Forwarding forwarding;
    forwarding.payload_map[0] = 0;
    if (holds) {
      auto music = MusicOnHold::create(built_in_hold_music(), {"PCMU", 8000, 1, ""});
      EXPECT_TRUE(music.ok());
      forwarding.hold_music = std::move(music).value();
      forwarding.hold_music_pt = 0;
    }
    return forwarding;
  }
  void remote(Leg leg, const Peer& peer, bool receives) {
    LegRemote remote;
    remote.rtp = peer.address();
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
  std::uint16_t port(Leg leg) const { return relay_->local_port(leg); }

  net::WorkerPool pool_{1};
  PortPool ports_{port_base(), static_cast<std::uint16_t>(port_base() + 99)};
  SteadyClock clock_;
  std::unique_ptr<RtpRelay> relay_;
  Peer a_;
  Peer b_;
};

TEST_F(RtpRelayHoldTest, HeldLegGetsMusicOnOneStreamAndResumeContinuesIt) {
  a_.send(port(Leg::kA), rtp_packet(0, 1, 0, 0x11));
  const auto before = b_.receive();
  ASSERT_TRUE(before.has_value());
  const auto first = rtp::parse_rtp(*before);
  ASSERT_TRUE(first.has_value());

  // A holds (sendonly): A takes nothing, B gets music instead of A's packets.
  remote(Leg::kA, a_, false);
  forward(Leg::kA, plan(true));
  const auto start = std::chrono::steady_clock::now();
  std::vector<Bytes> music;
  for (int i = 0; i < 25; ++i) {
    a_.send(port(Leg::kA), rtp_packet(0, static_cast<std::uint16_t>(2 + i), 160U * (1U + i), 0x11));
    auto got = b_.receive();
    ASSERT_TRUE(got.has_value()) << i;
    music.push_back(std::move(*got));
  }
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_GT(elapsed, 400ms);  // paced at 20 ms, not a burst
  std::uint16_t sequence = first->sequence;
  std::uint32_t timestamp = first->timestamp;
  for (std::size_t i = 0; i < music.size(); ++i) {
    const auto view = rtp::parse_rtp(music[i]);
    ASSERT_TRUE(view.has_value());
    EXPECT_EQ(view->ssrc, first->ssrc);
    EXPECT_EQ(view->payload_type, 0);
    EXPECT_EQ(view->sequence, static_cast<std::uint16_t>(sequence + 1)) << i;
    EXPECT_NE(view->payload[0], 0x11) << "the holder's own packet was relayed";
    EXPECT_EQ(view->payload.size(), 160U);
    // 160 per frame; more only when the loop stalled past the gap limit (a loaded machine).
    if (i > 0) EXPECT_GE(view->timestamp - timestamp, 160U) << i;
    if (i == 0) EXPECT_TRUE(view->marker);
    sequence = view->sequence;
    timestamp = view->timestamp;
  }
  EXPECT_GE(stats(Leg::kB).hold_frames_sent, 25U);
  EXPECT_GE(stats(Leg::kA).dropped_payload, 20U);

  // Resume: A's packets flow again, continuing the sequence; the music stops.
  remote(Leg::kA, a_, true);
  forward(Leg::kA, plan(false));
  const std::uint64_t music_sent = stats(Leg::kB).hold_frames_sent;
  while (auto late = b_.receive(60ms)) {  // a frame sent before the switch may be in flight
    sequence = rtp::parse_rtp(*late)->sequence;
  }
  a_.send(port(Leg::kA), rtp_packet(0, 100, 16000, 0x22));
  const auto after = b_.receive();
  ASSERT_TRUE(after.has_value());
  const auto resumed = rtp::parse_rtp(*after);
  EXPECT_EQ(resumed->ssrc, first->ssrc);
  EXPECT_EQ(resumed->sequence, static_cast<std::uint16_t>(sequence + 1));
  EXPECT_EQ(resumed->payload[0], 0x22);
  EXPECT_TRUE(resumed->marker);
  EXPECT_FALSE(b_.receive(100ms).has_value());
  EXPECT_EQ(stats(Leg::kB).hold_frames_sent, music_sent);
}

TEST_F(RtpRelayHoldTest, BothHoldingSendsNothingAndSurvives) {
  remote(Leg::kA, a_, false);
  remote(Leg::kB, b_, false);
  forward(Leg::kA, plan(true));
  forward(Leg::kB, plan(true));
  a_.send(port(Leg::kA), rtp_packet(0, 1, 0, 0x11));
  b_.send(port(Leg::kB), rtp_packet(0, 1, 0, 0x33));
  EXPECT_FALSE(a_.receive(200ms).has_value());
  EXPECT_FALSE(b_.receive(50ms).has_value());
  EXPECT_EQ(stats(Leg::kA).hold_frames_sent, 0U);
  EXPECT_EQ(stats(Leg::kB).hold_frames_sent, 0U);
  // B resumes taking media while A still holds: B hears music again.
  remote(Leg::kB, b_, true);
  EXPECT_TRUE(b_.receive().has_value());
  EXPECT_FALSE(a_.receive(100ms).has_value());
}

}  // namespace
}  // namespace parley::media
