#include "http/http_server.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "http/static_files.hpp"
#include "http/test_client.hpp"

namespace parley::http {
namespace {

using test::TestServer;
using test::TlsClient;

void write_file(const std::filesystem::path& path, const std::string& bytes) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << bytes;
}

// Refuses the files whose names it was given; counts what it saw.
class ListVerifier final : public AssetVerifier {
 public:
  explicit ListVerifier(std::vector<std::string> refused) : refused_(std::move(refused)) {}
  bool allow(std::string_view path, std::string_view /*bytes*/) const override {
    ++seen_;
    for (const auto& name : refused_) {
      if (name == path) return false;
    }
    return true;
  }
  int seen() const { return seen_.load(); }

 private:
  std::vector<std::string> refused_;
  mutable std::atomic<int> seen_{0};
};

// A web root "www" beside a secret file outside it, served at "/" with a verifier that refuses
// "tampered.js", plus an API route or two.
class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    web_root = server.data.path() / "www";
    write_file(web_root / "index.html", "<!doctype html><title>parley</title>");
    write_file(web_root / "assets" / "app-1234.js", "console.log('hi');");
    write_file(web_root / "style.css", "body{}");
    write_file(web_root / "tampered.js", "evil();");
    write_file(web_root / "sub" / "index.html", "sub index");
    write_file(server.data.path() / "secret.txt", "TOP-SECRET");
    std::filesystem::create_symlink(server.data.path() / "secret.txt", web_root / "link.txt");
    auto opened = StaticFiles::open(web_root, {}, &verifier);
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    files.emplace(std::move(*opened));
    server.router.add_prefix("/", files->handler());
    server.router.add_exact("/api/echo", [](const Request& request) {
      return Response::make(200, "text/plain", request.method + ":" + request.body);
    });
    server.router.add_exact(
        "/api/throws", [](const Request&) -> Response { throw std::runtime_error("handler bug"); });
  }

  void start(const HttpOptions& options = {}) { server.start(options); }
  // The verifier and the files are destroyed before the server: stop the server first.
  void TearDown() override { server.stop(); }

  TestServer server;
  std::filesystem::path web_root;
  ListVerifier verifier{{"tampered.js"}};
  std::optional<StaticFiles> files;
};

TEST_F(HttpServerTest, ServesStaticFileWithTypeEtagAndSecurityHeaders) {
  start();
  TlsClient client(server.address());
  ASSERT_TRUE(client.connected());
  EXPECT_EQ(client.peer_fingerprint(), server.certificate.fingerprint);
  const auto reply = client.get("/assets/app-1234.js");
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(reply->body, "console.log('hi');");
  EXPECT_EQ(reply->header("content-type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(reply->header("cache-control"), "public, max-age=31536000, immutable");
  const std::string etag = reply->header("etag");
  EXPECT_EQ(etag.size(), 34U);
  EXPECT_EQ(etag.front(), '"');
  EXPECT_EQ(reply->header("x-content-type-options"), "nosniff");
  EXPECT_EQ(reply->header("referrer-policy"), "no-referrer");
  EXPECT_EQ(reply->header("strict-transport-security"), "max-age=31536000");
  const std::string policy = reply->header("content-security-policy");
  EXPECT_NE(policy.find("default-src 'self'"), std::string::npos) << policy;
  EXPECT_NE(policy.find("connect-src 'self' wss://localhost"), std::string::npos) << policy;

  // Same connection (keep-alive): the index, with its own type and no long caching.
  const auto index = client.get("/");
  ASSERT_TRUE(index);
  EXPECT_EQ(index->status, 200);
  EXPECT_EQ(index->header("content-type"), "text/html; charset=utf-8");
  EXPECT_EQ(index->header("cache-control"), "no-cache");
  EXPECT_NE(index->header("etag"), etag);
  const auto css = client.get("/style.css");
  ASSERT_TRUE(css);
  EXPECT_EQ(css->header("content-type"), "text/css; charset=utf-8");
}

TEST_F(HttpServerTest, IfNoneMatchGivesNotModified) {
  start();
  TlsClient client(server.address());
  const auto first = client.get("/index.html");
  ASSERT_TRUE(first);
  const std::string etag = first->header("etag");
  const auto again = client.get("/index.html", "If-None-Match: \"nope\", " + etag + "\r\n");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 304);
  EXPECT_EQ(again->header("etag"), etag);
  EXPECT_TRUE(again->body.empty());
  // The content changes: the old tag no longer matches.
  write_file(web_root / "index.html", "<!doctype html><title>v2</title>");
  const auto changed = client.get("/index.html", "If-None-Match: " + etag + "\r\n");
  ASSERT_TRUE(changed);
  EXPECT_EQ(changed->status, 200);
  EXPECT_EQ(changed->body, "<!doctype html><title>v2</title>");
}

TEST_F(HttpServerTest, MissingFileAndFolderWithoutIndexAre404) {
  std::filesystem::create_directories(web_root / "empty");
  start();
  TlsClient client(server.address());
  for (const char* path : {"/nothing.js", "/empty/", "/empty", "/assets/"}) {
    const auto reply = client.get(path);
    ASSERT_TRUE(reply) << path;
    EXPECT_EQ(reply->status, 404) << path;
    EXPECT_EQ(reply->header("content-type"), "application/problem+json") << path;
    EXPECT_EQ(reply->header("x-content-type-options"), "nosniff") << path;
  }
  const auto sub = client.get("/sub/");
  ASSERT_TRUE(sub);
  EXPECT_EQ(sub->body, "sub index");
}

TEST_F(HttpServerTest, PathTraversalIsRefused) {
  start();
  for (const char* path :
       {"/../secret.txt", "/assets/../../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E/secret.txt",
        "/assets/%2e%2e/%2e%2e/secret.txt", "/..%2fsecret.txt", "/assets%2f..%2f..%2fsecret.txt",
        "/..%5csecret.txt", "/..\\secret.txt", "/.hidden", "/index.html%00.js", "/%zz"}) {
    TlsClient client(server.address());
    const auto reply = client.get(path);
    ASSERT_TRUE(reply) << path;
    EXPECT_EQ(reply->status, 400) << path;
    EXPECT_EQ(reply->body.find("TOP-SECRET"), std::string::npos) << path;
  }
  TlsClient client(server.address());
  const auto link = client.get("/link.txt");  // a symlink out of the root
  ASSERT_TRUE(link);
  EXPECT_EQ(link->status, 404);
  EXPECT_EQ(link->body.find("TOP-SECRET"), std::string::npos);
}

TEST_F(HttpServerTest, VerifierRefusalIs500) {
  start();
  TlsClient client(server.address());
  const auto refused = client.get("/tampered.js");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 500);
  EXPECT_EQ(refused->body.find("evil"), std::string::npos);
  EXPECT_NE(refused->body.find("integrity"), std::string::npos) << refused->body;
  const int before = verifier.seen();
  const auto fine = client.get("/style.css");
  ASSERT_TRUE(fine);
  EXPECT_EQ(fine->status, 200);
  EXPECT_EQ(verifier.seen(), before + 1);
}

TEST_F(HttpServerTest, OversizedBodyIs413AndConnectionCloses) {
  HttpOptions options;
  options.max_body_bytes = 1000;
  start(options);
  TlsClient small(server.address());
  ASSERT_TRUE(
      small.write("POST /api/echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\nhello"));
  const auto ok = small.read_response();
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(ok->body, "POST:hello");

  TlsClient client(server.address());
  ASSERT_TRUE(client.write(
      "POST /api/echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2000000\r\n\r\nxxxx"));
  const auto reply = client.read_response();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 413);
  EXPECT_EQ(reply->header("content-type"), "application/problem+json");
  EXPECT_NE(reply->body.find("1000 bytes"), std::string::npos) << reply->body;
  EXPECT_EQ(reply->header("connection"), "close");
  EXPECT_TRUE(client.closed_by_peer());

  // Chunked bodies are counted too.
  TlsClient chunked(server.address());
  ASSERT_TRUE(
      chunked.write("POST /api/echo HTTP/1.1\r\nHost: localhost\r\n"
                    "Transfer-Encoding: chunked\r\n\r\n7d0\r\n" +
                    std::string(2000, 'y') + "\r\n0\r\n\r\n"));
  const auto chunked_reply = chunked.read_response();
  ASSERT_TRUE(chunked_reply);
  EXPECT_EQ(chunked_reply->status, 413);
}

TEST_F(HttpServerTest, OversizedHeadersAre431AndGarbageIs400) {
  HttpOptions options;
  options.max_header_bytes = 2048;
  start(options);
  TlsClient big(server.address());
  ASSERT_TRUE(big.write("GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: " + std::string(4000, 'a') +
                        "\r\n\r\n"));
  const auto too_big = big.read_response();
  ASSERT_TRUE(too_big);
  EXPECT_EQ(too_big->status, 431);

  TlsClient garbage(server.address());
  ASSERT_TRUE(garbage.write("HELLO THERE\r\n\r\n"));
  const auto bad = garbage.read_response();
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_NE(bad->body.find("malformed"), std::string::npos) << bad->body;
}

TEST_F(HttpServerTest, RouterAndHandlerErrors) {
  start();
  TlsClient client(server.address());
  const auto thrown = client.get("/api/throws");
  ASSERT_TRUE(thrown);
  EXPECT_EQ(thrown->status, 500);
  EXPECT_EQ(thrown->body.find("handler bug"), std::string::npos);  // no internals leak
  const auto echo = client.get("/api/echo");
  ASSERT_TRUE(echo);
  EXPECT_EQ(echo->body, "GET:");
  ASSERT_TRUE(client.write("DELETE /index.html HTTP/1.1\r\nHost: localhost\r\n\r\n"));
  const auto wrong_method = client.read_response();
  ASSERT_TRUE(wrong_method);
  EXPECT_EQ(wrong_method->status, 405);
  EXPECT_EQ(wrong_method->header("allow"), "GET, HEAD");
  ASSERT_TRUE(client.write("HEAD /style.css HTTP/1.1\r\nHost: localhost\r\n\r\n"));
  const auto head = client.read_response(true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->header("content-length"), "6");
  // The HEAD answer carried no body: the next answer on the connection parses cleanly.
  const auto after = client.get("/style.css");
  ASSERT_TRUE(after);
  EXPECT_EQ(after->body, "body{}");
}

TEST_F(HttpServerTest, IdleConnectionIsClosedAndCapIsKept) {
  HttpOptions options;
  options.idle_timeout = std::chrono::milliseconds(300);
  options.max_connections = 2;
  start(options);
  TlsClient first(server.address());
  TlsClient second(server.address());
  ASSERT_TRUE(first.connected());
  ASSERT_TRUE(second.connected());
  TlsClient third(server.address());
  EXPECT_FALSE(third.connected());      // over the cap: closed before the handshake
  EXPECT_TRUE(first.closed_by_peer());  // idle past the timeout
  for (int i = 0; i < 100 && server.server->open_connections() != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(server.server->open_connections(), 0U);
  TlsClient fourth(server.address());
  ASSERT_TRUE(fourth.connected());
  const auto reply = fourth.get("/style.css");
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200);
}

TEST_F(HttpServerTest, ShutdownClosesKeepAliveConnections) {
  start();
  TlsClient client(server.address());
  ASSERT_TRUE(client.get("/style.css"));
  EXPECT_EQ(server.pool.stream_count(), 1U);
  // A request may still be finishing on the server (answer sent, on_write not yet run): then
  // the server closes after it, with close_notify, which the client answers by disconnecting.
  const auto began = std::chrono::steady_clock::now();
  std::thread stopper([this] { server.stop(); });
  EXPECT_TRUE(client.closed_by_peer());
  client.disconnect();
  stopper.join();
  EXPECT_LT(std::chrono::steady_clock::now() - began, std::chrono::milliseconds(1500));
  EXPECT_EQ(server.pool.stream_count(), 0U);
}

}  // namespace
}  // namespace parley::http

namespace parley::http {
namespace {

// A handler that blocks (the REST API's SQLite and argon2id) runs off the event loop: with a
// single worker loop, another request is answered while it is still blocked.
TEST(HttpServerExecution, OffLoopHandlerDoesNotBlockTheLoop) {
  TestServer server(1);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<bool> slow_done{false};
  server.router.add_exact(
      "/slow",
      [&](const Request&) {
        released.wait_for(std::chrono::seconds(5));
        slow_done.store(true);
        return Response::make(200, "text/plain", "slow");
      },
      Execution::kOffLoop);
  server.router.add_exact("/fast",
                          [](const Request&) { return Response::make(200, "text/plain", "fast"); });
  Request probe;
  probe.path = "/slow";
  EXPECT_EQ(server.router.execution(probe), Execution::kOffLoop);
  probe.path = "/fast";
  EXPECT_EQ(server.router.execution(probe), Execution::kOnLoop);
  server.start();

  TlsClient slow(server.address());
  ASSERT_TRUE(slow.write("GET /slow HTTP/1.1\r\nHost: localhost\r\n\r\n"));
  TlsClient fast(server.address());
  const auto quick = fast.get("/fast");
  ASSERT_TRUE(quick);
  EXPECT_EQ(quick->body, "fast");
  EXPECT_FALSE(slow_done.load());  // answered while the slow handler still waited

  release.set_value();
  const auto late = slow.read_response();
  ASSERT_TRUE(late);
  EXPECT_EQ(late->status, 200);
  EXPECT_EQ(late->body, "slow");
}

}  // namespace
}  // namespace parley::http
