#include "sip/presence_hub.hpp"

#include <algorithm>
#include <utility>

namespace parley::sip {

PresenceHub::PresenceHub(PresenceHubOptions options) : options_(options) {}

std::string PresenceHub::key(store::TenantId tenant, std::string_view extension) {
  std::string out = std::to_string(tenant);
  out += '\n';
  out += extension;
  return out;
}

void PresenceHub::attach_worker(std::size_t worker, std::function<void()> wake) {
  std::lock_guard lock(mutex_);
  if (workers_.size() <= worker) workers_.resize(worker + 1);
  workers_[worker].wake = std::move(wake);
  workers_[worker].woken = false;
}

void PresenceHub::detach_worker(std::size_t worker) {
  std::lock_guard lock(mutex_);
  if (worker >= workers_.size()) return;
  workers_[worker] = Worker{};
}

std::vector<std::string> PresenceHub::take_dirty(std::size_t worker) {
  std::lock_guard lock(mutex_);
  if (worker >= workers_.size()) return {};
  workers_[worker].woken = false;
  return std::exchange(workers_[worker].dirty, {});
}

std::vector<std::function<void()>> PresenceHub::mark_dirty_locked(const std::string& key,
                                                                  const Entry& entry) {
  std::vector<std::function<void()>> wakes;
  for (std::size_t worker = 0; worker < entry.watchers.size() && worker < workers_.size();
       ++worker) {
    if (entry.watchers[worker] == 0) continue;
    Worker& target = workers_[worker];
    if (std::find(target.dirty.begin(), target.dirty.end(), key) == target.dirty.end()) {
      target.dirty.push_back(key);
    }
    if (!target.woken && target.wake) {
      target.woken = true;
      wakes.push_back(target.wake);
    }
  }
  return wakes;
}

void PresenceHub::erase_if_unused_locked(const std::string& key) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  const Entry& entry = it->second;
  const bool watched =
      std::any_of(entry.watchers.begin(), entry.watchers.end(), [](auto n) { return n != 0; });
  if (entry.dialogs.empty() && !entry.do_not_disturb && !watched && entry.publications.empty() &&
      !entry.chosen) {
    entries_.erase(it);
  }
}

void PresenceHub::changed(std::unique_lock<std::mutex>& lock, const std::string& key) {
  std::vector<std::function<void()>> wakes;
  if (auto it = entries_.find(key); it != entries_.end())
    wakes = mark_dirty_locked(key, it->second);
  erase_if_unused_locked(key);
  lock.unlock();
  for (auto& wake : wakes) wake();
  if (listener_) listener_();
}

void PresenceHub::on_call_state(const ExtensionCallState& state) {
  const std::string k = key(state.tenant, state.extension);
  std::vector<std::function<void()>> wakes;
  {
    std::lock_guard lock(mutex_);
    Entry& entry = entries_[k];
    auto it = std::find_if(entry.dialogs.begin(), entry.dialogs.end(),
                           [&](const ExtensionDialog& d) { return d.id == state.dialog_id; });
    if (state.phase == CallPhase::kTerminated) {
      if (it == entry.dialogs.end()) {
        erase_if_unused_locked(k);
        return;
      }
      entry.dialogs.erase(it);
    } else {
      if (it == entry.dialogs.end()) {
        entry.dialogs.push_back(ExtensionDialog{
            state.dialog_id, state.direction, state.phase, {}, {}, {}, state.remote_party});
        it = entry.dialogs.end() - 1;
      }
      it->phase = state.phase;
      if (!state.call_id.empty()) {
        it->call_id = state.call_id;
        it->local_tag = state.local_tag;
        it->remote_tag = state.remote_tag;
      }
    }
    wakes = mark_dirty_locked(k, entry);
    erase_if_unused_locked(k);
  }
  for (auto& wake : wakes) wake();
  if (listener_) listener_();
}

void PresenceHub::registration_changed(store::TenantId tenant, std::string_view extension,
                                       bool /*reachable*/) {
  const std::string k = key(tenant, extension);
  std::vector<std::function<void()>> wakes;
  {
    std::lock_guard lock(mutex_);
    ++registration_changes_;
    // No entry: nobody watches the extension and it has no other state; nothing to mark.
    if (auto it = entries_.find(k); it != entries_.end()) wakes = mark_dirty_locked(k, it->second);
  }
  for (auto& wake : wakes) wake();
  if (listener_) listener_();
}

std::uint64_t PresenceHub::registration_changes() const {
  std::lock_guard lock(mutex_);
  return registration_changes_;
}

void PresenceHub::set_do_not_disturb(store::TenantId tenant, std::string_view extension,
                                     bool enabled) {
  const std::string k = key(tenant, extension);
  std::vector<std::function<void()>> wakes;
  {
    std::lock_guard lock(mutex_);
    Entry& entry = entries_[k];
    if (entry.do_not_disturb == enabled) {
      erase_if_unused_locked(k);
      return;
    }
    entry.do_not_disturb = enabled;
    wakes = mark_dirty_locked(k, entry);
    erase_if_unused_locked(k);
  }
  for (auto& wake : wakes) wake();
  if (listener_) listener_();
}

void PresenceHub::replace_do_not_disturb(const std::vector<std::string>& keys) {
  std::vector<std::function<void()>> wakes;
  bool any = false;
  {
    std::lock_guard lock(mutex_);
    auto mark = [&](const std::string& k, Entry& entry) {
      any = true;
      auto more = mark_dirty_locked(k, entry);
      wakes.insert(wakes.end(), std::make_move_iterator(more.begin()),
                   std::make_move_iterator(more.end()));
    };
    std::vector<std::string> cleared;
    for (auto& [k, entry] : entries_) {
      if (!entry.do_not_disturb) continue;
      if (std::find(keys.begin(), keys.end(), k) != keys.end()) continue;
      entry.do_not_disturb = false;
      mark(k, entry);
      cleared.push_back(k);
    }
    for (const std::string& k : keys) {
      Entry& entry = entries_[k];
      if (entry.do_not_disturb) continue;
      entry.do_not_disturb = true;
      mark(k, entry);
    }
    for (const std::string& k : cleared) erase_if_unused_locked(k);
  }
  for (auto& wake : wakes) wake();
  if (any && listener_) listener_();
}

void PresenceHub::add_publication(const std::string& key, Publication publication) {
  std::unique_lock lock(mutex_);
  Entry& entry = entries_[key];
  if (entry.publications.size() >= kMaxPublications) {
    auto oldest =
        std::min_element(entry.publications.begin(), entry.publications.end(),
                         [](const Said& a, const Said& b) { return a.sequence < b.sequence; });
    entry.publications.erase(oldest);
  }
  entry.publications.push_back(Said{std::move(publication), ++sequence_});
  changed(lock, key);
}

bool PresenceHub::update_publication(const std::string& key, std::string_view etag,
                                     Publication updated, bool presence_changed) {
  std::unique_lock lock(mutex_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return false;
  auto& list = it->second.publications;
  auto found = std::find_if(list.begin(), list.end(),
                            [&](const Said& said) { return said.publication.etag == etag; });
  if (found == list.end()) return false;
  if (!presence_changed) updated.presence = std::move(found->publication.presence);
  found->publication = std::move(updated);
  if (presence_changed) {
    found->sequence = ++sequence_;
    changed(lock, key);
  }
  return true;
}

bool PresenceHub::remove_publication(const std::string& key, std::string_view etag) {
  std::unique_lock lock(mutex_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return false;
  auto& list = it->second.publications;
  const auto before = list.size();
  std::erase_if(list, [&](const Said& said) { return said.publication.etag == etag; });
  if (list.size() == before) return false;
  changed(lock, key);
  return true;
}

void PresenceHub::expire_publications(const std::string& key, TimePoint now) {
  std::unique_lock lock(mutex_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  auto& list = it->second.publications;
  const auto before = list.size();
  std::erase_if(list, [&](const Said& said) { return said.publication.expires_at <= now; });
  if (list.size() == before) return;
  changed(lock, key);
}

void PresenceHub::set_chosen_presence(const std::string& key, UserPresence presence) {
  std::unique_lock lock(mutex_);
  Entry& entry = entries_[key];
  entry.chosen = Said{Publication{{}, std::move(presence), TimePoint::max()}, ++sequence_};
  changed(lock, key);
}

ExtensionSnapshot PresenceHub::snapshot(const std::string& key) const {
  std::lock_guard lock(mutex_);
  ExtensionSnapshot out;
  if (auto counts = messages_.find(key); counts != messages_.end()) out.messages = counts->second;
  auto it = entries_.find(key);
  if (it == entries_.end()) return out;
  const Entry& entry = it->second;
  out.dialogs = entry.dialogs;
  out.do_not_disturb = entry.do_not_disturb;
  const Said* latest = entry.chosen ? &*entry.chosen : nullptr;
  for (const Said& said : entry.publications) {
    if (latest == nullptr || said.sequence > latest->sequence) latest = &said;
  }
  if (latest != nullptr) out.user = latest->publication.presence;
  return out;
}

void PresenceHub::replace_message_counts(std::unordered_map<std::string, MessageCounts> counts) {
  std::vector<std::function<void()>> wakes;
  {
    std::lock_guard lock(mutex_);
    auto changed = [&](const std::string& k) {
      auto entry = entries_.find(k);
      if (entry == entries_.end()) return;  // nobody watches it
      auto more = mark_dirty_locked(k, entry->second);
      wakes.insert(wakes.end(), std::make_move_iterator(more.begin()),
                   std::make_move_iterator(more.end()));
    };
    for (const auto& [k, value] : counts) {
      auto old = messages_.find(k);
      if (old == messages_.end() || !(old->second == value)) changed(k);
    }
    for (const auto& [k, value] : messages_) {
      if (!counts.contains(k) && !(value == MessageCounts{})) changed(k);
    }
    messages_ = std::move(counts);
  }
  for (auto& wake : wakes) wake();
}

void PresenceHub::watch(std::size_t worker, const std::string& key) {
  std::lock_guard lock(mutex_);
  Entry& entry = entries_[key];
  if (entry.watchers.size() <= worker) entry.watchers.resize(worker + 1);
  ++entry.watchers[worker];
}

void PresenceHub::unwatch(std::size_t worker, const std::string& key) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  if (worker < it->second.watchers.size() && it->second.watchers[worker] != 0) {
    --it->second.watchers[worker];
  }
  erase_if_unused_locked(key);
}

SubscriptionAdmission PresenceHub::admit(store::TenantId tenant, const std::string& device) {
  std::lock_guard lock(mutex_);
  std::size_t& device_count = per_device_[device];
  if (device_count >= options_.max_subscriptions_per_device) {
    if (device_count == 0) per_device_.erase(device);
    return SubscriptionAdmission::kDeviceFull;
  }
  std::size_t& tenant_count = per_tenant_[tenant];
  if (tenant_count >= options_.max_subscriptions_per_tenant) {
    if (device_count == 0) per_device_.erase(device);
    return SubscriptionAdmission::kTenantFull;
  }
  ++device_count;
  ++tenant_count;
  ++subscriptions_;
  return SubscriptionAdmission::kAdmitted;
}

void PresenceHub::release(store::TenantId tenant, const std::string& device) {
  std::lock_guard lock(mutex_);
  if (auto it = per_device_.find(device); it != per_device_.end()) {
    if (--it->second == 0) per_device_.erase(it);
  }
  if (auto it = per_tenant_.find(tenant); it != per_tenant_.end()) {
    if (--it->second == 0) per_tenant_.erase(it);
  }
  if (subscriptions_ != 0) --subscriptions_;
}

std::size_t PresenceHub::subscription_count() const {
  std::lock_guard lock(mutex_);
  return subscriptions_;
}

std::size_t PresenceHub::busy_extension_count() const {
  std::lock_guard lock(mutex_);
  return static_cast<std::size_t>(std::count_if(
      entries_.begin(), entries_.end(), [](const auto& e) { return !e.second.dialogs.empty(); }));
}

}  // namespace parley::sip
