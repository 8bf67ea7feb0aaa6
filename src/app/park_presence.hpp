#pragma once
// Park slots as BLF keys (issue 6): a phone's BLF key on 701 lights while a call is parked in
// slot 701 and goes dark when it is retrieved or rings back its parker.
//
// The park lot tells each slot change (pbx::ParkLot::set_slot_listener); this turns it into the
// report the B2BUA gives for a call, with the slot number as the extension: one confirmed dialog
// ("park-<ticket>", the slot its recipient, the parked party the remote) while the call waits,
// terminated when the slot empties. The presence hub then notifies the slot's dialog watchers
// exactly as for an extension; SubscriptionService admits a slot number as a dialog target
// through its `watchable` option (park_slot_watchable()).
//
// The lot is the only voice of a slot (decision 0045): the B2BUA also reports the calls that
// name a slot as their callee (a retriever dialling 701, a call parked by a REFER to 701, which
// goes on as a call to 701 after its retrieval), and those would light the lamp of a slot that
// is empty. ParkSlotCalls, in front of the hub, drops them, as an Asterisk park hint follows
// only the lot and never the channels that dial the slot.
//
// Thread-safety: the listener runs on whichever thread changed the lot, with the lot's mutex
// held; it only updates the hub (its own mutex, taken after the lot's, never the other way).

#include <functional>
#include <string_view>
#include <utility>

#include "pbx/park_lot.hpp"
#include "sip/call_state.hpp"
#include "sip/directory.hpp"

namespace parley::app {

// Which numbers of a tenant are park slots, as far as BLF is concerned.
using ParkSlotTest = std::function<bool(store::TenantId, std::string_view)>;

// The slots of `lot` that are not extensions of their tenant (extensions win, decision 0030).
// Both must outlive the test.
ParkSlotTest park_slots_of(const pbx::ParkLot& lot, const sip::Directory& directory);

// Passes the B2BUA's call reports on to `next` (the presence hub), except those whose extension
// is a park slot. Without slots (no park service) every report passes.
// Thread-safety: on_call_state() may run on any thread; set_slots() only before the workers
// start. Borrows `next`, which must outlive it.
class ParkSlotCalls final : public sip::CallStateListener {
 public:
  explicit ParkSlotCalls(sip::CallStateListener& next) : next_(next) {}
  void set_slots(ParkSlotTest is_slot) { is_slot_ = std::move(is_slot); }
  void on_call_state(const sip::ExtensionCallState& state) override;

 private:
  sip::CallStateListener& next_;
  ParkSlotTest is_slot_;
};

// The slot listener that reports parked calls to `hub`, which must outlive the lot.
std::function<void(const pbx::ParkLot::SlotChange&)> park_slot_reporter(
    sip::CallStateListener& hub);

// The report for one slot change (for the listener and its tests).
sip::ExtensionCallState park_slot_state(const pbx::ParkLot::SlotChange& change);

// Which numbers a BLF key may watch besides extensions: the slots of `lot` (not the park code,
// which names no one call). Empty when there is no lot.
std::function<bool(store::TenantId, std::string_view)> park_slot_watchable(const pbx::ParkLot* lot);

}  // namespace parley::app
