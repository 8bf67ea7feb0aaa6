#include "net/tcp_server.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "net/worker_pool.hpp"
#include "support/line_echo_session.hpp"

namespace parley::net {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// A blocking test client with a receive timeout, so a broken server fails the test instead of
// hanging it.
class Client {
 public:
  explicit Client(const SocketAddress& server) {
    fd_ = ::socket(server.is_v6() ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
    timeval timeout{3, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    const int on = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    connected_ = ::connect(fd_, server.data(), server.size()) == 0;
  }
  ~Client() { ::close(fd_); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  bool connected() const { return connected_; }
  void write(std::string_view bytes) {
    ASSERT_EQ(::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(bytes.size()));
  }
  // Reads until `wanted` bytes arrived, the peer closed, or the receive timeout hit.
  std::string read(std::size_t wanted) {
    std::string out;
    char buffer[4096];
    while (out.size() < wanted) {
      const ssize_t got = ::recv(fd_, buffer, sizeof buffer, 0);
      if (got <= 0) break;
      out.append(buffer, static_cast<std::size_t>(got));
    }
    return out;
  }
  // True when the server closed the connection (recv returns 0 or a reset).
  bool closed_by_peer() {
    char byte = 0;
    const ssize_t got = ::recv(fd_, &byte, 1, 0);
    return got == 0 || (got < 0 && errno == ECONNRESET);
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

using Observed = test::LineEchoObserved;
using LineFactory = test::LineEchoFactory;

// Short lingering keeps the tests that close connections quick.
TcpOptions quick_linger() {
  TcpOptions options;
  options.linger = 200ms;
  return options;
}

struct Fixture {
  explicit Fixture(TcpOptions options = quick_linger(), std::size_t workers = 2)
      : pool(workers), factory(observed) {
    auto listening =
        TcpServer::listen(pool, *SocketAddress::parse("127.0.0.1:0"), factory, options);
    EXPECT_TRUE(listening.ok());
    if (listening.ok()) server = std::move(listening.value());
    pool.start();
  }
  ~Fixture() {
    if (server) server->stop();
    pool.shutdown(2s);
  }
  template <typename Predicate>
  bool wait(Predicate predicate) {
    std::unique_lock lock(observed.mutex);
    return observed.changed.wait_for(lock, 3s, predicate);
  }

  Observed observed;
  WorkerPool pool;
  LineFactory factory;
  std::unique_ptr<TcpServer> server;
};

TEST(TcpServer, ReassemblesPartialWritesAndAnswersOnTheSameConnection) {
  Fixture f;
  ASSERT_TRUE(f.server);
  EXPECT_NE(f.server->local_address().port(), 0);
  Client client(f.server->local_address());
  ASSERT_TRUE(client.connected());

  // One line split over three writes with pauses, then two lines in one write.
  client.write("hel");
  std::this_thread::sleep_for(30ms);
  client.write("lo wor");
  std::this_thread::sleep_for(30ms);
  client.write("ld\nsecond\nthird\n");

  EXPECT_EQ(client.read(37), "echo:hello world\necho:second\necho:third\n");
  ASSERT_TRUE(f.wait([&] { return f.observed.lines.size() == 3; }));
  EXPECT_EQ(f.observed.lines[0], "hello world");
}

TEST(TcpServer, SpreadsConnectionsOverWorkersWithDistinctIds) {
  Fixture f;
  Client a(f.server->local_address());
  Client b(f.server->local_address());
  a.write("a\n");
  b.write("b\n");
  EXPECT_EQ(a.read(7), "echo:a\n");
  EXPECT_EQ(b.read(7), "echo:b\n");
  ASSERT_TRUE(f.wait([&] { return f.observed.connection_ids.size() == 2; }));
  const auto first = f.observed.connection_ids[0];
  const auto second = f.observed.connection_ids[1];
  EXPECT_NE(first, second);
  // Round-robin: two consecutive connections land on different workers.
  EXPECT_NE(first & 0xFFFFU, second & 0xFFFFU);
  EXPECT_EQ(f.server->open_connections(), 2U);
}

TEST(TcpServer, SendStreamReachesAConnectionFromAnotherThread) {
  Fixture f;
  Client client(f.server->local_address());
  client.write("hi\n");
  EXPECT_EQ(client.read(8), "echo:hi\n");
  ASSERT_TRUE(f.wait([&] { return f.observed.connection_ids.size() == 1; }));
  const std::uint64_t id = f.observed.connection_ids[0];

  EXPECT_TRUE(f.pool.send_stream(id, "pushed\n"));  // from the test thread: posted
  EXPECT_EQ(client.read(7), "pushed\n");
  EXPECT_FALSE(f.pool.send_stream(0, "x"));
  f.pool.close_stream(id);
  EXPECT_TRUE(client.closed_by_peer());
  ASSERT_TRUE(f.wait([&] { return f.observed.closed == 1; }));
}

TEST(TcpServer, CloseAfterFlushDeliversTheLastWords) {
  Fixture f;
  Client client(f.server->local_address());
  client.write("quit\n");
  EXPECT_EQ(client.read(4), "bye\n");
  EXPECT_TRUE(client.closed_by_peer());
  ASSERT_TRUE(f.wait([&] { return f.observed.closed == 1; }));
  EXPECT_EQ(f.server->open_connections(), 0U);
}

TEST(TcpServer, IdleConnectionIsClosed) {
  TcpOptions options = quick_linger();
  options.idle_timeout = 300ms;
  Fixture f(options);
  Client client(f.server->local_address());
  client.write("one\n");
  EXPECT_EQ(client.read(9), "echo:one\n");
  const auto start = Clock::now();
  EXPECT_TRUE(client.closed_by_peer());  // blocks until the server closes (3 s cap)
  const auto waited = Clock::now() - start;
  EXPECT_GE(waited, 200ms);
  EXPECT_LT(waited, 2500ms);
  ASSERT_TRUE(f.wait([&] { return f.observed.closed == 1; }));
}

TEST(TcpServer, ActivityPostponesTheIdleTimeout) {
  TcpOptions options = quick_linger();
  options.idle_timeout = 400ms;
  Fixture f(options);
  Client client(f.server->local_address());
  for (int i = 0; i < 4; ++i) {  // 800 ms of activity, never 400 ms quiet
    client.write("tick\n");
    EXPECT_EQ(client.read(10), "echo:tick\n");
    std::this_thread::sleep_for(200ms);
  }
  const std::lock_guard lock(f.observed.mutex);
  EXPECT_EQ(f.observed.closed, 0);
}

TEST(TcpServer, ConnectionsOverTheCapAreClosedAtOnce) {
  TcpOptions options = quick_linger();
  options.max_connections = 1;
  Fixture f(options);
  Client first(f.server->local_address());
  first.write("a\n");
  EXPECT_EQ(first.read(7), "echo:a\n");
  Client second(f.server->local_address());
  ASSERT_TRUE(second.connected());  // the kernel completes the handshake before we refuse
  EXPECT_TRUE(second.closed_by_peer());
  first.write("b\n");
  EXPECT_EQ(first.read(7), "echo:b\n");
}

TEST(TcpServer, ShutdownClosesOpenConnections) {
  TcpOptions options;
  options.linger = 200ms;
  auto f = std::make_unique<Fixture>(options);
  Client client(f->server->local_address());
  client.write("x\n");
  EXPECT_EQ(client.read(7), "echo:x\n");
  const auto start = Clock::now();
  f->server->stop();
  f->pool.shutdown(2s);
  // The client never closes, so the server lingers its 200 ms, but no more.
  EXPECT_LT(Clock::now() - start, 1s);
  EXPECT_TRUE(client.closed_by_peer());
  EXPECT_EQ(f->observed.closed, 1);
}

TEST(TcpServer, LastAnswerSurvivesUnreadInput) {
  // The session answers and closes after the first line while more input is still unread.
  // Closing with unread input makes the kernel send a reset, which drops whatever of our
  // answer is still queued; lingering (FIN, then discard input) avoids that. On loopback the
  // answer usually leaves before a reset could hurt it, so this guards the behaviour rather
  // than proving the need.
  Fixture f;
  Client client(f.server->local_address());
  client.write("quit\n" + std::string(200000, 'z'));
  std::this_thread::sleep_for(100ms);  // let a reset, if any, arrive before we read
  EXPECT_EQ(client.read(4), "bye\n");
  EXPECT_TRUE(client.closed_by_peer());
}

TEST(TcpServer, ListensOnIpv6Loopback) {
  WorkerPool pool(1);
  Observed observed;
  LineFactory factory(observed);
  auto server = TcpServer::listen(pool, *SocketAddress::parse("[::1]:0"), factory);
  if (!server.ok()) GTEST_SKIP() << "no IPv6 loopback: " << server.error().message;
  pool.start();
  Client client((*server)->local_address());
  ASSERT_TRUE(client.connected());
  client.write("six\n");
  EXPECT_EQ(client.read(9), "echo:six\n");
  (*server)->stop();
  pool.shutdown(2s);
}

}  // namespace
}  // namespace parley::net
