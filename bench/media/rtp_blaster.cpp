// RTP load generator for the media-relay benchmark (bench/media/run.py): both ends of N relayed
// G.711 calls in one thread. Each call has an A side (the caller) and a B side (the callee); A
// sends to the relay address the caller was given, B to the one the callee was given, 50 packets
// per second each way (20 ms PCMU frames, 172-byte RTP packets, payload type 0), spread evenly
// over every 20 ms period. Each payload carries a run id, the call, the direction, a sequence
// number and the send time, so the receiver can measure the relay's added latency (kernel
// receive timestamp minus send time, both CLOCK_REALTIME), count loss and duplicates, and check
// that every packet arrived on the other side's socket, from the relay address that side sends
// to (a relay that mixes up calls or ports is caught, not just a slow one).
//
// Driven over stdin/stdout, one command per line, so that the calls can be set up at a relay
// between binding the ports and sending:
//   add N                       binds N more calls; answers "ports A1 B1 A2 B2 ..." (their ports)
//   relay I IPA PORTA IPB PORTB where call I's A side and B side send to (no answer)
//   active N                    only the first N calls take part in later runs (the rest idle)
//   run SECONDS WARMUP_SECONDS  sends for SECONDS from every call with relay addresses; answers
//                               one JSON line. Packets of the first WARMUP_SECONDS are relayed
//                               but left out of loss and latency (latching, first-packet paths).
//   quit
// Options: --share K   K sockets per side shared by all calls (call I uses socket I % K) instead
//                      of two sockets per call (default 0 = per call). Cheaper for the generator
//                      (sendmmsg/recvmmsg batch across calls); the relay still sees one 5-tuple
//                      per call leg since its own ports differ per call.
//          --tick-us T  wake every T µs (default 100) to send what is due and read what came:
//                       one wake-up a tick rather than one per packet.
//          --port-min P --port-max Q   bind in this range (skipping ports in use); default any.
//          --opus-frame HEX --opus-pt N   transcoding mode: A still sends PCMU (a 1 kHz tone, PT 0,
//                       160-byte payload, timestamp step 160), B sends this Opus frame (PT N,
//                       timestamp step 960), and each side expects the other codec back (A
//                       PCMU, B Opus with PT N). The relay decodes and re-encodes every packet,
//                       so payloads cannot carry a stamp: a packet is told apart by the relay
//                       address it comes from (call and side) and its RTP sequence number
//                       relative to the first one of that stream in the run (the relay renumbers
//                       but keeps one output packet per input packet); latency is its arrival
//                       minus the send time of the input packet with that index.
// Linux only (epoll, recvmmsg/sendmmsg, SO_TIMESTAMPNS). One thread; no allocation while sending.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <iostream>
#include <limits>
#include <span>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace {

constexpr std::size_t kPacketSize = 172;  // 12-byte RTP header + 160 bytes of 8 kHz PCMU (20 ms)
constexpr std::size_t kHeaderSize = 12;
constexpr std::uint32_t kMagic = 0x50424c53;  // "PBLS"
constexpr std::int64_t kPeriodNs = 20'000'000;
constexpr int kPacketsPerSecond = 50;
constexpr int kBatch = 64;
constexpr std::int64_t kDrainNs = 500'000'000;   // wait this long after the last send
constexpr std::size_t kHistogramUs = 1'000'000;  // 1 µs buckets up to 1 s

// G.711 µ-law of one linear sample (ITU-T G.711, the usual bias-and-segment form).
std::uint8_t ulaw(int sample) {
  constexpr int kBias = 0x84;
  constexpr int kClip = 32635;
  const int sign = sample < 0 ? 0x80 : 0;
  int magnitude = std::min(sample < 0 ? -sample : sample, kClip) + kBias;
  int exponent = 7;
  for (int mask = 0x4000; (magnitude & mask) == 0 && exponent > 0; mask >>= 1) --exponent;
  const int mantissa = (magnitude >> (exponent + 3)) & 0x0f;
  return static_cast<std::uint8_t>(~(sign | (exponent << 4) | mantissa));
}

// Transcoding mode (--opus-frame): what each side sends and expects back.
struct Transcode {
  bool on = false;
  int opus_pt = 111;
  std::vector<std::uint8_t> opus_frame;       // B's payload, the same every packet
  std::array<std::uint8_t, 160> pcmu_tone{};  // A's payload: 20 ms of 1 kHz at -6 dBFS
};

struct Stamp {  // what the payload carries, right after the RTP header (host byte order)
  std::uint32_t magic;
  std::uint32_t run;
  std::uint32_t call;
  std::uint32_t dir;  // 0: A -> B, 1: B -> A
  std::uint32_t seq;
  std::uint32_t pad;
  std::int64_t sent_ns;
};

std::int64_t realtime_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

// When slot n is due: slot n is packet n / streams of stream n % streams, and the streams are
// spread evenly over each period.
std::int64_t due_ns(std::int64_t start, std::uint64_t n, std::int64_t period,
                    std::uint64_t streams) {
  return start + static_cast<std::int64_t>(n / streams) * period +
         static_cast<std::int64_t>(n % streams) * period / static_cast<std::int64_t>(streams);
}

double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

[[noreturn]] void die(const std::string& what) {
  std::printf("{\"error\": \"%s: %s\"}\n", what.c_str(), std::strerror(errno));
  std::fflush(stdout);
  std::exit(2);
}

class Histogram {
 public:
  Histogram() : buckets_(kHistogramUs, 0) {}
  void clear() {
    std::fill(buckets_.begin(), buckets_.end(), 0);
    count_ = over_ = 0;
    max_ns_ = 0;
    sum_ns_ = 0;
  }
  void add(std::int64_t ns) {
    ns = std::max<std::int64_t>(ns, 0);
    ++count_;
    sum_ns_ += static_cast<double>(ns);
    max_ns_ = std::max(max_ns_, ns);
    const auto us = static_cast<std::size_t>(ns / 1000);
    if (us < kHistogramUs) {
      ++buckets_[us];
    } else {
      ++over_;
    }
  }
  // Upper bound of the bucket holding quantile q, in µs (1 µs resolution).
  double quantile_us(double q) const {
    if (count_ == 0) return -1;
    const auto want = static_cast<std::uint64_t>(q * static_cast<double>(count_ - 1)) + 1;
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < kHistogramUs; ++i) {
      seen += buckets_[i];
      if (seen >= want) return static_cast<double>(i + 1);
    }
    return static_cast<double>(max_ns_) / 1000.0;
  }
  std::string json() const {
    char text[256];
    std::snprintf(text, sizeof text,
                  "{\"count\": %llu, \"mean\": %.1f, \"p50\": %.0f, \"p99\": %.0f, "
                  "\"p999\": %.0f, \"max\": %.1f}",
                  static_cast<unsigned long long>(count_),
                  count_ ? sum_ns_ / static_cast<double>(count_) / 1000.0 : -1.0, quantile_us(0.50),
                  quantile_us(0.99), quantile_us(0.999), static_cast<double>(max_ns_) / 1000.0);
    return text;
  }

 private:
  std::vector<std::uint32_t> buckets_;
  std::uint64_t count_ = 0;
  std::uint64_t over_ = 0;
  std::int64_t max_ns_ = 0;
  double sum_ns_ = 0;
};

struct Socket {
  int fd;
  int side;  // 0 = A, 1 = B
  std::uint16_t port;
};

struct Call {
  std::array<std::uint32_t, 2> sock{};  // index into sockets_, per side
  std::array<sockaddr_in, 2> relay{};   // where each side sends to
  bool has_relay = false;
};

struct DirStats {
  std::uint64_t sent = 0, send_errors = 0, received = 0, unique = 0, duplicates = 0;
  std::uint64_t measured_sent = 0, measured_unique = 0;
};

class Blaster {
 public:
  Blaster(int share, int port_min, int port_max, std::int64_t tick_ns, Transcode transcode)
      : transcode_(std::move(transcode)),
        share_(share),
        port_min_(port_min),
        port_max_(port_max),
        next_port_(port_min),
        tick_ns_(tick_ns) {
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_ < 0) die("epoll_create1");
    if (share_ > 0) {
      for (int side = 0; side < 2; ++side) {
        for (int i = 0; i < share_; ++i) shared_[side].push_back(open_socket(side));
      }
    }
  }

  ~Blaster() {
    for (const Socket& s : sockets_) close(s.fd);
    if (epoll_ >= 0) close(epoll_);
  }
  Blaster(const Blaster&) = delete;
  Blaster& operator=(const Blaster&) = delete;

  std::string add(int n) {
    std::string out = "ports";
    for (int i = 0; i < n; ++i) {
      Call call;
      for (int side = 0; side < 2; ++side) {
        const auto c = static_cast<int>(calls_.size());
        call.sock[side] = share_ > 0 ? shared_[side][c % share_] : open_socket(side);
        out += ' ';
        out += std::to_string(sockets_[call.sock[side]].port);
      }
      calls_.push_back(call);
    }
    return out;
  }

  bool set_relay(std::size_t call, const std::string& ip_a, int port_a, const std::string& ip_b,
                 int port_b) {
    if (call >= calls_.size()) return false;
    for (int side = 0; side < 2; ++side) {
      sockaddr_in& to = calls_[call].relay[side];
      to = {};
      to.sin_family = AF_INET;
      to.sin_port = htons(static_cast<std::uint16_t>(side == 0 ? port_a : port_b));
      if (inet_pton(AF_INET, (side == 0 ? ip_a : ip_b).c_str(), &to.sin_addr) != 1) return false;
    }
    calls_[call].has_relay = true;
    if (transcode_.on) {
      // Packets for side s come from the relay address side s sends to (symmetric RTP).
      if (relay_port_stream_.empty()) relay_port_stream_.assign(65536, kNoStream);
      for (int side = 0; side < 2; ++side) {
        const std::uint16_t port = ntohs(calls_[call].relay[side].sin_port);
        relay_port_stream_[port] = static_cast<std::uint32_t>(call * 2 + (1 - side));
      }
    }
    return true;
  }

  // Only the first `n` calls take part in the next runs (the others stay bound, idle).
  void set_active(std::size_t n) { active_limit_ = n; }

  std::string run(double seconds, double warmup_seconds);

 private:
  std::uint32_t open_socket(int side) {
    const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) die("socket");
    const int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
    if (share_ > 0) {  // shared sockets carry many calls: room for bursts (root: FORCE)
      const int size = 16 << 20;
      if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0) {
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
      }
      if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) != 0) {
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
      }
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool bound = false;
    if (port_min_ == 0) {
      bound = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    } else {
      for (int tries = 0; !bound && tries <= port_max_ - port_min_; ++tries) {
        addr.sin_port = htons(static_cast<std::uint16_t>(next_port_));
        next_port_ = next_port_ >= port_max_ ? port_min_ : next_port_ + 1;
        bound = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
        if (!bound && errno != EADDRINUSE) break;
      }
    }
    if (!bound) die("bind");
    socklen_t len = sizeof addr;
    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    const auto index = static_cast<std::uint32_t>(sockets_.size());
    sockets_.push_back({fd, side, ntohs(addr.sin_port)});
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = index;
    if (epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev) != 0) die("epoll_ctl");
    return index;
  }

  void send_due(std::uint64_t& next, std::uint64_t total, std::int64_t start_ns,
                std::int64_t period_ns, std::uint64_t streams);
  void unsend(const mmsghdr& msg);
  void receive(std::uint32_t sock);
  void receive_transcoded(std::uint32_t sock, std::size_t count, std::int64_t now);

  static constexpr std::uint32_t kNoStream = 0xffffffffu;
  Transcode transcode_;
  std::vector<std::uint32_t>
      relay_port_stream_;                // relay port -> stream (call * 2 + dir) it carries
  std::vector<std::int64_t> sent_ns_;    // per stream and packet index, transcoding only
  std::vector<std::int32_t> first_seq_;  // per stream: RTP sequence of its first arrival

  int share_, port_min_, port_max_, next_port_;
  std::int64_t tick_ns_;
  int epoll_ = -1;
  std::array<std::vector<std::uint32_t>, 2> shared_;
  std::vector<Socket> sockets_;
  std::vector<Call> calls_;
  std::size_t active_limit_ = std::numeric_limits<std::size_t>::max();

  // Per run.
  std::uint32_t run_id_ = 0;
  std::vector<std::uint32_t> active_;   // calls taking part
  std::vector<std::uint16_t> rtp_seq_;  // per stream (call * 2 + dir)
  std::vector<std::uint64_t> seen_;     // per stream, one bit per packet
  std::size_t words_per_stream_ = 0;
  std::uint32_t packets_per_stream_ = 0, warmup_packets_ = 0;
  std::array<DirStats, 2> dir_{};
  std::uint64_t wrong_socket_ = 0, wrong_source_ = 0, bad_packet_ = 0, stale_ = 0;
  Histogram latency_, send_lag_;

  // Send and receive buffers, reused for every batch.
  std::array<std::array<std::uint8_t, 1500>, kBatch> tx_buf_{};
  std::array<iovec, kBatch> tx_iov_{};
  std::array<mmsghdr, kBatch> tx_msg_{};
  std::array<std::uint32_t, kBatch> tx_sock_{};
  std::array<std::array<std::uint8_t, 2048>, kBatch> rx_buf_{};
  std::array<std::array<char, 64>, kBatch> rx_ctl_{};
  std::array<sockaddr_in, kBatch> rx_from_{};
  std::array<iovec, kBatch> rx_iov_{};
  std::array<mmsghdr, kBatch> rx_msg_{};
};

void Blaster::send_due(std::uint64_t& next, std::uint64_t total, std::int64_t start_ns,
                       std::int64_t period_ns, std::uint64_t streams) {
  const std::int64_t now = realtime_ns();
  std::size_t count = 0;
  std::array<std::uint64_t, kBatch> slot{};
  while (next < total && count < kBatch) {
    const std::int64_t due = due_ns(start_ns, next, period_ns, streams);
    if (due > now) break;
    send_lag_.add(now - due);
    slot[count++] = next++;
  }
  if (count == 0) return;
  std::array<std::size_t, kBatch> order{};
  for (std::size_t i = 0; i < count; ++i) {
    const std::uint64_t n = slot[i];
    const auto stream = static_cast<std::uint32_t>(n % streams);
    const std::uint32_t call = active_[stream / 2];
    const std::uint32_t dir = stream % 2;
    const auto seq = static_cast<std::uint32_t>(n / streams);
    const std::uint16_t rtp_seq = rtp_seq_[std::size_t{call} * 2 + dir]++;
    const bool opus = transcode_.on && dir == 1;
    const std::uint32_t rtp_ts = htonl(seq * (opus ? 960 : 160));
    const std::uint32_t ssrc = htonl(0x10000000u + call * 2 + dir);
    auto& buf = tx_buf_[i];
    buf[0] = 0x80;
    buf[1] = opus ? static_cast<std::uint8_t>(transcode_.opus_pt) : 0;  // else PCMU
    buf[2] = static_cast<std::uint8_t>(rtp_seq >> 8);
    buf[3] = static_cast<std::uint8_t>(rtp_seq & 0xff);
    std::memcpy(&buf[4], &rtp_ts, 4);
    std::memcpy(&buf[8], &ssrc, 4);
    const Stamp stamp{kMagic, run_id_, call, dir, seq, 0, realtime_ns()};
    std::size_t size = kPacketSize;
    if (transcode_.on) {
      sent_ns_[(std::size_t{call} * 2 + dir) * packets_per_stream_ + seq] = stamp.sent_ns;
      const std::span<const std::uint8_t> payload =
          opus ? std::span<const std::uint8_t>(transcode_.opus_frame)
               : std::span<const std::uint8_t>(transcode_.pcmu_tone);
      std::memcpy(&buf[kHeaderSize], payload.data(), payload.size());
      size = kHeaderSize + payload.size();
    } else {
      std::memcpy(&buf[kHeaderSize], &stamp, sizeof stamp);
    }
    tx_sock_[i] = calls_[call].sock[dir];
    tx_iov_[i] = {buf.data(), size};
    tx_msg_[i] = {};
    tx_msg_[i].msg_hdr.msg_iov = &tx_iov_[i];
    tx_msg_[i].msg_hdr.msg_iovlen = 1;
    tx_msg_[i].msg_hdr.msg_name = &calls_[call].relay[dir];
    tx_msg_[i].msg_hdr.msg_namelen = sizeof(sockaddr_in);
    order[i] = i;
    ++dir_[dir].sent;
    if (seq >= warmup_packets_) ++dir_[dir].measured_sent;
  }
  // Grouped by socket, so that a shared socket sends its packets with one sendmmsg.
  std::sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(count),
            [this](std::size_t x, std::size_t y) { return tx_sock_[x] < tx_sock_[y]; });
  std::array<mmsghdr, kBatch> group{};
  for (std::size_t i = 0; i < count;) {
    const std::uint32_t sock = tx_sock_[order[i]];
    std::size_t n = 0;
    while (i + n < count && tx_sock_[order[i + n]] == sock) {
      group[n] = tx_msg_[order[i + n]];
      ++n;
    }
    std::size_t done = 0;
    while (done < n) {
      const int r = sendmmsg(sockets_[sock].fd, &group[done], static_cast<unsigned>(n - done), 0);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) {  // buffer full or an error: never sent, so the relay is not to blame
        for (std::size_t k = done; k < n; ++k) unsend(group[k]);
        break;
      }
      done += static_cast<std::size_t>(r);
    }
    i += n;
  }
}

void Blaster::unsend(const mmsghdr& msg) {
  if (transcode_.on) {  // no stamp in the payload: the direction is in the payload type
    const auto* bytes = static_cast<const std::uint8_t*>(msg.msg_hdr.msg_iov->iov_base);
    const bool opus = (bytes[1] & 0x7f) != 0;
    std::uint32_t timestamp = 0;
    std::memcpy(&timestamp, bytes + 4, 4);
    const std::uint32_t seq = ntohl(timestamp) / (opus ? 960 : 160);
    DirStats& st = dir_[opus ? 1 : 0];
    ++st.send_errors;
    --st.sent;
    if (seq >= warmup_packets_) --st.measured_sent;
    return;
  }
  Stamp stamp{};
  std::memcpy(&stamp, static_cast<const std::uint8_t*>(msg.msg_hdr.msg_iov->iov_base) + kHeaderSize,
              sizeof stamp);
  DirStats& st = dir_[stamp.dir];
  ++st.send_errors;
  --st.sent;
  if (stamp.seq >= warmup_packets_) --st.measured_sent;
}

void Blaster::receive(std::uint32_t sock) {
  for (std::size_t i = 0; i < kBatch; ++i) {
    rx_iov_[i] = {rx_buf_[i].data(), rx_buf_[i].size()};
    rx_msg_[i] = {};
    rx_msg_[i].msg_hdr.msg_iov = &rx_iov_[i];
    rx_msg_[i].msg_hdr.msg_iovlen = 1;
    rx_msg_[i].msg_hdr.msg_name = &rx_from_[i];
    rx_msg_[i].msg_hdr.msg_namelen = sizeof(sockaddr_in);
    rx_msg_[i].msg_hdr.msg_control = rx_ctl_[i].data();
    rx_msg_[i].msg_hdr.msg_controllen = rx_ctl_[i].size();
  }
  const int r = recvmmsg(sockets_[sock].fd, rx_msg_.data(), kBatch, MSG_DONTWAIT, nullptr);
  if (r <= 0) return;
  const std::int64_t now = realtime_ns();
  if (transcode_.on) {
    receive_transcoded(sock, static_cast<std::size_t>(r), now);
    return;
  }
  for (std::size_t i = 0; i < static_cast<std::size_t>(r); ++i) {
    auto& msg = rx_msg_[i];
    std::int64_t arrived = now;  // the kernel's receive time, when it gives one
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg.msg_hdr); c != nullptr; c = CMSG_NXTHDR(&msg.msg_hdr, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_TIMESTAMPNS) {
        timespec ts{};
        std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
        arrived = std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
      }
    }
    Stamp stamp{};
    if (msg.msg_len != kPacketSize) {
      ++bad_packet_;
      continue;
    }
    std::memcpy(&stamp, &rx_buf_[i][kHeaderSize], sizeof stamp);
    if (stamp.magic != kMagic || stamp.call >= calls_.size() || stamp.dir > 1 ||
        stamp.seq >= packets_per_stream_ + 1'000'000) {
      ++bad_packet_;
      continue;
    }
    if (stamp.run != run_id_ || stamp.seq >= packets_per_stream_) {
      ++stale_;  // from an earlier run, still in flight
      continue;
    }
    const Call& call = calls_[stamp.call];
    const std::uint32_t to_side = 1 - stamp.dir;
    if (call.sock[to_side] != sock) ++wrong_socket_;
    const sockaddr_in& expected = call.relay[to_side];  // symmetric: from where that side sends
    const sockaddr_in& from = rx_from_[i];
    if (from.sin_addr.s_addr != expected.sin_addr.s_addr || from.sin_port != expected.sin_port) {
      ++wrong_source_;
    }
    DirStats& st = dir_[stamp.dir];
    ++st.received;
    const std::size_t stream = std::size_t{stamp.call} * 2 + stamp.dir;
    std::uint64_t& word = seen_[stream * words_per_stream_ + stamp.seq / 64];
    const std::uint64_t bit = std::uint64_t{1} << (stamp.seq % 64);
    if (word & bit) {
      ++st.duplicates;
      continue;
    }
    word |= bit;
    ++st.unique;
    if (stamp.seq >= warmup_packets_) {
      ++st.measured_unique;
      latency_.add(arrived - stamp.sent_ns);
    }
  }
}

std::int64_t receive_time(msghdr& msg, std::int64_t fallback) {
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_TIMESTAMPNS) {
      timespec ts{};
      std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
      return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
    }
  }
  return fallback;
}

void Blaster::receive_transcoded(std::uint32_t sock, std::size_t count, std::int64_t now) {
  for (std::size_t i = 0; i < count; ++i) {
    auto& msg = rx_msg_[i];
    const std::int64_t arrived = receive_time(msg.msg_hdr, now);
    const std::uint8_t* bytes = rx_buf_[i].data();
    const sockaddr_in& from = rx_from_[i];
    const std::uint32_t stream =
        relay_port_stream_.empty() ? kNoStream : relay_port_stream_[ntohs(from.sin_port)];
    if (msg.msg_len < kHeaderSize || (bytes[0] & 0xc0) != 0x80 || stream == kNoStream) {
      ++bad_packet_;
      continue;
    }
    const std::uint32_t call = stream / 2;
    const std::uint32_t dir = stream % 2;
    const std::uint32_t to_side = 1 - dir;
    // A hears PCMU (160 bytes, PT 0), B hears Opus with its payload type: else not transcoded.
    const int pt = bytes[1] & 0x7f;
    const bool right_codec = to_side == 0 ? (pt == 0 && msg.msg_len == kPacketSize)
                                          : (pt == transcode_.opus_pt && msg.msg_len > kHeaderSize);
    if (!right_codec) {
      ++bad_packet_;
      continue;
    }
    const Call& c = calls_[call];
    if (c.sock[to_side] != sock) ++wrong_socket_;
    if (from.sin_addr.s_addr != c.relay[to_side].sin_addr.s_addr) ++wrong_source_;
    const int seq = (bytes[2] << 8) | bytes[3];
    if (first_seq_[stream] < 0) first_seq_[stream] = seq;
    const auto index = static_cast<std::uint32_t>((seq - first_seq_[stream]) & 0xffff);
    DirStats& st = dir_[dir];
    ++st.received;
    if (index >= packets_per_stream_) {
      ++stale_;
      continue;
    }
    std::uint64_t& word = seen_[stream * words_per_stream_ + index / 64];
    const std::uint64_t bit = std::uint64_t{1} << (index % 64);
    if (word & bit) {
      ++st.duplicates;
      continue;
    }
    word |= bit;
    ++st.unique;
    if (index >= warmup_packets_) {
      ++st.measured_unique;
      latency_.add(arrived - sent_ns_[std::size_t{stream} * packets_per_stream_ + index]);
    }
  }
}

std::string Blaster::run(double seconds, double warmup_seconds) {
  ++run_id_;
  active_.clear();
  for (std::uint32_t c = 0; c < std::min(calls_.size(), active_limit_); ++c) {
    if (calls_[c].has_relay) active_.push_back(c);
  }
  packets_per_stream_ = static_cast<std::uint32_t>(seconds * kPacketsPerSecond);
  warmup_packets_ =
      std::min(packets_per_stream_, static_cast<std::uint32_t>(warmup_seconds * kPacketsPerSecond));
  words_per_stream_ = (packets_per_stream_ + 63) / 64;
  seen_.assign(calls_.size() * 2 * words_per_stream_, 0);
  rtp_seq_.resize(calls_.size() * 2, 0);
  if (transcode_.on) {
    sent_ns_.assign(calls_.size() * 2 * packets_per_stream_, 0);
    first_seq_.assign(calls_.size() * 2, -1);
  }
  dir_ = {};
  wrong_socket_ = wrong_source_ = bad_packet_ = stale_ = 0;
  latency_.clear();
  send_lag_.clear();
  for (auto& buf : tx_buf_) std::fill(buf.begin() + kHeaderSize + sizeof(Stamp), buf.end(), 0xff);

  const std::uint64_t streams = active_.size() * 2;
  const std::uint64_t total = streams * packets_per_stream_;
  const double cpu_before = cpu_seconds();
  const std::int64_t start = realtime_ns() + 20'000'000;
  const std::int64_t send_end = start + packets_per_stream_ * kPeriodNs;
  std::uint64_t next = 0;
  std::array<epoll_event, 512> events{};
  while (true) {
    if (streams > 0) send_due(next, total, start, kPeriodNs, streams);
    // Receive whatever is queued, without waiting: the generator wakes on its own tick, never
    // per arriving packet (a wake-up per packet would cost it more than the packet itself;
    // latency is measured from the kernel's receive timestamp, so waiting in the queue is free).
    for (int rounds = 0; rounds < 8; ++rounds) {
      const int n = epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), 0);
      if (n < 0 && errno != EINTR) die("epoll_wait");
      for (std::size_t i = 0; i < static_cast<std::size_t>(std::max(n, 0)); ++i) {
        receive(events[i].data.u32);
        if ((i & 63) == 63 && streams > 0) send_due(next, total, start, kPeriodNs, streams);
      }
      if (n < static_cast<int>(events.size())) break;
    }
    const std::int64_t now = realtime_ns();
    const std::uint64_t expected = dir_[0].sent + dir_[1].sent;
    const bool all_in = next >= total && dir_[0].unique + dir_[1].unique >= expected;
    if ((next >= total && now > send_end + kDrainNs) || all_in) break;
    std::int64_t wake = now + tick_ns_;
    if (next < total) {
      const std::int64_t due = due_ns(start, next, kPeriodNs, streams);
      if (due <= now) continue;  // more is due already
      wake = std::max(due, wake);
    }
    const timespec at{static_cast<time_t>(wake / 1'000'000'000),
                      static_cast<long>(wake % 1'000'000'000)};
    clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &at, nullptr);
  }
  const double cpu = cpu_seconds() - cpu_before;
  const double wall = static_cast<double>(realtime_ns() - start) / 1e9;

  std::ostringstream out;
  out << "{\"calls\": " << active_.size() << ", \"seconds\": " << seconds
      << ", \"warmup_seconds\": " << warmup_seconds << ", \"wall_s\": " << wall
      << ", \"blaster_cpu_s\": " << cpu << ", \"sockets\": " << sockets_.size() << ", \"dir\": [";
  std::uint64_t m_sent = 0, m_unique = 0;
  for (int d = 0; d < 2; ++d) {
    const DirStats& st = dir_[static_cast<std::size_t>(d)];
    m_sent += st.measured_sent;
    m_unique += st.measured_unique;
    const double loss =
        st.measured_sent ? 100.0 *
                               static_cast<double>(st.measured_sent -
                                                   std::min(st.measured_sent, st.measured_unique)) /
                               static_cast<double>(st.measured_sent)
                         : 0.0;
    out << (d ? ", " : "") << "{\"name\": \"" << (d ? "B->A" : "A->B")
        << "\", \"sent\": " << st.sent << ", \"send_errors\": " << st.send_errors
        << ", \"received\": " << st.received << ", \"unique\": " << st.unique
        << ", \"duplicates\": " << st.duplicates << ", \"measured_sent\": " << st.measured_sent
        << ", \"measured_received\": " << st.measured_unique << ", \"loss_pct\": " << loss << "}";
  }
  const double loss = m_sent ? 100.0 * static_cast<double>(m_sent - std::min(m_sent, m_unique)) /
                                   static_cast<double>(m_sent)
                             : 0.0;
  out << "], \"sent\": " << dir_[0].sent + dir_[1].sent
      << ", \"received\": " << dir_[0].unique + dir_[1].unique << ", \"loss_pct\": " << loss
      << ", \"wrong_socket\": " << wrong_socket_ << ", \"wrong_source\": " << wrong_source_
      << ", \"bad_packets\": " << bad_packet_ << ", \"stale\": " << stale_
      << ", \"latency_us\": " << latency_.json() << ", \"send_lag_us\": " << send_lag_.json()
      << "}";
  return out.str();
}

void raise_fd_limit() {
  rlimit lim{};
  getrlimit(RLIMIT_NOFILE, &lim);
  rlimit want{1u << 20, 1u << 20};
  if (setrlimit(RLIMIT_NOFILE, &want) != 0) {  // not root: as far as the hard limit allows
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
}

}  // namespace

int main(int argc, char** argv) {
  int share = 0, port_min = 0, port_max = 0, tick_us = 100;
  Transcode transcode;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string opt = argv[i];
    const int value = std::atoi(argv[i + 1]);
    if (opt == "--opus-frame") {
      const std::string hex = argv[i + 1];
      for (std::size_t k = 0; k + 1 < hex.size(); k += 2) {
        transcode.opus_frame.push_back(
            static_cast<std::uint8_t>(std::stoi(hex.substr(k, 2), nullptr, 16)));
      }
      if (transcode.opus_frame.empty() || transcode.opus_frame.size() > 1400) {
        std::fprintf(stderr, "bad --opus-frame\n");
        return 2;
      }
      transcode.on = true;
    } else if (opt == "--opus-pt") {
      transcode.opus_pt = value;
    } else if (opt == "--share") {
      share = value;
    } else if (opt == "--tick-us") {
      tick_us = value;
    } else if (opt == "--port-min") {
      port_min = value;
    } else if (opt == "--port-max") {
      port_max = value;
    } else {
      std::fprintf(stderr,
                   "usage: %s [--share K] [--tick-us T] [--port-min P --port-max Q] "
                   "[--opus-frame HEX --opus-pt N]\n",
                   argv[0]);
      return 2;
    }
  }
  if (port_min < 0 || port_max > 65535 || (port_min > 0 && port_max < port_min)) {
    std::fprintf(stderr, "bad port range\n");
    return 2;
  }
  raise_fd_limit();
  prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);  // wake on time: sends are paced by epoll waits
  for (std::size_t n = 0; n < transcode.pcmu_tone.size(); ++n) {
    const double phase = 2.0 * 3.141592653589793 * 1000.0 * static_cast<double>(n) / 8000.0;
    transcode.pcmu_tone[n] = ulaw(static_cast<int>(16384.0 * std::sin(phase)));
  }
  Blaster blaster(share, port_min, port_max, std::int64_t{std::max(tick_us, 1)} * 1000,
                  std::move(transcode));
  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream in(line);
    std::string cmd;
    in >> cmd;
    if (cmd == "add") {
      int n = 0;
      in >> n;
      std::cout << blaster.add(std::max(n, 0)) << std::endl;
    } else if (cmd == "relay") {
      std::size_t call = 0;
      std::string ip_a, ip_b;
      int port_a = 0, port_b = 0;
      in >> call >> ip_a >> port_a >> ip_b >> port_b;
      if (!in || !blaster.set_relay(call, ip_a, port_a, ip_b, port_b)) {
        std::cout << "{\"error\": \"bad relay line: " << line << "\"}" << std::endl;
        return 2;
      }
    } else if (cmd == "active") {
      std::size_t n = 0;
      in >> n;
      blaster.set_active(n);
    } else if (cmd == "run") {
      double seconds = 0, warmup = 0;
      in >> seconds >> warmup;
      if (!in || seconds <= 0 || seconds > 600 || warmup < 0 || warmup >= seconds) {
        std::cout << "{\"error\": \"bad run line: " << line << "\"}" << std::endl;
        return 2;
      }
      std::cout << blaster.run(seconds, warmup) << std::endl;
    } else if (cmd == "quit") {
      return 0;
    } else if (!cmd.empty()) {
      std::cout << "{\"error\": \"unknown command: " << cmd << "\"}" << std::endl;
      return 2;
    }
  }
  return 0;
}
