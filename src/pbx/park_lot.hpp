#pragma once
// ParkLot: every tenant's numbered call-park slots (issue 6, decision 0030). The one place that
// says which call sits in which slot, shared by every worker loop: a call is parked on the
// worker that owns it and retrieved by a call that may live on any other, so the slot table
// cannot belong to one loop.
//
// Numbers: each tenant has the same `slots` slots from `first_slot` (701..720 by default) and
// a park code (700) that means "the lowest free slot". They are tenant-scoped: slot 701 of one
// tenant has nothing to do with 701 of another.
//
// A parked call is a ticket (a number unique for the lot's life) that goes through
//   kParked    --retrieve()-->  kRetrieved   (the slot is free again at once)
//   kParked    --expire()--->   kTimedOut    (the timeout rang the parker back; slot free)
// and is forgotten when its parties have left (leave()). retrieve() and expire() decide under
// one mutex, so of two retrievers racing for one slot exactly one wins, and a retrieve that
// races the timeout either gets the call or finds the slot empty — never both, never neither.
// The sessions on both sides poll status() on their own loops to learn what the other did.
//
// Refusals are SIP statuses with a reason (the B2BUA sends them as they are): 404 for a number
// that is no slot or an empty slot, 486 for a taken slot or a full lot.
//
// Thread-safety: every method may be called from any thread (one mutex; map updates only).
// Memory is bounded by the slots: at most tenants × slots tickets are parked, and a retrieved
// or timed-out ticket lives only as long as its calls.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/result.hpp"
#include "store/store.hpp"

namespace parley::pbx {

struct ParkLotOptions {
  std::string park_code = "700";  // dialled (or transferred to): the lowest free slot
  std::uint32_t first_slot = 701;
  std::uint32_t slots = 20;
};

using ParkTicket = std::uint64_t;

enum class ParkState : std::uint8_t {
  kParked,     // waiting in its slot
  kRetrieved,  // taken by a retriever; the two are bridged
  kTimedOut,   // nobody came in time: the parker is being rung back
};

// What a ticket holder learns from status().
struct ParkStatus {
  ParkState state = ParkState::kParked;
  std::uint32_t slot = 0;
  std::string parker;     // the extension that parked it (rung back on timeout)
  std::string parkee;     // the party waiting
  std::string retriever;  // set once kRetrieved
  bool parkee_gone = false;
  bool retriever_gone = false;
  // The retriever passed the call on by a blind transfer (decision 0041): the parkee's side
  // rings this extension; set once, while kRetrieved.
  std::string transfer_target;
};

// One occupied slot, for listings and tests.
struct ParkedSlot {
  std::uint32_t slot = 0;
  ParkTicket ticket = 0;
  std::string parker;
  std::string parkee;
};

struct Parking {
  ParkTicket ticket = 0;
  std::uint32_t slot = 0;
};

// Which side of a parked call leaves.
enum class ParkSide : std::uint8_t { kParkee, kRetriever };

class ParkLot {
 public:
  explicit ParkLot(ParkLotOptions options = {});
  ParkLot(const ParkLot&) = delete;
  ParkLot& operator=(const ParkLot&) = delete;

  const ParkLotOptions& options() const { return options_; }

  // The slot `number` names; 0 for the park code; nullopt when it is neither. Pure.
  std::optional<std::uint32_t> slot_for(std::string_view number) const;
  bool is_slot(std::string_view number) const;

  // Parks `parkee` in `slot` (0 = the lowest free one). Errors: 404 no such slot, 486 the slot
  // is taken or every slot is.
  Result<Parking> park(store::TenantId tenant, std::uint32_t slot, std::string parker,
                       std::string parkee);
  // Takes the call parked in `slot` for `retriever`; the slot is free again. Error 404 when the
  // slot is empty (never parked, already retrieved, timed out) or is no slot.
  Result<Parking> retrieve(store::TenantId tenant, std::uint32_t slot, std::string retriever);
  // The parked call's timeout: true (and the slot freed) only while it is still kParked.
  bool expire(ParkTicket ticket);
  // The retriever passes the retrieved call on to `target` (before it leaves). Errors: 481 when
  // the ticket is not retrieved or its parkee is gone, 491 when a transfer is already asked.
  Result<void> transfer(ParkTicket ticket, std::string target);
  // One side's session ended. A parkee leaving frees its slot if it was still parked.
  void leave(ParkTicket ticket, ParkSide side);
  // nullopt once the ticket is forgotten (both sides gone, or the parkee gone unretrieved).
  std::optional<ParkStatus> status(ParkTicket ticket) const;

  std::vector<ParkedSlot> occupied(store::TenantId tenant) const;
  std::size_t ticket_count() const;  // tickets not yet forgotten (for tests: leaks)

  // Told whenever a slot fills (a call parked) or empties (retrieved, timed out, the parkee hung
  // up), with the lot's mutex held so that one slot's changes arrive in order; for BLF keys on
  // park slots (issue 6). Must return at once and must not call back into the lot. Set before
  // any call is parked.
  struct SlotChange {
    store::TenantId tenant = 0;
    std::uint32_t slot = 0;
    ParkTicket ticket = 0;
    bool occupied = false;
    std::string parkee;
  };
  void set_slot_listener(std::function<void(const SlotChange&)> listener) {
    slot_listener_ = std::move(listener);
  }

 private:
  struct Entry {
    store::TenantId tenant = 0;
    ParkStatus status;
  };
  using SlotKey = std::pair<store::TenantId, std::uint32_t>;

  // Mutex held. Forgets the ticket once nobody holds it any more.
  void forget_if_done(std::unordered_map<ParkTicket, Entry>::iterator entry);

  const ParkLotOptions options_;
  mutable std::mutex mutex_;
  std::map<SlotKey, ParkTicket> slots_;                   // guarded by mutex_
  std::unordered_map<ParkTicket, Entry> tickets_;         // guarded by mutex_
  ParkTicket next_ticket_ = 1;                            // guarded by mutex_
  std::function<void(const SlotChange&)> slot_listener_;  // set before use, then read-only
  // Mutex held: tells the slot listener, if any.
  void slot_changed(store::TenantId tenant, const ParkStatus& status, ParkTicket ticket,
                    bool occupied) const {
    if (slot_listener_) slot_listener_({tenant, status.slot, ticket, occupied, status.parkee});
  }
};

}  // namespace parley::pbx
