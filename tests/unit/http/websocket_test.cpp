#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "http/test_client.hpp"
#include "http/websocket_handler.hpp"

namespace parley::http {
namespace {

using namespace std::chrono_literals;
using test::TestServer;
using test::TlsClient;

// Answers each message with "echo:<message>" through WorkerPool::send_stream, on the owning
// worker, and records what happened so the test can wait for it.
class EchoHandler final : public WebSocketHandler {
 public:
  explicit EchoHandler(net::WorkerPool& pool) : pool_(pool) {}

  std::vector<std::string> subprotocols() const override { return {"sip"}; }

  void on_open(std::uint64_t id, const WebSocketPeer& peer) override {
    const std::lock_guard lock(mutex_);
    opened_.push_back(id);
    subprotocol_ = peer.subprotocol;
    on_worker_ = pool_.current_worker() == (id & 0xFFFFU);
    changed_.notify_all();
  }
  void on_message(std::uint64_t id, std::string_view message) override {
    pool_.send_stream(id, "echo:" + std::string(message));
  }
  void on_close(std::uint64_t id) override {
    const std::lock_guard lock(mutex_);
    closed_.push_back(id);
    changed_.notify_all();
  }

  std::uint64_t wait_open() {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, 5s, [this] { return !opened_.empty(); });
    return opened_.empty() ? 0 : opened_.back();
  }
  bool wait_closed(std::size_t count) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, 5s, [&] { return closed_.size() >= count; });
  }
  std::string subprotocol() {
    const std::lock_guard lock(mutex_);
    return subprotocol_;
  }
  bool on_worker() {
    const std::lock_guard lock(mutex_);
    return on_worker_;
  }
  std::size_t closed() {
    const std::lock_guard lock(mutex_);
    return closed_.size();
  }
  std::size_t opened() {
    const std::lock_guard lock(mutex_);
    return opened_.size();
  }

 private:
  net::WorkerPool& pool_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::uint64_t> opened_;
  std::vector<std::uint64_t> closed_;
  std::string subprotocol_;
  bool on_worker_ = false;
};

class WebSocketTest : public ::testing::Test {
 protected:
  void start(HttpOptions options = {}) {
    server.router.add_websocket("/sip", handler);
    server.start(options);
  }
  // The handler is destroyed before the server: stop the server first.
  void TearDown() override { server.stop(); }

  TestServer server;
  EchoHandler handler{server.pool};
};

int close_code(const test::Frame& frame) {
  if (frame.opcode != 0x8 || frame.payload.size() < 2) return -1;
  return (static_cast<unsigned char>(frame.payload[0]) << 8) |
         static_cast<unsigned char>(frame.payload[1]);
}

TEST_F(WebSocketTest, EchoesWithSipSubprotocol) {
  start();
  TlsClient client(server.address());
  ASSERT_TRUE(client.connected());
  const auto reply = client.upgrade("/sip", "chat, sip");
  ASSERT_TRUE(reply);
  ASSERT_EQ(reply->status, 101);
  EXPECT_EQ(reply->header("sec-websocket-protocol"), "sip");
  EXPECT_EQ(reply->header("sec-websocket-accept"), TlsClient::kWebSocketAccept);
  EXPECT_EQ(reply->header("x-content-type-options"), "nosniff");
  const std::uint64_t id = handler.wait_open();
  ASSERT_NE(id, 0U);
  EXPECT_EQ(handler.subprotocol(), "sip");
  EXPECT_TRUE(handler.on_worker());

  ASSERT_TRUE(client.send_frame(0x1, "REGISTER sip:example.com SIP/2.0"));
  const auto echoed = client.read_frame();
  EXPECT_EQ(echoed.opcode, 0x1);
  EXPECT_EQ(echoed.payload, "echo:REGISTER sip:example.com SIP/2.0");

  // A message in two fragments is delivered whole.
  ASSERT_TRUE(client.send_frame(0x1, "first ", false));
  ASSERT_TRUE(client.send_frame(0x0, "second"));
  EXPECT_EQ(client.read_frame().payload, "echo:first second");

  // From a thread that is not a worker: send_stream posts to the owner.
  EXPECT_TRUE(server.pool.send_stream(id, "from outside"));
  const auto pushed = client.read_frame();
  EXPECT_EQ(pushed.opcode, 0x1);
  EXPECT_EQ(pushed.payload, "from outside");

  // The client closes: the server answers the close and reports it once.
  ASSERT_TRUE(client.send_frame(0x8, std::string("\x03\xe8", 2)));
  EXPECT_EQ(close_code(client.read_frame()), 1000);
  client.disconnect();
  EXPECT_TRUE(handler.wait_closed(1));
}

TEST_F(WebSocketTest, OversizedMessageClosesWith1009) {
  HttpOptions options;
  options.websocket_max_message_bytes = 1024;
  start(options);
  TlsClient client(server.address());
  const auto reply = client.upgrade("/sip", "sip");
  ASSERT_TRUE(reply);
  ASSERT_EQ(reply->status, 101);
  ASSERT_NE(handler.wait_open(), 0U);
  ASSERT_TRUE(client.send_frame(0x1, std::string(1000, 'a')));
  EXPECT_EQ(client.read_frame().payload.size(), 1005U);
  ASSERT_TRUE(client.send_frame(0x1, std::string(2000, 'b')));
  EXPECT_EQ(close_code(client.read_frame()), 1009);
  client.disconnect();
  EXPECT_TRUE(handler.wait_closed(1));
}

TEST_F(WebSocketTest, UnknownSubprotocolIsRefused) {
  start();
  {
    TlsClient client(server.address());
    const auto reply = client.upgrade("/sip", "chat, mqtt");
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->status, 400);
    EXPECT_NE(reply->body.find("sip"), std::string::npos) << reply->body;
    EXPECT_NE(reply->body.find("mqtt"), std::string::npos) << reply->body;
  }
  {
    TlsClient client(server.address());
    const auto reply = client.upgrade("/sip", "");
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->status, 400);
  }
  EXPECT_EQ(handler.opened(), 0U);
}

TEST_F(WebSocketTest, ForeignOriginWrongPathAndPlainRequestAreRefused) {
  start();
  {
    TlsClient client(server.address());
    const auto reply = client.upgrade("/sip", "sip", "Origin: https://evil.example\r\n");
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->status, 403);
  }
  {
    TlsClient client(server.address());
    const auto reply = client.upgrade("/sip", "sip", "Origin: https://localhost\r\n");
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->status, 101);
  }
  {
    TlsClient client(server.address());
    const auto reply = client.upgrade("/other", "sip");
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->status, 404);
  }
  {
    TlsClient client(server.address());
    const auto reply = client.get("/sip");
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->status, 426);
  }
}

TEST_F(WebSocketTest, IdlePeerIsPingedThenClosed) {
  HttpOptions options;
  options.websocket_idle_timeout = 600ms;
  start(options);
  TlsClient client(server.address());
  ASSERT_EQ(client.upgrade("/sip", "sip")->status, 101);
  ASSERT_NE(handler.wait_open(), 0U);
  ASSERT_TRUE(client.send_frame(0x1, "x"));
  EXPECT_EQ(client.read_frame().payload, "echo:x");
  // Sending nothing but answering pings (read_frame does) keeps it open past the idle timeout.
  client.set_receive_timeout(100ms);
  const auto until = std::chrono::steady_clock::now() + 1500ms;
  while (std::chrono::steady_clock::now() < until) {
    const test::Frame frame = client.read_frame();
    ASSERT_NE(frame.opcode, 0x8) << "closed although it answered pings";
  }
  EXPECT_GE(client.pings(), 2);
  client.set_receive_timeout(5s);
  ASSERT_TRUE(client.send_frame(0x1, "still here"));
  EXPECT_EQ(client.read_frame().payload, "echo:still here");
  EXPECT_EQ(handler.closed(), 0U);

  // Now the peer stops answering pings: it is closed after the timeout.
  const auto silent_since = std::chrono::steady_clock::now();
  EXPECT_TRUE(handler.wait_closed(1));
  EXPECT_LT(std::chrono::steady_clock::now() - silent_since, 3s);
}

TEST_F(WebSocketTest, ShutdownClosesWithGoingAway) {
  start();
  TlsClient client(server.address());
  ASSERT_EQ(client.upgrade("/sip", "sip")->status, 101);
  ASSERT_NE(handler.wait_open(), 0U);
  std::thread stopper([this] { server.stop(); });
  EXPECT_EQ(close_code(client.read_frame()), 1001);
  client.send_frame(0x8, std::string("\x03\xe9", 2));
  client.disconnect();
  stopper.join();
  EXPECT_TRUE(handler.wait_closed(1));
}

}  // namespace
}  // namespace parley::http
