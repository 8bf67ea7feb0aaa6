#pragma once

// A small authoritative DNS server on 127.0.0.1 (UDP and TCP on one port) for the DNS client and
// SIP server locator tests: it answers from a table the test fills, counts the questions, and
// can stay silent, answer NXDOMAIN or send truncated UDP answers (the whole answer over TCP).
// Its own thread; every method may be called from the test thread while it runs.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "net/address.hpp"
#include "net/dns_message.hpp"

namespace parley::test {

class DnsTestServer {
 public:
  DnsTestServer() {
    // UDP on a free port, TCP on the same one (a few tries: another process may hold it).
    for (int attempt = 0; attempt < 20 && tcp_ < 0; ++attempt) {
      if (udp_ >= 0) ::close(udp_);
      udp_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      auto any = *net::SocketAddress::parse("127.0.0.1:0");
      EXPECT_EQ(::bind(udp_, any.data(), any.size()), 0);
      sockaddr_storage storage{};
      socklen_t length = sizeof storage;
      ::getsockname(udp_, reinterpret_cast<sockaddr*>(&storage), &length);                 // NOLINT
      address_ = net::SocketAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&storage),  // NOLINT
                                                   length);
      const int tcp = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      const int yes = 1;
      ::setsockopt(tcp, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
      if (::bind(tcp, address_.data(), address_.size()) == 0 && ::listen(tcp, 8) == 0) {
        tcp_ = tcp;
      } else {
        ::close(tcp);
      }
    }
    EXPECT_GE(tcp_, 0);
    thread_ = std::thread([this] { run(); });
  }
  ~DnsTestServer() {
    stop_ = true;
    thread_.join();
    ::close(udp_);
    if (tcp_ >= 0) ::close(tcp_);
  }
  DnsTestServer(const DnsTestServer&) = delete;
  DnsTestServer& operator=(const DnsTestServer&) = delete;

  const net::SocketAddress& address() const { return address_; }

  void add(net::DnsRecord record) {
    std::lock_guard lock(mutex_);
    const auto key = std::make_pair(record.name, static_cast<std::uint16_t>(record.type));
    records_[key].push_back(std::move(record));
  }
  void nxdomain(std::string name) {
    std::lock_guard lock(mutex_);
    nxdomain_.insert(std::move(name));
  }
  void clear() {
    std::lock_guard lock(mutex_);
    records_.clear();
    nxdomain_.clear();
  }
  void set_silent(bool silent) { silent_ = silent; }
  void set_truncate_udp(bool truncate) { truncate_udp_ = truncate; }
  int queries() const { return queries_; }

 private:
  std::vector<std::uint8_t> answer(const std::uint8_t* bytes, std::size_t size, bool truncated) {
    auto query = net::parse_dns_message(std::span(bytes, size));
    if (!query) return {};
    ++queries_;
    std::lock_guard lock(mutex_);
    const auto type = static_cast<net::DnsType>(query->question_type);
    const bool missing = nxdomain_.contains(query->question_name);
    net::DnsMessageWriter writer(query->id, query->question_name, type,
                                 missing ? net::DnsRcode::kNxDomain : net::DnsRcode::kNoError,
                                 truncated);
    const auto found = records_.find({query->question_name, query->question_type});
    if (!truncated && found != records_.end()) {
      for (const net::DnsRecord& record : found->second) writer.add_answer(record);
    }
    return writer.bytes();
  }

  void serve_tcp(int client) {
    std::vector<std::uint8_t> received;
    std::array<std::uint8_t, 4096> chunk{};
    pollfd entry{client, POLLIN, 0};
    for (int reads = 0; reads < 100 && ::poll(&entry, 1, 1000) > 0; ++reads) {
      const ssize_t got = ::recv(client, chunk.data(), chunk.size(), 0);
      if (got <= 0) break;
      received.insert(received.end(), chunk.begin(), chunk.begin() + got);
      if (received.size() >= 2 && received.size() >= 2u + ((received[0] << 8) | received[1])) {
        auto reply = answer(received.data() + 2, received.size() - 2, false);
        std::vector<std::uint8_t> framed{static_cast<std::uint8_t>(reply.size() >> 8),
                                         static_cast<std::uint8_t>(reply.size() & 0xFF)};
        framed.insert(framed.end(), reply.begin(), reply.end());
        ::send(client, framed.data(), framed.size(), MSG_NOSIGNAL);
        break;
      }
    }
    ::close(client);
  }

  void run() {
    std::array<std::uint8_t, 4096> buffer{};
    while (!stop_) {
      std::array<pollfd, 2> entries{pollfd{udp_, POLLIN, 0}, pollfd{tcp_, POLLIN, 0}};
      if (::poll(entries.data(), entries.size(), 20) <= 0) continue;
      if ((entries[1].revents & POLLIN) != 0) {
        const int client = ::accept4(tcp_, nullptr, nullptr, SOCK_CLOEXEC);
        if (client >= 0) serve_tcp(client);
      }
      if ((entries[0].revents & POLLIN) == 0) continue;
      sockaddr_storage from{};
      socklen_t from_length = sizeof from;
      const ssize_t got = ::recvfrom(udp_, buffer.data(), buffer.size(), 0,
                                     reinterpret_cast<sockaddr*>(&from), &from_length);  // NOLINT
      if (got <= 0 || silent_) continue;
      auto reply = answer(buffer.data(), static_cast<std::size_t>(got), truncate_udp_);
      if (!reply.empty()) {
        ::sendto(udp_, reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&from),  // NOLINT
                 from_length);
      }
    }
  }

  int udp_ = -1;
  int tcp_ = -1;
  net::SocketAddress address_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> silent_{false};
  std::atomic<bool> truncate_udp_{false};
  std::atomic<int> queries_{0};
  std::mutex mutex_;
  std::map<std::pair<std::string, std::uint16_t>, std::vector<net::DnsRecord>> records_;
  std::set<std::string> nxdomain_;
};

// Record builders for the tests.
inline net::DnsRecord dns_a(std::string name, std::string address, std::uint32_t ttl = 60) {
  net::DnsRecord record;
  record.name = std::move(name);
  record.type = address.find(':') != std::string::npos ? net::DnsType::kAaaa : net::DnsType::kA;
  record.ttl = ttl;
  record.address = std::move(address);
  return record;
}

inline net::DnsRecord dns_srv(std::string name, std::uint16_t priority, std::uint16_t weight,
                              std::uint16_t port, std::string target, std::uint32_t ttl = 60) {
  net::DnsRecord record;
  record.name = std::move(name);
  record.type = net::DnsType::kSrv;
  record.ttl = ttl;
  record.srv = {priority, weight, port, std::move(target)};
  return record;
}

inline net::DnsRecord dns_naptr(std::string name, std::uint16_t order, std::uint16_t preference,
                                std::string service, std::string replacement,
                                std::uint32_t ttl = 60) {
  net::DnsRecord record;
  record.name = std::move(name);
  record.type = net::DnsType::kNaptr;
  record.ttl = ttl;
  record.naptr = {order, preference, "s", std::move(service), "", std::move(replacement)};
  return record;
}

}  // namespace parley::test
