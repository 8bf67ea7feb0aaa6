#pragma once
// Helpers for the LocalEndpoint tests: a user agent's UDP socket on 127.0.0.1 driven from the
// test thread (no allocation after construction, so the allocation test can use it), SDP offers,
// and a listener that echoes what it hears through a fixed ring. Not a test target itself.

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "media/local_endpoint.hpp"
#include "net/address.hpp"
#include "net/worker_pool.hpp"

namespace parley::media::test {

using namespace std::chrono_literals;

inline void run_on(net::WorkerPool& pool, const std::function<void()>& task) {
  std::promise<void> done;
  pool.post(0, [&] {
    task();
    done.set_value();
  });
  ASSERT_EQ(done.get_future().wait_for(10s), std::future_status::ready);
}

class UdpPeer {
 public:
  UdpPeer() : fd_(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)), buffer_(4096) {
    const auto any = *net::SocketAddress::parse("127.0.0.1:0");
    EXPECT_EQ(::bind(fd_, any.data(), any.size()), 0);
    sockaddr_storage storage{};
    socklen_t length = sizeof storage;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&storage), &length);  // NOLINT
    address_ = net::SocketAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&storage), length);
  }
  ~UdpPeer() { ::close(fd_); }
  UdpPeer(const UdpPeer&) = delete;
  UdpPeer& operator=(const UdpPeer&) = delete;

  std::uint16_t port() const { return address_.port(); }

  void send(std::uint16_t to_port, std::span<const std::uint8_t> bytes) const {
    const auto to = *net::SocketAddress::parse("127.0.0.1", to_port);
    (void)::sendto(fd_, bytes.data(), bytes.size(), 0, to.data(), to.size());
  }

  // The next datagram within `limit`, viewed in the peer's buffer (valid until the next call).
  std::optional<std::span<const std::uint8_t>> receive(std::chrono::milliseconds limit = 1s) {
    timeval timeout{};
    timeout.tv_sec = static_cast<time_t>(limit.count() / 1000);
    timeout.tv_usec = static_cast<suseconds_t>((limit.count() % 1000) * 1000);
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    const ssize_t got = ::recv(fd_, buffer_.data(), buffer_.size(), 0);
    if (got < 0) return std::nullopt;
    return std::span<const std::uint8_t>(buffer_.data(), static_cast<std::size_t>(got));
  }

  // Drops whatever is queued.
  void drain() {
    while (receive(1ms)) {
    }
  }

 private:
  int fd_;
  std::vector<std::uint8_t> buffer_;
  net::SocketAddress address_;
};

// An SDP offer from 127.0.0.1:`port` with `formats` ("0 PCMU/8000", "101 telephone-event/8000")
// and extra lines for the audio stream.
inline std::string offer_sdp(std::uint16_t port, const std::vector<std::string>& formats,
                             const std::string& extra = {},
                             const std::string& protocol = "RTP/AVP") {
  std::string types;
  std::string maps;
  for (const std::string& format : formats) {
    const auto space = format.find(' ');
    types += " " + format.substr(0, space);
    maps += "a=rtpmap:" + format + "\r\n";
  }
  return "v=0\r\no=- 7 7 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio " +
         std::to_string(port) + " " + protocol + types + "\r\n" + maps + extra;
}

// Plays back what it hears, through a ring of whole frames (no allocation after construction),
// and records DTMF. Callbacks run on the endpoint's worker; the test thread reads under the lock.
class EchoListener final : public LocalEndpoint::Listener {
 public:
  static constexpr std::size_t kFrames = 16;
  static constexpr std::size_t kMaxSamples = 320;

  void on_audio(std::span<const std::int16_t> pcm) override {
    const std::lock_guard lock(mutex_);
    ++heard_;
    if (count_ == kFrames) return;  // full: drop the newest
    auto& slot = ring_[(head_ + count_) % kFrames];
    std::copy_n(pcm.begin(), std::min(pcm.size(), kMaxSamples), slot.begin());
    ++count_;
  }
  void on_dtmf(const DtmfDigit& digit) override {
    const std::lock_guard lock(mutex_);
    if (digits_.size() < digits_.capacity()) digits_.push_back(digit);
  }
  bool fill_frame(std::span<std::int16_t> pcm) override {
    const std::lock_guard lock(mutex_);
    ++asked_;
    if (count_ == 0) return false;
    std::copy_n(ring_[head_].begin(), std::min(pcm.size(), kMaxSamples), pcm.begin());
    head_ = (head_ + 1) % kFrames;
    --count_;
    return true;
  }

  EchoListener() { digits_.reserve(64); }
  std::vector<DtmfDigit> digits() {
    const std::lock_guard lock(mutex_);
    return digits_;
  }
  std::uint64_t heard() {
    const std::lock_guard lock(mutex_);
    return heard_;
  }
  std::uint64_t asked() {
    const std::lock_guard lock(mutex_);
    return asked_;
  }

 private:
  std::mutex mutex_;
  std::array<std::array<std::int16_t, kMaxSamples>, kFrames> ring_{};
  std::size_t head_ = 0;
  std::size_t count_ = 0;
  std::uint64_t heard_ = 0;
  std::uint64_t asked_ = 0;
  std::vector<DtmfDigit> digits_;
};

}  // namespace parley::media::test
