#include "app/park_presence.hpp"

#include <string>

namespace parley::app {

sip::ExtensionCallState park_slot_state(const pbx::ParkLot::SlotChange& change) {
  sip::ExtensionCallState state;
  state.tenant = change.tenant;
  state.extension = std::to_string(change.slot);
  state.dialog_id = "park-" + std::to_string(change.ticket);
  // The slot holds the call on behalf of whoever retrieves it: it is the called end.
  state.direction = sip::CallDirection::kRecipient;
  state.phase = change.occupied ? sip::CallPhase::kConfirmed : sip::CallPhase::kTerminated;
  state.remote_party = change.parkee;
  return state;
}

std::function<void(const pbx::ParkLot::SlotChange&)> park_slot_reporter(
    sip::CallStateListener& hub) {
  return [&hub](const pbx::ParkLot::SlotChange& change) {
    hub.on_call_state(park_slot_state(change));
  };
}

ParkSlotTest park_slots_of(const pbx::ParkLot& lot, const sip::Directory& directory) {
  return [&lot, &directory](store::TenantId tenant, std::string_view number) {
    // The snapshot is taken only for a slot number: every other report passes on the cheap test.
    return lot.is_slot(number) && directory.snapshot()->extension(tenant, number) == nullptr;
  };
}

void ParkSlotCalls::on_call_state(const sip::ExtensionCallState& state) {
  if (is_slot_ && is_slot_(state.tenant, state.extension)) return;
  next_.on_call_state(state);
}

std::function<bool(store::TenantId, std::string_view)> park_slot_watchable(
    const pbx::ParkLot* lot) {
  if (lot == nullptr) return {};
  return [lot](store::TenantId /*every tenant has the same slots*/, std::string_view number) {
    return lot->is_slot(number);
  };
}

}  // namespace parley::app
