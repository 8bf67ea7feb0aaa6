#include "pbx/external_call_meter.hpp"

#include <algorithm>
#include <string>
#include <utility>

#include "pbx/call_permission.hpp"

namespace parley::pbx {

namespace {

constexpr std::int64_t kMinuteMs = 60'000;

std::int64_t millis(TimePoint time) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
}

// Floor division: the clock's epoch is arbitrary, its values may be negative.
std::int64_t minute_of(std::int64_t ms) {
  return ms >= 0 ? ms / kMinuteMs : -((-ms + kMinuteMs - 1) / kMinuteMs);
}

}  // namespace

ExternalCallLease::ExternalCallLease(ExternalCallLease&& other) noexcept
    : meter_(std::exchange(other.meter_, nullptr)), tenant_(other.tenant_), id_(other.id_) {}

ExternalCallLease& ExternalCallLease::operator=(ExternalCallLease&& other) noexcept {
  if (this != &other) {
    release();
    meter_ = std::exchange(other.meter_, nullptr);
    tenant_ = other.tenant_;
    id_ = other.id_;
  }
  return *this;
}

void ExternalCallLease::release() {
  if (meter_ == nullptr) return;
  std::exchange(meter_, nullptr)->end(tenant_, id_);
}

ExternalCallMeter::Bucket& ExternalCallMeter::bucket_for(TenantMeter& meter, std::int64_t minute) {
  const auto slot = static_cast<std::size_t>(((minute % 60) + 60) % 60);
  Bucket& bucket = meter.buckets[slot];
  if (bucket.minute != minute) bucket = Bucket{minute, 0, 0};
  return bucket;
}

ExternalCallUsage ExternalCallMeter::usage_locked(const TenantMeter& meter, TimePoint now) const {
  const std::int64_t now_ms = millis(now);
  const std::int64_t now_minute = minute_of(now_ms);
  const std::int64_t first_minute = now_minute - static_cast<std::int64_t>(kBuckets) + 1;
  const std::int64_t window_start_ms = first_minute * kMinuteMs;
  ExternalCallUsage usage;
  std::int64_t talk_ms = 0;
  for (const auto& bucket : meter.buckets) {
    if (bucket.minute < first_minute || bucket.minute > now_minute) continue;
    usage.calls_last_hour += bucket.calls;
    talk_ms += bucket.talk_ms;
  }
  for (const auto& [id, started] : meter.active) {
    talk_ms += std::max<std::int64_t>(0, now_ms - std::max(millis(started), window_start_ms));
  }
  usage.active = static_cast<std::uint32_t>(meter.active.size());
  usage.talk_seconds_last_hour = static_cast<std::uint64_t>(talk_ms / 1000);
  return usage;
}

Result<ExternalCallLease> ExternalCallMeter::start(store::TenantId tenant,
                                                   const ExternalCallLimits& limits,
                                                   bool emergency) {
  const TimePoint now = clock_.now();
  std::lock_guard lock(mutex_);
  TenantMeter& meter = tenants_[tenant];
  if (!emergency) {
    const ExternalCallUsage used = usage_locked(meter, now);
    if (limits.max_concurrent != 0 && used.active >= limits.max_concurrent) {
      return make_error(kForbidden, "tenant has " + std::to_string(used.active) +
                                        " external calls up; the limit is " +
                                        std::to_string(limits.max_concurrent));
    }
    if (limits.calls_per_hour != 0 && used.calls_last_hour >= limits.calls_per_hour) {
      return make_error(kForbidden, "tenant started " + std::to_string(used.calls_last_hour) +
                                        " external calls in the last hour; the limit is " +
                                        std::to_string(limits.calls_per_hour));
    }
    if (limits.minutes_per_hour != 0 &&
        used.talk_seconds_last_hour >= std::uint64_t{limits.minutes_per_hour} * 60) {
      return make_error(kForbidden, "tenant spoke " +
                                        std::to_string(used.talk_seconds_last_hour / 60) +
                                        " external minutes in the last hour; the budget is " +
                                        std::to_string(limits.minutes_per_hour));
    }
  }
  bucket_for(meter, minute_of(millis(now))).calls += 1;
  const std::uint64_t id = next_id_++;
  meter.active.emplace(id, now);
  return ExternalCallLease(this, tenant, id);
}

void ExternalCallMeter::end(store::TenantId tenant, std::uint64_t id) {
  const TimePoint now = clock_.now();
  std::lock_guard lock(mutex_);
  auto found_tenant = tenants_.find(tenant);
  if (found_tenant == tenants_.end()) return;
  TenantMeter& meter = found_tenant->second;
  auto found = meter.active.find(id);
  if (found == meter.active.end()) return;
  const std::int64_t end_ms = millis(now);
  const std::int64_t now_minute = minute_of(end_ms);
  const std::int64_t window_start_ms =
      (now_minute - static_cast<std::int64_t>(kBuckets) + 1) * kMinuteMs;
  // Spread the talk time over the minutes it was spoken in; older minutes no longer count.
  std::int64_t from_ms = std::max(millis(found->second), window_start_ms);
  meter.active.erase(found);
  while (from_ms < end_ms) {
    const std::int64_t minute = minute_of(from_ms);
    const std::int64_t until_ms = std::min(end_ms, (minute + 1) * kMinuteMs);
    bucket_for(meter, minute).talk_ms += until_ms - from_ms;
    from_ms = until_ms;
  }
}

ExternalCallUsage ExternalCallMeter::usage(store::TenantId tenant) const {
  const TimePoint now = clock_.now();
  std::lock_guard lock(mutex_);
  auto found = tenants_.find(tenant);
  if (found == tenants_.end()) return {};
  return usage_locked(found->second, now);
}

}  // namespace parley::pbx
