// Steady-state allocation check for LocalEndpoint on real sockets: once a call's media runs
// (RTP in, decoded, echoed back, encoded and sent every 20 ms), no thread of the process reaches
// operator new. Replaces the global operator new to count calls, as transcoder_alloc_test does;
// libopus and speexdsp allocate only at creation.

#include <gtest/gtest.h>
#include <unistd.h>

#include "codec_test_util.hpp"
#include "local_endpoint_test_util.hpp"
#include "media/local_endpoint.hpp"
#include "media/rtp_relay.hpp"
#include "protocol/rtp/rtp_packet.hpp"
#include "support/allocation_counter.hpp"

namespace parley::media {
namespace {

namespace rtp = protocol::rtp;
using namespace std::chrono_literals;

TEST(LocalEndpointAllocation, SteadyStateAllocatesNothing) {
  const auto base = static_cast<std::uint16_t>(28000 + (::getpid() % 40) * 50);
  for (const auto& [codec, pt, rtpmap] :
       {std::tuple{CodecSpec{"PCMU", 8000, 1, ""}, std::uint8_t{0}, std::string("0 PCMU/8000")},
        std::tuple{CodecSpec{"opus", 48000, 2, ""}, std::uint8_t{111},
                   std::string("111 opus/48000/2")}}) {
    net::WorkerPool pool(1);
    pool.start();
    PortPool ports(base, static_cast<std::uint16_t>(base + 49));
    SteadyClock clock;
    test::EchoListener listener;
    test::UdpPeer peer;
    std::unique_ptr<LocalEndpoint> endpoint;
    LocalEndpointOptions options;
    options.bind_address = *net::SocketAddress::parse("127.0.0.1:0");
    const std::string offered = rtpmap;  // structured bindings cannot be captured
    test::run_on(pool, [&] {
      auto made = LocalEndpoint::create(pool, 0, ports, clock, options, listener);
      ASSERT_TRUE(made.ok());
      endpoint = std::move(made).value();
      ASSERT_TRUE(
          endpoint->answer(test::offer_sdp(peer.port(), {offered, "101 telephone-event/8000"}))
              .ok());
    });
    // Packets built before counting; the peer's buffers are allocated at construction.
    const auto packets = test::tone_packets(codec, 700.0, -10.0, 60);
    std::vector<std::vector<std::uint8_t>> datagrams;
    for (const auto& packet : packets) {
      std::vector<std::uint8_t> bytes(rtp::kRtpHeaderBytes + packet.payload.size());
      rtp::write_header(bytes, pt, false, packet.sequence, packet.timestamp, 0x4321);
      std::copy(packet.payload.begin(), packet.payload.end(), bytes.begin() + rtp::kRtpHeaderBytes);
      datagrams.push_back(std::move(bytes));
    }
    std::array<std::uint8_t, 16> event{};
    rtp::write_header(event, 101, true, 5000, 77, 0x4321);
    rtp::write_telephone_event(std::span(event).subspan(rtp::kRtpHeaderBytes),
                               rtp::TelephoneEvent{1, false, 10, 160});
    long before = 0;
    std::size_t received = 0;
    auto next = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < datagrams.size(); ++i) {
      if (i == 20)
        before = parley::test::allocation_count();  // after the warm-up (jitter buffer, timer)
      peer.send(endpoint->local_port(), datagrams[i]);
      if (i == 40) peer.send(endpoint->local_port(), event);
      next += 20ms;
      while (std::chrono::steady_clock::now() < next) {
        if (peer.receive_view(1ms)) ++received;
      }
    }
    const long during = parley::test::allocation_count() - before;
    test::run_on(pool, [&] { endpoint.reset(); });
    pool.shutdown(2s);
    EXPECT_EQ(during, 0) << codec.encoding;
    EXPECT_GE(received, 50U) << codec.encoding << ": the endpoint must have been sending";
    EXPECT_GE(listener.heard(), 50U) << codec.encoding << ": and decoding";
    EXPECT_EQ(listener.digits().size(), 1U);
  }
}

TEST(LocalEndpointAllocation, CounterSeesAllocations) {
  const long before = parley::test::allocation_count();
  auto v = std::make_unique<std::vector<int>>(100);
  EXPECT_GT(parley::test::allocation_count(), before);
}

}  // namespace
}  // namespace parley::media
