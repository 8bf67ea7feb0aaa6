#include "net/udp_endpoint.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <vector>

#include "net/send_batch.hpp"
#include "net/socket_util.hpp"
#include "net/worker_internal.hpp"

namespace parley::net {

class UdpWorkerSocket;

namespace {

// Replies up to this size wait in the socket's send batch while the worker handles a received
// batch (a SIP response is rarely above 2 KB); a larger one is sent at once, after the queue.
constexpr std::size_t kReplySlotBytes = 4096;

using Reactor = boost::asio::detail::reactor;
using boost::asio::detail::reactor_op;

// Why not `socket.async_wait(wait_read)` as before (decision 0053): Asio never attempts a
// readiness wait itself, so queuing one on an idle socket re-arms it with
// epoll_ctl(EPOLL_CTL_MOD), one system call per wake-up (epoll_reactor.ipp, start_op) — a
// quarter of the calls an OPTIONS costs. A receive operation whose own attempt is our recvmmsg
// avoids it: Asio queues such a "speculative" operation without touching epoll, and once an
// attempt reports the socket drained (fewer datagrams than the batch: done_and_exhausted) the
// next one is queued without even being tried first. A wake-up is then epoll_wait + recvmmsg.
// The socket stays registered edge-triggered for reading, as Asio always registers it, so a
// datagram that arrives after the drain wakes the loop again. A full batch is handed over as
// one completion and the next attempt made when it is re-queued, so a flood takes turns with
// the loop's other work (timers, TCP) one batch at a time.
//
// The operation is Asio's internal reactor_op (Boost 1.74, Debian 12's; the reactor is the
// epoll_reactor). It belongs to its socket; if the socket goes while the operation still
// waits in the scheduler's queue (an aborted completion not yet run), the operation owns
// itself and is freed when the scheduler completes or destroys it.
class ArmedReceive final : public reactor_op {
 public:
  explicit ArmedReceive(UdpWorkerSocket& socket)
      : reactor_op(boost::system::error_code(), &ArmedReceive::attempt, &ArmedReceive::finish),
        socket_(&socket) {}

  void orphan() { socket_ = nullptr; }

 private:
  static status attempt(reactor_op* base);
  static void finish(void* owner, scheduler_operation* base,
                     const boost::system::error_code& /*unused*/, std::size_t /*unused*/);

  UdpWorkerSocket* socket_;  // null once the socket is gone
  int received_ = 0;         // datagrams the last attempt put into the socket's batch
};

}  // namespace

// One worker's socket for the endpoint, with its preallocated receive batch.
class UdpWorkerSocket {
 public:
  // Owns `fd` from here on.
  UdpWorkerSocket(UdpEndpoint::Impl& owner, std::size_t worker, boost::asio::io_context& context,
                  int fd, const UdpOptions& options);
  ~UdpWorkerSocket();
  UdpWorkerSocket(const UdpWorkerSocket&) = delete;
  UdpWorkerSocket& operator=(const UdpWorkerSocket&) = delete;

  // Adds the socket to the loop's epoll set; once, before arm().
  Result<void> register_with_loop();
  int fd() const { return fd_; }
  // Queues the receive; `continuation` when called from its own completion on the loop.
  void arm(bool continuation);
  // On the loop's thread: the queued receive completes as aborted and is not queued again.
  void cancel() { reactor_.cancel_ops(fd_, descriptor_); }

  // ArmedReceive's halves: one non-blocking recvmmsg into the batch (inside the reactor, so it
  // never calls out; -1 when nothing was queued), and the hand-over of what it received (a
  // completion on the loop).
  int receive_batch();
  std::size_t batch() const { return headers_.size(); }
  void deliver(int count, const boost::system::error_code& error);

  // On the socket's worker thread: queues a datagram sent while a received batch is handed over,
  // to leave with the batch's other replies in one sendmmsg. False when it was not queued (no
  // batch being handed over, or too large for a slot: the queue has then been sent, so the
  // caller's own send keeps the order).
  bool queue_reply(const SocketAddress& to, std::string_view bytes);
  // Adds the replies the kernel refused since the last call to the endpoint's send_failures.
  void count_refused_replies();

 private:
  UdpEndpoint::Impl& owner_;
  std::size_t worker_;
  int fd_;  // also used by other threads' sendto()
  Reactor& reactor_;
  Reactor::per_descriptor_data descriptor_ = nullptr;
  std::unique_ptr<ArmedReceive> receive_;
  bool receive_queued_ = false;  // queued in the reactor or waiting in the scheduler
  std::size_t max_datagram_;
  std::vector<char> buffers_;
  std::vector<iovec> iovecs_;
  std::vector<sockaddr_storage> names_;
  std::vector<mmsghdr> headers_;
  // Why batch replies: a stateless answer (OPTIONS, REGISTER, a 100 Trying) is one sendto per
  // request otherwise; SIPp and busy phones send in bursts, so a wake-up often holds several.
  bool handing_over_ = false;
  SendBatch replies_;
  std::uint64_t refusals_counted_ = 0;  // of replies_.refused(), already in owner_.send_failures
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

namespace {

ArmedReceive::status ArmedReceive::attempt(reactor_op* base) {
  auto* self = static_cast<ArmedReceive*>(base);
  if (self->socket_ == nullptr) return done;
  const int count = self->socket_->receive_batch();
  if (count < 0) return not_done;  // drained: stay queued until the next edge
  self->received_ = count;
  return static_cast<std::size_t>(count) == self->socket_->batch() ? done : done_and_exhausted;
}

void ArmedReceive::finish(void* owner, scheduler_operation* base,
                          const boost::system::error_code& /*unused*/, std::size_t /*unused*/) {
  auto* self = static_cast<ArmedReceive*>(base);
  if (self->socket_ == nullptr) {
    const std::unique_ptr<ArmedReceive> orphan(self);  // its socket is gone: free it
    return;
  }
  // owner is null when the scheduler destroys the operation unrun (its io_context going).
  if (owner != nullptr) self->socket_->deliver(self->received_, self->ec_);
}

}  // namespace

UdpWorkerSocket::UdpWorkerSocket(UdpEndpoint::Impl& owner, std::size_t worker,
                                 boost::asio::io_context& context, int fd,
                                 const UdpOptions& options)
    : owner_(owner),
      worker_(worker),
      fd_(fd),
      reactor_(boost::asio::use_service<Reactor>(context)),
      receive_(std::make_unique<ArmedReceive>(*this)),
      max_datagram_(options.max_datagram),
      buffers_(options.batch * options.max_datagram),
      iovecs_(options.batch),
      names_(options.batch),
      headers_(options.batch),
      replies_(options.batch, kReplySlotBytes) {
  for (std::size_t i = 0; i < options.batch; ++i) {
    iovecs_[i].iov_base = buffers_.data() + i * max_datagram_;
    iovecs_[i].iov_len = max_datagram_;
    headers_[i].msg_hdr.msg_iov = &iovecs_[i];
    headers_[i].msg_hdr.msg_iovlen = 1;
    headers_[i].msg_hdr.msg_name = &names_[i];
  }
}

UdpWorkerSocket::~UdpWorkerSocket() {
  // Runs once the loop no longer does (after WorkerPool::shutdown), like an Asio socket's close.
  // A queued receive is handed to the scheduler as aborted; it then frees itself.
  reactor_.deregister_descriptor(fd_, descriptor_, /*closing=*/true);
  reactor_.cleanup_descriptor_data(descriptor_);
  if (receive_queued_) {
    receive_->orphan();
    (void)
        receive_.release();  // NOLINT(bugprone-unused-return-value): ArmedReceive::finish frees it
  }
  ::close(fd_);
}

Result<void> UdpWorkerSocket::register_with_loop() {
  reactor_.init_task();  // the loop must run the reactor even if nothing else of it does
  const int error = reactor_.register_descriptor(fd_, descriptor_);
  if (error != 0) {
    return make_error(error, "cannot watch a UDP socket: " + errno_text(error));
  }
  return {};
}

void UdpWorkerSocket::arm(bool continuation) {
  receive_->ec_ = boost::system::error_code();
  receive_queued_ = true;
  reactor_.start_op(Reactor::read_op, fd_, descriptor_, receive_.get(), continuation,
                    /*allow_speculative=*/true);
}

int UdpWorkerSocket::receive_batch() {
  for (auto& header : headers_) {
    header.msg_hdr.msg_namelen = sizeof(sockaddr_storage);
    header.msg_hdr.msg_flags = 0;
    header.msg_len = 0;
  }
  while (true) {
    const int count = ::recvmmsg(fd_, headers_.data(), static_cast<unsigned>(headers_.size()),
                                 MSG_DONTWAIT, nullptr);
    if (count >= 0) return count;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return -1;
    // Anything else (a queued ICMP error) is consumed by this call: nothing received, and the
    // next receive waits for the socket's next edge.
    return 0;
  }
}

void UdpWorkerSocket::deliver(int count, const boost::system::error_code& error) {
  receive_queued_ = false;
  if (error || owner_.stopping.load(std::memory_order_relaxed)) return;
  owner_.received.fetch_add(static_cast<std::uint64_t>(count), std::memory_order_relaxed);
  handing_over_ = true;
  for (int i = 0; i < count; ++i) {
    const mmsghdr& header = headers_[static_cast<std::size_t>(i)];
    if ((header.msg_hdr.msg_flags & MSG_TRUNC) != 0) continue;  // cannot be a whole message
    const SocketAddress from = SocketAddress::from_sockaddr(
        static_cast<const sockaddr*>(header.msg_hdr.msg_name), header.msg_hdr.msg_namelen);
    const std::string_view bytes(
        static_cast<const char*>(iovecs_[static_cast<std::size_t>(i)].iov_base), header.msg_len);
    owner_.listener.on_datagram(worker_, bytes, from, owner_.local);
  }
  handing_over_ = false;
  replies_.flush(fd_);
  count_refused_replies();
  arm(/*continuation=*/true);
}

bool UdpWorkerSocket::queue_reply(const SocketAddress& to, std::string_view bytes) {
  if (!handing_over_) return false;
  const auto* data =
      reinterpret_cast<const std::uint8_t*>(bytes.data());  // NOLINT(*-reinterpret-cast)
  const bool queued = replies_.queue(fd_, to, {data, bytes.size()});
  if (!queued) replies_.flush(fd_);  // so the caller's own send comes after the queue
  count_refused_replies();           // a full queue is sent inside queue() too
  return queued;
}

void UdpWorkerSocket::count_refused_replies() {
  const std::uint64_t refused = replies_.refused();
  if (refused == refusals_counted_) return;
  owner_.send_failures.fetch_add(refused - refusals_counted_, std::memory_order_relaxed);
  refusals_counted_ = refused;
}

UdpEndpoint::UdpEndpoint(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

UdpEndpoint::~UdpEndpoint() = default;  // the worker sockets close their descriptors

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
        *impl, worker, pool.impl().context(worker), *fd, options));
    if (auto watched = impl->sockets.back()->register_with_loop(); !watched) {
      return watched.error();
    }
  }
  // The loops are not running yet, so arming from this thread is safe.
  for (auto& socket : impl->sockets) socket->arm(/*continuation=*/false);
  return std::unique_ptr<UdpEndpoint>(new UdpEndpoint(std::move(impl)));  // private constructor
}

const SocketAddress& UdpEndpoint::local_address() const {
  return impl_->local;
}

bool UdpEndpoint::send_to(const SocketAddress& to, std::string_view bytes) {
  std::size_t worker = impl_->pool.current_worker();
  if (worker >= impl_->sockets.size()) {
    worker = 0;  // not a worker of ours: any socket sends (sendto is thread-safe)
  } else if (impl_->sockets[worker]->queue_reply(to, bytes)) {
    return true;  // a refusal at the flush is counted in send_failures
  }
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
