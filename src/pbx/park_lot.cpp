#include "pbx/park_lot.hpp"

#include <algorithm>
#include <charconv>
#include <utility>

namespace parley::pbx {

ParkLot::ParkLot(ParkLotOptions options) : options_(std::move(options)) {}

std::optional<std::uint32_t> ParkLot::slot_for(std::string_view number) const {
  if (number.empty()) return std::nullopt;
  if (number == options_.park_code) return 0U;
  if (!std::all_of(number.begin(), number.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  // No leading zeros: "0701" is not slot 701.
  if (number.front() == '0') return std::nullopt;
  std::uint32_t value = 0;
  const auto parsed = std::from_chars(number.data(), number.data() + number.size(), value);
  if (parsed.ec != std::errc{} || parsed.ptr != number.data() + number.size()) return std::nullopt;
  if (value < options_.first_slot || value - options_.first_slot >= options_.slots) {
    return std::nullopt;
  }
  return value;
}

bool ParkLot::is_slot(std::string_view number) const {
  const auto slot = slot_for(number);
  return slot.has_value() && *slot != 0;
}

Result<Parking> ParkLot::park(store::TenantId tenant, std::uint32_t slot, std::string parker,
                              std::string parkee) {
  if (slot != 0 && (slot < options_.first_slot || slot - options_.first_slot >= options_.slots)) {
    return Error{404, "No Such Park Slot"};
  }
  const std::lock_guard lock(mutex_);
  if (slot == 0) {
    // The lowest free slot (Asterisk's findslot=first): people remember low numbers.
    for (std::uint32_t i = 0; i < options_.slots; ++i) {
      if (!slots_.contains({tenant, options_.first_slot + i})) {
        slot = options_.first_slot + i;
        break;
      }
    }
    if (slot == 0) return Error{486, "All Park Slots Busy"};
  } else if (slots_.contains({tenant, slot})) {
    return Error{486, "Park Slot Taken"};
  }
  const ParkTicket ticket = next_ticket_++;
  Entry entry;
  entry.tenant = tenant;
  entry.status.slot = slot;
  entry.status.parker = std::move(parker);
  entry.status.parkee = std::move(parkee);
  const auto stored = tickets_.emplace(ticket, std::move(entry)).first;
  slots_.emplace(SlotKey{tenant, slot}, ticket);
  slot_changed(tenant, stored->second.status, ticket, true);
  return Parking{ticket, slot};
}

Result<Parking> ParkLot::retrieve(store::TenantId tenant, std::uint32_t slot,
                                  std::string retriever) {
  const std::lock_guard lock(mutex_);
  const auto occupied = slots_.find({tenant, slot});
  if (occupied == slots_.end()) return Error{404, "Park Slot Empty"};
  const ParkTicket ticket = occupied->second;
  slots_.erase(occupied);
  ParkStatus& status = tickets_.at(ticket).status;
  status.state = ParkState::kRetrieved;
  status.retriever = std::move(retriever);
  slot_changed(tenant, status, ticket, false);
  return Parking{ticket, slot};
}

bool ParkLot::expire(ParkTicket ticket) {
  const std::lock_guard lock(mutex_);
  const auto entry = tickets_.find(ticket);
  if (entry == tickets_.end() || entry->second.status.state != ParkState::kParked) return false;
  slots_.erase({entry->second.tenant, entry->second.status.slot});
  entry->second.status.state = ParkState::kTimedOut;
  slot_changed(entry->second.tenant, entry->second.status, ticket, false);
  return true;
}

Result<void> ParkLot::transfer(ParkTicket ticket, std::string target) {
  const std::lock_guard lock(mutex_);
  const auto entry = tickets_.find(ticket);
  if (entry == tickets_.end() || entry->second.status.state != ParkState::kRetrieved ||
      entry->second.status.parkee_gone || entry->second.status.retriever_gone) {
    return Error{481, "Parked Call Gone"};
  }
  ParkStatus& status = entry->second.status;
  if (!status.transfer_target.empty()) return Error{491, "Transfer Already Pending"};
  status.transfer_target = std::move(target);
  return {};
}

void ParkLot::leave(ParkTicket ticket, ParkSide side) {
  const std::lock_guard lock(mutex_);
  const auto entry = tickets_.find(ticket);
  if (entry == tickets_.end()) return;
  ParkStatus& status = entry->second.status;
  if (side == ParkSide::kParkee) {
    status.parkee_gone = true;
    if (status.state == ParkState::kParked && slots_.erase({entry->second.tenant, status.slot})) {
      slot_changed(entry->second.tenant, status, ticket, false);
    }
  } else {
    status.retriever_gone = true;
  }
  forget_if_done(entry);
}

void ParkLot::forget_if_done(std::unordered_map<ParkTicket, Entry>::iterator entry) {
  const ParkStatus& status = entry->second.status;
  const bool retrieved = status.state == ParkState::kRetrieved;
  if (status.parkee_gone && (!retrieved || status.retriever_gone)) tickets_.erase(entry);
}

std::optional<ParkStatus> ParkLot::status(ParkTicket ticket) const {
  const std::lock_guard lock(mutex_);
  const auto entry = tickets_.find(ticket);
  if (entry == tickets_.end()) return std::nullopt;
  return entry->second.status;
}

std::vector<ParkedSlot> ParkLot::occupied(store::TenantId tenant) const {
  const std::lock_guard lock(mutex_);
  std::vector<ParkedSlot> out;
  for (auto it = slots_.lower_bound({tenant, 0}); it != slots_.end() && it->first.first == tenant;
       ++it) {
    const ParkStatus& status = tickets_.at(it->second).status;
    out.push_back(ParkedSlot{it->first.second, it->second, status.parker, status.parkee});
  }
  return out;
}

std::size_t ParkLot::ticket_count() const {
  const std::lock_guard lock(mutex_);
  return tickets_.size();
}

}  // namespace parley::pbx
