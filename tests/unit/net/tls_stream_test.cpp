// TlsServer (accepting TLS, handshake timeout, garbage, caps) and StreamConnector (outgoing TCP
// and TLS with certificate checks), against real sockets and a real OpenSSL client on loopback.

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "net/stream_connector.hpp"
#include "net/tcp_server.hpp"
#include "net/tls_context.hpp"
#include "net/tls_server.hpp"
#include "net/worker_pool.hpp"
#include "support/line_echo_session.hpp"
#include "support/temp_dir.hpp"
#include "support/test_certificate.hpp"

namespace parley::net {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

int connect_tcp(const SocketAddress& server) {
  const int fd = ::socket(server.is_v6() ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
  timeval timeout{3, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  if (::connect(fd, server.data(), server.size()) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// True when the server closes `fd` (EOF or reset) within the socket's receive timeout.
bool closed_by_peer(int fd) {
  char buffer[512];
  for (int i = 0; i < 100; ++i) {
    const ssize_t got = ::recv(fd, buffer, sizeof buffer, 0);
    if (got == 0 || (got < 0 && errno == ECONNRESET)) return true;
    if (got < 0) return false;  // timeout
  }
  return false;
}

// A blocking OpenSSL client that checks the server against `ca` when given.
class TlsClient {
 public:
  TlsClient(const SocketAddress& server, const std::filesystem::path& ca = {}) {
    context_ = SSL_CTX_new(TLS_client_method());
    if (!ca.empty()) {
      SSL_CTX_load_verify_locations(context_, ca.c_str(), nullptr);
      SSL_CTX_set_verify(context_, SSL_VERIFY_PEER, nullptr);
    }
    fd_ = connect_tcp(server);
    if (fd_ < 0) return;
    ssl_ = SSL_new(context_);
    SSL_set_fd(ssl_, fd_);
    handshake_ok_ = SSL_connect(ssl_) == 1;
  }
  ~TlsClient() {
    if (ssl_ != nullptr) SSL_free(ssl_);
    SSL_CTX_free(context_);
    if (fd_ >= 0) ::close(fd_);
  }
  TlsClient(const TlsClient&) = delete;
  TlsClient& operator=(const TlsClient&) = delete;

  bool handshake_ok() const { return handshake_ok_; }
  void write(std::string_view bytes) {
    ASSERT_EQ(SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size())),
              static_cast<int>(bytes.size()));
  }
  std::string read(std::size_t wanted) {
    std::string out;
    char buffer[4096];
    while (out.size() < wanted) {
      const int got = SSL_read(ssl_, buffer, sizeof buffer);
      if (got <= 0) break;
      out.append(buffer, static_cast<std::size_t>(got));
    }
    return out;
  }

 private:
  SSL_CTX* context_ = nullptr;
  SSL* ssl_ = nullptr;
  int fd_ = -1;
  bool handshake_ok_ = false;
};

using Observed = test::LineEchoObserved;
using LineFactory = test::LineEchoFactory;

template <typename Predicate>
bool wait_for(Observed& observed, Predicate predicate, std::chrono::milliseconds limit = 3s) {
  std::unique_lock lock(observed.mutex);
  return observed.changed.wait_for(lock, limit, predicate);
}

std::unique_ptr<TlsContext> make_context(TlsContext::Role role, const TlsContextOptions& options) {
  auto made = TlsContext::create(role, options);
  EXPECT_TRUE(made.ok()) << (made.ok() ? "" : made.error().message);
  return made.ok() ? std::move(made).value() : nullptr;
}

struct Fixture {
  explicit Fixture(TlsServerOptions options = {})
      : factory(server_seen), client_factory(client_seen), pool(2) {
    certificate = test::make_test_certificate(dir.path(), "server");
    server_tls = make_context(TlsContext::Role::kServer,
                              {certificate.certificate, certificate.key, {}, false});
    options.linger = 200ms;
    auto listening = TlsServer::listen(pool, *SocketAddress::parse("127.0.0.1:0"), *server_tls,
                                       factory, options);
    EXPECT_TRUE(listening.ok()) << (listening.ok() ? "" : listening.error().message);
    if (listening.ok()) server = std::move(listening).value();
    pool.start();
  }
  ~Fixture() {
    if (server) server->stop();
    pool.shutdown(2s);
  }

  test::TempDir dir{"parley-tls"};
  test::TestCertificate certificate;
  std::unique_ptr<TlsContext> server_tls;
  // Sessions live until the pool's shutdown: what they report to is declared before the pool.
  Observed server_seen;
  LineFactory factory;
  Observed client_seen;  // outgoing connections' sessions
  LineFactory client_factory;
  std::unique_ptr<TlsContext> client_tls;  // set by a test before it opens connections
  WorkerPool pool;
  std::unique_ptr<TlsServer> server;
};

TEST(TlsServer, AnswersOverTlsOnTheSameConnection) {
  Fixture f;
  ASSERT_TRUE(f.server);
  TlsClient client(f.server->local_address(), f.certificate.certificate);
  ASSERT_TRUE(client.handshake_ok());
  client.write("hel");
  std::this_thread::sleep_for(20ms);
  client.write("lo\nsecond\n");
  EXPECT_EQ(client.read(23), "echo:hello\necho:second\n");
  ASSERT_TRUE(wait_for(f.server_seen, [&] { return f.server_seen.lines.size() == 2; }));
  ASSERT_EQ(f.server_seen.kinds.size(), 1U);
  EXPECT_EQ(f.server_seen.kinds[0], StreamKind::kTls);
  EXPECT_EQ(f.server->open_connections(), 1U);
  // send_stream from a foreign thread reaches the TLS connection too.
  EXPECT_TRUE(f.pool.send_stream(f.server_seen.connection_ids[0], "pushed\n"));
  EXPECT_EQ(client.read(7), "pushed\n");
}

TEST(TlsServer, ClosesAStalledHandshakeWithinItsTimeoutAndKeepsServingOthers) {
  TlsServerOptions options;
  options.handshake_timeout = 300ms;
  Fixture f(options);
  ASSERT_TRUE(f.server);
  const int silent = connect_tcp(f.server->local_address());
  ASSERT_GE(silent, 0);
  const auto started = Clock::now();
  {
    TlsClient other(f.server->local_address());  // served while the silent one waits
    ASSERT_TRUE(other.handshake_ok());
    other.write("ping\n");
    EXPECT_EQ(other.read(10), "echo:ping\n");
  }
  EXPECT_TRUE(closed_by_peer(silent));
  const auto waited = Clock::now() - started;
  EXPECT_GE(waited, 250ms);
  EXPECT_LT(waited, 2s);
  ::close(silent);
  // The stalled connection never became a session.
  EXPECT_EQ(f.server_seen.connection_ids.size(), 1U);
}

TEST(TlsServer, GarbageInsteadOfAHandshakeClosesAtOnceWithoutASession) {
  Fixture f;
  ASSERT_TRUE(f.server);
  const int fd = connect_tcp(f.server->local_address());
  ASSERT_GE(fd, 0);
  const std::string garbage = "OPTIONS sip:a@b SIP/2.0\r\nVia: x\r\n\r\n";
  ASSERT_EQ(::send(fd, garbage.data(), garbage.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(garbage.size()));
  const auto started = Clock::now();
  EXPECT_TRUE(closed_by_peer(fd));
  EXPECT_LT(Clock::now() - started, 2s);  // long before the 10 s handshake timeout
  ::close(fd);
  std::this_thread::sleep_for(50ms);
  const std::lock_guard lock(f.server_seen.mutex);
  EXPECT_TRUE(f.server_seen.connection_ids.empty());
}

TEST(TlsServer, RefusesConnectionsOverThePerAddressCap) {
  TlsServerOptions options;
  options.max_connections_per_ip = 2;
  Fixture f(options);
  ASSERT_TRUE(f.server);
  const int a = connect_tcp(f.server->local_address());
  const int b = connect_tcp(f.server->local_address());
  ASSERT_GE(a, 0);
  ASSERT_GE(b, 0);
  for (int i = 0; i < 100 && f.server->open_connections() < 2; ++i)
    std::this_thread::sleep_for(10ms);
  const int c = connect_tcp(f.server->local_address());
  ASSERT_GE(c, 0);
  EXPECT_TRUE(closed_by_peer(c));
  EXPECT_EQ(f.server->refused_connections(), 1U);
  ::close(c);
  ::close(a);
  ::close(b);
  // Once those are gone the address may connect again.
  for (int i = 0; i < 300 && f.server->open_connections() > 0; ++i)
    std::this_thread::sleep_for(10ms);
  TlsClient again(f.server->local_address());
  EXPECT_TRUE(again.handshake_ok());
}

// Opens a connection from worker 0 and waits for the id.
std::uint64_t open_from_worker(WorkerPool& pool, StreamConnector& connector,
                               const StreamTarget& target) {
  std::promise<std::uint64_t> opened;
  auto id = opened.get_future();
  pool.post(0, [&] { opened.set_value(connector.open(target)); });
  return id.wait_for(3s) == std::future_status::ready ? id.get() : 0;
}

TEST(StreamConnector, OpensAVerifiedTlsConnectionAndQueuesWhatWasSentBeforeItWasUp) {
  Fixture f;
  ASSERT_TRUE(f.server);
  f.client_tls = make_context(TlsContext::Role::kClient,
                              {{}, {}, f.certificate.certificate, /*verify_peer=*/true});
  Observed& client_seen = f.client_seen;
  StreamConnector connector(f.pool, f.client_factory, f.client_tls.get());
  StreamTarget target{f.server->local_address(), StreamKind::kTls, "localhost"};
  std::promise<std::uint64_t> opened;
  f.pool.post(0, [&] {
    const std::uint64_t id = connector.open(target);
    f.pool.send_stream(id, "early\n");  // before the connect finished
    opened.set_value(id);
  });
  auto id = opened.get_future();
  ASSERT_EQ(id.wait_for(3s), std::future_status::ready);
  EXPECT_NE(id.get(), 0U);
  ASSERT_TRUE(wait_for(f.server_seen, [&] { return !f.server_seen.lines.empty(); }));
  EXPECT_EQ(f.server_seen.lines[0], "early");
  ASSERT_TRUE(wait_for(client_seen, [&] { return !client_seen.lines.empty(); }));
  EXPECT_EQ(client_seen.lines[0], "echo:early");
  EXPECT_EQ(client_seen.kinds[0], StreamKind::kTls);
  EXPECT_EQ(client_seen.closed, 0);
}

TEST(StreamConnector, AServerCertificateThatDoesNotVerifyEndsTheConnection) {
  Fixture f;
  ASSERT_TRUE(f.server);
  const auto stranger = test::make_test_certificate(f.dir.path(), "stranger");
  f.client_tls = make_context(TlsContext::Role::kClient, {{}, {}, stranger.certificate, true});
  Observed& client_seen = f.client_seen;
  StreamConnector connector(f.pool, f.client_factory, f.client_tls.get());
  const auto id = open_from_worker(f.pool, connector,
                                   {f.server->local_address(), StreamKind::kTls, "localhost"});
  EXPECT_NE(id, 0U);
  f.pool.send_stream(id, "secret\n");
  ASSERT_TRUE(wait_for(client_seen, [&] { return client_seen.closed == 1; }));
  const std::lock_guard lock(f.server_seen.mutex);
  EXPECT_TRUE(f.server_seen.lines.empty());  // nothing reached a server we do not trust
}

TEST(StreamConnector, ANameTheCertificateDoesNotCarryFailsVerification) {
  Fixture f;
  ASSERT_TRUE(f.server);
  f.client_tls = make_context(TlsContext::Role::kClient, {{}, {}, f.certificate.certificate, true});
  Observed& client_seen = f.client_seen;
  StreamConnector connector(f.pool, f.client_factory, f.client_tls.get());
  open_from_worker(f.pool, connector,
                   {f.server->local_address(), StreamKind::kTls, "sip.example.com"});
  ASSERT_TRUE(wait_for(client_seen, [&] { return client_seen.closed == 1; }));
  EXPECT_TRUE(client_seen.lines.empty());
}

TEST(StreamConnector, OpensPlainTcpAndReportsARefusedConnect) {
  Observed server_seen;
  LineFactory server_factory(server_seen);
  Observed client_seen;
  LineFactory client_factory(client_seen);
  WorkerPool pool(1);
  auto tcp = TcpServer::listen(pool, *SocketAddress::parse("127.0.0.1:0"), server_factory);
  ASSERT_TRUE(tcp.ok());
  StreamConnector connector(pool, client_factory, nullptr);
  pool.start();

  const auto id =
      open_from_worker(pool, connector, {(*tcp)->local_address(), StreamKind::kTcp, {}});
  ASSERT_NE(id, 0U);
  EXPECT_TRUE(pool.send_stream(id, "plain\n"));
  ASSERT_TRUE(wait_for(client_seen, [&] { return !client_seen.lines.empty(); }));
  EXPECT_EQ(client_seen.lines[0], "echo:plain");
  EXPECT_EQ(client_seen.kinds[0], StreamKind::kTcp);

  // Without a TLS context, TLS targets are refused; a closed port ends in on_closed.
  EXPECT_EQ(open_from_worker(pool, connector, {(*tcp)->local_address(), StreamKind::kTls, {}}), 0U);
  const SocketAddress closed_port = (*tcp)->local_address();
  (*tcp)->stop();
  std::this_thread::sleep_for(50ms);
  open_from_worker(pool, connector, {closed_port, StreamKind::kTcp, {}});
  ASSERT_TRUE(wait_for(client_seen, [&] { return client_seen.closed >= 1; }));
  pool.shutdown(2s);
}

TEST(TlsContext, RefusesMismatchedOrMissingFiles) {
  test::TempDir dir{"parley-tls"};
  const auto one = test::make_test_certificate(dir.path(), "one");
  const auto two = test::make_test_certificate(dir.path(), "two");
  EXPECT_FALSE(
      TlsContext::create(TlsContext::Role::kServer, {one.certificate, two.key, {}, false}).ok());
  EXPECT_FALSE(
      TlsContext::create(TlsContext::Role::kServer, {dir.path() / "none.pem", one.key, {}, false})
          .ok());
  EXPECT_FALSE(TlsContext::create(TlsContext::Role::kServer, {}).ok());
  EXPECT_FALSE(
      TlsContext::create(TlsContext::Role::kClient, {one.certificate, {}, {}, false}).ok());
  EXPECT_FALSE(
      TlsContext::create(TlsContext::Role::kClient, {{}, {}, dir.path() / "no-ca.pem", true}).ok());
  EXPECT_TRUE(TlsContext::create(TlsContext::Role::kClient, {}).ok());
}

}  // namespace
}  // namespace parley::net
