#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>

#include "media/rtp_relay.hpp"

namespace parley::media {
namespace {

// RTP takes the even port of each pair (RFC 3550 §11); RTCP the odd one above it.
std::uint16_t first_even(std::uint16_t first) {
  return static_cast<std::uint16_t>(first + (first % 2));
}

// splitmix64 (Steele, Lea, Flood 2014): a full-period sequence of well-mixed 64-bit values from
// a counter; enough to scatter retries over the range, not a secret.
std::uint64_t next_jump(std::uint64_t& state) {
  state += 0x9E3779B97F4A7C15ULL;
  std::uint64_t mixed = state;
  mixed = (mixed ^ (mixed >> 30U)) * 0xBF58476D1CE4E5B9ULL;
  mixed = (mixed ^ (mixed >> 27U)) * 0x94D049BB133111EBULL;
  return mixed ^ (mixed >> 31U);
}

std::size_t pair_count(std::uint16_t first, std::uint16_t last) {
  const int even = first_even(first);
  if (static_cast<int>(last) < even + 1) return 0;
  const int pairs = (static_cast<int>(last) - even - 1) / 2 + 1;
  return static_cast<std::size_t>(pairs);
}

}  // namespace

PortPool::PortPool(std::uint16_t first, std::uint16_t last)
    : first_(first_even(first)), used_(pair_count(first, last), false), jump_state_(first) {}

PortPool::PortPool(std::uint16_t first, std::uint16_t last, std::uint64_t start_seed)
    : PortPool(first, last) {
  if (!used_.empty()) next_ = static_cast<std::size_t>(start_seed % used_.size());
  jump_state_ = start_seed;
}

PortPool::~PortPool() = default;

void PortPool::enable_parking(net::WorkerPool& pool, const ParkingOptions& options) {
  parking_ = std::make_unique<PortParking>(pool, *this, options);
}

std::optional<std::uint16_t> PortPool::acquire() {
  const std::lock_guard lock(mutex_);
  if (in_use_ == used_.size()) return std::nullopt;
  for (std::size_t tried = 0; tried < used_.size(); ++tried) {
    const std::size_t index = next_;
    next_ = (next_ + 1) % used_.size();
    if (used_[index]) continue;
    used_[index] = true;
    ++in_use_;
    return static_cast<std::uint16_t>(first_ + 2 * index);
  }
  return std::nullopt;
}

void PortPool::release(std::uint16_t port) {
  const std::lock_guard lock(mutex_);
  if (port < first_ || (port - first_) % 2 != 0) return;
  const std::size_t index = (port - first_) / 2U;
  if (index >= used_.size() || !used_[index]) return;
  used_[index] = false;
  --in_use_;
}

void PortPool::release_taken(std::uint16_t port) {
  release(port);
  const std::lock_guard lock(mutex_);
  if (!used_.empty()) next_ = static_cast<std::size_t>(next_jump(jump_state_) % used_.size());
}

std::size_t PortPool::in_use() const {
  const std::lock_guard lock(mutex_);
  return in_use_;
}

std::size_t PortPool::capacity() const {
  const std::lock_guard lock(mutex_);
  return used_.size();
}

}  // namespace parley::media
