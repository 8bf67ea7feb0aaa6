// Relay port pairs kept bound between calls (decision 0060): reused only after a quiet
// quarantine, closed when anything reached them meanwhile or when idle, bounded per worker.
#include "media/port_parking.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <future>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

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
using parley::test::open_descriptors;
using parley::test::run_on;

Bytes rtp_packet(std::uint8_t pt, std::uint16_t seq, std::uint32_t ts, std::uint32_t ssrc) {
  Bytes bytes(rtp::kRtpHeaderBytes + 20, 0x55);
  rtp::write_header(bytes, pt, false, seq, ts, ssrc);
  return bytes;
}

// Below the ephemeral range, spread by process (another block than rtp_relay_test's).
std::uint16_t port_base() {
  return static_cast<std::uint16_t>(31000 + (::getpid() % 40) * 40);
}

Forwarding passthrough(std::uint8_t pt) {
  Forwarding forwarding;
  forwarding.payload_map[pt] = pt;
  return forwarding;
}

class PortParkingTest : public ::testing::Test {
 protected:
  void enable(ParkingOptions options, std::uint16_t pairs = 20) {
    ports_ = std::make_unique<PortPool>(port_base(),
                                        static_cast<std::uint16_t>(port_base() + 2 * pairs - 1));
    ports_->enable_parking(pool_, options);
    pool_.start();
  }
  void TearDown() override {
    if (!shut_down_) {
      run_on(pool_, [&] {
        relay_.reset();
        other_.reset();
      });
    }
    pool_.shutdown(2s);
    ports_.reset();  // closes what is parked
  }

  std::unique_ptr<RtpRelay> create() {
    std::unique_ptr<RtpRelay> made;
    RelayOptions options;
    options.bind_address = *net::SocketAddress::parse("127.0.0.1:0");
    run_on(pool_, [&] {
      auto relay = RtpRelay::create(pool_, 0, *ports_, clock_, options);
      ASSERT_TRUE(relay.ok()) << relay.error().message;
      made = std::move(*relay);
    });
    return made;
  }

  // Sets both legs to the peers and relays one packet each way; true when both arrived.
  bool relays(RtpRelay& relay) {
    run_on(pool_, [&] {
      LegRemote a;
      a.rtp = a_.address();
      LegRemote b;
      b.rtp = b_.address();
      relay.set_remote(Leg::kA, a);
      relay.set_remote(Leg::kB, b);
      relay.set_forwarding(Leg::kA, passthrough(0));
      relay.set_forwarding(Leg::kB, passthrough(0));
    });
    a_.send(relay.local_port(Leg::kA), rtp_packet(0, 1, 160, 1));
    b_.send(relay.local_port(Leg::kB), rtp_packet(0, 1, 160, 2));
    return b_.receive_from().has_value() && a_.receive_from().has_value();
  }

  std::size_t parked() {
    std::size_t count = 0;
    run_on(pool_, [&] { count = ports_->parking()->parked(0); });
    return count;
  }

  net::WorkerPool pool_{1};
  bool shut_down_ = false;
  std::unique_ptr<PortPool> ports_;
  ManualClock clock_;
  std::unique_ptr<RtpRelay> relay_;
  std::unique_ptr<RtpRelay> other_;
  Peer a_;
  Peer b_;
};

TEST_F(PortParkingTest, AQuietPairIsReusedAfterItsQuarantineWithFreshCounters) {
  enable(ParkingOptions{.quarantine = 150ms, .idle_limit = 10s, .max_pairs_per_worker = 8});
  relay_ = create();
  const std::uint16_t first_a = relay_->local_port(Leg::kA);
  const std::uint16_t first_b = relay_->local_port(Leg::kB);
  ASSERT_TRUE(relays(*relay_));
  run_on(pool_, [&] { relay_.reset(); });
  EXPECT_EQ(parked(), 2U);
  EXPECT_EQ(ports_->in_use(), 2U);  // parked ports stay out of the range

  // Inside the quarantine: fresh ports.
  relay_ = create();
  EXPECT_NE(relay_->local_port(Leg::kA), first_a);
  EXPECT_NE(relay_->local_port(Leg::kA), first_b);
  EXPECT_EQ(ports_->in_use(), 4U);
  const std::size_t descriptors = open_descriptors();

  std::this_thread::sleep_for(250ms);
  other_ = create();
  EXPECT_EQ(other_->local_port(Leg::kA), first_a);
  EXPECT_EQ(other_->local_port(Leg::kB), first_b);
  EXPECT_EQ(open_descriptors(), descriptors);  // nothing opened: the parked sockets came back
  EXPECT_EQ(parked(), 0U);
  EXPECT_EQ(ports_->parking()->reused(), 2U);
  EXPECT_EQ(ports_->in_use(), 4U);

  // The reused pair relays for its new call, with counters of its own.
  ASSERT_TRUE(relays(*other_));
  run_on(pool_, [&] {
    EXPECT_EQ(other_->stats(Leg::kA).rtp_received, 1U);
    EXPECT_EQ(other_->stats(Leg::kB).rtp_sent, 1U);
    EXPECT_EQ(other_->stats(Leg::kA).send_failures, 0U);
  });
}

TEST_F(PortParkingTest, APairThatHearsAnythingWhileParkedIsClosedNotReused) {
  enable(ParkingOptions{.quarantine = 100ms, .idle_limit = 10s, .max_pairs_per_worker = 8});
  relay_ = create();
  const std::uint16_t noisy = relay_->local_port(Leg::kA);
  const std::uint16_t quiet = relay_->local_port(Leg::kB);
  run_on(pool_, [&] { relay_.reset(); });
  // The last call's caller missed its BYE and keeps streaming to its port.
  a_.send(noisy, rtp_packet(0, 9, 1600, 1));
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(ports_->parking()->discarded(), 1U);

  relay_ = create();
  // The noisy pair was closed and its port returned to the range; the quiet one came back.
  EXPECT_EQ(relay_->local_port(Leg::kA), quiet);
  EXPECT_NE(relay_->local_port(Leg::kB), noisy);
  EXPECT_EQ(ports_->parking()->reused(), 1U);
  EXPECT_EQ(ports_->in_use(), 2U);
  EXPECT_EQ(parked(), 0U);
}

TEST_F(PortParkingTest, IdlePairsAreClosedAndTheirPortsReleased) {
  enable(ParkingOptions{.quarantine = 50ms, .idle_limit = 200ms, .max_pairs_per_worker = 8});
  relay_ = create();
  const std::size_t with_relay = open_descriptors();
  run_on(pool_, [&] { relay_.reset(); });
  EXPECT_EQ(ports_->in_use(), 2U);
  EXPECT_EQ(open_descriptors(), with_relay);
  const auto deadline = std::chrono::steady_clock::now() + 3s;
  while (ports_->in_use() != 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(ports_->in_use(), 0U);
  EXPECT_EQ(parked(), 0U);
  EXPECT_EQ(open_descriptors(), with_relay - 4);
}

TEST_F(PortParkingTest, ShutdownClosesWhatIsParkedWithoutWaitingOutTheGrace) {
  enable(ParkingOptions{.quarantine = 50ms, .idle_limit = 60s, .max_pairs_per_worker = 8});
  relay_ = create();
  run_on(pool_, [&] { relay_.reset(); });
  EXPECT_EQ(ports_->in_use(), 2U);
  const auto start = std::chrono::steady_clock::now();
  pool_.shutdown(5s);
  shut_down_ = true;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);  // the loop ran out of work
  EXPECT_EQ(ports_->in_use(), 0U);
}

TEST_F(PortParkingTest, AFullParkingClosesThePairsThatComeIn) {
  enable(ParkingOptions{.quarantine = 10s, .idle_limit = 60s, .max_pairs_per_worker = 2});
  relay_ = create();
  other_ = create();
  EXPECT_EQ(ports_->in_use(), 4U);
  run_on(pool_, [&] { relay_.reset(); });
  run_on(pool_, [&] { other_.reset(); });
  EXPECT_EQ(parked(), 2U);
  EXPECT_EQ(ports_->in_use(), 2U);  // the second relay's pairs were closed and released
}

TEST_F(PortParkingTest, AnExhaustedRangeTakesParkedPairsInsideTheirQuarantine) {
  enable(ParkingOptions{.quarantine = 60s, .idle_limit = 120s, .max_pairs_per_worker = 8},
         /*pairs=*/2);
  relay_ = create();
  run_on(pool_, [&] { relay_.reset(); });
  EXPECT_EQ(ports_->in_use(), 2U);  // the whole range, parked
  relay_ = create();                // not 503: the parked pairs are taken early
  ASSERT_NE(relay_, nullptr);
  EXPECT_TRUE(relays(*relay_));
}

// Worker 1 parked the whole range; worker 0 finds it exhausted: that call fails, and every
// worker closes what it parked, so the next call on worker 0 gets ports.
TEST(PortParking, AnExhaustedWorkerWithNothingParkedHasTheOthersReleaseTheirs) {
  net::WorkerPool pool(2);
  PortPool ports(port_base(), static_cast<std::uint16_t>(port_base() + 3));  // two pairs
  ports.enable_parking(
      pool, ParkingOptions{.quarantine = 60s, .idle_limit = 120s, .max_pairs_per_worker = 8});
  pool.start();
  ManualClock clock;
  RelayOptions options;
  options.bind_address = *net::SocketAddress::parse("127.0.0.1:0");
  const auto create_on = [&](std::size_t worker) {
    std::optional<int> error;
    std::promise<void> done;
    pool.post(worker, [&] {
      auto relay = RtpRelay::create(pool, worker, ports, clock, options);
      if (!relay.ok()) error = relay.error().code;
      done.set_value();  // a created relay goes at once: parked on `worker`
    });
    EXPECT_EQ(done.get_future().wait_for(5s), std::future_status::ready);
    return error;
  };
  EXPECT_EQ(create_on(1), std::nullopt);
  EXPECT_EQ(ports.in_use(), 2U);
  EXPECT_EQ(create_on(0), std::optional<int>(503));
  const auto deadline = std::chrono::steady_clock::now() + 3s;
  while (ports.in_use() != 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(ports.in_use(), 0U);
  EXPECT_EQ(create_on(0), std::nullopt);
  pool.shutdown(2s);
}

}  // namespace
}  // namespace parley::media
