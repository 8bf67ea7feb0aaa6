// A line-echo stream session for the TCP and TLS transport tests: frames newline-terminated
// lines however the bytes are split, answers "echo:<line>\n" (but not to lines that are
// themselves echoes, so the same session serves a client that receives them), closes after
// "bye\n" on "quit", and records what it saw where the test thread can wait for it.
#pragma once

#include <gtest/gtest.h>

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "net/stream.hpp"

namespace parley::test {

struct LineEchoObserved {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<std::string> lines;
  std::vector<std::uint64_t> connection_ids;
  std::vector<net::StreamKind> kinds;
  int closed = 0;
};

class LineEchoSession final : public net::StreamSession {
 public:
  explicit LineEchoSession(LineEchoObserved& observed) : observed_(observed) {}

  void on_data(net::StreamConnection& connection, std::string_view bytes) override {
    buffer_.append(bytes);
    for (auto end = buffer_.find('\n'); end != std::string::npos; end = buffer_.find('\n')) {
      const std::string line = buffer_.substr(0, end);
      buffer_.erase(0, end + 1);
      if (line == "quit") {
        connection.send("bye\n");
        connection.close_after_flush();
        return;
      }
      if (line.rfind("echo:", 0) != 0) connection.send("echo:" + line + "\n");
      const std::lock_guard lock(observed_.mutex);
      observed_.lines.push_back(line);
      observed_.changed.notify_all();
    }
  }
  void on_closed(net::StreamConnection& /*connection*/) override {
    const std::lock_guard lock(observed_.mutex);
    ++observed_.closed;
    observed_.changed.notify_all();
  }

 private:
  LineEchoObserved& observed_;
  std::string buffer_;
};

class LineEchoFactory final : public net::StreamSessionFactory {
 public:
  explicit LineEchoFactory(LineEchoObserved& observed) : observed_(observed) {}
  std::unique_ptr<net::StreamSession> create_session(net::StreamConnection& connection) override {
    EXPECT_NE(connection.id(), 0U);
    EXPECT_FALSE(connection.remote().empty());
    const std::lock_guard lock(observed_.mutex);
    observed_.connection_ids.push_back(connection.id());
    observed_.kinds.push_back(connection.kind());
    observed_.changed.notify_all();
    return std::make_unique<LineEchoSession>(observed_);
  }

 private:
  LineEchoObserved& observed_;
};

}  // namespace parley::test
