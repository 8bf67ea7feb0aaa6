#pragma once
// A transport address (IPv4 or IPv6 plus port) as a small value type without the weight of
// Boost.Asio's headers, so that layers above net/ can name peers cheaply.

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace parley::net {

class SocketAddress {
 public:
  SocketAddress() = default;
  // Parses "127.0.0.1:5060", "[::1]:5060", or a bare address with `default_port`.
  static std::optional<SocketAddress> parse(std::string_view text, std::uint16_t default_port = 0);
  static SocketAddress from_sockaddr(const sockaddr* address, socklen_t length);

  const sockaddr* data() const { return reinterpret_cast<const sockaddr*>(&storage_); }  // NOLINT
  sockaddr* data() { return reinterpret_cast<sockaddr*>(&storage_); }                    // NOLINT
  socklen_t size() const;
  bool is_v6() const { return storage_.ss_family == AF_INET6; }
  bool empty() const { return storage_.ss_family == AF_UNSPEC; }

  std::string ip() const;            // "127.0.0.1" or "::1" (no brackets)
  std::string host_for_uri() const;  // "127.0.0.1" or "[::1]"
  std::uint16_t port() const;
  // The same address with another port (empty stays empty); no text round trip.
  SocketAddress with_port(std::uint16_t port) const;
  std::string to_string() const;           // "127.0.0.1:5060", "[::1]:5060"; "(none)" when empty
  void append_to(std::string& out) const;  // to_string() appended, without a temporary

  bool operator==(const SocketAddress& other) const;

 private:
  void append_ip(std::string& out, bool brackets) const;

  sockaddr_storage storage_{};
};

}  // namespace parley::net
