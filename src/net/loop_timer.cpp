#include "net/loop_timer.hpp"

#include <cstdint>

#include "net/worker_internal.hpp"

namespace parley::net {

struct LoopTimer::Impl {
  Impl(boost::asio::io_context& context, std::function<void()> callback)
      : timer(context), on_expiry(std::move(callback)) {}

  boost::asio::steady_timer timer;
  std::function<void()> on_expiry;
  std::optional<TimePoint> armed;
  // A handler whose wait was replaced may already be queued with success; it compares its
  // generation with this one and stands down.
  std::uint64_t generation = 0;
};

LoopTimer::LoopTimer(WorkerPool& pool, std::size_t worker, std::function<void()> on_expiry)
    : impl_(std::make_shared<Impl>(pool.impl().context(worker), std::move(on_expiry))) {}

LoopTimer::~LoopTimer() {
  cancel();
}

void LoopTimer::arm(TimePoint deadline) {
  if (impl_->armed == deadline) return;
  impl_->armed = deadline;
  const std::uint64_t generation = ++impl_->generation;
  impl_->timer.expires_at(deadline);
  // Weak: a completion already queued when the LoopTimer is destroyed must not touch it.
  impl_->timer.async_wait(
      [weak = std::weak_ptr<Impl>(impl_), generation](const boost::system::error_code& error) {
        const auto impl = weak.lock();
        if (error || !impl || generation != impl->generation) return;
        impl->armed.reset();
        impl->on_expiry();
      });
}

void LoopTimer::cancel() {
  ++impl_->generation;
  impl_->armed.reset();
  boost::system::error_code ignored;
  impl_->timer.cancel(ignored);
}

std::optional<LoopTimer::TimePoint> LoopTimer::deadline() const {
  return impl_->armed;
}

}  // namespace parley::net
