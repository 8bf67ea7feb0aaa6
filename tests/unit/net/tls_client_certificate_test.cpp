// A TLS listener that asks every client for a certificate (TlsContextOptions::
// request_client_certificate, decision 0048): whatever a client shows, or nothing, is accepted in
// the handshake and handed up through StreamConnection::peer_certificates(); a listener that does
// not ask gets nothing. Real sockets and a real OpenSSL client on loopback.

#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "net/tls_context.hpp"
#include "net/tls_server.hpp"
#include "net/worker_pool.hpp"
#include "support/certificate_der.hpp"
#include "support/temp_dir.hpp"
#include "support/test_certificate.hpp"

namespace parley::net {
namespace {

using namespace std::chrono_literals;

// Every connection's certificates as its session is made.
class ChainRecorder final : public StreamSessionFactory {
 public:
  std::unique_ptr<StreamSession> create_session(StreamConnection& connection) override {
    {
      const std::lock_guard lock(mutex_);
      chains_.push_back(connection.peer_certificates());
    }
    changed_.notify_all();
    return std::make_unique<Quiet>();
  }
  // The chain of the first connection, waiting up to 3 s for it.
  std::optional<std::vector<std::string>> first() {
    std::unique_lock lock(mutex_);
    if (!changed_.wait_for(lock, 3s, [this] { return !chains_.empty(); })) return std::nullopt;
    return chains_.front();
  }

 private:
  struct Quiet final : StreamSession {
    void on_data(StreamConnection& /*connection*/, std::string_view /*bytes*/) override {}
  };
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::vector<std::string>> chains_;
};

// Connects over TLS showing `certificate` (none when empty); true when the handshake succeeded.
bool handshake(const SocketAddress& server, const test::TestCertificate& certificate) {
  SSL_CTX* context = SSL_CTX_new(TLS_client_method());
  if (!certificate.certificate.empty()) {
    SSL_CTX_use_certificate_file(context, certificate.certificate.c_str(), SSL_FILETYPE_PEM);
    SSL_CTX_use_PrivateKey_file(context, certificate.key.c_str(), SSL_FILETYPE_PEM);
  }
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  bool ok = false;
  if (::connect(fd, server.data(), server.size()) == 0) {
    SSL* ssl = SSL_new(context);
    SSL_set_fd(ssl, fd);
    ok = SSL_connect(ssl) == 1;
    // TLS 1.3: the client is done before the server has read its certificate; a write makes
    // sure the server's side of the handshake completes before the connection closes.
    if (ok) SSL_write(ssl, "x", 1);
    SSL_free(ssl);
  }
  ::close(fd);
  SSL_CTX_free(context);
  return ok;
}

struct Listener {
  explicit Listener(bool request) : pool(1) {
    server_certificate = test::make_test_certificate(dir.path(), "server");
    TlsContextOptions options;
    options.certificate_file = server_certificate.certificate;
    options.key_file = server_certificate.key;
    options.request_client_certificate = request;
    tls = std::move(TlsContext::create(TlsContext::Role::kServer, options)).value();
    server = std::move(TlsServer::listen(pool, *SocketAddress::parse("127.0.0.1:0"), *tls, recorder,
                                         TlsServerOptions{}))
                 .value();
    pool.start();
  }
  ~Listener() {
    server->stop();
    pool.shutdown(1s);
  }
  test::TempDir dir{"parley-tls-client-cert"};
  test::TestCertificate server_certificate;
  std::unique_ptr<TlsContext> tls;
  ChainRecorder recorder;
  WorkerPool pool;
  std::unique_ptr<TlsServer> server;
};

TEST(TlsClientCertificate, AListenerThatAsksKeepsWhatTheClientShowed) {
  Listener listener(/*request=*/true);
  const auto client = test::make_test_certificate(listener.dir.path(), "provider");
  ASSERT_TRUE(handshake(listener.server->local_address(), client))
      << "a certificate of nobody the listener knows is still taken in the handshake";
  const auto chain = listener.recorder.first();
  ASSERT_TRUE(chain.has_value());
  ASSERT_EQ(chain->size(), 1U);
  EXPECT_EQ(chain->front(), test::certificate_der(client.certificate));
}

TEST(TlsClientCertificate, AClientWithoutOneIsServedAsBefore) {
  Listener listener(/*request=*/true);
  ASSERT_TRUE(handshake(listener.server->local_address(), {}));
  const auto chain = listener.recorder.first();
  ASSERT_TRUE(chain.has_value());
  EXPECT_TRUE(chain->empty());
}

TEST(TlsClientCertificate, AListenerThatDoesNotAskGetsNothing) {
  Listener listener(/*request=*/false);
  const auto client = test::make_test_certificate(listener.dir.path(), "provider");
  ASSERT_TRUE(handshake(listener.server->local_address(), client));
  const auto chain = listener.recorder.first();
  ASSERT_TRUE(chain.has_value());
  EXPECT_TRUE(chain->empty());
}

}  // namespace
}  // namespace parley::net
