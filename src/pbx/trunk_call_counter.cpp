#include "pbx/trunk_call_counter.hpp"

#include <utility>

namespace parley::pbx {

TrunkCallSlot::TrunkCallSlot(TrunkCallSlot&& other) noexcept
    : counter_(std::exchange(other.counter_, nullptr)), trunk_(other.trunk_) {}

TrunkCallSlot& TrunkCallSlot::operator=(TrunkCallSlot&& other) noexcept {
  if (this != &other) {
    release();
    counter_ = std::exchange(other.counter_, nullptr);
    trunk_ = other.trunk_;
  }
  return *this;
}

void TrunkCallSlot::release() {
  if (TrunkCallCounter* counter = std::exchange(counter_, nullptr)) counter->give_back(trunk_);
}

std::optional<TrunkCallSlot> TrunkCallCounter::try_claim(store::TrunkId trunk,
                                                         std::uint32_t max_calls) {
  std::lock_guard lock(mutex_);
  std::uint32_t& count = in_use_[trunk];
  if (max_calls != 0 && count >= max_calls) {
    if (count == 0) in_use_.erase(trunk);
    return std::nullopt;
  }
  ++count;
  return TrunkCallSlot(this, trunk);
}

std::uint32_t TrunkCallCounter::in_use(store::TrunkId trunk) const {
  std::lock_guard lock(mutex_);
  const auto found = in_use_.find(trunk);
  return found == in_use_.end() ? 0 : found->second;
}

std::map<store::TrunkId, std::uint32_t> TrunkCallCounter::all_in_use() const {
  std::lock_guard lock(mutex_);
  return in_use_;
}

void TrunkCallCounter::give_back(store::TrunkId trunk) {
  std::lock_guard lock(mutex_);
  const auto found = in_use_.find(trunk);
  if (found == in_use_.end()) return;
  if (--found->second == 0) in_use_.erase(found);
}

}  // namespace parley::pbx
