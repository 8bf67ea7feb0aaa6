#pragma once
// SendBatch: datagrams queued for one UDP socket that leave together in one sendmmsg.
//
// The slots (batch × slot_size bytes) are allocated once and not written at allocation, so only
// the slots that bursts actually fill become resident. A datagram is built in place (slot, then
// commit) or copied in (queue); when every slot is taken, the next one flushes first. UDP
// semantics: a datagram the kernel refuses (full buffer, a late ICMP error) is counted and
// dropped, never kept for later.
//
// Not thread-safe: one owner thread, like the socket it sends on.

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "net/address.hpp"

namespace parley::net {

class SendBatch {
 public:
  SendBatch(std::size_t batch, std::size_t slot_size);
  SendBatch(const SendBatch&) = delete;
  SendBatch& operator=(const SendBatch&) = delete;

  // A writable slot of slot_size() bytes for the next datagram, sending what is queued on `fd`
  // first when every slot is taken. A slot that is not committed is simply reused.
  std::span<std::uint8_t> slot(int fd);
  // Queues the first `size` bytes of the slot slot() gave, for `to`.
  void commit(const SocketAddress& to, std::size_t size);
  // Copies `bytes` into the next slot. False (nothing queued) when they do not fit in a slot or
  // `to` is empty.
  bool queue(int fd, const SocketAddress& to, std::span<const std::uint8_t> bytes);
  // Sends everything queued on `fd` with sendmmsg. Returns how many datagrams were refused.
  std::size_t flush(int fd);

  // Forgets what is queued and zeroes the counters (the socket gets a new owner).
  void reset() {
    queued_ = 0;
    sent_ = 0;
    refused_ = 0;
  }

  std::size_t queued() const { return queued_; }
  std::size_t slot_size() const { return slot_size_; }
  std::uint64_t sent() const { return sent_; }        // datagrams the kernel accepted
  std::uint64_t refused() const { return refused_; }  // datagrams the kernel refused

 private:
  std::size_t slot_size_;
  std::unique_ptr<std::uint8_t[]> bytes_;  // NOLINT(*-avoid-c-arrays)
  // sockaddr_in6 holds either family's address, at a fifth of sockaddr_storage's size.
  std::vector<sockaddr_in6> names_;
  std::vector<iovec> iovecs_;
  std::vector<mmsghdr> headers_;
  std::size_t queued_ = 0;
  std::uint64_t sent_ = 0;
  std::uint64_t refused_ = 0;
};

}  // namespace parley::net
