#pragma once
// Test helpers for http/: a blocking TLS client written straight on OpenSSL (not on Beast, so the
// server is checked against an independent implementation, and so that the tests can send bytes
// no well-behaved client library would: raw "../" paths, oversized frames), a minimal WebSocket
// client on top of it, and a running server on 127.0.0.1:0 with a self-signed certificate.

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "http/certificate.hpp"
#include "http/http_server.hpp"
#include "http/router.hpp"
#include "net/worker_pool.hpp"
#include "support/temp_dir.hpp"

namespace parley::http::test {

struct Reply {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;

  std::string header(const std::string& name) const {
    const auto found = headers.find(name);
    return found == headers.end() ? std::string() : found->second;
  }
};

struct Frame {
  int opcode = -1;  // -1: none arrived (closed or timed out)
  std::string payload;
};

class TlsClient {
 public:
  explicit TlsClient(const net::SocketAddress& server, int receive_timeout_seconds = 5) {
    // OpenSSL writes with write(2): a server that closed first must fail the write, not kill
    // the test process.
    std::signal(SIGPIPE, SIG_IGN);
    context_ = SSL_CTX_new(TLS_client_method());
    fd_ = ::socket(server.is_v6() ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
    timeval timeout{receive_timeout_seconds, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    if (::connect(fd_, server.data(), server.size()) != 0) return;
    ssl_ = SSL_new(context_);
    SSL_set_fd(ssl_, fd_);
    SSL_set_tlsext_host_name(ssl_, "localhost");
    connected_ = SSL_connect(ssl_) == 1;
    ERR_clear_error();
  }
  ~TlsClient() {
    if (ssl_ != nullptr) SSL_free(ssl_);
    SSL_CTX_free(context_);
    if (fd_ >= 0) ::close(fd_);
  }
  TlsClient(const TlsClient&) = delete;
  TlsClient& operator=(const TlsClient&) = delete;

  bool connected() const { return connected_; }

  void set_receive_timeout(std::chrono::milliseconds timeout) {
    timeval value{static_cast<time_t>(timeout.count() / 1000),
                  static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &value, sizeof value);
  }

  // Ends the TCP connection without a TLS close_notify, as browsers do after a WebSocket close.
  void disconnect() { ::shutdown(fd_, SHUT_RDWR); }

  int pings() const { return pings_; }

  // SHA-256 of the server's certificate, "AB:CD:...".
  std::string peer_fingerprint() const {
    X509* certificate = SSL_get1_peer_certificate(ssl_);
    if (certificate == nullptr) return {};
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    X509_digest(certificate, EVP_sha256(), digest.data(), &length);
    X509_free(certificate);
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string text;
    for (unsigned int i = 0; i < length; ++i) {
      if (i != 0) text += ':';
      text += kHex[digest[i] >> 4U];
      text += kHex[digest[i] & 0x0FU];
    }
    return text;
  }

  bool write(std::string_view bytes) {
    while (!bytes.empty()) {
      const int wrote = SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size()));
      if (wrote <= 0) {
        ERR_clear_error();
        return false;
      }
      bytes.remove_prefix(static_cast<std::size_t>(wrote));
    }
    return true;
  }

  // Makes sure `count` bytes are buffered; false when the peer closed or the timeout hit.
  bool fill(std::size_t count) {
    char chunk[16384];
    while (buffer_.size() < count) {
      const int got = SSL_read(ssl_, chunk, sizeof chunk);
      if (got <= 0) {
        ERR_clear_error();
        return false;
      }
      buffer_.append(chunk, static_cast<std::size_t>(got));
    }
    return true;
  }

  // The head of a response (up to the blank line), or nullopt.
  std::optional<std::string> read_head() {
    for (;;) {
      const std::size_t end = buffer_.find("\r\n\r\n");
      if (end != std::string::npos) {
        std::string head = buffer_.substr(0, end + 4);
        buffer_.erase(0, end + 4);
        return head;
      }
      if (!fill(buffer_.size() + 1)) return std::nullopt;
    }
  }

  // One response; the body by Content-Length (none for a HEAD request or a 304).
  std::optional<Reply> read_response(bool head_request = false) {
    const auto head = read_head();
    if (!head) return std::nullopt;
    Reply reply;
    reply.status = std::stoi(head->substr(9, 3));
    std::size_t line = head->find("\r\n") + 2;
    while (line < head->size() - 2) {
      const std::size_t end = head->find("\r\n", line);
      const std::string field = head->substr(line, end - line);
      const std::size_t colon = field.find(':');
      std::string name = field.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::size_t value = colon + 1;
      while (value < field.size() && field[value] == ' ') ++value;
      reply.headers[name] = field.substr(value);
      line = end + 2;
    }
    const std::size_t length =
        reply.headers.contains("content-length") ? std::stoul(reply.headers["content-length"]) : 0;
    if (!head_request && reply.status != 304 && length > 0) {
      if (!fill(length)) return std::nullopt;
      reply.body = buffer_.substr(0, length);
      buffer_.erase(0, length);
    }
    return reply;
  }

  std::optional<Reply> get(const std::string& target, const std::string& extra_headers = "") {
    if (!write("GET " + target + " HTTP/1.1\r\nHost: localhost\r\n" + extra_headers + "\r\n")) {
      return std::nullopt;
    }
    return read_response();
  }

  // True when the server ends the connection (close_notify, FIN or reset; OpenSSL 3 reports a
  // FIN without close_notify as SSL_ERROR_SSL) before the receive timeout.
  bool closed_by_peer() {
    char byte = 0;
    errno = 0;
    const int got = SSL_read(ssl_, &byte, 1);
    const int saved_errno = errno;
    if (got > 0) return false;
    const int error = SSL_get_error(ssl_, got);
    ERR_clear_error();
    const bool timed_out =
        error == SSL_ERROR_WANT_READ ||
        (error == SSL_ERROR_SYSCALL && (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK));
    return !timed_out;
  }

  // --- WebSocket (RFC 6455), client side ---

  // The RFC 6455 §1.3 sample key; the server must answer with its sample accept value.
  static constexpr std::string_view kWebSocketKey = "dGhlIHNhbXBsZSBub25jZQ==";
  static constexpr std::string_view kWebSocketAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

  std::optional<Reply> upgrade(const std::string& path, const std::string& protocols,
                               const std::string& extra_headers = "") {
    std::string request = "GET " + path +
                          " HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
                          "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                          "Sec-WebSocket-Key: " +
                          std::string(kWebSocketKey) + "\r\n";
    if (!protocols.empty()) request += "Sec-WebSocket-Protocol: " + protocols + "\r\n";
    request += extra_headers + "\r\n";
    if (!write(request)) return std::nullopt;
    return read_response();
  }

  // One masked frame, as a client must send (§5.3).
  bool send_frame(int opcode, std::string_view payload, bool fin = true) {
    std::string frame;
    frame += static_cast<char>((fin ? 0x80 : 0x00) | opcode);
    if (payload.size() < 126) {
      frame += static_cast<char>(0x80 | payload.size());
    } else if (payload.size() <= 0xFFFF) {
      frame += static_cast<char>(0x80 | 126);
      frame += static_cast<char>(payload.size() >> 8U);
      frame += static_cast<char>(payload.size() & 0xFFU);
    } else {
      frame += static_cast<char>(0x80 | 127);
      for (int shift = 56; shift >= 0; shift -= 8) {
        frame += static_cast<char>((payload.size() >> static_cast<unsigned>(shift)) & 0xFFU);
      }
    }
    const std::array<unsigned char, 4> mask{0x12, 0x34, 0x56, 0x78};
    for (const unsigned char byte : mask) frame += static_cast<char>(byte);
    for (std::size_t i = 0; i < payload.size(); ++i) {
      frame += static_cast<char>(static_cast<unsigned char>(payload[i]) ^ mask[i % 4]);
    }
    return write(frame);
  }

  // One frame from the server (which never masks); pings are answered and skipped.
  Frame read_frame() {
    for (;;) {
      Frame frame;
      if (!fill(2)) return frame;
      const auto first = static_cast<unsigned char>(buffer_[0]);
      const auto second = static_cast<unsigned char>(buffer_[1]);
      std::size_t header = 2;
      std::uint64_t length = second & 0x7FU;
      if (length == 126) {
        header = 4;
        if (!fill(header)) return frame;
        length =
            (static_cast<unsigned char>(buffer_[2]) << 8U) | static_cast<unsigned char>(buffer_[3]);
      } else if (length == 127) {
        header = 10;
        if (!fill(header)) return frame;
        length = 0;
        for (std::size_t i = 2; i < 10; ++i) {
          length = (length << 8U) | static_cast<unsigned char>(buffer_[i]);
        }
      }
      if (!fill(header + length)) return frame;
      frame.opcode = first & 0x0F;
      frame.payload = buffer_.substr(header, length);
      buffer_.erase(0, header + length);
      if (frame.opcode == 0x9) {
        ++pings_;
        send_frame(0xA, frame.payload);
        continue;
      }
      return frame;
    }
  }

 private:
  SSL_CTX* context_ = nullptr;
  SSL* ssl_ = nullptr;
  int fd_ = -1;
  bool connected_ = false;
  int pings_ = 0;
  std::string buffer_;
};

// A started worker pool with an HTTPS server on 127.0.0.1:0 and a fresh self-signed certificate.
// Fill `router` before calling start().
struct TestServer {
  explicit TestServer(std::size_t workers = 2) : pool(workers) {}
  ~TestServer() { stop(); }
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  void start(const HttpOptions& options = {}) {
    auto created = load_or_create_certificate(data.path(), {}, {});
    ASSERT_TRUE(created.ok()) << created.error().message;
    certificate = *created;
    auto listening = HttpServer::listen(pool, *net::SocketAddress::parse("127.0.0.1:0"), router,
                                        certificate, options);
    ASSERT_TRUE(listening.ok()) << listening.error().message;
    server = std::move(*listening);
    pool.start();
  }

  void stop() {
    if (server) server->stop();
    pool.shutdown(std::chrono::milliseconds(2000));
    server.reset();
  }

  const net::SocketAddress& address() const { return server->local_address(); }

  parley::test::TempDir data{"parley-http-test"};
  net::WorkerPool pool;
  Router router;
  CertificateFiles certificate;
  std::unique_ptr<HttpServer> server;
};

}  // namespace parley::http::test
