#include "net/udp_endpoint.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <vector>

#include "net/socket_util.hpp"
#include "net/worker_internal.hpp"

namespace parley::net {
namespace {

// How many recvmmsg batches one readiness wake-up may drain before yielding to other work on
// the loop (timers, TCP); the wait is re-armed and fires again at once if more is queued.
constexpr int kBatchesPerWake = 8;

}  // namespace

// One worker's socket for the endpoint, with its preallocated receive batch.
class UdpWorkerSocket {
 public:
  UdpWorkerSocket(UdpEndpoint::Impl& owner, std::size_t worker, boost::asio::io_context& context,
                  int fd, bool v6, const UdpOptions& options);

  int fd() const { return fd_; }
  void arm();
  void cancel() {
    boost::system::error_code ignored;
    socket_.cancel(ignored);
  }

 private:
  void on_readable(const boost::system::error_code& error);

  UdpEndpoint::Impl& owner_;
  std::size_t worker_;
  int fd_;  // kept apart from socket_ so other threads may sendto() without touching socket_
  boost::asio::ip::udp::socket socket_;
  std::size_t max_datagram_;
  std::vector<char> buffers_;
  std::vector<iovec> iovecs_;
  std::vector<sockaddr_storage> names_;
  std::vector<mmsghdr> headers_;
};

struct UdpEndpoint::Impl {
  Impl(WorkerPool& worker_pool, DatagramListener& datagram_listener)
      : pool(worker_pool), listener(datagram_listener) {}

  WorkerPool& pool;
  DatagramListener& listener;
  SocketAddress local;
  std::vector<std::unique_ptr<UdpWorkerSocket>> sockets;  // one per worker
  std::atomic<bool> stopping{false};
  std::atomic<std::uint64_t> received{0};
  std::atomic<std::uint64_t> send_failures{0};
};

UdpWorkerSocket::UdpWorkerSocket(UdpEndpoint::Impl& owner, std::size_t worker,
                                 boost::asio::io_context& context, int fd, bool v6,
                                 const UdpOptions& options)
    : owner_(owner),
      worker_(worker),
      fd_(fd),
      socket_(context, v6 ? boost::asio::ip::udp::v6() : boost::asio::ip::udp::v4(), fd),
      max_datagram_(options.max_datagram),
      buffers_(options.batch * options.max_datagram),
      iovecs_(options.batch),
      names_(options.batch),
      headers_(options.batch) {
  for (std::size_t i = 0; i < options.batch; ++i) {
    iovecs_[i].iov_base = buffers_.data() + i * max_datagram_;
    iovecs_[i].iov_len = max_datagram_;
    headers_[i].msg_hdr.msg_iov = &iovecs_[i];
    headers_[i].msg_hdr.msg_iovlen = 1;
    headers_[i].msg_hdr.msg_name = &names_[i];
  }
}

void UdpWorkerSocket::arm() {
  socket_.async_wait(boost::asio::socket_base::wait_read,
                     [this](const boost::system::error_code& error) { on_readable(error); });
}

void UdpWorkerSocket::on_readable(const boost::system::error_code& error) {
  if (error || owner_.stopping.load(std::memory_order_relaxed)) return;
  const auto batch = static_cast<unsigned>(headers_.size());
  for (int round = 0; round < kBatchesPerWake; ++round) {
    for (auto& header : headers_) {
      header.msg_hdr.msg_namelen = sizeof(sockaddr_storage);
      header.msg_hdr.msg_flags = 0;
      header.msg_len = 0;
    }
    const int count = ::recvmmsg(fd_, headers_.data(), batch, MSG_DONTWAIT, nullptr);
    if (count < 0) {
      if (errno == EINTR) continue;
      break;  // EAGAIN: drained. Anything else (e.g. a queued ICMP error): wait again.
    }
    owner_.received.fetch_add(static_cast<std::uint64_t>(count), std::memory_order_relaxed);
    for (int i = 0; i < count; ++i) {
      const mmsghdr& header = headers_[static_cast<std::size_t>(i)];
      if ((header.msg_hdr.msg_flags & MSG_TRUNC) != 0) continue;  // cannot be a whole message
      const SocketAddress from = SocketAddress::from_sockaddr(
          static_cast<const sockaddr*>(header.msg_hdr.msg_name), header.msg_hdr.msg_namelen);
      const std::string_view bytes(
          static_cast<const char*>(iovecs_[static_cast<std::size_t>(i)].iov_base), header.msg_len);
      owner_.listener.on_datagram(worker_, bytes, from, owner_.local);
    }
    if (static_cast<unsigned>(count) < batch) break;
  }
  arm();
}

UdpEndpoint::UdpEndpoint(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

UdpEndpoint::~UdpEndpoint() = default;  // asio sockets close their descriptors

Result<std::unique_ptr<UdpEndpoint>> UdpEndpoint::bind(WorkerPool& pool,
                                                       const SocketAddress& address,
                                                       DatagramListener& listener,
                                                       const UdpOptions& options) {
  auto impl = std::make_unique<Impl>(pool, listener);
  SocketAddress bind_to = address;
  for (std::size_t worker = 0; worker < pool.size(); ++worker) {
    auto fd = open_bound_socket(
        bind_to, BindOptions{SOCK_DGRAM, /*reuse_port=*/true, options.socket_buffer_bytes});
    if (!fd) return fd.error();
    if (worker == 0) {
      // With port 0 the first bind picks the port; the other workers join that one.
      bind_to = local_address_of(*fd);
      impl->local = bind_to;
    }
    impl->sockets.push_back(std::make_unique<UdpWorkerSocket>(
        *impl, worker, pool.impl().context(worker), *fd, address.is_v6(), options));
  }
  // The loops are not running yet, so arming from this thread is safe.
  for (auto& socket : impl->sockets) socket->arm();
  return std::unique_ptr<UdpEndpoint>(new UdpEndpoint(std::move(impl)));  // private constructor
}

const SocketAddress& UdpEndpoint::local_address() const {
  return impl_->local;
}

bool UdpEndpoint::send_to(const SocketAddress& to, std::string_view bytes) {
  std::size_t worker = impl_->pool.current_worker();
  if (worker >= impl_->sockets.size()) worker = 0;
  const ssize_t sent = ::sendto(impl_->sockets[worker]->fd(), bytes.data(), bytes.size(),
                                MSG_DONTWAIT | MSG_NOSIGNAL, to.data(), to.size());
  if (sent != static_cast<ssize_t>(bytes.size())) {
    impl_->send_failures.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  return true;
}

void UdpEndpoint::stop() {
  impl_->stopping.store(true, std::memory_order_relaxed);
  for (std::size_t worker = 0; worker < impl_->sockets.size(); ++worker) {
    UdpWorkerSocket* socket = impl_->sockets[worker].get();
    boost::asio::post(impl_->pool.impl().context(worker), [socket] { socket->cancel(); });
  }
}

std::uint64_t UdpEndpoint::received() const {
  return impl_->received.load(std::memory_order_relaxed);
}

std::uint64_t UdpEndpoint::send_failures() const {
  return impl_->send_failures.load(std::memory_order_relaxed);
}

}  // namespace parley::net
