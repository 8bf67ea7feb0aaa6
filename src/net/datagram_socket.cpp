#include "net/datagram_socket.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "base/check.hpp"
#include "net/socket_util.hpp"
#include "net/worker_internal.hpp"

namespace parley::net {
namespace {

// recvmmsg batches one readiness wake-up may drain before yielding to the rest of the loop; the
// wait is re-armed and fires again at once if more is queued.
constexpr int kBatchesPerWake = 4;

// Not value-initialised: pages of slots that no datagram ever fills are never touched.
std::unique_ptr<std::uint8_t[]> uninitialised_bytes(
    std::size_t count) {                                         // NOLINT(*-avoid-c-arrays)
  return std::make_unique_for_overwrite<std::uint8_t[]>(count);  // NOLINT(*-avoid-c-arrays)
}

}  // namespace

struct DatagramSocket::Impl {
  Impl(boost::asio::io_context& context, int descriptor, bool v6, Listener& owner,
       const DatagramSocketOptions& options)
      : socket(context, v6 ? boost::asio::ip::udp::v6() : boost::asio::ip::udp::v4(), descriptor),
        fd(descriptor),
        listener(&owner),
        batch_size(options.batch),
        max_datagram(options.max_datagram),
        receive_bytes(uninitialised_bytes(options.batch * options.max_datagram)),
        receive_iovecs(options.batch),
        receive_names(options.batch),
        receive_headers(options.batch),
        batch(options.batch),
        send_bytes(uninitialised_bytes(options.batch * options.max_datagram)),
        send_iovecs(options.batch),
        send_names(options.batch),
        send_headers(options.batch) {
    for (std::size_t i = 0; i < batch_size; ++i) {
      receive_iovecs[i].iov_base = slot(receive_bytes, i);
      receive_iovecs[i].iov_len = max_datagram;
      receive_headers[i].msg_hdr.msg_iov = &receive_iovecs[i];
      receive_headers[i].msg_hdr.msg_iovlen = 1;
      receive_headers[i].msg_hdr.msg_name = &receive_names[i];
      send_iovecs[i].iov_base = slot(send_bytes, i);
      send_headers[i].msg_hdr.msg_iov = &send_iovecs[i];
      send_headers[i].msg_hdr.msg_iovlen = 1;
      send_headers[i].msg_hdr.msg_name = &send_names[i];
    }
  }

  std::uint8_t* slot(const std::unique_ptr<std::uint8_t[]>& bytes,  // NOLINT(*-avoid-c-arrays)
                     std::size_t index) const {
    return bytes.get() + index * max_datagram;
  }

  void close() {
    closed = true;
    boost::system::error_code ignored;
    socket.close(ignored);
  }

  static void arm(const std::shared_ptr<Impl>& self) {
    self->socket.async_wait(
        boost::asio::socket_base::wait_read,
        [weak = std::weak_ptr<Impl>(self)](const boost::system::error_code& error) {
          // Locked for the whole wake-up, so a listener that destroys the socket does not pull
          // the buffers from under this frame.
          const auto impl = weak.lock();
          if (error || !impl || impl->closed) return;
          impl->on_readable();
          if (!impl->closed) arm(impl);
        });
  }

  void on_readable();
  std::size_t flush();

  boost::asio::ip::udp::socket socket;
  int fd;
  Listener* listener;
  DatagramSocket* owner = nullptr;
  SocketAddress local;
  bool closed = false;
  std::size_t batch_size;
  std::size_t max_datagram;

  std::unique_ptr<std::uint8_t[]> receive_bytes;  // NOLINT(*-avoid-c-arrays)
  std::vector<iovec> receive_iovecs;
  std::vector<sockaddr_storage> receive_names;
  std::vector<mmsghdr> receive_headers;
  std::vector<ReceivedDatagram> batch;

  std::unique_ptr<std::uint8_t[]> send_bytes;  // NOLINT(*-avoid-c-arrays)
  std::vector<iovec> send_iovecs;
  std::vector<sockaddr_storage> send_names;
  std::vector<mmsghdr> send_headers;
  std::size_t queued = 0;

  std::uint64_t received = 0;
  std::uint64_t truncated = 0;
  std::uint64_t sent = 0;
  std::uint64_t send_failures = 0;
};

void DatagramSocket::Impl::on_readable() {
  const auto capacity = static_cast<unsigned>(batch_size);
  for (int round = 0; round < kBatchesPerWake; ++round) {
    for (auto& header : receive_headers) {
      header.msg_hdr.msg_namelen = sizeof(sockaddr_storage);
      header.msg_hdr.msg_flags = 0;
      header.msg_len = 0;
    }
    const int count = ::recvmmsg(fd, receive_headers.data(), capacity, MSG_DONTWAIT, nullptr);
    if (count < 0) {
      if (errno == EINTR) continue;
      return;  // EAGAIN: drained. Anything else (a queued ICMP error): wait again.
    }
    std::size_t ready = 0;
    for (std::size_t i = 0; i < static_cast<std::size_t>(count); ++i) {
      const mmsghdr& header = receive_headers[i];
      if ((header.msg_hdr.msg_flags & MSG_TRUNC) != 0) {
        ++truncated;
        continue;
      }
      batch[ready].bytes = std::span<std::uint8_t>(slot(receive_bytes, i), header.msg_len);
      batch[ready].from = SocketAddress::from_sockaddr(
          static_cast<const sockaddr*>(header.msg_hdr.msg_name), header.msg_hdr.msg_namelen);
      ++ready;
    }
    if (ready > 0) {
      received += ready;
      // The DatagramSocket facade is what the listener knows; it is the owner of this Impl and
      // lives as long as the Impl is not closed.
      listener->on_datagrams(*owner, std::span<ReceivedDatagram>(batch.data(), ready));
      if (closed) return;
    }
    flush();
    if (static_cast<unsigned>(count) < capacity) return;
  }
}

std::size_t DatagramSocket::Impl::flush() {
  std::size_t failures = 0;
  std::size_t at = 0;
  while (at < queued) {
    const auto remaining = static_cast<unsigned>(queued - at);
    const int count =
        ::sendmmsg(fd, send_headers.data() + at, remaining, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (count > 0) {
      sent += static_cast<std::uint64_t>(count);
      at += static_cast<std::size_t>(count);
      continue;
    }
    if (count < 0 && errno == EINTR) continue;
    if (count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)) {
      // The send buffer is full: the rest of the batch would fail the same way.
      failures += remaining;
      break;
    }
    // This datagram was refused (e.g. ICMP port unreachable reported late); skip it.
    ++failures;
    ++at;
  }
  send_failures += failures;
  queued = 0;
  return failures;
}

DatagramSocket::DatagramSocket(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

DatagramSocket::~DatagramSocket() {
  impl_->close();
}

Result<std::unique_ptr<DatagramSocket>> DatagramSocket::open(WorkerPool& pool, std::size_t worker,
                                                             const SocketAddress& address,
                                                             Listener& listener,
                                                             const DatagramSocketOptions& options) {
  PARLEY_CHECK(worker < pool.size());
  PARLEY_CHECK(options.batch > 0 && options.max_datagram > 0);
  auto fd = open_bound_socket(
      address, BindOptions{SOCK_DGRAM, /*reuse_port=*/false, options.socket_buffer_bytes});
  if (!fd) return fd.error();
  auto impl =
      std::make_shared<Impl>(pool.impl().context(worker), *fd, address.is_v6(), listener, options);
  impl->local = local_address_of(*fd);
  std::unique_ptr<DatagramSocket> socket(new DatagramSocket(impl));  // private constructor
  impl->owner = socket.get();
  Impl::arm(impl);
  return socket;
}

const SocketAddress& DatagramSocket::local_address() const {
  return impl_->local;
}

std::span<std::uint8_t> DatagramSocket::send_buffer() {
  Impl& impl = *impl_;
  if (impl.queued == impl.batch_size) impl.flush();
  return {impl.slot(impl.send_bytes, impl.queued), impl.max_datagram};
}

void DatagramSocket::commit_send(const SocketAddress& to, std::size_t size) {
  Impl& impl = *impl_;
  PARLEY_ASSERT(impl.queued < impl.batch_size && size <= impl.max_datagram);
  const std::size_t index = impl.queued;
  std::memcpy(&impl.send_names[index], to.data(), to.size());
  impl.send_iovecs[index].iov_len = size;
  msghdr& header = impl.send_headers[index].msg_hdr;
  header.msg_namelen = to.size();
  header.msg_control = nullptr;
  header.msg_controllen = 0;
  header.msg_flags = 0;
  ++impl.queued;
}

bool DatagramSocket::queue_send(const SocketAddress& to, std::span<const std::uint8_t> bytes) {
  if (bytes.size() > impl_->max_datagram || to.empty()) return false;
  const std::span<std::uint8_t> slot = send_buffer();
  if (!bytes.empty()) std::memcpy(slot.data(), bytes.data(), bytes.size());
  commit_send(to, bytes.size());
  return true;
}

std::size_t DatagramSocket::flush() {
  return impl_->flush();
}

std::size_t DatagramSocket::queued() const {
  return impl_->queued;
}

std::uint64_t DatagramSocket::received() const {
  return impl_->received;
}

std::uint64_t DatagramSocket::truncated() const {
  return impl_->truncated;
}

std::uint64_t DatagramSocket::sent() const {
  return impl_->sent;
}

std::uint64_t DatagramSocket::send_failures() const {
  return impl_->send_failures;
}

}  // namespace parley::net
