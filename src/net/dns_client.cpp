#include "net/dns_client.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

namespace parley::net {
namespace {

constexpr std::size_t kMaxTcpAnswer = 65535;

// A socket that closes itself.
class Descriptor {
 public:
  explicit Descriptor(int fd) : fd_(fd) {}
  ~Descriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

std::string lower_name(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  std::string out(name);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

int remaining_ms(TimePoint deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  return static_cast<int>(std::max<std::int64_t>(0, left.count()));
}

// Waits for `events` on `fd` until `deadline`; false on timeout or error.
bool wait_for(int fd, short events, TimePoint deadline) {
  pollfd entry{fd, events, 0};
  while (true) {
    const int ready = ::poll(&entry, 1, remaining_ms(deadline));
    if (ready > 0) return true;
    if (ready == 0 || errno != EINTR) return false;
  }
}

bool matches(const DnsMessage& answer, std::uint16_t id, std::string_view name, DnsType type) {
  return answer.response && answer.id == id && answer.question_name == name &&
         answer.question_type == static_cast<std::uint16_t>(type);
}

Error server_error(const SocketAddress& server, std::string what) {
  return make_error(0, "nameserver " + server.to_string() + ": " + std::move(what));
}

}  // namespace

std::vector<SocketAddress> read_resolv_conf(const std::filesystem::path& path) {
  std::vector<SocketAddress> out;
  std::ifstream file(path);
  std::string line;
  while (std::getline(file, line) && out.size() < 8) {
    std::istringstream words(line);
    std::string keyword;
    std::string address;
    if (!(words >> keyword >> address) || keyword != "nameserver") continue;
    // A scoped IPv6 address ("fe80::1%eth0") cannot be used without its interface: skipped.
    if (auto parsed = SocketAddress::parse(address, 53)) {
      out.push_back(*parsed);
    } else if (auto parsed6 = SocketAddress::parse("[" + address + "]:53")) {
      out.push_back(*parsed6);
    }
  }
  return out;
}

DnsClient::DnsClient(DnsClientOptions options)
    : options_(std::move(options)), id_state_(std::random_device{}() | 1u) {}

std::uint16_t DnsClient::next_id() {
  // xorshift64: unpredictable enough from a random seed for ids that only need to differ.
  id_state_ ^= id_state_ << 13;
  id_state_ ^= id_state_ >> 7;
  id_state_ ^= id_state_ << 17;
  return static_cast<std::uint16_t>(id_state_ >> 24);
}

Result<DnsMessage> DnsClient::query(std::string_view name, DnsType type) {
  if (options_.servers.empty()) return make_error(0, "no nameserver configured");
  const std::string question = lower_name(name);
  Error last = make_error(0, "no nameserver answered");
  for (std::uint32_t round = 0; round < std::max<std::uint32_t>(1, options_.attempts); ++round) {
    for (const SocketAddress& server : options_.servers) {
      const std::uint16_t id = next_id();
      auto query = build_dns_query(id, question, type);
      if (!query) return query.error();
      auto answer = ask_udp(server, *query, id, question, type);
      if (answer && answer->truncated) answer = ask_tcp(server, *query, id, question, type);
      if (!answer) {
        last = answer.error();
        continue;
      }
      if (answer->rcode == DnsRcode::kNoError || answer->rcode == DnsRcode::kNxDomain) {
        return answer;
      }
      last = server_error(server,
                          "answered with rcode " + std::to_string(static_cast<int>(answer->rcode)));
    }
  }
  return make_error(0, std::string(to_text(type)) + " " + question + ": " + last.message);
}

Result<DnsMessage> DnsClient::ask_udp(const SocketAddress& server,
                                      std::span<const std::uint8_t> query, std::uint16_t id,
                                      std::string_view name, DnsType type) {
  const Descriptor socket(
      ::socket(server.is_v6() ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (socket.get() < 0) return server_error(server, std::strerror(errno));
  if (::sendto(socket.get(), query.data(), query.size(), 0, server.data(), server.size()) < 0) {
    return server_error(server, std::strerror(errno));
  }
  const TimePoint deadline = std::chrono::steady_clock::now() + options_.timeout;
  std::array<std::uint8_t, kDnsUdpPayload> buffer{};
  // Bounded: each pass either returns or consumes one datagram, and the deadline ends waiting.
  for (int datagrams = 0; datagrams < 64; ++datagrams) {
    if (!wait_for(socket.get(), POLLIN, deadline)) return server_error(server, "no answer");
    sockaddr_storage from{};
    socklen_t from_length = sizeof from;
    const ssize_t got = ::recvfrom(socket.get(), buffer.data(), buffer.size(), 0,
                                   reinterpret_cast<sockaddr*>(&from), &from_length);  // NOLINT
    if (got < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return server_error(server, std::strerror(errno));  // e.g. port unreachable
    }
    if (!(SocketAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&from),
                                       from_length) ==  // NOLINT
          server)) {
      continue;
    }
    auto answer = parse_dns_message(std::span(buffer.data(), static_cast<std::size_t>(got)));
    if (answer && matches(*answer, id, name, type)) return answer;
  }
  return server_error(server, "no matching answer");
}

Result<DnsMessage> DnsClient::ask_tcp(const SocketAddress& server,
                                      std::span<const std::uint8_t> query, std::uint16_t id,
                                      std::string_view name, DnsType type) {
  const Descriptor socket(
      ::socket(server.is_v6() ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (socket.get() < 0) return server_error(server, std::strerror(errno));
  const TimePoint deadline = std::chrono::steady_clock::now() + options_.timeout;
  if (::connect(socket.get(), server.data(), server.size()) < 0 && errno != EINPROGRESS) {
    return server_error(server, std::string("TCP: ") + std::strerror(errno));
  }
  if (!wait_for(socket.get(), POLLOUT, deadline)) return server_error(server, "TCP: no connection");
  int error = 0;
  socklen_t error_length = sizeof error;
  ::getsockopt(socket.get(), SOL_SOCKET, SO_ERROR, &error, &error_length);
  if (error != 0) return server_error(server, std::string("TCP: ") + std::strerror(error));
  std::vector<std::uint8_t> framed;
  framed.push_back(static_cast<std::uint8_t>(query.size() >> 8));
  framed.push_back(static_cast<std::uint8_t>(query.size() & 0xFF));
  framed.insert(framed.end(), query.begin(), query.end());
  if (::send(socket.get(), framed.data(), framed.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(framed.size())) {
    return server_error(server, "TCP: cannot send the query");
  }
  std::vector<std::uint8_t> received;
  std::size_t wanted = 2;
  while (received.size() < wanted) {
    if (!wait_for(socket.get(), POLLIN, deadline)) return server_error(server, "TCP: no answer");
    std::array<std::uint8_t, 4096> chunk{};
    const ssize_t got = ::recv(socket.get(), chunk.data(), chunk.size(), 0);
    if (got == 0) return server_error(server, "TCP: closed before the whole answer");
    if (got < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return server_error(server, std::string("TCP: ") + std::strerror(errno));
    }
    received.insert(received.end(), chunk.begin(), chunk.begin() + got);
    if (wanted == 2 && received.size() >= 2) {
      wanted = 2 + std::min<std::size_t>(kMaxTcpAnswer, (received[0] << 8) | received[1]);
    }
  }
  auto answer = parse_dns_message(std::span(received).subspan(2, wanted - 2));
  if (!answer) return server_error(server, answer.error().message);
  if (!matches(*answer, id, name, type)) return server_error(server, "TCP: a mismatched answer");
  return answer;
}

}  // namespace parley::net
