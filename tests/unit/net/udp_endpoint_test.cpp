#include "net/udp_endpoint.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "net/worker_pool.hpp"

namespace parley::net {
namespace {

using namespace std::chrono_literals;

// Records every datagram; optionally echoes it back through an endpoint.
class Recorder final : public DatagramListener {
 public:
  struct Received {
    std::size_t worker;
    std::string bytes;
    SocketAddress from;
    SocketAddress local;
  };

  void echo_through(UdpEndpoint* endpoint) { echo_ = endpoint; }

  void on_datagram(std::size_t worker, std::string_view bytes, const SocketAddress& from,
                   const SocketAddress& local) override {
    if (echo_ != nullptr) echo_->send_to(from, bytes);
    {
      const std::lock_guard lock(mutex_);
      received_.push_back({worker, std::string(bytes), from, local});
    }
    changed_.notify_all();
  }

  // Waits until `count` datagrams arrived or the time is up; returns what arrived.
  std::vector<Received> wait_for(std::size_t count, std::chrono::milliseconds limit = 3s) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, limit, [&] { return received_.size() >= count; });
    return received_;
  }

 private:
  UdpEndpoint* echo_ = nullptr;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Received> received_;
};

TEST(UdpEndpoint, RoundTripBetweenTwoEndpoints) {
  WorkerPool pool(2);
  Recorder server_side;
  Recorder client_side;
  auto server = UdpEndpoint::bind(pool, *SocketAddress::parse("127.0.0.1:0"), server_side);
  ASSERT_TRUE(server.ok()) << server.error().message;
  auto client = UdpEndpoint::bind(pool, *SocketAddress::parse("127.0.0.1:0"), client_side);
  ASSERT_TRUE(client.ok()) << client.error().message;
  server_side.echo_through(server->get());

  const SocketAddress server_address = (*server)->local_address();
  const SocketAddress client_address = (*client)->local_address();
  EXPECT_NE(server_address.port(), 0);
  EXPECT_NE(server_address, client_address);

  pool.start();
  ASSERT_TRUE((*client)->send_to(server_address, "OPTIONS ping"));

  const auto at_server = server_side.wait_for(1);
  ASSERT_EQ(at_server.size(), 1U);
  EXPECT_EQ(at_server[0].bytes, "OPTIONS ping");
  EXPECT_EQ(at_server[0].from, client_address);
  EXPECT_EQ(at_server[0].local, server_address);
  EXPECT_LT(at_server[0].worker, pool.size());

  const auto at_client = client_side.wait_for(1);
  ASSERT_EQ(at_client.size(), 1U);
  EXPECT_EQ(at_client[0].bytes, "OPTIONS ping");
  EXPECT_EQ(at_client[0].from, server_address);

  (*server)->stop();
  (*client)->stop();
  pool.shutdown(2s);
}

TEST(UdpEndpoint, ReceivesABurstLargerThanOneBatch) {
  WorkerPool pool(1);
  Recorder sink;
  Recorder unused;
  UdpOptions small_batches;
  small_batches.batch = 4;
  auto server = UdpEndpoint::bind(pool, *SocketAddress::parse("127.0.0.1:0"), sink, small_batches);
  ASSERT_TRUE(server.ok());
  auto client = UdpEndpoint::bind(pool, *SocketAddress::parse("127.0.0.1:0"), unused);
  ASSERT_TRUE(client.ok());

  // Queued before the loop runs, so the first wake-up finds many datagrams at once.
  constexpr int kCount = 50;
  for (int i = 0; i < kCount; ++i) {
    ASSERT_TRUE((*client)->send_to((*server)->local_address(), "datagram " + std::to_string(i)));
  }
  pool.start();
  const auto got = sink.wait_for(kCount);
  ASSERT_EQ(got.size(), static_cast<std::size_t>(kCount));
  std::set<std::string> distinct;
  for (const auto& datagram : got) distinct.insert(datagram.bytes);
  EXPECT_EQ(distinct.size(), static_cast<std::size_t>(kCount));
  EXPECT_EQ((*server)->received(), static_cast<std::uint64_t>(kCount));
  (*server)->stop();
  (*client)->stop();
  pool.shutdown(2s);
}

TEST(UdpEndpoint, LargestDatagramArrivesWhole) {
  WorkerPool pool(1);
  Recorder sink;
  Recorder unused;
  auto server = UdpEndpoint::bind(pool, *SocketAddress::parse("127.0.0.1:0"), sink);
  ASSERT_TRUE(server.ok());
  auto client = UdpEndpoint::bind(pool, *SocketAddress::parse("127.0.0.1:0"), unused);
  ASSERT_TRUE(client.ok());
  pool.start();
  const std::string big(65507, 'x');  // the IPv4 UDP payload limit
  ASSERT_TRUE((*client)->send_to((*server)->local_address(), big));
  const auto got = sink.wait_for(1);
  ASSERT_EQ(got.size(), 1U);
  EXPECT_EQ(got[0].bytes.size(), big.size());
  (*server)->stop();
  (*client)->stop();
  pool.shutdown(2s);
}

TEST(UdpEndpoint, WorksOverIpv6Loopback) {
  WorkerPool pool(2);
  Recorder server_side;
  Recorder client_side;
  auto server = UdpEndpoint::bind(pool, *SocketAddress::parse("[::1]:0"), server_side);
  if (!server.ok()) GTEST_SKIP() << "no IPv6 loopback: " << server.error().message;
  auto client = UdpEndpoint::bind(pool, *SocketAddress::parse("[::1]:0"), client_side);
  ASSERT_TRUE(client.ok());
  server_side.echo_through(server->get());
  pool.start();
  ASSERT_TRUE((*client)->send_to((*server)->local_address(), "v6"));
  const auto got = client_side.wait_for(1);
  ASSERT_EQ(got.size(), 1U);
  EXPECT_EQ(got[0].bytes, "v6");
  EXPECT_TRUE(got[0].from.is_v6());
  (*server)->stop();
  (*client)->stop();
  pool.shutdown(2s);
}

// Replies sent while a received batch is handed over wait and leave together (decision 0059):
// they must still all arrive, in the order they were sent, also when they outnumber the send
// batch's slots and when one is too large for a slot (sent at once, after the queued ones).
TEST(UdpEndpoint, RepliesToABurstArriveInOrder) {
  WorkerPool pool(1);
  Recorder server_side;
  Recorder client_side;
  UdpOptions small_batches;
  small_batches.batch = 4;
  auto server =
      UdpEndpoint::bind(pool, *SocketAddress::parse("127.0.0.1:0"), server_side, small_batches);
  ASSERT_TRUE(server.ok());
  auto client = UdpEndpoint::bind(pool, *SocketAddress::parse("127.0.0.1:0"), client_side);
  ASSERT_TRUE(client.ok());
  server_side.echo_through(server->get());

  constexpr int kCount = 30;
  constexpr int kLarge = 9;  // larger than a reply slot (4 KiB)
  std::vector<std::string> sent;
  for (int i = 0; i < kCount; ++i) {
    std::string bytes = "reply " + std::to_string(i);
    if (i == kLarge) bytes.append(10000, 'x');
    sent.push_back(bytes);
    // Queued before the loop runs, so the server's first wake-ups hand over whole batches.
    ASSERT_TRUE((*client)->send_to((*server)->local_address(), bytes));
  }
  pool.start();
  const auto got = client_side.wait_for(kCount);
  ASSERT_EQ(got.size(), static_cast<std::size_t>(kCount));
  for (int i = 0; i < kCount; ++i) {
    EXPECT_EQ(got[static_cast<std::size_t>(i)].bytes, sent[static_cast<std::size_t>(i)]) << i;
  }
  EXPECT_EQ((*server)->send_failures(), 0U);
  (*server)->stop();
  (*client)->stop();
  pool.shutdown(2s);
}

// The receive stays queued in the loop's reactor between datagrams (decision 0053); an endpoint
// destroyed with it still queued must free it, whether the loop never ran or was stopped with
// the receive outstanding. ASan's leak check and use-after-free reports are the assertions.
TEST(UdpEndpoint, DestroyedWhileReceivingFreesItsReceive) {
  {
    WorkerPool never_started(1);
    Recorder sink;
    auto endpoint = UdpEndpoint::bind(never_started, *SocketAddress::parse("127.0.0.1:0"), sink);
    ASSERT_TRUE(endpoint.ok());
  }
  WorkerPool pool(1);
  Recorder sink;
  auto endpoint = UdpEndpoint::bind(pool, *SocketAddress::parse("127.0.0.1:0"), sink);
  ASSERT_TRUE(endpoint.ok());
  pool.start();
  ASSERT_TRUE((*endpoint)->send_to((*endpoint)->local_address(), "to itself"));
  ASSERT_EQ(sink.wait_for(1).size(), 1U);
  pool.shutdown(50ms);  // no stop(): the queued receive keeps the loop busy until the grace ends
  endpoint->reset();
}

TEST(UdpEndpoint, BindingAnAddressOfAnotherHostFails) {
  WorkerPool pool(1);
  Recorder sink;
  auto bad = UdpEndpoint::bind(pool, *SocketAddress::parse("192.0.2.1:0"), sink);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("192.0.2.1"), std::string::npos) << bad.error().message;
}

TEST(WorkerPool, PostRunsOnTheChosenWorker) {
  WorkerPool pool(3);
  EXPECT_EQ(pool.size(), 3U);
  EXPECT_EQ(pool.current_worker(), kNoWorker);
  pool.start();
  std::mutex mutex;
  std::condition_variable done;
  std::vector<std::size_t> seen;
  for (std::size_t i = 0; i < 3; ++i) {
    pool.post(i, [&, i] {
      const std::lock_guard lock(mutex);
      seen.push_back(pool.current_worker() == i ? i : kNoWorker);
      done.notify_all();
    });
  }
  {
    std::unique_lock lock(mutex);
    done.wait_for(lock, 3s, [&] { return seen.size() == 3; });
  }
  pool.shutdown(2s);
  ASSERT_EQ(seen.size(), 3U);
  for (std::size_t worker : seen) EXPECT_NE(worker, kNoWorker);
}

}  // namespace
}  // namespace parley::net
