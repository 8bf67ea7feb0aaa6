#include "net/send_batch.hpp"

#include <cerrno>
#include <cstring>

#include "base/check.hpp"

namespace parley::net {

SendBatch::SendBatch(std::size_t batch, std::size_t slot_size)
    : slot_size_(slot_size),
      // Not value-initialised: pages of slots that no datagram ever fills are never touched.
      bytes_(std::make_unique_for_overwrite<std::uint8_t[]>(  // NOLINT(*-avoid-c-arrays)
          batch * slot_size)),
      names_(batch),
      iovecs_(batch),
      headers_(batch) {
  PARLEY_CHECK(batch > 0 && slot_size > 0);
  for (std::size_t i = 0; i < batch; ++i) {
    iovecs_[i].iov_base = bytes_.get() + i * slot_size_;
    headers_[i].msg_hdr.msg_iov = &iovecs_[i];
    headers_[i].msg_hdr.msg_iovlen = 1;
    headers_[i].msg_hdr.msg_name = &names_[i];
  }
}

std::span<std::uint8_t> SendBatch::slot(int fd) {
  if (queued_ == headers_.size()) flush(fd);
  return {bytes_.get() + queued_ * slot_size_, slot_size_};
}

void SendBatch::commit(const SocketAddress& to, std::size_t size) {
  PARLEY_ASSERT(queued_ < headers_.size() && size <= slot_size_ &&
                to.size() <= sizeof(sockaddr_in6));
  const std::size_t index = queued_;
  std::memcpy(&names_[index], to.data(), to.size());
  iovecs_[index].iov_len = size;
  msghdr& header = headers_[index].msg_hdr;
  header.msg_namelen = to.size();
  header.msg_control = nullptr;
  header.msg_controllen = 0;
  header.msg_flags = 0;
  ++queued_;
}

bool SendBatch::queue(int fd, const SocketAddress& to, std::span<const std::uint8_t> bytes) {
  if (bytes.size() > slot_size_ || to.empty()) return false;
  const std::span<std::uint8_t> free_slot = slot(fd);
  if (!bytes.empty()) std::memcpy(free_slot.data(), bytes.data(), bytes.size());
  commit(to, bytes.size());
  return true;
}

std::size_t SendBatch::flush(int fd) {
  std::size_t failures = 0;
  std::size_t at = 0;
  while (at < queued_) {
    const auto remaining = static_cast<unsigned>(queued_ - at);
    const int count = ::sendmmsg(fd, headers_.data() + at, remaining, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (count > 0) {
      sent_ += static_cast<std::uint64_t>(count);
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
  refused_ += failures;
  queued_ = 0;
  return failures;
}

}  // namespace parley::net
