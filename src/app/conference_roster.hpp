#pragma once
// ConferenceRoster: who is in which conference room right now, for the REST API's participants
// routes (http::api::ConferenceControl) and for a moderator's keys (decision 0034). Each
// admitted conference call registers one Entry and unregisters it when the call goes.
//
// Mute works through the participant's media::ConferenceSeat (an atomic the room's mixer reads
// on its next tick), so it needs no hop. Removal must end the call on the worker that owns it:
// the roster posts a task to that worker, which asks the session (Entry::session, set and
// cleared on that worker only) to hang up; a session gone in the meantime is simply not there.
//
// Thread-safety: every method may be called from any thread (one mutex, held only for the map).
// Lifetime: the pool must outlive the roster, and the roster every session.

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "http/api/conference_control.hpp"
#include "media/conference_rooms.hpp"

namespace parley::net {
class WorkerPool;
}

namespace parley::app {

class ConferenceRoster final : public http::api::ConferenceControl {
 public:
  // What a conference session does when the roster removes it: end its call (BYE).
  class Removable {
   public:
    virtual ~Removable() = default;
    virtual void remove_from_room(std::string_view why) = 0;
  };

  // One admitted participant. The session fills it, keeps it, and clears `session` in its
  // destructor (on its worker) before unregistering.
  struct Entry {
    std::string id;  // set by add()
    store::TenantId tenant = 0;
    std::string room;  // the room's number
    std::string caller;
    std::shared_ptr<media::ConferenceSeat> seat;
    std::size_t worker = 0;  // the call's loop
    store::UnixMillis joined_ms = 0;
    std::atomic<bool> moderator{false};
    Removable* session = nullptr;  // the call's worker only
  };

  explicit ConferenceRoster(net::WorkerPool& pool) : pool_(pool) {}

  // Registers an entry and gives it its id.
  void add(const std::shared_ptr<Entry>& entry);
  void remove_entry(const std::string& id);

  std::vector<http::api::ConferenceParticipant> participants(
      store::TenantId tenant, std::string_view number) const override;
  http::api::ParticipantOutcome set_muted(store::TenantId tenant, std::string_view number,
                                          std::string_view id, bool muted) override;
  http::api::ParticipantOutcome remove(store::TenantId tenant, std::string_view number,
                                       std::string_view id) override;

  // A moderator's keys: mutes (or unmutes) everyone in the room but the moderators; returns how
  // many changed.
  std::size_t set_others_muted(store::TenantId tenant, std::string_view number, bool muted);
  // Removes the participant who joined last and is not a moderator; false when there is none.
  bool remove_last(store::TenantId tenant, std::string_view number);

 private:
  std::shared_ptr<Entry> find(store::TenantId tenant, std::string_view number,
                              std::string_view id) const;  // mutex_ held
  void post_removal(const std::shared_ptr<Entry>& entry, std::string why);

  net::WorkerPool& pool_;
  mutable std::mutex mutex_;
  std::uint64_t next_id_ = 1;                                           // guarded by mutex_
  std::map<std::string, std::shared_ptr<Entry>, std::less<>> entries_;  // guarded by mutex_
  std::vector<std::shared_ptr<Entry>> joined_order_;                    // guarded by mutex_
};

}  // namespace parley::app
