#include "app/conference_roster.hpp"

#include <algorithm>

#include "net/worker_pool.hpp"

namespace parley::app {

using http::api::ConferenceParticipant;
using http::api::ParticipantOutcome;

void ConferenceRoster::add(const std::shared_ptr<Entry>& entry) {
  std::lock_guard lock(mutex_);
  entry->id = std::to_string(next_id_++);
  entries_.emplace(entry->id, entry);
  joined_order_.push_back(entry);
}

void ConferenceRoster::remove_entry(const std::string& id) {
  std::lock_guard lock(mutex_);
  entries_.erase(id);
  std::erase_if(joined_order_, [&](const auto& entry) { return entry->id == id; });
}

std::vector<ConferenceParticipant> ConferenceRoster::participants(store::TenantId tenant,
                                                                  std::string_view number) const {
  std::vector<ConferenceParticipant> out;
  std::lock_guard lock(mutex_);
  for (const auto& entry : joined_order_) {
    if (entry->tenant != tenant || entry->room != number) continue;
    out.push_back({.id = entry->id,
                   .caller = entry->caller,
                   .muted = entry->seat->muted(),
                   .moderator = entry->moderator.load(),
                   .joined_ms = entry->joined_ms});
  }
  return out;
}

std::shared_ptr<ConferenceRoster::Entry> ConferenceRoster::find(store::TenantId tenant,
                                                                std::string_view number,
                                                                std::string_view id) const {
  const auto found = entries_.find(id);
  if (found == entries_.end()) return nullptr;
  const auto& entry = found->second;
  if (entry->tenant != tenant || entry->room != number) return nullptr;
  return entry;
}

ParticipantOutcome ConferenceRoster::set_muted(store::TenantId tenant, std::string_view number,
                                               std::string_view id, bool muted) {
  std::lock_guard lock(mutex_);
  const auto entry = find(tenant, number, id);
  if (!entry) return ParticipantOutcome::kNotFound;
  entry->seat->set_muted(muted);
  return ParticipantOutcome::kDone;
}

ParticipantOutcome ConferenceRoster::remove(store::TenantId tenant, std::string_view number,
                                            std::string_view id) {
  std::shared_ptr<Entry> entry;
  {
    std::lock_guard lock(mutex_);
    entry = find(tenant, number, id);
  }
  if (!entry) return ParticipantOutcome::kNotFound;
  post_removal(entry, "removed through the API");
  return ParticipantOutcome::kDone;
}

std::size_t ConferenceRoster::set_others_muted(store::TenantId tenant, std::string_view number,
                                               bool muted) {
  std::size_t changed = 0;
  std::lock_guard lock(mutex_);
  for (const auto& entry : joined_order_) {
    if (entry->tenant != tenant || entry->room != number || entry->moderator) continue;
    if (entry->seat->muted() != muted) ++changed;
    entry->seat->set_muted(muted);
  }
  return changed;
}

bool ConferenceRoster::remove_last(store::TenantId tenant, std::string_view number) {
  std::shared_ptr<Entry> last;
  {
    std::lock_guard lock(mutex_);
    for (const auto& entry : joined_order_) {
      if (entry->tenant == tenant && entry->room == number && !entry->moderator) last = entry;
    }
  }
  if (!last) return false;
  post_removal(last, "removed by a moderator's key");
  return true;
}

void ConferenceRoster::post_removal(const std::shared_ptr<Entry>& entry, std::string why) {
  // The session lives and dies on its worker, so reading `session` there is race-free.
  pool_.post(entry->worker, [entry, why = std::move(why)] {
    if (entry->session != nullptr) entry->session->remove_from_room(why);
  });
}

}  // namespace parley::app
