#pragma once
// Private to net/: thin wrappers over the socket system calls that Boost.Asio does not cover
// (SO_REUSEPORT, buffer size wishes) and turn errno into Result.

#include <cstdint>
#include <string>

#include "base/result.hpp"
#include "net/address.hpp"

namespace parley::net {

struct BindOptions {
  int type = 0;             // SOCK_DGRAM or SOCK_STREAM
  bool reuse_port = false;  // several sockets on one address (one per worker)
  int buffer_bytes = 0;     // SO_RCVBUF/SO_SNDBUF wish when > 0; failure is ignored
};

// A socket bound to `address`, non-blocking and close-on-exec. IPv6 sockets are v6-only so
// "[::]:5060" and "0.0.0.0:5060" can both be listened on. The caller owns the descriptor.
Result<int> open_bound_socket(const SocketAddress& address, const BindOptions& options);

// getsockname(), e.g. to learn the port the OS picked for port 0.
SocketAddress local_address_of(int fd);

// "Address already in use" style text for errno.
std::string errno_text(int error);

}  // namespace parley::net
