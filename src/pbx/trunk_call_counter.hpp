#pragma once
// How many calls each provider trunk carries right now, and whether one more may start: the
// per-trunk `max_calls` limit of issue 11 (decision 0026). Outbound and inbound calls count
// against the same limit (a provider sells channels, not directions).
//
// try_claim() checks and counts in one step under the lock, so two workers can never both take
// the last channel of a trunk. It hands out a TrunkCallSlot that gives the channel back when
// released or destroyed. Counts are keyed by the store's trunk id, so renaming a trunk or
// changing its limit keeps the calls in progress counted; lowering the limit below the calls in
// progress ends none of them, it only refuses new ones until enough have ended.
//
// Thread-safety: every method may be called from any thread (one mutex, map updates only, no
// I/O under it). The counter must outlive its slots.

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>

#include "store/trunk_store.hpp"

namespace parley::pbx {

class TrunkCallCounter;

// One channel of one trunk, held by one call. Move-only; gives the channel back when released
// or destroyed. An empty slot (default-constructed or moved from) does nothing.
class TrunkCallSlot {
 public:
  TrunkCallSlot() = default;
  ~TrunkCallSlot() { release(); }
  TrunkCallSlot(TrunkCallSlot&& other) noexcept;
  TrunkCallSlot& operator=(TrunkCallSlot&& other) noexcept;
  TrunkCallSlot(const TrunkCallSlot&) = delete;
  TrunkCallSlot& operator=(const TrunkCallSlot&) = delete;

  void release();
  bool active() const { return counter_ != nullptr; }
  store::TrunkId trunk() const { return trunk_; }

 private:
  friend class TrunkCallCounter;
  TrunkCallSlot(TrunkCallCounter* counter, store::TrunkId trunk)
      : counter_(counter), trunk_(trunk) {}

  TrunkCallCounter* counter_ = nullptr;
  store::TrunkId trunk_ = 0;
};

class TrunkCallCounter {
 public:
  TrunkCallCounter() = default;
  TrunkCallCounter(const TrunkCallCounter&) = delete;
  TrunkCallCounter& operator=(const TrunkCallCounter&) = delete;

  // A channel of `trunk`, or nullopt when `max_calls` calls are already up on it
  // (0 = unlimited: always a slot, still counted).
  std::optional<TrunkCallSlot> try_claim(store::TrunkId trunk, std::uint32_t max_calls);

  // Calls up on `trunk` now.
  std::uint32_t in_use(store::TrunkId trunk) const;
  // Every trunk with at least one call up.
  std::map<store::TrunkId, std::uint32_t> all_in_use() const;

 private:
  friend class TrunkCallSlot;
  void give_back(store::TrunkId trunk);

  mutable std::mutex mutex_;
  std::map<store::TrunkId, std::uint32_t> in_use_;  // guarded by mutex_; no zero entries
};

}  // namespace parley::pbx
