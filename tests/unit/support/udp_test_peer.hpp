#pragma once

// A user agent's UDP socket on 127.0.0.1 for the media and WebRTC tests, driven from the test
// thread with blocking calls and timeouts, and run_on() to do something on a worker and wait.
// receive_view() reads into the peer's own buffer, so the allocation tests can use it.

#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <future>
#include <optional>
#include <span>
#include <vector>

#include "net/address.hpp"
#include "net/worker_pool.hpp"

namespace parley::test {

// Descriptors the test process has open (leak checks around sockets).
inline std::size_t open_descriptors() {
  std::size_t count = 0;
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return 0;
  while (::readdir(dir) != nullptr) ++count;
  ::closedir(dir);
  return count;
}

// Runs `task` on worker 0 of `pool` and waits for it (10 s at most).
inline void run_on(net::WorkerPool& pool, const std::function<void()>& task) {
  std::promise<void> done;
  pool.post(0, [&] {
    task();
    done.set_value();
  });
  ASSERT_EQ(done.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
}

class UdpTestPeer {
 public:
  using Bytes = std::vector<std::uint8_t>;
  struct Datagram {
    Bytes bytes;
    net::SocketAddress from;
  };

  UdpTestPeer() : fd_(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)), buffer_(4096) {
    const auto any = *net::SocketAddress::parse("127.0.0.1:0");
    EXPECT_EQ(::bind(fd_, any.data(), any.size()), 0);
    sockaddr_storage storage{};
    socklen_t length = sizeof storage;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&storage), &length);  // NOLINT
    address_ = net::SocketAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&storage), length);
  }
  ~UdpTestPeer() { ::close(fd_); }
  UdpTestPeer(const UdpTestPeer&) = delete;
  UdpTestPeer& operator=(const UdpTestPeer&) = delete;

  const net::SocketAddress& address() const { return address_; }
  std::uint16_t port() const { return address_.port(); }

  void send(std::uint16_t to_port, std::span<const std::uint8_t> bytes) const {
    const auto to = *net::SocketAddress::parse("127.0.0.1", to_port);
    ASSERT_EQ(::sendto(fd_, bytes.data(), bytes.size(), 0, to.data(), to.size()),
              static_cast<ssize_t>(bytes.size()));
  }

  // The next datagram within `limit`, viewed in the peer's buffer (valid until the next call).
  std::optional<std::span<const std::uint8_t>> receive_view(
      std::chrono::milliseconds limit = std::chrono::seconds(2)) {
    sockaddr_storage ignored{};
    socklen_t ignored_length = sizeof ignored;
    const auto got = receive_into(limit, ignored, ignored_length);
    if (!got) return std::nullopt;
    return std::span<const std::uint8_t>(buffer_.data(), *got);
  }

  // The next datagram within `limit`, copied.
  std::optional<Bytes> receive(std::chrono::milliseconds limit = std::chrono::seconds(2)) {
    auto view = receive_view(limit);
    if (!view) return std::nullopt;
    return Bytes(view->begin(), view->end());
  }

  // The next datagram within `limit`, copied, with the address it came from.
  std::optional<Datagram> receive_from(std::chrono::milliseconds limit = std::chrono::seconds(2)) {
    sockaddr_storage storage{};
    socklen_t length = sizeof storage;
    const auto got = receive_into(limit, storage, length);
    if (!got) return std::nullopt;
    return Datagram{
        Bytes(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(*got)),
        net::SocketAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&storage),  // NOLINT
                                          length)};
  }

  // Nothing arrives within `limit`.
  bool silent(std::chrono::milliseconds limit = std::chrono::milliseconds(200)) {
    return !receive_view(limit);
  }

  // Drops whatever is queued.
  void drain() {
    while (receive_view(std::chrono::milliseconds(1))) {
    }
  }

 private:
  std::optional<std::size_t> receive_into(std::chrono::milliseconds limit, sockaddr_storage& from,
                                          socklen_t& from_length) {
    timeval timeout{};
    timeout.tv_sec = static_cast<time_t>(limit.count() / 1000);
    timeout.tv_usec = static_cast<suseconds_t>((limit.count() % 1000) * 1000);
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    const ssize_t got = ::recvfrom(fd_, buffer_.data(), buffer_.size(), 0,
                                   reinterpret_cast<sockaddr*>(&from), &from_length);  // NOLINT
    if (got < 0) return std::nullopt;
    return static_cast<std::size_t>(got);
  }

  int fd_;
  std::vector<std::uint8_t> buffer_;
  net::SocketAddress address_;
};

}  // namespace parley::test
