// SipService over real loopback sockets: UDP and TCP in, the default CoreResponder answering,
// the handler seam, stream framing across partial writes, keep-alives and framing errors.

#include "app/sip_service.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "protocol/sip/message.hpp"
#include "sip/call_affinity.hpp"

namespace parley::app {
namespace {

using namespace std::chrono_literals;
using protocol::sip::parse_message;

std::string options_request(std::string_view transport, std::string_view call_id) {
  return "OPTIONS sip:parley@127.0.0.1 SIP/2.0\r\n"
         "Via: SIP/2.0/" +
         std::string(transport) + " 127.0.0.1:9;branch=z9hG4bK-" + std::string(call_id) +
         "\r\n"
         "Max-Forwards: 70\r\n"
         "To: <sip:parley@127.0.0.1>\r\n"
         "From: <sip:test@127.0.0.1>;tag=t1\r\n"
         "Call-ID: " +
         std::string(call_id) +
         "\r\n"
         "CSeq: 1 OPTIONS\r\n"
         "Content-Length: 0\r\n\r\n";
}

class Socket {
 public:
  Socket(int type, const net::SocketAddress& server) : server_(server) {
    fd_ = ::socket(AF_INET, type, 0);
    timeval timeout{3, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    if (type == SOCK_STREAM) {
      const int on = 1;
      ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
      connected_ = ::connect(fd_, server.data(), server.size()) == 0;
    }
  }
  ~Socket() { ::close(fd_); }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;

  bool connected() const { return connected_; }
  void send_datagram(std::string_view bytes) {
    ::sendto(fd_, bytes.data(), bytes.size(), 0, server_.data(), server_.size());
  }
  void write(std::string_view bytes) { ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL); }
  std::string receive() {
    char buffer[65536];
    const ssize_t got = ::recv(fd_, buffer, sizeof buffer, 0);
    return got > 0 ? std::string(buffer, static_cast<std::size_t>(got)) : std::string();
  }
  // Reads from a stream until one whole SIP message (headers + Content-Length 0) is in.
  std::string receive_message() {
    std::string out;
    while (out.find("\r\n\r\n") == std::string::npos) {
      const std::string more = receive();
      if (more.empty()) break;
      out += more;
    }
    return out;
  }
  bool closed_by_peer() {
    char byte = 0;
    const ssize_t got = ::recv(fd_, &byte, 1, 0);
    return got == 0 || (got < 0 && errno == ECONNRESET);
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
  net::SocketAddress server_;
};

struct Server {
  explicit Server(SipService::HandlerFactory factory = {}, std::size_t workers = 2)
      : pool(workers), sip(pool, options(), std::move(factory)) {
    auto listening = sip.listen(*net::SocketAddress::parse("127.0.0.1:0"));
    EXPECT_TRUE(listening.ok()) << (listening.ok() ? "" : listening.error().message);
    for (const auto& socket : sip.listening()) {
      (socket.transport == sip::TransportKind::kUdp ? udp : tcp) = socket.address;
    }
    pool.start();
  }
  ~Server() {
    sip.stop();
    pool.shutdown(2s);
  }
  static SipServiceOptions options() {
    SipServiceOptions o;
    o.max_message_bytes = 4096;
    o.advertisement.server = "Parley/unit";
    return o;
  }

  net::WorkerPool pool;
  SipService sip;
  net::SocketAddress udp;
  net::SocketAddress tcp;
};

TEST(SipService, ListensOnOnePortForUdpAndTcp) {
  Server server;
  ASSERT_EQ(server.sip.listening().size(), 2U);
  EXPECT_NE(server.udp.port(), 0);
  // Port 0: TCP takes the port UDP got, as SIP peers expect.
  EXPECT_EQ(server.udp.port(), server.tcp.port());
}

TEST(SipService, AnswersOptionsOverUdp) {
  Server server;
  Socket client(SOCK_DGRAM, server.udp);
  client.send_datagram(options_request("UDP", "udp-1"));
  const auto response = parse_message(client.receive());
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->status_code(), 200);
  EXPECT_EQ(response->call_id(), "udp-1");
  EXPECT_EQ(response->top_via_branch(), "z9hG4bK-udp-1");
  EXPECT_EQ(response->first(protocol::sip::HeaderId::kServer), "Parley/unit");
}

TEST(SipService, IgnoresUdpKeepAlives) {
  Server server;
  Socket client(SOCK_DGRAM, server.udp);
  client.send_datagram("\r\n\r\n");
  client.send_datagram(options_request("UDP", "after-ping"));
  const auto response = parse_message(client.receive());
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->call_id(), "after-ping");  // nothing came back for the ping
}

TEST(SipService, FramesTcpMessagesAcrossPartialWritesAndAnswersOnTheConnection) {
  Server server;
  Socket client(SOCK_STREAM, server.tcp);
  ASSERT_TRUE(client.connected());
  const std::string first = options_request("TCP", "tcp-1");
  const std::string second = options_request("TCP", "tcp-2");
  // The first message in three pieces, the last piece carrying the start of the second.
  client.write(first.substr(0, 10));
  std::this_thread::sleep_for(20ms);
  client.write(first.substr(10, 50));
  std::this_thread::sleep_for(20ms);
  client.write(first.substr(60) + second.substr(0, 30));
  std::this_thread::sleep_for(20ms);
  client.write(second.substr(30));

  std::string both;
  while (both.find("tcp-2") == std::string::npos) {
    const std::string more = client.receive();
    if (more.empty()) break;
    both += more;
  }
  const auto split = both.find("SIP/2.0 200", 1);
  ASSERT_NE(split, std::string::npos) << both;
  const auto one = parse_message(both.substr(0, split));
  const auto two = parse_message(both.substr(split));
  ASSERT_TRUE(one.ok() && two.ok()) << both;
  EXPECT_EQ(one->call_id(), "tcp-1");
  EXPECT_EQ(two->call_id(), "tcp-2");
}

TEST(SipService, AnswersTcpKeepAlivePingWithPong) {
  Server server;
  Socket client(SOCK_STREAM, server.tcp);
  client.write("\r\n\r\n");
  EXPECT_EQ(client.receive(), "\r\n");
}

TEST(SipService, TcpFramingErrorIsAnsweredThenTheConnectionCloses) {
  Server server;
  Socket client(SOCK_STREAM, server.tcp);
  std::string without_length = options_request("TCP", "no-length");
  without_length.erase(without_length.find("Content-Length"));
  without_length += "\r\n";
  client.write(without_length);
  const auto response = parse_message(client.receive_message());
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->status_code(), 400);
  EXPECT_EQ(response->call_id(), "no-length");
  EXPECT_TRUE(client.closed_by_peer());
}

TEST(SipService, OversizedTcpMessageGets413AndClose) {
  Server server;  // max_message_bytes = 4096
  Socket client(SOCK_STREAM, server.tcp);
  std::string big = options_request("TCP", "too-big");
  big.insert(big.find("Content-Length"), "X-Padding: " + std::string(5000, 'a') + "\r\n");
  client.write(big);
  const auto response = parse_message(client.receive_message());
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->status_code(), 413);
  EXPECT_TRUE(client.closed_by_peer());
}

// The seam: a custom handler sees every message with its Peer, parsed or not.
class SpyHandler final : public sip::InboundHandler {
 public:
  struct Seen {
    bool parsed;
    int error_code;
    sip::Peer from;
  };
  SpyHandler(std::mutex& mutex, std::vector<Seen>& seen) : mutex_(mutex), seen_(seen) {}
  void on_inbound(Result<protocol::sip::Message> parsed, std::string_view /*raw*/,
                  const sip::Peer& from) override {
    const std::lock_guard lock(mutex_);
    seen_.push_back({parsed.ok(), parsed.ok() ? 0 : parsed.error().code, from});
  }

 private:
  std::mutex& mutex_;
  std::vector<Seen>& seen_;
};

TEST(SipService, EveryMessageReachesTheWorkersHandlerWithItsPeer) {
  std::mutex mutex;
  std::vector<SpyHandler::Seen> seen;
  std::atomic<int> made{0};
  Server server([&](std::size_t, sip::Transport&, const Clock&) {
    ++made;
    return std::make_unique<SpyHandler>(mutex, seen);
  });
  EXPECT_EQ(made.load(), 2);  // one per worker

  Socket udp(SOCK_DGRAM, server.udp);
  udp.send_datagram(options_request("UDP", "spy-udp"));
  udp.send_datagram("NOT SIP");
  Socket tcp(SOCK_STREAM, server.tcp);
  tcp.write(options_request("TCP", "spy-tcp"));

  for (int i = 0; i < 300; ++i) {
    {
      const std::lock_guard lock(mutex);
      if (seen.size() >= 3) break;
    }
    std::this_thread::sleep_for(10ms);
  }
  const std::lock_guard lock(mutex);
  ASSERT_EQ(seen.size(), 3U);
  int udp_parsed = 0, udp_failed = 0, tcp_parsed = 0;
  for (const auto& s : seen) {
    if (s.from.transport == sip::TransportKind::kTcp) {
      tcp_parsed += s.parsed ? 1 : 0;
      EXPECT_NE(s.from.connection_id, 0U);
      EXPECT_EQ(s.from.local, server.tcp);
    } else {
      (s.parsed ? udp_parsed : udp_failed)++;
      EXPECT_EQ(s.from.connection_id, 0U);
      EXPECT_EQ(s.from.local, server.udp);
    }
    EXPECT_EQ(s.from.remote.ip(), "127.0.0.1");
  }
  EXPECT_EQ(udp_parsed, 1);
  EXPECT_EQ(udp_failed, 1);
  EXPECT_EQ(tcp_parsed, 1);
}

// An administrator's hang-up reaches the handler of the worker that owns the call (the hash of
// the caller's Call-ID, as for its messages), on that worker's thread, from any thread.
class EndCallSpy final : public sip::InboundHandler {
 public:
  struct Seen {
    std::size_t handler;
    std::size_t thread_worker;
    std::string tag;
  };
  // `pool` is set once the server (and with it this handler) is constructed.
  EndCallSpy(std::size_t index, net::WorkerPool*& pool, std::mutex& mutex, std::vector<Seen>& seen)
      : index_(index), pool_(pool), mutex_(mutex), seen_(seen) {}
  void on_inbound(Result<protocol::sip::Message> /*parsed*/, std::string_view /*raw*/,
                  const sip::Peer& /*from*/) override {}
  void on_end_call(std::string_view caller_tag) override {
    const std::lock_guard lock(mutex_);
    seen_.push_back({index_, pool_->current_worker(), std::string(caller_tag)});
  }

 private:
  std::size_t index_;
  net::WorkerPool*& pool_;
  std::mutex& mutex_;
  std::vector<Seen>& seen_;
};

TEST(SipService, EndCallRunsOnTheWorkerThatOwnsTheCallId) {
  std::mutex mutex;
  std::vector<EndCallSpy::Seen> seen;
  net::WorkerPool* pool = nullptr;
  Server server(
      [&](std::size_t worker, sip::Transport&, const Clock&) {
        return std::make_unique<EndCallSpy>(worker, pool, mutex, seen);
      },
      3);
  pool = &server.pool;  // before any end_call: the handlers read it only then

  // Call-IDs owned by each of the three workers.
  std::vector<std::string> call_ids(3);
  for (int i = 0; i < 1000; ++i) {
    const std::string id = "call-" + std::to_string(i) + "@127.0.0.1";
    std::string& slot = call_ids[sip::call_owner(id, 3)];
    if (slot.empty()) slot = id;
  }
  for (std::size_t worker = 0; worker < 3; ++worker) {
    ASSERT_FALSE(call_ids[worker].empty());
    server.sip.end_call(call_ids[worker], "tag-" + std::to_string(worker));
  }
  for (int i = 0; i < 300; ++i) {
    {
      const std::lock_guard lock(mutex);
      if (seen.size() >= 3) break;
    }
    std::this_thread::sleep_for(10ms);
  }
  const std::lock_guard lock(mutex);
  ASSERT_EQ(seen.size(), 3U);
  for (const auto& s : seen) {
    EXPECT_EQ(s.tag, "tag-" + std::to_string(s.handler));
    EXPECT_EQ(s.thread_worker, s.handler) << "runs on the owning worker's thread";
  }
}

}  // namespace
}  // namespace parley::app
