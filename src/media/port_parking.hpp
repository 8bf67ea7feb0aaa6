#pragma once
// PortParking: bound RTP/RTCP socket pairs kept open between calls (decision 0060).
//
// Opening a relay leg costs socket, bind and an epoll registration for each of its two
// sockets, and closing it one more system call each: sixteen of a relayed call's ~54 system
// calls, and the kernel's socket set-up and tear-down behind them. A pair whose call ended is
// parked instead: still bound, still in its worker's epoll set, its datagrams read and thrown
// away, and handed to a later call on the same worker once it has been quiet for `quarantine`.
//
// Why it is safe (RTP bleed, decision 0047): a parked pair is handed out only when it has been
// parked for `quarantine` (default 1 s: later than the last packets of an honest peer that got
// its BYE) and nothing at all reached it meanwhile. A pair that heard anything while parked (a
// peer that missed its BYE, a phone that keeps streaming, a stranger) is closed instead and its
// port goes back to the range's round robin, as without parking. The next call's latching rules
// are the same as on a fresh port.
//
// Bounds: at most `max_pairs_per_worker` parked per worker (a full parking closes the pair that
// comes in, so the parked ones age into reuse); a pair parked `idle_limit` without reuse is
// closed and its port released, so an idle server holds no ports. While ports are parked the
// shared PortPool counts them in use; a worker that finds the range exhausted takes its own
// oldest parked pair even inside its quarantine rather than fail the call, and when it has none
// asks every worker to close what it parked (that call fails; the next ones find ports).
//
// Shutdown: when the pool's shutdown() begins, every worker closes what it has parked and parks
// nothing more, so the loops can run out of work.
//
// Thread-safety: each worker's slot is touched only on that worker's thread (or while the pool
// does not run).

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <vector>

#include "net/address.hpp"
#include "net/datagram_socket.hpp"

namespace parley::net {
class WorkerPool;
class LoopTimer;
}  // namespace parley::net

namespace parley::media {

class PortPool;

struct ParkingOptions {
  std::chrono::steady_clock::duration quarantine = std::chrono::seconds(1);
  std::chrono::steady_clock::duration idle_limit = std::chrono::seconds(10);
  std::size_t max_pairs_per_worker = 1024;
};

// One leg's bound sockets: RTP on `port`, RTCP on `port + 1`.
struct PortPair {
  std::uint16_t port = 0;
  std::unique_ptr<net::DatagramSocket> rtp;
  std::unique_ptr<net::DatagramSocket> rtcp;
};

class PortParking final : public net::DatagramSocket::Listener {
 public:
  PortParking(net::WorkerPool& pool, PortPool& ports, const ParkingOptions& options);
  ~PortParking() override;
  PortParking(const PortParking&) = delete;
  PortParking& operator=(const PortParking&) = delete;

  // A quiet pair parked on `worker` for at least the quarantine (with `range_exhausted`, inside
  // it too); nullopt when there is none. The caller reassigns its sockets to itself.
  std::optional<PortPair> take(std::size_t worker, bool range_exhausted);
  // The range ran out while `worker` had nothing parked: every worker closes what it parked
  // (posted to each), so the next calls find ports. Call on `worker`'s thread.
  void release_everywhere(std::size_t worker);
  // Keeps `pair` (opened on `worker`) for a later call, or closes it and releases its port when
  // the worker's parking is full.
  void park(std::size_t worker, PortPair pair);

  // Read on the worker's thread or while the pool does not run.
  std::size_t parked(std::size_t worker) const;
  std::uint64_t reused() const;     // pairs handed out again, all workers
  std::uint64_t discarded() const;  // datagrams that reached a parked socket

  void on_datagrams(net::DatagramSocket& socket, std::span<net::ReceivedDatagram> batch) override;

 private:
  struct Parked {
    PortPair pair;
    std::chrono::steady_clock::time_point since;
  };
  struct Slot {
    std::deque<Parked> pairs;  // oldest first
    std::unique_ptr<net::LoopTimer> sweep;
    bool closing = false;  // the pool is shutting down: nothing is parked any more
    // Written on the worker, read anywhere.
    std::atomic<std::uint64_t> reused{0};
    std::atomic<std::uint64_t> discarded{0};
  };

  static bool heard(const PortPair& pair);
  void close(Parked& parked);
  void close_oldest(Slot& slot);
  void close_all(std::size_t worker);
  void sweep(std::size_t worker);
  void arm(std::size_t worker);

  net::WorkerPool& pool_;
  PortPool& ports_;
  ParkingOptions options_;
  std::vector<Slot> slots_;
};

}  // namespace parley::media
