#include "net/stream_acceptor.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "net/socket_util.hpp"
#include "net/worker_internal.hpp"

namespace parley::net {

using Tcp = boost::asio::ip::tcp;

StreamAcceptor::StreamAcceptor(WorkerPool& pool, Accepted on_accept)
    : pool_(pool),
      on_accept_(std::move(on_accept)),
      acceptor_(pool.impl().context(0)),
      retry_timer_(pool.impl().context(0)) {}

Result<std::unique_ptr<StreamAcceptor>> StreamAcceptor::listen(WorkerPool& pool,
                                                               const SocketAddress& address,
                                                               int backlog, Accepted on_accept) {
  auto acceptor = std::make_unique<StreamAcceptor>(pool, std::move(on_accept));
  auto fd = open_bound_socket(address, BindOptions{SOCK_STREAM, false, 0});
  if (!fd) return fd.error();
  if (::listen(*fd, backlog) != 0) {
    const int error = errno;
    ::close(*fd);
    return make_error(error, "listen " + address.to_string() + ": " + errno_text(error));
  }
  acceptor->local_ = local_address_of(*fd);
  boost::system::error_code assign_error;
  acceptor->acceptor_.assign(address.is_v6() ? Tcp::v6() : Tcp::v4(), *fd, assign_error);
  if (assign_error) {
    ::close(*fd);
    return make_error(assign_error.value(), "listen: " + assign_error.message());
  }
  StreamAcceptor* raw = acceptor.get();
  boost::asio::post(pool.impl().context(0), [raw] { raw->arm_accept(); });
  return acceptor;
}

void StreamAcceptor::arm_accept() {
  if (stopped_.load()) return;
  const std::size_t target = next_worker_++ % pool_.size();
  acceptor_.async_accept(pool_.impl().context(target),
                         [this, target](const boost::system::error_code& error, Tcp::socket s) {
                           on_accept(error, target, std::move(s));
                         });
}

void StreamAcceptor::on_accept(const boost::system::error_code& error, std::size_t target,
                               Tcp::socket socket) {
  if (error == boost::asio::error::operation_aborted || stopped_.load()) return;
  if (error) {
    // Out of descriptors or memory: accepting again at once would spin. Back off briefly.
    retry_timer_.expires_after(std::chrono::milliseconds(100));
    retry_timer_.async_wait([this](const boost::system::error_code& timer_error) {
      if (!timer_error) arm_accept();
    });
    return;
  }
  on_accept_(target, std::move(socket));
  arm_accept();
}

void StreamAcceptor::stop() {
  stopped_.store(true);
  boost::asio::post(pool_.impl().context(0), [this] {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    retry_timer_.cancel(ignored);
  });
}

}  // namespace parley::net
