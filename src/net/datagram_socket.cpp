#include "net/datagram_socket.hpp"

#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <optional>
#include <vector>

#include "base/check.hpp"
#include "net/send_batch.hpp"
#include "net/socket_util.hpp"
#include "net/worker_internal.hpp"

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"  // see net/asio.hpp
#endif
#include <boost/asio/posix/stream_descriptor.hpp>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

namespace parley::net {
namespace {

// recvmmsg batches one socket may drain per wake-up before the loop moves on; a socket that
// still has datagrams queued is served again on the next round without waiting for readiness.
constexpr int kBatchesPerWake = 4;
// Readiness events taken from the loop's epoll set per round.
constexpr int kEventsPerRound = 64;

// Not value-initialised: pages of slots that no datagram ever fills are never touched.
std::unique_ptr<std::uint8_t[]> uninitialised_bytes(
    std::size_t count) {                                         // NOLINT(*-avoid-c-arrays)
  return std::make_unique_for_overwrite<std::uint8_t[]>(count);  // NOLINT(*-avoid-c-arrays)
}

}  // namespace

// Why not one Asio registration per socket: Asio registers a descriptor edge-triggered, and a
// readiness wait (async_wait) is an operation Asio cannot attempt itself, so every time one is
// queued on an idle descriptor Asio re-arms the edge with epoll_ctl(EPOLL_CTL_MOD) — one extra
// system call per wake-up, i.e. per relayed packet at RTP rates (boost/asio/detail/impl/
// epoll_reactor.ipp, start_op). Instead every datagram socket of an io_context sits in one
// edge-triggered epoll set registered once (EPOLL_CTL_ADD at open, DEL at close), and only that
// set's descriptor is watched by Asio: one re-arm per loop wake-up, however many sockets it
// serves, and none while sockets still have work queued.
//
// An io_context service, so the set lives exactly as long as its loop and needs no global
// state. Touched only on the loop's thread (or while the loop does not run), like the sockets.
namespace {
class DatagramReactor final : public boost::asio::execution_context::service {
 public:
  // NOLINTNEXTLINE(*-avoid-non-const-global-variables): Asio's service identity, never written
  static inline boost::asio::execution_context::id id;

  explicit DatagramReactor(boost::asio::io_context& context)
      : boost::asio::execution_context::service(context), io_(context) {
    backlog_.reserve(kEventsPerRound);
    serving_.reserve(kEventsPerRound);
  }

  // Registers `fd` for edge-triggered readability; returns the handle to pass to remove().
  Result<std::uint64_t> add(int fd, std::weak_ptr<DatagramSocket::Impl> socket);
  // Forgets a socket that is about to be closed.
  void remove(std::uint64_t handle);

 private:
  struct Entry {
    std::weak_ptr<DatagramSocket::Impl> socket;
    std::uint32_t generation = 0;  // bumped on remove: stale events of a reused slot miss
    std::uint32_t next_free = kNoEntry;
  };
  static constexpr std::uint32_t kNoEntry = 0xFFFFFFFFU;

  void shutdown() override {
    descriptor_.reset();
    shut_down_ = true;
    entries_.clear();
    free_head_ = kNoEntry;
  }
  void arm();
  void round();
  void serve(std::uint64_t handle);

  boost::asio::io_context& io_;
  int epoll_fd_ = -1;
  std::optional<boost::asio::posix::stream_descriptor> descriptor_;
  std::vector<Entry> entries_;
  // Free entries form a list through Entry::next_free, so remove() never allocates (it runs in
  // destructors).
  std::uint32_t free_head_ = kNoEntry;
  std::size_t registered_ = 0;
  bool scheduled_ = false;  // a wait or a posted round is outstanding
  bool in_round_ = false;
  bool shut_down_ = false;  // the io_context is going away: no new set               // round()
                            // decides at its end what comes next
  std::vector<std::uint64_t> backlog_;  // sockets left undrained by the last round
  std::vector<std::uint64_t> serving_;
  std::array<epoll_event, kEventsPerRound> events_{};
};
}  // namespace

struct DatagramSocket::Impl {
  Impl(DatagramReactor& owner_reactor, int descriptor, Listener& socket_listener,
       const DatagramSocketOptions& options)
      : reactor(&owner_reactor),
        fd(descriptor),
        listener(&socket_listener),
        batch_size(options.batch),
        max_datagram(options.max_datagram),
        receive_bytes(uninitialised_bytes(options.batch * options.max_datagram)),
        receive_iovecs(options.batch),
        receive_names(options.batch),
        receive_headers(options.batch),
        batch(options.batch),
        sends(options.batch, options.max_datagram) {
    for (std::size_t i = 0; i < batch_size; ++i) {
      receive_iovecs[i].iov_base = slot(receive_bytes, i);
      receive_iovecs[i].iov_len = max_datagram;
      receive_headers[i].msg_hdr.msg_iov = &receive_iovecs[i];
      receive_headers[i].msg_hdr.msg_iovlen = 1;
      receive_headers[i].msg_hdr.msg_name = &receive_names[i];
    }
  }
  ~Impl() { close(); }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  std::uint8_t* slot(const std::unique_ptr<std::uint8_t[]>& bytes,  // NOLINT(*-avoid-c-arrays)
                     std::size_t index) const {
    return bytes.get() + index * max_datagram;
  }

  void close() {
    if (closed) return;
    closed = true;
    if (registered) reactor->remove(key);
    ::close(fd);
  }

  // Drains up to kBatchesPerWake batches; true when the queue may still hold datagrams (the
  // edge-triggered set will not report them again until the next one arrives).
  bool on_readable();
  std::size_t flush();

  DatagramReactor* reactor;
  int fd;
  std::uint64_t key = 0;
  bool registered = false;
  Listener* listener;
  DatagramSocket* owner = nullptr;
  SocketAddress local;
  bool closed = false;
  std::size_t batch_size;
  std::size_t max_datagram;

  // sockaddr_in6 holds either family's address, at a fifth of sockaddr_storage's size.
  std::unique_ptr<std::uint8_t[]> receive_bytes;  // NOLINT(*-avoid-c-arrays)
  std::vector<iovec> receive_iovecs;
  std::vector<sockaddr_in6> receive_names;
  std::vector<mmsghdr> receive_headers;
  std::vector<ReceivedDatagram> batch;

  SendBatch sends;

  std::uint64_t received = 0;
  std::uint64_t truncated = 0;
  // Bumped by reassign(): a batch being delivered when the socket changes hands stops there.
  std::uint32_t generation = 0;
};

Result<std::uint64_t> DatagramReactor::add(int fd, std::weak_ptr<DatagramSocket::Impl> socket) {
  if (shut_down_) return Error{EBADF, "the worker's loop is shut down"};
  if (!descriptor_) {
    // Created with the first socket (again after a failure, e.g. out of descriptors).
    const int set = ::epoll_create1(EPOLL_CLOEXEC);
    if (set < 0) {
      const int error = errno;
      return Error{error, "epoll_create1: " + errno_text(error)};
    }
    epoll_fd_ = set;
    descriptor_.emplace(io_, set);  // owns and closes it
  }
  std::uint32_t index = 0;
  if (free_head_ == kNoEntry) {
    index = static_cast<std::uint32_t>(entries_.size());
    entries_.emplace_back();
  } else {
    index = free_head_;
    free_head_ = entries_[index].next_free;
  }
  Entry& entry = entries_[index];
  const std::uint64_t handle = (std::uint64_t{entry.generation} << 32U) | index;
  epoll_event event{};
  event.events = EPOLLIN | EPOLLET;
  event.data.u64 = handle;
  // A socket that is readable already is reported at once: ADD evaluates the current state.
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) != 0) {
    const int error = errno;
    entry.next_free = free_head_;
    free_head_ = index;
    return Error{error, "epoll_ctl: " + errno_text(error)};
  }
  entry.socket = std::move(socket);
  ++registered_;
  if (!scheduled_ && !in_round_) arm();
  return handle;
}

void DatagramReactor::remove(std::uint64_t handle) {
  const auto index = static_cast<std::uint32_t>(handle & 0xFFFFFFFFU);
  if (index >= entries_.size()) return;  // after shutdown()
  // No EPOLL_CTL_DEL: closing the descriptor, which the caller does next, takes it out of the
  // set (it is never duplicated; CLOEXEC keeps it out of children), and an event of it still in
  // this round's batch carries the old generation and is ignored. Four system calls fewer per
  // relayed call.
  Entry& entry = entries_[index];
  entry.socket.reset();
  ++entry.generation;
  entry.next_free = free_head_;
  free_head_ = index;
  --registered_;
  // Like a socket's own wait, the set's wait keeps the loop busy only while sockets are open.
  if (registered_ == 0 && scheduled_ && !in_round_ && descriptor_) {
    boost::system::error_code ignored;
    descriptor_->cancel(ignored);
  }
}

void DatagramReactor::arm() {
  if (!descriptor_) return;
  scheduled_ = true;
  descriptor_->async_wait(boost::asio::posix::descriptor_base::wait_read,
                          [this](const boost::system::error_code& error) {
                            if (!error) {
                              round();
                              return;
                            }
                            scheduled_ = false;
                            // Cancelled when the last socket closed; one may have opened since.
                            if (error == boost::asio::error::operation_aborted && registered_ > 0)
                              arm();
                          });
}

void DatagramReactor::round() {
  scheduled_ = false;
  in_round_ = true;
  serving_.swap(backlog_);
  for (const std::uint64_t handle : serving_) serve(handle);
  serving_.clear();
  const int count = ::epoll_wait(epoll_fd_, events_.data(), kEventsPerRound, 0);
  for (int i = 0; i < count; ++i) serve(events_[static_cast<std::size_t>(i)].data.u64);
  in_round_ = false;
  if (registered_ == 0) {
    backlog_.clear();
    return;
  }
  if (!backlog_.empty() || count == kEventsPerRound) {
    // Work is known to be waiting: come back after the loop's other handlers, without a wait.
    scheduled_ = true;
    boost::asio::post(io_, [this] { round(); });
  } else {
    arm();
  }
}

void DatagramReactor::serve(std::uint64_t handle) {
  const auto index = static_cast<std::uint32_t>(handle & 0xFFFFFFFFU);
  if (index >= entries_.size() || entries_[index].generation != (handle >> 32U)) return;
  // Locked for the whole wake-up, so a listener that destroys the socket does not pull the
  // buffers from under this frame.
  const auto impl = entries_[index].socket.lock();
  if (!impl || impl->closed) return;
  if (impl->on_readable() && !impl->closed) backlog_.push_back(handle);
}

bool DatagramSocket::Impl::on_readable() {
  const auto capacity = static_cast<unsigned>(batch_size);
  int errors = 0;
  for (int round = 0; round < kBatchesPerWake; ++round) {
    for (auto& header : receive_headers) {
      header.msg_hdr.msg_namelen = sizeof(sockaddr_in6);
      header.msg_hdr.msg_flags = 0;
      header.msg_len = 0;
    }
    const int count = ::recvmmsg(fd, receive_headers.data(), capacity, MSG_DONTWAIT, nullptr);
    if (count < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return false;  // drained
      // EINTR, or a pending socket error reported (and cleared) in place of the datagrams
      // behind it: those would raise no new edge, so look once more.
      if (errno == EINTR || ++errors == 1) continue;
      return false;
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
      const std::uint32_t delivering = generation;
      // The DatagramSocket facade is what the listener knows; it is the owner of this Impl and
      // lives as long as the Impl is not closed.
      listener->on_datagrams(*owner, std::span<ReceivedDatagram>(batch.data(), ready));
      if (closed) return false;
      // Handed to a new owner from inside the callback: what the old one queued is gone, and
      // the new one is served on the next readiness or round.
      if (delivering != generation) return true;
    }
    flush();
    // A short batch means the queue ran empty (MSG_DONTWAIT); a datagram arriving after that
    // raises a new edge.
    if (static_cast<unsigned>(count) < capacity) return false;
  }
  return true;
}

std::size_t DatagramSocket::Impl::flush() {
  return sends.flush(fd);
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
  auto& reactor = boost::asio::use_service<DatagramReactor>(pool.impl().context(worker));
  auto impl = std::make_shared<Impl>(reactor, *fd, listener, options);
  // Bound to a given port, the socket's address is the one asked for: no getsockname (one
  // system call per relay socket, four per relayed call).
  impl->local = address.port() != 0 ? address : local_address_of(*fd);
  auto key = reactor.add(*fd, impl);
  if (!key) return key.error();  // ~Impl closes the descriptor
  impl->key = *key;
  impl->registered = true;
  std::unique_ptr<DatagramSocket> socket(new DatagramSocket(impl));  // private constructor
  impl->owner = socket.get();
  return socket;
}

void DatagramSocket::reassign(Listener& listener) {
  impl_->listener = &listener;
  impl_->sends.reset();
  impl_->received = 0;
  impl_->truncated = 0;
  ++impl_->generation;
}

const SocketAddress& DatagramSocket::local_address() const {
  return impl_->local;
}

std::span<std::uint8_t> DatagramSocket::send_buffer() {
  return impl_->sends.slot(impl_->fd);
}

void DatagramSocket::commit_send(const SocketAddress& to, std::size_t size) {
  impl_->sends.commit(to, size);
}

bool DatagramSocket::queue_send(const SocketAddress& to, std::span<const std::uint8_t> bytes) {
  return impl_->sends.queue(impl_->fd, to, bytes);
}

std::size_t DatagramSocket::flush() {
  return impl_->flush();
}

std::size_t DatagramSocket::queued() const {
  return impl_->sends.queued();
}

std::uint64_t DatagramSocket::received() const {
  return impl_->received;
}

std::uint64_t DatagramSocket::truncated() const {
  return impl_->truncated;
}

std::uint64_t DatagramSocket::sent() const {
  return impl_->sends.sent();
}

std::uint64_t DatagramSocket::send_failures() const {
  return impl_->sends.refused();
}

}  // namespace parley::net
