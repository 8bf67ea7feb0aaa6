#include "app/live_calls.hpp"

#include <algorithm>
#include <chrono>

namespace parley::app {

LiveCalls::LiveCalls(sip::CallStateListener& next, std::function<store::UnixMillis()> wall_clock)
    : next_(next), wall_clock_(std::move(wall_clock)) {
  if (!wall_clock_) {
    wall_clock_ = [] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
          .count();
    };
  }
}

void LiveCalls::on_call_state(const sip::ExtensionCallState& state) {
  if (state.direction == sip::CallDirection::kInitiator) {
    std::string id = state.dialog_id;
    if (id.ends_with("-i")) id.resize(id.size() - 2);
    const store::UnixMillis now = wall_clock_();
    std::lock_guard lock(mutex_);
    if (state.phase == sip::CallPhase::kTerminated) {
      if (calls_.erase(id) > 0) ++version_;
    } else {
      auto [it, inserted] = calls_.try_emplace(id);
      LiveCall& call = it->second;
      if (inserted) {
        call.id = id;
        call.tenant = state.tenant;
        call.started_ms = now;
      }
      call.caller = state.extension;
      call.callee = state.remote_party;
      call.call_id = state.call_id;
      if (state.phase == sip::CallPhase::kConfirmed && !call.answered) {
        call.answered = true;
        call.answered_ms = now;
      }
      ++version_;
    }
  }
  next_.on_call_state(state);
}

std::vector<LiveCall> LiveCalls::list(store::TenantId tenant) const {
  std::vector<LiveCall> out;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, call] : calls_) {
      if (call.tenant == tenant) out.push_back(call);
    }
  }
  std::sort(out.begin(), out.end(), [](const LiveCall& a, const LiveCall& b) {
    return a.started_ms != b.started_ms ? a.started_ms < b.started_ms : a.id < b.id;
  });
  return out;
}

std::optional<LiveCall> LiveCalls::find(store::TenantId tenant, std::string_view id) const {
  std::lock_guard lock(mutex_);
  const auto it = calls_.find(std::string(id));
  if (it == calls_.end() || it->second.tenant != tenant) return std::nullopt;
  return it->second;
}

std::map<store::TenantId, LiveCallCounts> LiveCalls::counts() const {
  std::map<store::TenantId, LiveCallCounts> out;
  std::lock_guard lock(mutex_);
  for (const auto& [id, call] : calls_) {
    LiveCallCounts& counts = out[call.tenant];
    if (call.answered) {
      ++counts.answered;
    } else {
      ++counts.ringing;
    }
  }
  return out;
}

std::uint64_t LiveCalls::version() const {
  std::lock_guard lock(mutex_);
  return version_;
}

}  // namespace parley::app
