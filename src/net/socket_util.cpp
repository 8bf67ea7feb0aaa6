#include "net/socket_util.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace parley::net {

namespace {
// strerror_r is the XSI one (returns int, fills the buffer) or the GNU one (returns the text).
[[maybe_unused]] const char* strerror_text(int /*result*/, const char* buffer) {
  return buffer;
}
[[maybe_unused]] const char* strerror_text(const char* text, const char* /*buffer*/) {
  return text;
}
}  // namespace

std::string errno_text(int error) {
  char buffer[128] = {};
  return strerror_text(strerror_r(error, buffer, sizeof buffer), buffer);
}

Result<int> open_bound_socket(const SocketAddress& address, const BindOptions& options) {
  if (address.empty()) return make_error(0, "no address to bind");
  const int family = address.is_v6() ? AF_INET6 : AF_INET;
  const int fd = ::socket(family, options.type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return make_error(errno, "socket(): " + errno_text(errno));

  const int on = 1;
  if (options.type == SOCK_STREAM) ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  if (options.reuse_port && ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) != 0) {
    const int error = errno;
    ::close(fd);
    return make_error(error, "SO_REUSEPORT: " + errno_text(error));
  }
  if (family == AF_INET6) ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
  if (options.buffer_bytes > 0) {
    // Best effort: the kernel caps these at net.core.[rw]mem_max.
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &options.buffer_bytes, sizeof options.buffer_bytes);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &options.buffer_bytes, sizeof options.buffer_bytes);
  }
  if (::bind(fd, address.data(), address.size()) != 0) {
    const int error = errno;
    ::close(fd);
    return make_error(error, "bind " + address.to_string() + ": " + errno_text(error));
  }
  return fd;
}

SocketAddress local_address_of(int fd) {
  sockaddr_storage storage{};
  socklen_t length = sizeof storage;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length) != 0) return {};  // NOLINT
  return SocketAddress::from_sockaddr(reinterpret_cast<const sockaddr*>(&storage),        // NOLINT
                                      length);
}

}  // namespace parley::net
