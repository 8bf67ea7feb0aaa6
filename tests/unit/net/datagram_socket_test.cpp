#include "net/datagram_socket.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <future>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "net/worker_pool.hpp"

namespace parley::net {
namespace {

using namespace std::chrono_literals;

// Runs `task` on the worker's thread and waits for it.
void run_on(WorkerPool& pool, std::size_t worker, const std::function<void()>& task) {
  std::promise<void> done;
  pool.post(worker, [&] {
    task();
    done.set_value();
  });
  ASSERT_EQ(done.get_future().wait_for(5s), std::future_status::ready);
}

std::span<const std::uint8_t> as_bytes(const std::string& text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};  // NOLINT
}

// Records batches; optionally echoes each datagram back (upper-cased first byte) through the
// receiving socket's send queue, which the socket flushes when the callback returns.
class Recorder final : public DatagramSocket::Listener {
 public:
  struct Received {
    std::string bytes;
    SocketAddress from;
  };

  bool echo = false;
  std::function<void(DatagramSocket&)> after_batch;

  void on_datagrams(DatagramSocket& socket, std::span<ReceivedDatagram> batch) override {
    {
      const std::lock_guard lock(mutex_);
      batches_.push_back(batch.size());
      for (ReceivedDatagram& datagram : batch) {
        received_.push_back(
            {std::string(datagram.bytes.begin(), datagram.bytes.end()), datagram.from});
        if (echo) {
          datagram.bytes[0] = static_cast<std::uint8_t>(std::toupper(datagram.bytes[0]));
          EXPECT_TRUE(socket.queue_send(datagram.from, datagram.bytes));
        }
      }
    }
    changed_.notify_all();
    if (after_batch) after_batch(socket);
  }

  std::vector<Received> wait_for(std::size_t count, std::chrono::milliseconds limit = 3s) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, limit, [&] { return received_.size() >= count; });
    return received_;
  }

  std::vector<std::size_t> batches() {
    const std::lock_guard lock(mutex_);
    return batches_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Received> received_;
  std::vector<std::size_t> batches_;
};

const SocketAddress kLoopback = *SocketAddress::parse("127.0.0.1:0");

TEST(DatagramSocket, EchoesThroughTheReceiveCallbackSendQueue) {
  WorkerPool pool(1);
  pool.start();
  Recorder server_side;
  server_side.echo = true;
  Recorder client_side;
  std::unique_ptr<DatagramSocket> server;
  std::unique_ptr<DatagramSocket> client;
  run_on(pool, 0, [&] {
    auto s = DatagramSocket::open(pool, 0, kLoopback, server_side);
    auto c = DatagramSocket::open(pool, 0, kLoopback, client_side);
    ASSERT_TRUE(s.ok() && c.ok());
    server = std::move(*s);
    client = std::move(*c);
  });
  ASSERT_TRUE(server && client);
  EXPECT_NE(server->local_address().port(), 0);
  EXPECT_NE(server->local_address(), client->local_address());

  run_on(pool, 0, [&] {
    EXPECT_TRUE(client->queue_send(server->local_address(), as_bytes("hello")));
    EXPECT_TRUE(client->queue_send(server->local_address(), as_bytes("world")));
    EXPECT_EQ(client->queued(), 2U);
    EXPECT_EQ(client->flush(), 0U);
    EXPECT_EQ(client->queued(), 0U);
    EXPECT_EQ(client->sent(), 2U);
  });

  const auto at_server = server_side.wait_for(2);
  ASSERT_EQ(at_server.size(), 2U);
  EXPECT_EQ(at_server[0].bytes, "hello");
  EXPECT_EQ(at_server[1].bytes, "world");
  EXPECT_EQ(at_server[0].from, client->local_address());

  const auto at_client = client_side.wait_for(2);
  ASSERT_EQ(at_client.size(), 2U);
  EXPECT_EQ(at_client[0].bytes, "Hello");
  EXPECT_EQ(at_client[1].bytes, "World");
  EXPECT_EQ(at_client[0].from, server->local_address());

  run_on(pool, 0, [&] {
    EXPECT_EQ(server->received(), 2U);
    EXPECT_EQ(server->sent(), 2U);
    server.reset();
    client.reset();
  });
  pool.shutdown(2s);
}

TEST(DatagramSocket, DrainsABurstInBatchesAndBuildsSendsInPlace) {
  WorkerPool pool(1);
  Recorder sink;
  Recorder unused;
  DatagramSocketOptions small;
  small.batch = 4;
  small.max_datagram = 64;
  // Opened before the loop runs (allowed), so the burst is queued before the first wake-up.
  auto server = DatagramSocket::open(pool, 0, kLoopback, sink, small);
  auto client = DatagramSocket::open(pool, 0, kLoopback, unused, small);
  ASSERT_TRUE(server.ok() && client.ok());
  constexpr int kCount = 30;
  for (int i = 0; i < kCount; ++i) {
    const std::string text = "datagram " + std::to_string(i);
    const std::span<std::uint8_t> slot = (*client)->send_buffer();
    ASSERT_GE(slot.size(), text.size());
    std::copy(text.begin(), text.end(), slot.begin());
    (*client)->commit_send((*server)->local_address(), text.size());
    EXPECT_LE((*client)->queued(), small.batch);  // a full queue flushes itself
  }
  EXPECT_EQ((*client)->flush(), 0U);
  EXPECT_EQ((*client)->sent(), static_cast<std::uint64_t>(kCount));
  // Too large for a slot: refused without queueing.
  EXPECT_FALSE((*client)->queue_send((*server)->local_address(), as_bytes(std::string(65, 'x'))));

  pool.start();
  const auto got = sink.wait_for(kCount);
  ASSERT_EQ(got.size(), static_cast<std::size_t>(kCount));
  std::set<std::string> distinct;
  for (const auto& datagram : got) distinct.insert(datagram.bytes);
  EXPECT_EQ(distinct.size(), static_cast<std::size_t>(kCount));
  EXPECT_TRUE(distinct.count("datagram 29") == 1);
  const auto batches = sink.batches();
  EXPECT_LT(batches.size(), static_cast<std::size_t>(kCount));  // several per call
  for (std::size_t size : batches) EXPECT_LE(size, small.batch);
  run_on(pool, 0, [&] {
    server->reset();
    client->reset();
  });
  pool.shutdown(2s);
}

TEST(DatagramSocket, DropsAndCountsOversizedDatagrams) {
  WorkerPool pool(1);
  pool.start();
  Recorder sink;
  DatagramSocketOptions small;
  small.max_datagram = 16;
  std::unique_ptr<DatagramSocket> server;
  run_on(pool, 0, [&] {
    auto s = DatagramSocket::open(pool, 0, kLoopback, sink, small);
    ASSERT_TRUE(s.ok());
    server = std::move(*s);
  });
  const int raw = ::socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(raw, 0);
  const std::string big(100, 'b');
  const std::string fits = "small";
  const SocketAddress to = server->local_address();
  ASSERT_EQ(::sendto(raw, big.data(), big.size(), 0, to.data(), to.size()), 100);
  ASSERT_EQ(::sendto(raw, fits.data(), fits.size(), 0, to.data(), to.size()), 5);
  const auto got = sink.wait_for(1);
  ASSERT_EQ(got.size(), 1U);
  EXPECT_EQ(got[0].bytes, "small");
  run_on(pool, 0, [&] {
    EXPECT_EQ(server->truncated(), 1U);
    EXPECT_EQ(server->received(), 1U);
    server.reset();
  });
  ::close(raw);
  pool.shutdown(2s);
}

TEST(DatagramSocket, CountsRefusedSends) {
  WorkerPool pool(1);
  pool.start();
  Recorder sink;
  std::unique_ptr<DatagramSocket> socket;
  run_on(pool, 0, [&] {
    auto s = DatagramSocket::open(pool, 0, kLoopback, sink);
    ASSERT_TRUE(s.ok());
    socket = std::move(*s);
    // An IPv6 destination from an IPv4 socket: the kernel refuses it at once.
    EXPECT_TRUE(socket->queue_send(*SocketAddress::parse("[::1]:9"), as_bytes("x")));
    EXPECT_TRUE(socket->queue_send(*SocketAddress::parse("127.0.0.1:9"), as_bytes("y")));
    EXPECT_EQ(socket->flush(), 1U);
    EXPECT_EQ(socket->send_failures(), 1U);
    EXPECT_EQ(socket->sent(), 1U);
    socket.reset();
  });
  pool.shutdown(2s);
}

TEST(DatagramSocket, BindingATakenPortFails) {
  WorkerPool pool(1);
  Recorder sink;
  auto first = DatagramSocket::open(pool, 0, kLoopback, sink);
  ASSERT_TRUE(first.ok());
  auto second = DatagramSocket::open(pool, 0, (*first)->local_address(), sink);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, EADDRINUSE);
}

// Sockets of one worker share one edge-triggered epoll set: more sockets ready at once than one
// round takes, each with more queued than one wake-up drains, must all be drained anyway (an
// edge is not raised again for datagrams already queued).
TEST(DatagramSocket, ManyReadySocketsOnOneWorkerAreAllDrained) {
  WorkerPool pool(1);
  Recorder sink;
  Recorder unused;
  DatagramSocketOptions small;
  small.batch = 2;  // 4 batches per wake-up: 8 datagrams, fewer than each socket gets
  constexpr int kSockets = 150;
  constexpr int kEach = 11;
  std::vector<std::unique_ptr<DatagramSocket>> sockets;
  for (int i = 0; i < kSockets; ++i) {
    auto s = DatagramSocket::open(pool, 0, kLoopback, sink, small);
    ASSERT_TRUE(s.ok());
    sockets.push_back(std::move(*s));
  }
  auto client = DatagramSocket::open(pool, 0, kLoopback, unused);
  ASSERT_TRUE(client.ok());
  for (int n = 0; n < kEach; ++n) {
    for (const auto& socket : sockets) {
      ASSERT_TRUE((*client)->queue_send(socket->local_address(), as_bytes(std::to_string(n))));
    }
    (*client)->flush();
  }
  EXPECT_EQ((*client)->send_failures(), 0U);
  pool.start();  // everything is queued before the first wake-up
  const auto got = sink.wait_for(std::size_t{kSockets} * kEach);
  EXPECT_EQ(got.size(), std::size_t{kSockets} * kEach);
  run_on(pool, 0, [&] {
    for (const auto& socket : sockets) EXPECT_EQ(socket->received(), std::uint64_t{kEach});
    sockets.clear();
    client->reset();
  });
  pool.shutdown(2s);
}

// The worker's wait stops when its last socket closes (so an idle pool can stop) and starts
// again with the next socket.
TEST(DatagramSocket, ReceivesAfterTheLastSocketOfTheWorkerClosedAndANewOneOpened) {
  WorkerPool pool(1);
  pool.start();
  Recorder sink;
  Recorder unused;
  for (int round = 0; round < 3; ++round) {
    std::unique_ptr<DatagramSocket> server;
    std::unique_ptr<DatagramSocket> client;
    run_on(pool, 0, [&] {
      auto s = DatagramSocket::open(pool, 0, kLoopback, sink);
      auto c = DatagramSocket::open(pool, 0, kLoopback, unused);
      ASSERT_TRUE(s.ok() && c.ok());
      server = std::move(*s);
      client = std::move(*c);
      EXPECT_TRUE(client->queue_send(server->local_address(), as_bytes("ping")));
      client->flush();
    });
    EXPECT_EQ(sink.wait_for(static_cast<std::size_t>(round) + 1).size(),
              static_cast<std::size_t>(round) + 1);
    run_on(pool, 0, [&] {
      server.reset();
      client.reset();
    });
  }
  pool.shutdown(2s);
}

// Destroying the socket while its wait is pending, or from inside its own callback, must not
// run a handler on freed memory (ASan watches) nor call the listener again.
TEST(DatagramSocket, DestructionIsSafeWhileWaitingAndInsideTheCallback) {
  WorkerPool pool(1);
  pool.start();
  Recorder sink;
  Recorder other;
  for (int i = 0; i < 200; ++i) {
    run_on(pool, 0, [&] {
      auto s = DatagramSocket::open(pool, 0, kLoopback, sink);
      ASSERT_TRUE(s.ok());
    });  // destroyed with its wait pending
  }

  std::unique_ptr<DatagramSocket> victim;
  std::unique_ptr<DatagramSocket> sender;
  int callbacks = 0;
  sink.after_batch = [&](DatagramSocket& socket) {
    ++callbacks;
    EXPECT_EQ(&socket, victim.get());
    victim.reset();
  };
  run_on(pool, 0, [&] {
    auto v = DatagramSocket::open(pool, 0, kLoopback, sink);
    auto s = DatagramSocket::open(pool, 0, kLoopback, other);
    ASSERT_TRUE(v.ok() && s.ok());
    victim = std::move(*v);
    sender = std::move(*s);
    for (int i = 0; i < 3; ++i) sender->queue_send(victim->local_address(), as_bytes("bye"));
    sender->flush();
  });
  sink.wait_for(1);
  std::this_thread::sleep_for(50ms);
  run_on(pool, 0, [&] {
    EXPECT_EQ(victim, nullptr);
    EXPECT_EQ(callbacks, 1);
    sender.reset();
  });
  pool.shutdown(2s);
}

// A socket handed to a new listener from inside its callback (a call's relay ports parked for
// the next call): the old listener gets nothing more, what it queued is dropped, the new one
// gets every later datagram and counters start again from zero.
TEST(DatagramSocket, ReassignedInsideTheCallbackTheRestGoesToTheNewListener) {
  WorkerPool pool(1);
  pool.start();
  Recorder first;
  Recorder second;
  Recorder other;
  DatagramSocketOptions one_at_a_time;
  one_at_a_time.batch = 1;
  std::unique_ptr<DatagramSocket> socket;
  std::unique_ptr<DatagramSocket> sender;
  first.after_batch = [&](DatagramSocket& receiving) {
    EXPECT_TRUE(receiving.queue_send(sender->local_address(), as_bytes("never sent")));
    receiving.reassign(second);
    EXPECT_EQ(receiving.queued(), 0U);
  };
  run_on(pool, 0, [&] {
    auto s = DatagramSocket::open(pool, 0, kLoopback, first, one_at_a_time);
    auto t = DatagramSocket::open(pool, 0, kLoopback, other);
    ASSERT_TRUE(s.ok() && t.ok());
    socket = std::move(*s);
    sender = std::move(*t);
    for (const char* text : {"one", "two", "three"}) {
      sender->queue_send(socket->local_address(), as_bytes(text));
    }
    sender->flush();
  });
  const auto later = second.wait_for(2);
  ASSERT_EQ(later.size(), 2U);
  EXPECT_EQ(later[0].bytes, "two");
  EXPECT_EQ(later[1].bytes, "three");
  const auto earlier = first.wait_for(1);
  ASSERT_EQ(earlier.size(), 1U);
  EXPECT_EQ(earlier[0].bytes, "one");
  run_on(pool, 0, [&] {
    EXPECT_EQ(socket->received(), 2U);
    EXPECT_EQ(socket->sent(), 0U);
  });
  EXPECT_TRUE(other.wait_for(1, 200ms).empty());  // the queued reply was dropped
  run_on(pool, 0, [&] {
    socket.reset();
    sender.reset();
  });
  pool.shutdown(2s);
}

}  // namespace
}  // namespace parley::net
