#include "media/port_parking.hpp"

#include <utility>

#include "media/rtp_relay.hpp"
#include "net/loop_timer.hpp"
#include "net/worker_pool.hpp"

namespace parley::media {

PortParking::PortParking(net::WorkerPool& pool, PortPool& ports, const ParkingOptions& options)
    : pool_(pool), ports_(ports), options_(options), slots_(pool.size()) {
  for (std::size_t worker = 0; worker < slots_.size(); ++worker) {
    slots_[worker].sweep =
        std::make_unique<net::LoopTimer>(pool, worker, [this, worker] { sweep(worker); });
    pool.at_shutdown(worker, [this, worker] {
      slots_[worker].closing = true;
      close_all(worker);
    });
  }
}

void PortParking::close_all(std::size_t worker) {
  Slot& slot = slots_[worker];
  while (!slot.pairs.empty()) close_oldest(slot);
  slot.sweep->cancel();
}

void PortParking::close_oldest(Slot& slot) {
  close(slot.pairs.front());
  slot.pairs.pop_front();
}

PortParking::~PortParking() {
  for (std::size_t worker = 0; worker < slots_.size(); ++worker) close_all(worker);
}

std::optional<PortPair> PortParking::take(std::size_t worker, bool range_exhausted) {
  if (worker >= slots_.size()) return std::nullopt;
  Slot& slot = slots_[worker];
  const auto now = std::chrono::steady_clock::now();
  while (!slot.pairs.empty()) {
    Parked& oldest = slot.pairs.front();
    if (!range_exhausted && now - oldest.since < options_.quarantine) return std::nullopt;
    if (heard(oldest.pair)) {
      close_oldest(slot);
      continue;
    }
    PortPair pair = std::move(oldest.pair);
    slot.pairs.pop_front();
    slot.reused.fetch_add(1, std::memory_order_relaxed);
    return pair;
  }
  return std::nullopt;
}

bool PortParking::heard(const PortPair& pair) {
  // reassign() at park time zeroed the counters.
  return pair.rtp->received() + pair.rtp->truncated() + pair.rtcp->received() +
             pair.rtcp->truncated() >
         0;
}

void PortParking::release_everywhere(std::size_t worker) {
  if (worker < slots_.size()) close_all(worker);
  for (std::size_t other = 0; other < slots_.size(); ++other) {
    if (other == worker) continue;
    pool_.post(other, [this, other] { close_all(other); });
  }
}

void PortParking::park(std::size_t worker, PortPair pair) {
  Parked parked{std::move(pair), std::chrono::steady_clock::now()};
  if (worker >= slots_.size() || slots_[worker].closing ||
      slots_[worker].pairs.size() >= options_.max_pairs_per_worker || !parked.pair.rtp ||
      !parked.pair.rtcp) {
    close(parked);
    return;
  }
  parked.pair.rtp->reassign(*this);
  parked.pair.rtcp->reassign(*this);
  Slot& slot = slots_[worker];
  slot.pairs.push_back(std::move(parked));
  if (slot.pairs.size() == 1) arm(worker);
}

void PortParking::close(Parked& parked) {
  // Closed before the port goes back, so the next owner of the port can bind it.
  parked.pair.rtp.reset();
  parked.pair.rtcp.reset();
  if (parked.pair.port != 0) ports_.release(parked.pair.port);
  parked.pair.port = 0;
}

void PortParking::sweep(std::size_t worker) {
  Slot& slot = slots_[worker];
  const auto now = std::chrono::steady_clock::now();
  while (!slot.pairs.empty() && now - slot.pairs.front().since >= options_.idle_limit) {
    close_oldest(slot);
  }
  arm(worker);
}

void PortParking::arm(std::size_t worker) {
  Slot& slot = slots_[worker];
  if (slot.pairs.empty()) {
    slot.sweep->cancel();
    return;
  }
  slot.sweep->arm(slot.pairs.front().since + options_.idle_limit);
}

std::size_t PortParking::parked(std::size_t worker) const {
  return worker < slots_.size() ? slots_[worker].pairs.size() : 0;
}

std::uint64_t PortParking::reused() const {
  std::uint64_t total = 0;
  for (const Slot& slot : slots_) total += slot.reused.load(std::memory_order_relaxed);
  return total;
}

std::uint64_t PortParking::discarded() const {
  std::uint64_t total = 0;
  for (const Slot& slot : slots_) total += slot.discarded.load(std::memory_order_relaxed);
  return total;
}

void PortParking::on_datagrams(net::DatagramSocket& /*socket*/,
                               std::span<net::ReceivedDatagram> batch) {
  const std::size_t worker = pool_.current_worker();
  if (worker < slots_.size())
    slots_[worker].discarded.fetch_add(batch.size(), std::memory_order_relaxed);
}

}  // namespace parley::media
