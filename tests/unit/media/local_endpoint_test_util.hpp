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
#include "support/udp_test_peer.hpp"

namespace parley::media::test {

using namespace std::chrono_literals;

using UdpPeer = parley::test::UdpTestPeer;
using parley::test::run_on;

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
