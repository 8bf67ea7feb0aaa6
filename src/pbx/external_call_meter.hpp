#pragma once
// The counting half of the toll-fraud guard: per tenant, how many external calls are up now,
// how many started and how many minutes were spoken in the last hour, and whether one more
// call may start.
//
// The hour is a sliding window of 60 one-minute buckets: a call counts in the minute it
// started; talk time counts in the minutes it was spoken (an ended call's time is spread over
// the minutes it spanned, a call still up counts its time so far), so one long call cannot
// escape the budget by ending after the window moved on.
//
// start() checks and counts in one step under the lock, so two threads cannot both take the
// last slot. It hands out an ExternalCallLease; the call ends when the lease is released or
// destroyed. Emergency calls are counted like any other but never refused.
//
// Thread-safety: every method may be called from any thread (one mutex; no I/O under it). The
// meter must outlive its leases. The clock is injected (base/clock.hpp) so tests drive time.

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <unordered_map>

#include "base/clock.hpp"
#include "base/result.hpp"
#include "store/call_limits_store.hpp"
#include "store/store.hpp"

namespace parley::pbx {

// What the meter enforces for one tenant; 0 = unlimited.
struct ExternalCallLimits {
  std::uint32_t max_concurrent = 0;
  std::uint32_t calls_per_hour = 0;
  std::uint32_t minutes_per_hour = 0;
  static ExternalCallLimits from(const store::TenantCallLimits& limits) {
    return {limits.max_external_calls, limits.calls_per_hour, limits.minutes_per_hour};
  }
};

struct ExternalCallUsage {
  std::uint32_t active = 0;
  std::uint32_t calls_last_hour = 0;
  std::uint64_t talk_seconds_last_hour = 0;  // ended calls' and running calls' time so far
};

class ExternalCallMeter;

// One external call counted by an ExternalCallMeter. Move-only; ends the call when released or
// destroyed. An empty lease (default-constructed or moved from) does nothing.
class ExternalCallLease {
 public:
  ExternalCallLease() = default;
  ~ExternalCallLease() { release(); }
  ExternalCallLease(ExternalCallLease&& other) noexcept;
  ExternalCallLease& operator=(ExternalCallLease&& other) noexcept;
  ExternalCallLease(const ExternalCallLease&) = delete;
  ExternalCallLease& operator=(const ExternalCallLease&) = delete;

  // Ends the call now: its talk time counts up to this moment.
  void release();
  bool active() const { return meter_ != nullptr; }

 private:
  friend class ExternalCallMeter;
  ExternalCallLease(ExternalCallMeter* meter, store::TenantId tenant, std::uint64_t id)
      : meter_(meter), tenant_(tenant), id_(id) {}

  ExternalCallMeter* meter_ = nullptr;
  store::TenantId tenant_ = 0;
  std::uint64_t id_ = 0;
};

class ExternalCallMeter {
 public:
  explicit ExternalCallMeter(const Clock& clock) : clock_(clock) {}
  ExternalCallMeter(const ExternalCallMeter&) = delete;
  ExternalCallMeter& operator=(const ExternalCallMeter&) = delete;

  // Counts a new external call of `tenant`, or refuses it (Error code 403, the reason) when it
  // would exceed `limits`. Emergency calls are always counted and never refused.
  Result<ExternalCallLease> start(store::TenantId tenant, const ExternalCallLimits& limits,
                                  bool emergency);

  ExternalCallUsage usage(store::TenantId tenant) const;

 private:
  friend class ExternalCallLease;
  static constexpr std::size_t kBuckets = 60;  // one per minute of the hour

  struct Bucket {
    std::int64_t minute = -1;  // which minute (since the clock's epoch) it holds
    std::uint32_t calls = 0;
    std::int64_t talk_ms = 0;
  };
  struct TenantMeter {
    std::array<Bucket, kBuckets> buckets{};
    std::map<std::uint64_t, TimePoint> active;  // lease id -> start
  };

  void end(store::TenantId tenant, std::uint64_t id);
  // The bucket of `minute`, emptied first when it still holds an older minute.
  static Bucket& bucket_for(TenantMeter& meter, std::int64_t minute);
  ExternalCallUsage usage_locked(const TenantMeter& meter, TimePoint now) const;

  const Clock& clock_;
  mutable std::mutex mutex_;
  std::unordered_map<store::TenantId, TenantMeter> tenants_;  // guarded by mutex_
  std::uint64_t next_id_ = 1;                                 // guarded by mutex_
};

}  // namespace parley::pbx
