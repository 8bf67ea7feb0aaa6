#include "sip/call_placement.hpp"

#include <algorithm>
#include <utility>

#include "protocol/sip/headers.hpp"
#include "protocol/sip/replaces.hpp"
#include "protocol/sip/uri.hpp"
#include "sip/call_affinity.hpp"

namespace parley::sip {
namespace {

using protocol::sip::HeaderId;
using protocol::sip::Method;

// The extension number a URI's user part names, unescaped (as the B2BUA reports it).
std::string number_of(std::string_view user) {
  auto decoded = protocol::sip::unescape(user);
  return decoded.ok() ? std::move(decoded).value() : std::string(user);
}

}  // namespace

std::string placement_party_key(store::TenantId tenant, std::string_view extension) {
  std::string key = std::to_string(tenant);
  key.push_back('\n');
  key.append(extension);
  return key;
}

CallPlacement::CallPlacement(CallPlacementOptions options) : options_(std::move(options)) {
  if (options_.workers == 0) options_.workers = 1;
}

std::size_t CallPlacement::route(const protocol::sip::Message& message) {
  const std::string_view call_id = message.call_id();
  const bool new_invite =
      message.is_request() && message.method() == Method::kInvite && message.to_tag().empty();
  if (!new_invite || options_.workers <= 1 || !options_.tenant_of_host) return owner(call_id);

  // The parties' keys are worked out before taking the mutex (tenant_of_host reads the
  // directory). Whatever does not parse is placed by the hash; the B2BUA answers it.
  std::string caller_key;
  std::string callee_key;
  std::vector<std::string> pickup_keys;
  std::string replaced_call_id;
  if (const std::string_view replaces_value = message.first("Replaces"); !replaces_value.empty()) {
    // The INVITE goes where the dialog it replaces is (decision 0031).
    if (auto replaces = protocol::sip::parse_replaces(replaces_value); replaces.ok()) {
      replaced_call_id = std::move(replaces->call_id);
    }
  }
  auto from = protocol::sip::parse_name_addr(message.first(HeaderId::kFrom));
  auto target = protocol::sip::parse_uri(message.request_uri());
  std::optional<store::TenantId> caller_tenant;
  if (from.ok() && !from->opaque_uri && !from->uri.user.empty()) {
    caller_tenant = options_.tenant_of_host(from->uri.host);
    if (caller_tenant) caller_key = placement_party_key(*caller_tenant, number_of(from->uri.user));
  }
  if (target.ok() && !target->user.empty()) {
    // A Request-URI host that names no tenant (our address) means the caller's own tenant.
    std::optional<store::TenantId> callee_tenant = options_.tenant_of_host(target->host);
    if (!callee_tenant) callee_tenant = caller_tenant;
    if (callee_tenant) callee_key = placement_party_key(*callee_tenant, number_of(target->user));
    if (callee_tenant && caller_tenant == callee_tenant && options_.pickup_from) {
      for (const auto& extension : options_.pickup_from(*caller_tenant, number_of(from->uri.user),
                                                        number_of(target->user))) {
        pickup_keys.push_back(placement_party_key(*caller_tenant, extension));
      }
    }
  }

  const std::size_t hashed = call_owner(call_id, options_.workers);
  const TimePoint now = options_.clock.now();
  const std::lock_guard lock(mutex_);
  purge(now);
  if (auto worker = pinned(call_id, now)) return *worker;
  std::optional<std::size_t> worker;
  if (!replaced_call_id.empty()) {
    worker = pinned(replaced_call_id, now);
    if (!worker) worker = call_owner(replaced_call_id, options_.workers);
  }
  if (!worker && !pickup_keys.empty()) worker = ringing_worker(pickup_keys);
  if (!worker && !caller_key.empty()) worker = party_worker(caller_key);
  if (!worker && !callee_key.empty()) worker = party_worker(callee_key);
  if (!worker || *worker == hashed || *worker >= options_.workers) return hashed;
  pins_.insert_or_assign(std::string(call_id), Pin{*worker, now + options_.linger});
  pin_count_.store(pins_.size(), std::memory_order_release);
  return *worker;
}

std::size_t CallPlacement::owner(std::string_view call_id) {
  if (pin_count_.load(std::memory_order_acquire) != 0) {
    const TimePoint now = options_.clock.now();
    const std::lock_guard lock(mutex_);
    if (auto worker = pinned(call_id, now)) return *worker;
  }
  return call_owner(call_id, options_.workers);
}

void CallPlacement::note(std::size_t worker, const ExtensionCallState& state) {
  const bool ended = state.phase == CallPhase::kTerminated;
  std::string key =
      state.extension.empty() ? std::string() : placement_party_key(state.tenant, state.extension);
  const TimePoint now = options_.clock.now();
  const std::lock_guard lock(mutex_);
  if (!key.empty()) {
    auto party = parties_.find(key);
    if (ended) {
      if (party != parties_.end()) {
        std::erase_if(party->second, [&state](const PartyDialog& dialog) {
          return dialog.dialog_id == state.dialog_id;
        });
        if (party->second.empty()) parties_.erase(party);
      }
    } else {
      if (party == parties_.end()) party = parties_.try_emplace(std::move(key)).first;
      auto& dialogs = party->second;
      auto it = std::find_if(dialogs.begin(), dialogs.end(), [&state](const PartyDialog& dialog) {
        return dialog.dialog_id == state.dialog_id;
      });
      const bool confirmed = state.phase == CallPhase::kConfirmed;
      const bool ringing_here =
          state.phase == CallPhase::kRinging && state.direction == CallDirection::kRecipient;
      if (it != dialogs.end()) {
        // Moved to the end: the most recent change wins in party_worker().
        PartyDialog changed = std::move(*it);
        dialogs.erase(it);
        changed.worker = worker;
        changed.confirmed = confirmed;
        changed.ringing_here = ringing_here;
        dialogs.push_back(std::move(changed));
      } else {
        dialogs.push_back(PartyDialog{state.dialog_id, worker, confirmed, ringing_here, now});
      }
    }
  }
  if (state.direction == CallDirection::kRecipient) note_members(worker, state, now);
  if (state.call_id.empty()) return;
  const auto pin = pins_.find(state.call_id);
  if (pin == pins_.end()) return;
  if (!ended) {
    pin->second.expires = TimePoint::max();
  } else if (pin->second.expires == TimePoint::max()) {
    pin->second.expires = now + options_.linger;
  }
}

void CallPlacement::note_members(std::size_t worker, const ExtensionCallState& state,
                                 TimePoint now) {
  auto filed = member_keys_.find(state.dialog_id);
  if (state.phase != CallPhase::kRinging || state.rung_members.empty()) {
    // Answered or over: nobody can pick it up from the members any more.
    if (filed == member_keys_.end()) return;
    for (const std::string& key : filed->second) {
      auto party = parties_.find(key);
      if (party == parties_.end()) continue;
      std::erase_if(party->second, [&state](const PartyDialog& dialog) {
        return dialog.member && dialog.dialog_id == state.dialog_id;
      });
      if (party->second.empty()) parties_.erase(party);
    }
    member_keys_.erase(filed);
    return;
  }
  if (filed != member_keys_.end()) return;  // filed when it started ringing
  std::vector<std::string> keys;
  for (const std::string& member : state.rung_members) {
    if (member == state.extension) continue;
    std::string key = placement_party_key(state.tenant, member);
    PartyDialog dialog{state.dialog_id, worker, false, true, now};
    dialog.member = true;
    parties_[key].push_back(std::move(dialog));
    keys.push_back(std::move(key));
  }
  member_keys_.emplace(state.dialog_id, std::move(keys));
}

std::optional<std::size_t> CallPlacement::party_worker(const std::string& key) const {
  const auto party = parties_.find(key);
  if (party == parties_.end() || party->second.empty()) return std::nullopt;
  const auto& dialogs = party->second;
  for (auto it = dialogs.rbegin(); it != dialogs.rend(); ++it) {
    if (it->confirmed && !it->member) return it->worker;
  }
  for (auto it = dialogs.rbegin(); it != dialogs.rend(); ++it) {
    if (!it->member) return it->worker;
  }
  return std::nullopt;
}

std::optional<std::size_t> CallPlacement::ringing_worker(
    const std::vector<std::string>& keys) const {
  const PartyDialog* longest = nullptr;
  for (const auto& key : keys) {
    const auto party = parties_.find(key);
    if (party == parties_.end()) continue;
    for (const auto& dialog : party->second) {
      if (dialog.ringing_here && (longest == nullptr || dialog.since < longest->since)) {
        longest = &dialog;
      }
    }
  }
  if (longest == nullptr) return std::nullopt;
  return longest->worker;
}

std::optional<std::size_t> CallPlacement::pinned(std::string_view call_id, TimePoint now) {
  if (pins_.empty()) return std::nullopt;
  const auto pin = pins_.find(std::string(call_id));
  if (pin == pins_.end()) return std::nullopt;
  if (pin->second.expires <= now) {
    pins_.erase(pin);
    pin_count_.store(pins_.size(), std::memory_order_release);
    return std::nullopt;
  }
  return pin->second.worker;
}

void CallPlacement::purge(TimePoint now) {
  if (now < next_purge_) return;
  next_purge_ = now + options_.linger / 4;
  std::erase_if(pins_, [now](const auto& entry) { return entry.second.expires <= now; });
  pin_count_.store(pins_.size(), std::memory_order_release);
}

void PlacementReporter::on_call_state(const ExtensionCallState& state) {
  placement_.note(worker_, state);
  if (next_ != nullptr) next_->on_call_state(state);
}

}  // namespace parley::sip
