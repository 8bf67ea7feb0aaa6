#include "net/address.hpp"

#include <arpa/inet.h>

#include <array>
#include <charconv>
#include <cstring>

namespace parley::net {
namespace {

std::optional<std::uint16_t> parse_port(std::string_view text) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  unsigned value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value > 65535) {
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(value);
}

}  // namespace

std::optional<SocketAddress> SocketAddress::parse(std::string_view text,
                                                  std::uint16_t default_port) {
  std::string_view host;
  std::optional<std::uint16_t> port = default_port;
  bool want_v6 = false;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = text.substr(1, close - 1);
    const std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      port = parse_port(rest.substr(1));
    }
    want_v6 = true;
  } else {
    const auto colon = text.find(':');
    if (colon != std::string_view::npos && text.find(':', colon + 1) != std::string_view::npos) {
      host = text;  // a bare IPv6 address: several colons and no brackets, so no port
      want_v6 = true;
    } else if (colon != std::string_view::npos) {
      host = text.substr(0, colon);
      port = parse_port(text.substr(colon + 1));
    } else {
      host = text;
    }
  }
  if (!port || host.empty() || host.size() >= INET6_ADDRSTRLEN) return std::nullopt;

  // inet_pton needs a NUL-terminated string; the bound above keeps this on the stack.
  char buffer[INET6_ADDRSTRLEN] = {};
  std::memcpy(buffer, host.data(), host.size());

  SocketAddress result;
  if (!want_v6) {
    sockaddr_in v4{};
    v4.sin_family = AF_INET;
    v4.sin_port = htons(*port);
    if (inet_pton(AF_INET, buffer, &v4.sin_addr) != 1) return std::nullopt;
    std::memcpy(&result.storage_, &v4, sizeof v4);
    return result;
  }
  sockaddr_in6 v6{};
  v6.sin6_family = AF_INET6;
  v6.sin6_port = htons(*port);
  if (inet_pton(AF_INET6, buffer, &v6.sin6_addr) != 1) return std::nullopt;
  std::memcpy(&result.storage_, &v6, sizeof v6);
  return result;
}

SocketAddress SocketAddress::from_sockaddr(const sockaddr* address, socklen_t length) {
  SocketAddress result;
  if (address == nullptr) return result;
  if (address->sa_family == AF_INET && length >= static_cast<socklen_t>(sizeof(sockaddr_in))) {
    std::memcpy(&result.storage_, address, sizeof(sockaddr_in));
  } else if (address->sa_family == AF_INET6 &&
             length >= static_cast<socklen_t>(sizeof(sockaddr_in6))) {
    std::memcpy(&result.storage_, address, sizeof(sockaddr_in6));
  }
  return result;
}

socklen_t SocketAddress::size() const {
  switch (storage_.ss_family) {
    case AF_INET:
      return sizeof(sockaddr_in);
    case AF_INET6:
      return sizeof(sockaddr_in6);
    default:
      return 0;
  }
}

void SocketAddress::append_ip(std::string& out, bool brackets) const {
  if (storage_.ss_family == AF_INET) {
    // By hand: glibc's inet_ntop formats IPv4 with sprintf, which showed in the SIP hot path's
    // profiles (every Via stamp and REGISTER asks for the source's text; decision 0044). Into a
    // stack buffer first: one append, not one capacity check per character.
    sockaddr_in v4{};
    std::memcpy(&v4, &storage_, sizeof v4);
    std::array<unsigned char, 4> octets{};
    std::memcpy(octets.data(), &v4.sin_addr, octets.size());
    std::array<char, 16> text{};
    std::size_t length = 0;
    for (std::size_t i = 0; i < octets.size(); ++i) {
      const unsigned value = octets[i];
      if (i != 0) text[length++] = '.';
      if (value >= 100) text[length++] = static_cast<char>('0' + value / 100);
      if (value >= 10) text[length++] = static_cast<char>('0' + value / 10 % 10);
      text[length++] = static_cast<char>('0' + value % 10);
    }
    out.append(text.data(), length);
    return;
  }
  if (storage_.ss_family != AF_INET6) return;
  char buffer[INET6_ADDRSTRLEN] = {};
  sockaddr_in6 v6{};
  std::memcpy(&v6, &storage_, sizeof v6);
  if (inet_ntop(AF_INET6, &v6.sin6_addr, buffer, sizeof buffer) == nullptr) return;
  if (brackets) out += '[';
  out += buffer;
  if (brackets) out += ']';
}

std::string SocketAddress::ip() const {
  std::string out;
  append_ip(out, /*brackets=*/false);
  return out;
}

std::string SocketAddress::host_for_uri() const {
  std::string out;
  append_ip(out, /*brackets=*/true);
  return out;
}

void SocketAddress::append_to(std::string& out) const {
  if (empty()) {
    out += "(none)";
    return;
  }
  append_ip(out, /*brackets=*/true);
  std::array<char, 6> digits{};  // ":" and up to 65535
  digits[0] = ':';
  const auto end = std::to_chars(digits.data() + 1, digits.data() + digits.size(), port()).ptr;
  out.append(digits.data(), end);
}

SocketAddress SocketAddress::with_port(std::uint16_t port) const {
  SocketAddress out = *this;
  if (storage_.ss_family == AF_INET) {
    sockaddr_in v4{};
    std::memcpy(&v4, &storage_, sizeof v4);
    v4.sin_port = htons(port);
    std::memcpy(&out.storage_, &v4, sizeof v4);
  } else if (storage_.ss_family == AF_INET6) {
    sockaddr_in6 v6{};
    std::memcpy(&v6, &storage_, sizeof v6);
    v6.sin6_port = htons(port);
    std::memcpy(&out.storage_, &v6, sizeof v6);
  }
  return out;
}

std::uint16_t SocketAddress::port() const {
  if (storage_.ss_family == AF_INET) {
    sockaddr_in v4{};
    std::memcpy(&v4, &storage_, sizeof v4);
    return ntohs(v4.sin_port);
  }
  if (storage_.ss_family == AF_INET6) {
    sockaddr_in6 v6{};
    std::memcpy(&v6, &storage_, sizeof v6);
    return ntohs(v6.sin6_port);
  }
  return 0;
}

std::string SocketAddress::to_string() const {
  std::string out;
  append_to(out);
  return out;
}

bool SocketAddress::operator==(const SocketAddress& other) const {
  if (storage_.ss_family != other.storage_.ss_family) return false;
  if (storage_.ss_family == AF_INET) {
    sockaddr_in a{};
    sockaddr_in b{};
    std::memcpy(&a, &storage_, sizeof a);
    std::memcpy(&b, &other.storage_, sizeof b);
    return a.sin_port == b.sin_port && a.sin_addr.s_addr == b.sin_addr.s_addr;
  }
  if (storage_.ss_family == AF_INET6) {
    sockaddr_in6 a{};
    sockaddr_in6 b{};
    std::memcpy(&a, &storage_, sizeof a);
    std::memcpy(&b, &other.storage_, sizeof b);
    return a.sin6_port == b.sin6_port && a.sin6_scope_id == b.sin6_scope_id &&
           std::memcmp(&a.sin6_addr, &b.sin6_addr, sizeof a.sin6_addr) == 0;
  }
  return true;  // both empty
}

}  // namespace parley::net
