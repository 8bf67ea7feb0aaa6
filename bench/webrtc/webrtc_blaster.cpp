// WebRTC call load generator for bench/webrtc/run.py: both ends of N calls in one thread. Each
// call has a "browser" leg (W) that does what a browser does towards an ICE-lite, DTLS-passive
// relay (a Binding request with USERNAME, PRIORITY, ICE-CONTROLLING, USE-CANDIDATE,
// MESSAGE-INTEGRITY and FINGERPRINT; a DTLS 1.2 handshake as client, checking the relay's
// certificate against its SDP fingerprint; then SRTP) and a plain leg (P) that sends and
// receives RTP like a desk phone. Built from Parley's own protocol/stun writer and
// webrtc::DtlsEndpoint / SrtpSession, as tests/unit/webrtc/webrtc_call_test.cpp does.
//
// Media: 50 packets per second each way per call, spread evenly over every 20 ms period.
//   --mode transcode     W sends one real 20 ms Opus frame (--opus-frame HEX, made once by the
//                        driver with libopus) as PT --opus-pt, timestamp step 960, and expects
//                        Opus with that PT back; P sends PCMU (a 1 kHz tone, PT 0, 160 bytes) and
//                        expects PCMU back. The relay decodes and re-encodes every packet.
//   --mode passthrough   W sends and expects PCMU too: the relay only de/encrypts.
// A relay's output packet is matched to its input by its RTP sequence number relative to the
// first one of that stream in the run (relays renumber but keep one packet out per packet in),
// so loss, duplicates and added latency (kernel receive time minus the send time of the input
// packet with that index) are counted per stream. SRTP that fails authentication at W, a wrong
// payload type or size, and packets from an address other than the one that side sends to are
// counted separately and fail the step in the driver.
//
// Commands on stdin, one a line (answers on stdout, one line):
//   add N              binds N more calls (two sockets each); answers "ports W1 P1 W2 P2 ..."
//   relay I IPW PORTW UFRAG PWD HASH FINGERPRINT IPP PORTP
//                      call I's browser leg talks to IPW:PORTW, whose SDP gave ice-ufrag UFRAG,
//                      ice-pwd PWD and a=fingerprint "HASH FINGERPRINT"; its plain leg sends to
//                      IPP:PORTP (no answer)
//   connect TIMEOUT    ICE check and DTLS handshake for every call given a relay but not yet
//                      connected, --window of them in flight at once; answers one JSON line
//                      (connected, failed, seconds, CPU, handshake time percentiles, SRTP profile)
//   active N           only the first N connected calls send in later runs (the rest idle)
//   run SECONDS WARMUP sends for SECONDS; answers one JSON line in rtp_blaster's format
//                      (bench/media/run.py reads it), packets of the first WARMUP seconds are
//                      relayed but left out of loss and latency
//   quit
// On start it prints "fingerprint HASH HEX", the certificate every browser leg shows, and the
// ICE credentials every browser leg uses: "ice UFRAG PWD".
//
// Full ICE peers (rtpengine) also send their own checks to the browser: they are answered with
// protocol/stun's responder, as a browser would. Linux only; one thread.

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
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "media/srtp_session.hpp"
#include "protocol/stun/demux.hpp"
#include "protocol/stun/ice_lite.hpp"
#include "protocol/stun/integrity.hpp"
#include "protocol/stun/message.hpp"
#include "protocol/stun/writer.hpp"
#include "webrtc/dtls_endpoint.hpp"
#include "webrtc/dtls_identity.hpp"

namespace {

namespace stun = parley::protocol::stun;
namespace webrtc = parley::webrtc;

constexpr std::size_t kHeaderBytes = 12;
constexpr std::size_t kPcmuBytes = 160;
constexpr std::int64_t kPeriodNs = 20'000'000;
constexpr int kPacketsPerSecond = 50;
constexpr std::int64_t kDrainNs = 500'000'000;
constexpr std::int64_t kIceRetryNs = 200'000'000;
constexpr int kIceTries = 25;
constexpr std::size_t kHistogramUs = 1'000'000;
constexpr std::string_view kBrowserUfrag = "wbch";
constexpr std::string_view kBrowserPwd = "webrtcbenchbrowserpassword";

std::int64_t realtime_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
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

std::uint8_t ulaw(int sample) {  // ITU-T G.711 µ-law, bias-and-segment form
  constexpr int kBias = 0x84;
  constexpr int kClip = 32635;
  const int sign = sample < 0 ? 0x80 : 0;
  const int magnitude = std::min(sample < 0 ? -sample : sample, kClip) + kBias;
  int exponent = 7;
  for (int mask = 0x4000; (magnitude & mask) == 0 && exponent > 0; mask >>= 1) --exponent;
  const int mantissa = (magnitude >> (exponent + 3)) & 0x0f;
  return static_cast<std::uint8_t>(~(sign | (exponent << 4) | mantissa));
}

class Histogram {
 public:
  Histogram() : buckets_(kHistogramUs, 0) {}
  void clear() {
    std::fill(buckets_.begin(), buckets_.end(), 0);
    count_ = 0;
    max_ns_ = 0;
    sum_ns_ = 0;
  }
  void add(std::int64_t ns) {
    ns = std::max<std::int64_t>(ns, 0);
    ++count_;
    sum_ns_ += static_cast<double>(ns);
    max_ns_ = std::max(max_ns_, ns);
    ++buckets_[std::min<std::size_t>(static_cast<std::size_t>(ns / 1000), kHistogramUs - 1)];
  }
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
  std::string json(double scale = 1.0) const {
    char text[256];
    std::snprintf(text, sizeof text,
                  "{\"count\": %llu, \"mean\": %.1f, \"p50\": %.0f, \"p99\": %.0f, "
                  "\"p999\": %.0f, \"max\": %.1f}",
                  static_cast<unsigned long long>(count_),
                  count_ ? sum_ns_ / static_cast<double>(count_) / 1000.0 / scale : -1.0,
                  quantile_us(0.50) / scale, quantile_us(0.99) / scale, quantile_us(0.999) / scale,
                  static_cast<double>(max_ns_) / 1000.0 / scale);
    return text;
  }

 private:
  std::vector<std::uint32_t> buckets_;
  std::uint64_t count_ = 0;
  std::int64_t max_ns_ = 0;
  double sum_ns_ = 0;
};

enum class CallState : std::uint8_t { kIdle, kIce, kDtls, kReady, kFailed };
enum Side : std::uint8_t { kBrowser = 0, kPlain = 1 };

struct Call {
  std::array<int, 2> fd{-1, -1};
  std::array<std::uint16_t, 2> port{};
  std::array<sockaddr_in, 2> relay{};  // where each leg sends to
  bool has_relay = false;
  std::string relay_ufrag, relay_pwd, relay_fingerprint;
  CallState state = CallState::kIdle;
  int ice_tries = 0;
  std::int64_t next_ice_ns = 0, started_ns = 0, deadline_ns = 0;
  std::optional<webrtc::DtlsEndpoint> dtls;
  std::optional<webrtc::DtlsSrtpSessions> srtp;
  std::array<std::uint32_t, 2> ssrc{};
  std::array<std::uint16_t, 2> seq{};
  std::array<std::uint32_t, 2> timestamp{};
};

struct DirStats {
  std::uint64_t sent = 0, send_errors = 0, received = 0, unique = 0, duplicates = 0;
  std::uint64_t measured_sent = 0, measured_unique = 0;
};

struct Options {
  bool transcode = true;
  int opus_pt = 111;
  std::vector<std::uint8_t> opus_frame;
  int port_min = 0, port_max = 0;
  std::int64_t tick_ns = 100'000;
  std::size_t window = 50;
};

class WebRtcBlaster {
 public:
  WebRtcBlaster(Options options, std::shared_ptr<const webrtc::DtlsIdentity> identity)
      : options_(std::move(options)),
        identity_(std::move(identity)),
        next_port_(options_.port_min) {
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_ < 0) die("epoll_create1");
    for (std::size_t n = 0; n < kPcmuBytes; ++n) {
      const double phase = 2.0 * 3.141592653589793 * 1000.0 * static_cast<double>(n) / 8000.0;
      pcmu_tone_[n] = ulaw(static_cast<int>(16384.0 * std::sin(phase)));
    }
  }
  ~WebRtcBlaster() {
    for (const Call& call : calls_) {
      for (const int fd : call.fd) {
        if (fd >= 0) close(fd);
      }
    }
    if (epoll_ >= 0) close(epoll_);
  }
  WebRtcBlaster(const WebRtcBlaster&) = delete;
  WebRtcBlaster& operator=(const WebRtcBlaster&) = delete;

  std::string add(int n) {
    std::string out = "ports";
    for (int i = 0; i < n; ++i) {
      Call call;
      const auto index = static_cast<std::uint32_t>(calls_.size());
      for (int side = 0; side < 2; ++side) {
        call.fd[side] = open_socket(index * 2 + static_cast<std::uint32_t>(side), call.port[side]);
        call.ssrc[side] = 0x10000000U + index * 2 + static_cast<std::uint32_t>(side);
        out += ' ';
        out += std::to_string(call.port[side]);
      }
      calls_.push_back(std::move(call));
    }
    return out;
  }

  bool set_relay(std::size_t index, const std::string& ip_w, int port_w, std::string ufrag,
                 std::string pwd, std::string fingerprint, const std::string& ip_p, int port_p) {
    if (index >= calls_.size()) return false;
    Call& call = calls_[index];
    const std::array<std::pair<const std::string*, int>, 2> to{{{&ip_w, port_w}, {&ip_p, port_p}}};
    for (std::size_t side = 0; side < 2; ++side) {
      sockaddr_in& addr = call.relay[side];
      addr = {};
      addr.sin_family = AF_INET;
      addr.sin_port = htons(static_cast<std::uint16_t>(to[side].second));
      if (inet_pton(AF_INET, to[side].first->c_str(), &addr.sin_addr) != 1) return false;
    }
    call.relay_ufrag = std::move(ufrag);
    call.relay_pwd = std::move(pwd);
    call.relay_fingerprint = std::move(fingerprint);
    call.has_relay = true;
    return true;
  }

  std::string connect(double timeout_s);
  void set_active(std::size_t n) { active_limit_ = n; }
  std::string run(double seconds, double warmup_seconds);

 private:
  int open_socket(std::uint32_t tag, std::uint16_t& port) {
    const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) die("socket");
    const int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool bound = false;
    if (options_.port_min == 0) {
      bound = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    } else {
      for (int tries = 0; !bound && tries <= options_.port_max - options_.port_min; ++tries) {
        addr.sin_port = htons(static_cast<std::uint16_t>(next_port_));
        next_port_ = next_port_ >= options_.port_max ? options_.port_min : next_port_ + 1;
        bound = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
        if (!bound && errno != EADDRINUSE) break;
      }
    }
    if (!bound) die("bind");
    socklen_t len = sizeof addr;
    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    port = ntohs(addr.sin_port);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = tag;
    if (epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev) != 0) die("epoll_ctl");
    return fd;
  }

  void send_to(const Call& call, int side, std::span<const std::uint8_t> bytes) {
    const sockaddr_in& to = call.relay[static_cast<std::size_t>(side)];
    const ssize_t r = sendto(call.fd[static_cast<std::size_t>(side)], bytes.data(), bytes.size(), 0,
                             reinterpret_cast<const sockaddr*>(&to), sizeof to);
    if (r < 0) ++control_send_errors_;
  }
  void send_all(const Call& call, const std::vector<webrtc::Datagram>& out) {
    for (const auto& datagram : out) send_to(call, kBrowser, datagram);
  }

  void send_binding_request(Call& call, std::uint32_t index);
  void start_handshake(Call& call, std::uint32_t index, std::int64_t now);
  void finish_dtls_step(Call& call, std::int64_t now);
  void handshake_timers(std::int64_t now);
  void poll_sockets(bool media);
  void receive(std::uint32_t tag, bool media);
  void on_browser_control(Call& call, std::span<std::uint8_t> bytes, const sockaddr_in& from);
  void on_media(std::uint32_t call_index, int to_side, std::span<std::uint8_t> bytes,
                const sockaddr_in& from, std::int64_t arrived);
  void send_due(std::uint64_t& next, std::uint64_t total, std::int64_t start_ns,
                std::uint64_t streams);
  std::size_t build_packet(Call& call, int side, std::uint32_t index);

  Options options_;
  std::shared_ptr<const webrtc::DtlsIdentity> identity_;
  int next_port_;
  int epoll_ = -1;
  std::vector<Call> calls_;
  std::array<std::uint8_t, kPcmuBytes> pcmu_tone_{};
  std::size_t active_limit_ = std::numeric_limits<std::size_t>::max();

  // Handshakes.
  std::size_t in_flight_ = 0;
  std::int64_t connect_timeout_ns_ = 10'000'000'000;
  Histogram handshake_;
  std::map<std::string, std::uint64_t> profiles_;
  std::map<std::string, std::uint64_t> failures_;
  std::uint64_t control_send_errors_ = 0, stun_answered_ = 0, stun_refused_ = 0;

  // Per run.
  std::vector<std::uint32_t> active_;
  std::vector<std::uint64_t> seen_;
  std::vector<std::int64_t> sent_ns_;
  std::vector<std::int32_t> first_seq_;
  std::size_t words_per_stream_ = 0;
  std::uint32_t packets_per_stream_ = 0, warmup_packets_ = 0;
  std::array<DirStats, 2> dir_{};
  std::uint64_t wrong_source_ = 0, bad_packet_ = 0, stale_ = 0, auth_failed_ = 0,
                rtcp_received_ = 0;
  Histogram latency_, send_lag_;

  std::array<std::uint8_t, 2048> tx_{};
  static constexpr std::size_t kRxBatch = 16;
  std::array<std::array<std::uint8_t, 1500>, kRxBatch> rx_{};
  std::array<std::array<char, 64>, kRxBatch> rx_ctl_{};
  std::array<sockaddr_in, kRxBatch> rx_from_{};
  std::array<iovec, kRxBatch> rx_iov_{};
  std::array<mmsghdr, kRxBatch> rx_msg_{};
};

void WebRtcBlaster::send_binding_request(Call& call, std::uint32_t index) {
  std::array<std::uint8_t, 512> out{};
  stun::TransactionId transaction;
  for (std::size_t i = 0; i < transaction.bytes.size(); ++i) {
    transaction.bytes[i] = static_cast<std::uint8_t>((index >> (8 * (i % 4))) + i);
  }
  stun::MessageWriter writer(out, stun::MessageClass::kRequest, stun::kMethodBinding, transaction);
  writer.add_username(call.relay_ufrag + ":" + std::string(kBrowserUfrag));
  writer.add_priority(0x6e0001ff);
  writer.add_ice_controlling(0x1122334455667788ULL + index);
  writer.add_use_candidate();
  writer.add_message_integrity(stun::short_term_key(call.relay_pwd));
  writer.add_fingerprint();
  const auto size = writer.finish();
  if (!size.ok()) die("binding request: " + size.error().message);
  send_to(call, kBrowser, std::span(out).first(size.value()));
  ++call.ice_tries;
}

void WebRtcBlaster::start_handshake(Call& call, std::uint32_t index, std::int64_t now) {
  call.state = CallState::kIce;
  call.started_ns = now;
  call.deadline_ns = now + connect_timeout_ns_;
  call.next_ice_ns = now + kIceRetryNs;
  call.ice_tries = 0;
  ++in_flight_;
  send_binding_request(call, index);
}

void WebRtcBlaster::finish_dtls_step(Call& call, std::int64_t now) {
  if (call.state != CallState::kDtls || !call.dtls) return;
  if (call.dtls->state() == webrtc::DtlsState::kConnected) {
    auto sessions = call.dtls->srtp_sessions();
    if (!sessions.ok()) {
      ++failures_[sessions.error().message];
      call.state = CallState::kFailed;
    } else {
      ++profiles_[std::string(webrtc::to_string(sessions.value().profile))];
      call.srtp.emplace(std::move(sessions).value());
      call.state = CallState::kReady;
      handshake_.add(now - call.started_ns);
    }
    --in_flight_;
  } else if (call.dtls->state() == webrtc::DtlsState::kFailed) {
    ++failures_[call.dtls->failure() ? call.dtls->failure()->message : "DTLS failed"];
    call.state = CallState::kFailed;
    --in_flight_;
  }
}

void WebRtcBlaster::handshake_timers(std::int64_t now) {
  for (std::uint32_t i = 0; i < calls_.size(); ++i) {
    Call& call = calls_[i];
    if (call.state != CallState::kIce && call.state != CallState::kDtls) continue;
    if (now > call.deadline_ns) {
      ++failures_[call.state == CallState::kIce ? "ICE check unanswered" : "DTLS timed out"];
      call.state = CallState::kFailed;
      --in_flight_;
      continue;
    }
    if (call.state == CallState::kIce && now >= call.next_ice_ns) {
      if (call.ice_tries >= kIceTries) {
        ++failures_["ICE check unanswered"];
        call.state = CallState::kFailed;
        --in_flight_;
        continue;
      }
      call.next_ice_ns = now + kIceRetryNs;
      send_binding_request(call, i);
    } else if (call.state == CallState::kDtls) {
      // OpenSSL keeps the retransmission clock: before the deadline this does nothing.
      std::vector<webrtc::Datagram> out;
      call.dtls->on_timer(out);
      send_all(call, out);
      finish_dtls_step(call, now);
    }
  }
}

void WebRtcBlaster::on_browser_control(Call& call, std::span<std::uint8_t> bytes,
                                       const sockaddr_in& from) {
  const std::int64_t now = realtime_ns();
  if (stun::classify_packet(bytes) == stun::PacketKind::kStun) {
    auto message = stun::parse_message(bytes);
    if (!message.ok()) return;
    if (message.value().message_class == stun::MessageClass::kRequest) {
      // A full ICE agent (rtpengine) checks the browser's candidate too: answer as a browser.
      std::array<std::uint8_t, 4> ip{};
      std::memcpy(ip.data(), &from.sin_addr, ip.size());
      std::array<std::uint8_t, stun::kIceResponseBufferBytes> response{};
      const stun::IceLiteCredentials credentials{kBrowserUfrag, kBrowserPwd, call.relay_ufrag};
      const auto result = stun::answer_binding_request(
          bytes, stun::TransportAddress::ipv4(ip, ntohs(from.sin_port)), credentials, response);
      if (result.action == stun::IceAction::kSendSuccess ||
          result.action == stun::IceAction::kSendError) {
        (result.action == stun::IceAction::kSendSuccess ? stun_answered_ : stun_refused_) += 1;
        sendto(call.fd[kBrowser], response.data(), result.response_size, 0,
               reinterpret_cast<const sockaddr*>(&from), sizeof from);
      }
      return;
    }
    if (message.value().message_class != stun::MessageClass::kSuccessResponse ||
        call.state != CallState::kIce) {
      return;
    }
    if (!stun::verify_message_integrity(message.value(), stun::short_term_key(call.relay_pwd))) {
      return;
    }
    webrtc::DtlsEndpointOptions options;
    options.role = webrtc::DtlsRole::kClient;
    options.remote_fingerprint = call.relay_fingerprint;
    auto endpoint = webrtc::DtlsEndpoint::create(identity_, options);
    if (!endpoint.ok()) {
      ++failures_[endpoint.error().message];
      call.state = CallState::kFailed;
      --in_flight_;
      return;
    }
    call.dtls.emplace(std::move(endpoint).value());
    call.state = CallState::kDtls;
    std::vector<webrtc::Datagram> out;
    call.dtls->start(out);
    send_all(call, out);
    return;
  }
  if (call.dtls) {  // DTLS: the handshake, or a retransmitted last flight after it
    std::vector<webrtc::Datagram> out;
    call.dtls->receive(bytes, out);
    send_all(call, out);
    finish_dtls_step(call, now);
  }
}

void WebRtcBlaster::on_media(std::uint32_t call_index, int to_side, std::span<std::uint8_t> bytes,
                             const sockaddr_in& from, std::int64_t arrived) {
  if (packets_per_stream_ == 0) return;  // between runs
  const Call& call = calls_[call_index];
  const int pt = bytes[1] & 0x7f;
  const bool opus = to_side == kBrowser && options_.transcode;
  const bool right_codec = opus ? (pt == options_.opus_pt && bytes.size() > kHeaderBytes)
                                : (pt == 0 && bytes.size() == kHeaderBytes + kPcmuBytes);
  if (!right_codec) {
    ++bad_packet_;
    return;
  }
  const sockaddr_in& expected = call.relay[static_cast<std::size_t>(to_side)];
  if (from.sin_addr.s_addr != expected.sin_addr.s_addr || from.sin_port != expected.sin_port) {
    ++wrong_source_;
  }
  const std::uint32_t dir = to_side == kPlain ? 0 : 1;  // 0: browser -> plain
  const std::size_t stream = std::size_t{call_index} * 2 + dir;
  const int seq = (bytes[2] << 8) | bytes[3];
  if (first_seq_[stream] < 0) first_seq_[stream] = seq;
  const auto index = static_cast<std::uint32_t>((seq - first_seq_[stream]) & 0xffff);
  DirStats& st = dir_[dir];
  ++st.received;
  if (index >= packets_per_stream_) {
    ++stale_;
    return;
  }
  std::uint64_t& word = seen_[stream * words_per_stream_ + index / 64];
  const std::uint64_t bit = std::uint64_t{1} << (index % 64);
  if (word & bit) {
    ++st.duplicates;
    return;
  }
  word |= bit;
  ++st.unique;
  if (index >= warmup_packets_) {
    ++st.measured_unique;
    latency_.add(arrived - sent_ns_[stream * packets_per_stream_ + index]);
  }
}

void WebRtcBlaster::receive(std::uint32_t tag, bool media) {
  const std::uint32_t call_index = tag / 2;
  const int side = static_cast<int>(tag % 2);
  Call& call = calls_[call_index];
  // One recvmmsg takes everything queued (a call's socket rarely holds more than a few):
  // no second, empty read per wake-up.
  for (std::size_t i = 0; i < kRxBatch; ++i) {
    rx_iov_[i] = {rx_[i].data(), rx_[i].size()};
    rx_msg_[i] = {};
    rx_msg_[i].msg_hdr.msg_name = &rx_from_[i];
    rx_msg_[i].msg_hdr.msg_namelen = sizeof(sockaddr_in);
    rx_msg_[i].msg_hdr.msg_iov = &rx_iov_[i];
    rx_msg_[i].msg_hdr.msg_iovlen = 1;
    rx_msg_[i].msg_hdr.msg_control = rx_ctl_[i].data();
    rx_msg_[i].msg_hdr.msg_controllen = rx_ctl_[i].size();
  }
  const int count = recvmmsg(call.fd[static_cast<std::size_t>(side)], rx_msg_.data(),
                             static_cast<unsigned>(kRxBatch), MSG_DONTWAIT, nullptr);
  const std::int64_t now = realtime_ns();
  for (std::size_t i = 0; i < static_cast<std::size_t>(std::max(count, 0)); ++i) {
    msghdr& msg = rx_msg_[i].msg_hdr;
    const sockaddr_in& from = rx_from_[i];
    const auto got = static_cast<std::size_t>(rx_msg_[i].msg_len);
    std::int64_t arrived = now;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_TIMESTAMPNS) {
        timespec ts{};
        std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
        arrived = std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
      }
    }
    std::span<std::uint8_t> bytes(rx_[i].data(), got);
    const auto kind = stun::classify_packet(bytes);
    if (kind != stun::PacketKind::kRtp) {
      if (side == kBrowser) {
        on_browser_control(call, bytes, from);
      } else if (media) {
        ++bad_packet_;
      }
      continue;
    }
    if (bytes.size() < kHeaderBytes) {
      if (media) ++bad_packet_;
      continue;
    }
    if (bytes[1] >= 192 && bytes[1] <= 223) {  // RTCP (RFC 5761): not what is measured
      ++rtcp_received_;
      continue;
    }
    if (side == kBrowser) {
      if (!call.srtp) continue;
      const webrtc::SrtpResult clear = call.srtp->inbound.unprotect_rtp(bytes);
      if (!clear.ok()) {
        if (media) ++auth_failed_;
        continue;
      }
      bytes = bytes.first(clear.size);
    }
    if (media) on_media(call_index, side, bytes, from, arrived);
  }
}

void WebRtcBlaster::poll_sockets(bool media) {
  std::array<epoll_event, 512> events{};
  for (int rounds = 0; rounds < 8; ++rounds) {
    const int n = epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), 0);
    if (n < 0 && errno != EINTR) die("epoll_wait");
    for (int i = 0; i < n; ++i) receive(events[static_cast<std::size_t>(i)].data.u32, media);
    if (n < static_cast<int>(events.size())) break;
  }
}

std::string WebRtcBlaster::connect(double timeout_s) {
  connect_timeout_ns_ = static_cast<std::int64_t>(timeout_s * 1e9);
  std::vector<std::uint32_t> pending;
  for (std::uint32_t i = 0; i < calls_.size(); ++i) {
    if (calls_[i].has_relay && calls_[i].state == CallState::kIdle) pending.push_back(i);
  }
  handshake_.clear();
  profiles_.clear();
  failures_.clear();
  in_flight_ = 0;
  const double cpu_before = cpu_seconds();
  const std::int64_t start = realtime_ns();
  std::size_t next = 0;
  std::int64_t last_timers = start;
  while (next < pending.size() || in_flight_ > 0) {
    std::int64_t now = realtime_ns();
    while (in_flight_ < options_.window && next < pending.size()) {
      start_handshake(calls_[pending[next]], pending[next], now);
      ++next;
    }
    poll_sockets(false);
    now = realtime_ns();
    if (now - last_timers >= 10'000'000) {  // every call fails by its deadline: bounded
      handshake_timers(now);
      last_timers = now;
    }
    epoll_event ignored{};
    epoll_wait(epoll_, &ignored, 1, 1);  // sleep until something arrives, 1 ms at most
    // The event just seen stays ready (level-triggered) for poll_sockets() on the next round.
  }
  const double seconds = static_cast<double>(realtime_ns() - start) / 1e9;
  std::size_t connected = 0;
  std::size_t failed = 0;
  for (const std::uint32_t i : pending) {
    connected += calls_[i].state == CallState::kReady ? 1 : 0;
    failed += calls_[i].state == CallState::kFailed ? 1 : 0;
  }
  std::ostringstream out;
  out << "{\"attempted\": " << pending.size() << ", \"connected\": " << connected
      << ", \"failed\": " << failed << ", \"seconds\": " << seconds
      << ", \"blaster_cpu_s\": " << cpu_seconds() - cpu_before
      << ", \"window\": " << options_.window << ", \"handshake_ms\": " << handshake_.json(1000.0)
      << ", \"profiles\": {";
  const char* sep = "";
  for (const auto& [name, count] : profiles_) {
    out << sep << "\"" << name << "\": " << count;
    sep = ", ";
  }
  out << "}, \"failures\": {";
  sep = "";
  for (const auto& [why, count] : failures_) {
    std::string clean = why;
    std::replace(clean.begin(), clean.end(), '"', '\'');
    std::replace(clean.begin(), clean.end(), '\\', '/');
    out << sep << "\"" << clean << "\": " << count;
    sep = ", ";
  }
  out << "}, \"stun_answered\": " << stun_answered_ << "}";
  return out.str();
}

std::size_t WebRtcBlaster::build_packet(Call& call, int side, std::uint32_t) {
  const auto s = static_cast<std::size_t>(side);
  const bool opus = side == kBrowser && options_.transcode;
  const std::uint16_t seq = call.seq[s]++;
  const std::uint32_t ts = call.timestamp[s];
  call.timestamp[s] += opus ? 960 : 160;
  tx_[0] = 0x80;
  tx_[1] = static_cast<std::uint8_t>(opus ? options_.opus_pt : 0);
  tx_[2] = static_cast<std::uint8_t>(seq >> 8);
  tx_[3] = static_cast<std::uint8_t>(seq);
  for (int i = 0; i < 4; ++i) {
    tx_[4 + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(ts >> (24 - 8 * i));
    tx_[8 + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(call.ssrc[s] >> (24 - 8 * i));
  }
  std::size_t size = kHeaderBytes;
  if (opus) {
    std::memcpy(&tx_[size], options_.opus_frame.data(), options_.opus_frame.size());
    size += options_.opus_frame.size();
  } else {
    std::memcpy(&tx_[size], pcmu_tone_.data(), pcmu_tone_.size());
    size += pcmu_tone_.size();
  }
  if (side == kBrowser) {
    const webrtc::SrtpResult sealed = call.srtp->outbound.protect_rtp(tx_, size);
    if (!sealed.ok()) return 0;
    size = sealed.size;
  }
  return size;
}

void WebRtcBlaster::send_due(std::uint64_t& next, std::uint64_t total, std::int64_t start_ns,
                             std::uint64_t streams) {
  const std::int64_t now = realtime_ns();
  for (int sent = 0; sent < 64 && next < total; ++sent) {
    const std::uint64_t n = next;
    const std::int64_t due =
        start_ns + static_cast<std::int64_t>(n / streams) * kPeriodNs +
        static_cast<std::int64_t>(n % streams) * kPeriodNs / static_cast<std::int64_t>(streams);
    if (due > now) return;
    ++next;
    send_lag_.add(now - due);
    const auto stream = static_cast<std::uint32_t>(n % streams);
    const std::uint32_t call_index = active_[stream / 2];
    const int side = static_cast<int>(stream % 2);  // the sending side; 0 = browser = dir 0
    const auto k = static_cast<std::uint32_t>(n / streams);
    Call& call = calls_[call_index];
    DirStats& st = dir_[static_cast<std::size_t>(side)];
    const std::size_t size = build_packet(call, side, k);
    const sockaddr_in& to = call.relay[static_cast<std::size_t>(side)];
    const std::size_t slot =
        (std::size_t{call_index} * 2 + static_cast<std::size_t>(side)) * packets_per_stream_ + k;
    sent_ns_[slot] = realtime_ns();
    if (size == 0 || sendto(call.fd[static_cast<std::size_t>(side)], tx_.data(), size, 0,
                            reinterpret_cast<const sockaddr*>(&to), sizeof to) < 0) {
      ++st.send_errors;
      continue;
    }
    ++st.sent;
    if (k >= warmup_packets_) ++st.measured_sent;
  }
}

std::string WebRtcBlaster::run(double seconds, double warmup_seconds) {
  poll_sockets(false);  // what an earlier run left in flight does not count here
  active_.clear();
  for (std::uint32_t c = 0; c < calls_.size() && active_.size() < active_limit_; ++c) {
    if (calls_[c].state == CallState::kReady) active_.push_back(c);
  }
  packets_per_stream_ = static_cast<std::uint32_t>(seconds * kPacketsPerSecond);
  warmup_packets_ =
      std::min(packets_per_stream_, static_cast<std::uint32_t>(warmup_seconds * kPacketsPerSecond));
  words_per_stream_ = (packets_per_stream_ + 63) / 64;
  seen_.assign(calls_.size() * 2 * words_per_stream_, 0);
  sent_ns_.assign(calls_.size() * 2 * packets_per_stream_, 0);
  first_seq_.assign(calls_.size() * 2, -1);
  dir_ = {};
  wrong_source_ = bad_packet_ = stale_ = auth_failed_ = rtcp_received_ = 0;
  latency_.clear();
  send_lag_.clear();

  const std::uint64_t streams = active_.size() * 2;
  const std::uint64_t total = streams * packets_per_stream_;
  const double cpu_before = cpu_seconds();
  const std::int64_t start = realtime_ns() + 20'000'000;
  const std::int64_t send_end = start + packets_per_stream_ * kPeriodNs;
  std::uint64_t next = 0;
  while (true) {
    if (streams > 0) send_due(next, total, start, streams);
    poll_sockets(true);
    const std::int64_t now = realtime_ns();
    const bool all_in =
        next >= total && dir_[0].unique + dir_[1].unique >= dir_[0].sent + dir_[1].sent;
    if ((next >= total && now > send_end + kDrainNs) || all_in) break;
    std::int64_t wake = now + options_.tick_ns;
    if (next < total) {
      const std::int64_t due = start + static_cast<std::int64_t>(next / streams) * kPeriodNs +
                               static_cast<std::int64_t>(next % streams) * kPeriodNs /
                                   static_cast<std::int64_t>(streams);
      if (due <= now) continue;
      wake = std::max(due, wake);
    }
    const timespec at{static_cast<time_t>(wake / 1'000'000'000),
                      static_cast<long>(wake % 1'000'000'000)};
    clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &at, nullptr);
  }
  const double cpu = cpu_seconds() - cpu_before;
  const double wall = static_cast<double>(realtime_ns() - start) / 1e9;
  packets_per_stream_ = 0;

  std::ostringstream out;
  out << "{\"calls\": " << active_.size() << ", \"seconds\": " << seconds
      << ", \"warmup_seconds\": " << warmup_seconds << ", \"wall_s\": " << wall
      << ", \"blaster_cpu_s\": " << cpu << ", \"sockets\": " << calls_.size() * 2 << ", \"dir\": [";
  std::uint64_t m_sent = 0, m_unique = 0;
  for (std::size_t d = 0; d < 2; ++d) {
    const DirStats& st = dir_[d];
    m_sent += st.measured_sent;
    m_unique += st.measured_unique;
    const double loss =
        st.measured_sent ? 100.0 *
                               static_cast<double>(st.measured_sent -
                                                   std::min(st.measured_sent, st.measured_unique)) /
                               static_cast<double>(st.measured_sent)
                         : 0.0;
    out << (d ? ", " : "") << "{\"name\": \"" << (d ? "plain->browser" : "browser->plain")
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
      << ", \"wrong_socket\": 0, \"wrong_source\": " << wrong_source_
      << ", \"bad_packets\": " << bad_packet_ + auth_failed_
      << ", \"srtp_auth_failed\": " << auth_failed_ << ", \"rtcp_received\": " << rtcp_received_
      << ", \"stale\": " << stale_ << ", \"stun_answered\": " << stun_answered_
      << ", \"latency_us\": " << latency_.json() << ", \"send_lag_us\": " << send_lag_.json()
      << "}";
  return out.str();
}

void raise_fd_limit() {
  rlimit lim{};
  getrlimit(RLIMIT_NOFILE, &lim);
  rlimit want{1U << 20, 1U << 20};
  if (setrlimit(RLIMIT_NOFILE, &want) != 0) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string opt = argv[i];
    const std::string value = argv[i + 1];
    if (opt == "--mode" && (value == "transcode" || value == "passthrough")) {
      options.transcode = value == "transcode";
    } else if (opt == "--opus-frame") {
      for (std::size_t k = 0; k + 1 < value.size(); k += 2) {
        options.opus_frame.push_back(
            static_cast<std::uint8_t>(std::stoi(value.substr(k, 2), nullptr, 16)));
      }
    } else if (opt == "--opus-pt") {
      options.opus_pt = std::atoi(value.c_str());
    } else if (opt == "--port-min") {
      options.port_min = std::atoi(value.c_str());
    } else if (opt == "--port-max") {
      options.port_max = std::atoi(value.c_str());
    } else if (opt == "--tick-us") {
      options.tick_ns = std::int64_t{std::max(std::atoi(value.c_str()), 1)} * 1000;
    } else if (opt == "--window") {
      options.window = static_cast<std::size_t>(std::max(std::atoi(value.c_str()), 1));
    } else {
      std::fprintf(stderr,
                   "usage: %s [--mode transcode|passthrough] [--opus-frame HEX --opus-pt N] "
                   "[--port-min P --port-max Q] [--tick-us T] [--window W]\n",
                   argv[0]);
      return 2;
    }
  }
  if (options.transcode && (options.opus_frame.empty() || options.opus_frame.size() > 1200)) {
    std::fprintf(stderr, "transcode mode needs --opus-frame HEX (1..1200 bytes)\n");
    return 2;
  }
  if (options.port_min < 0 || options.port_max > 65535 ||
      (options.port_min > 0 && options.port_max < options.port_min)) {
    std::fprintf(stderr, "bad port range\n");
    return 2;
  }
  raise_fd_limit();
  prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
  auto identity = webrtc::DtlsIdentity::generate();
  if (!identity.ok()) {
    std::fprintf(stderr, "DTLS identity: %s\n", identity.error().message.c_str());
    return 2;
  }
  std::cout << "fingerprint " << identity.value()->fingerprint() << "\nice " << kBrowserUfrag << " "
            << kBrowserPwd << std::endl;
  WebRtcBlaster blaster(std::move(options), std::move(identity).value());
  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream in(line);
    std::string cmd;
    in >> cmd;
    if (cmd == "add") {
      int n = 0;
      in >> n;
      std::cout << blaster.add(std::clamp(n, 0, 20000)) << std::endl;
    } else if (cmd == "relay") {
      std::size_t call = 0;
      std::string ip_w, ufrag, pwd, hash, digest, ip_p;
      int port_w = 0, port_p = 0;
      in >> call >> ip_w >> port_w >> ufrag >> pwd >> hash >> digest >> ip_p >> port_p;
      if (!in ||
          !blaster.set_relay(call, ip_w, port_w, ufrag, pwd, hash + " " + digest, ip_p, port_p)) {
        std::cout << "{\"error\": \"bad relay line: " << line << "\"}" << std::endl;
        return 2;
      }
    } else if (cmd == "connect") {
      double timeout = 0;
      in >> timeout;
      if (!in || timeout <= 0 || timeout > 60) {
        std::cout << "{\"error\": \"bad connect line: " << line << "\"}" << std::endl;
        return 2;
      }
      std::cout << blaster.connect(timeout) << std::endl;
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
