// Busy by the phone's own answer (decision 0052): every device of a ringing stage refused busy
// by itself (486, 600, 603) although Parley thought the extension idle. The stage's when_busy
// (made by the planner where the extension has a busy forward) gives the rest of the call, which
// replaces the plan's later stages and final action, and the call moves on at once, the same
// way a stage that timed out moves on to a no-answer forward.

#include <memory>
#include <optional>
#include <utility>

#include "sip/b2bua.hpp"
#include "sip/b2bua_call.hpp"

namespace parley::sip {

namespace {

// Both must live as long as the call: an inbound trunk channel from the original plan and the
// toll-fraud lease of a busy forward through a trunk, say.
std::shared_ptr<void> held_together(std::shared_ptr<void> first, std::shared_ptr<void> second) {
  if (first == nullptr) return second;
  if (second == nullptr) return first;
  using Both = std::pair<std::shared_ptr<void>, std::shared_ptr<void>>;
  return std::make_shared<Both>(std::move(first), std::move(second));
}

}  // namespace

bool B2bua::forward_when_busy(Call& call) {
  if (call.stage >= call.stages.size() || !call.stages[call.stage].when_busy) return false;
  if (options_.layer.find_server(call.invite) == nullptr) return false;
  // Taken out first: the stages it would be called from are replaced below.
  const auto when_busy = std::move(call.stages[call.stage].when_busy);
  call.stages[call.stage].when_busy = nullptr;
  std::optional<CallPlan> rest = when_busy();
  if (!rest || rest->pickup) return false;

  call.stages.resize(call.stage + 1);
  call.keep_alive = held_together(std::move(call.keep_alive), std::move(rest->keep_alive));
  if (rest->reject_status != 0) {
    // The busy forward leads nowhere now (a forward that is not allowed, a loop, a target on
    // do-not-disturb): that is the caller's answer, as if Parley had known before ringing.
    call.exhausted_status = rest->reject_status;
    call.exhausted_application.clear();
  } else if (!rest->application.empty()) {
    call.exhausted_status = 0;
    call.exhausted_application = std::move(rest->application);  // voicemail at once
  } else {
    for (RingStage& stage : rest->stages) call.stages.push_back(std::move(stage));
    call.exhausted_status = rest->exhausted_status;
    call.exhausted_application = std::move(rest->exhausted_application);
  }
  next_stage(call, store::Disposition::kFailed);
  return true;
}

}  // namespace parley::sip
