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
// Thread-safety: the listener runs on whichever thread changed the lot, with the lot's mutex
// held; it only updates the hub (its own mutex, taken after the lot's, never the other way).

#include <functional>
#include <string_view>

#include "pbx/park_lot.hpp"
#include "sip/call_state.hpp"

namespace parley::app {

// The slot listener that reports parked calls to `hub`, which must outlive the lot.
std::function<void(const pbx::ParkLot::SlotChange&)> park_slot_reporter(
    sip::CallStateListener& hub);

// The report for one slot change (for the listener and its tests).
sip::ExtensionCallState park_slot_state(const pbx::ParkLot::SlotChange& change);

// Which numbers a BLF key may watch besides extensions: the slots of `lot` (not the park code,
// which names no one call). Empty when there is no lot.
std::function<bool(store::TenantId, std::string_view)> park_slot_watchable(const pbx::ParkLot* lot);

}  // namespace parley::app
