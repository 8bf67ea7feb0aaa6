#pragma once
// PresenceHub: the one place where the call state of every extension meets the subscriptions
// that watch it, across worker loops.
//
// Calls and subscriptions live on different workers (each on the worker its Call-ID hashes to),
// so the state is shared. The choice here is the simple correct one: one table behind one
// mutex, held only for map updates and copies, never across I/O. The B2BUA of any worker
// reports changes (CallStateListener); the hub records the extension's dialogs, then marks the
// extension dirty in the inbox of each worker that has a subscription watching it and wakes
// that worker once (a second change before the worker drained its inbox costs no second wake).
// The woken worker takes its dirty extensions, coalesces them (NotifyCoalescer) and reads each
// extension's snapshot when it sends the NOTIFYs. Per-extension state posted to an owning
// worker would avoid the lock but needs an owner per extension and a copy per watcher worker;
// at BLF rates (tens of changes per second per tenant) the lock is uncontended.
//
// It also holds the subscription caps, which must count across workers: per device (tenant,
// authenticated extension, source address) and per tenant.
//
// Do-not-disturb is the second input of presence: the app replaces the whole set from the store
// whenever the store changed (replace_do_not_disturb(), within a second of a CLI or feature-code
// change), and only the extensions whose flag moved are marked dirty.
//
// The third input is what users say about themselves (decision 0025): RFC 3903 publications
// (soft state with an entity-tag and an expiry, made by PUBLISH on any worker, so kept here)
// and the state chosen in the web client (persisted by the app, handed in with
// set_chosen_presence()). The latest of them wins, as an RFC 3903 compositor may decide; when
// it expires or is removed, the next latest applies again.
//
// Thread-safety: every method may be called from any thread. The wake callback is called
// without the mutex held.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/clock.hpp"
#include "sip/call_state.hpp"
#include "sip/pidf.hpp"

namespace parley::sip {

struct PresenceHubOptions {
  std::size_t max_subscriptions_per_device = 200;  // a phone with BLF expansion modules
  std::size_t max_subscriptions_per_tenant = 5000;
};

// One dialog of an extension as the hub keeps it (terminated ones are removed at once).
struct ExtensionDialog {
  std::string id;
  CallDirection direction = CallDirection::kInitiator;
  CallPhase phase = CallPhase::kRinging;
  std::string call_id;
  std::string local_tag;
  std::string remote_tag;
  std::string remote_party;
};

// Voicemail messages in an extension's box, for message-waiting (RFC 3842).
struct MessageCounts {
  std::uint32_t new_messages = 0;
  std::uint32_t old_messages = 0;
  bool operator==(const MessageCounts&) const = default;
};

struct ExtensionSnapshot {
  std::vector<ExtensionDialog> dialogs;
  bool do_not_disturb = false;
  MessageCounts messages;
  UserPresence user;  // the latest live publication or chosen state; available when none
};

// One RFC 3903 publication of an extension's presence.
struct Publication {
  std::string etag;
  UserPresence presence;
  TimePoint expires_at;
};

// Why admit() refused.
enum class SubscriptionAdmission : std::uint8_t { kAdmitted, kDeviceFull, kTenantFull };

class PresenceHub final : public CallStateListener {
 public:
  explicit PresenceHub(PresenceHubOptions options = {});

  // The key the hub and the workers name an extension by.
  static std::string key(store::TenantId tenant, std::string_view extension);

  // --- workers ---
  // `wake` is called (on any thread) when extensions this worker watches changed and its inbox
  // was empty; the worker then calls take_dirty() on its own thread. Replaces an earlier one.
  void attach_worker(std::size_t worker, std::function<void()> wake);
  void detach_worker(std::size_t worker);
  std::vector<std::string> take_dirty(std::size_t worker);

  // --- state ---
  void on_call_state(const ExtensionCallState& state) override;
  // The DND hook: presence turns closed while set.
  void set_do_not_disturb(store::TenantId tenant, std::string_view extension, bool enabled);
  // The do-not-disturb hook of the store: `keys` are every extension with DND on.
  void replace_do_not_disturb(const std::vector<std::string>& keys);
  ExtensionSnapshot snapshot(const std::string& key) const;
  // The registration hook (LocationTable's reachability listener): `extension` gained its first
  // binding or lost its last one. Registrations are not kept here (watchers read the location
  // service when they build a document, so edges that cross on their way here cannot leave a
  // stale state behind); the extension is only marked dirty for its watchers and the change
  // listener is told. Never called for a refresh, so a plain re-REGISTER costs no NOTIFY.
  void registration_changed(store::TenantId tenant, std::string_view extension, bool reachable);
  std::uint64_t registration_changes() const;  // edges seen, for tests and metrics

  // --- what users say (RFC 3903 publications; the web client's choice) ---
  // A new publication; past kMaxPublications of one extension the oldest one is dropped.
  void add_publication(const std::string& key, Publication publication);
  // Refreshes (presence empty) or modifies the publication `etag` of `key`, which then goes by
  // `updated.etag`. False when there is no such live publication (RFC 3903: 412).
  bool update_publication(const std::string& key, std::string_view etag, Publication updated,
                          bool presence_changed);
  // Removes a publication (Expires: 0). False when there is none.
  bool remove_publication(const std::string& key, std::string_view etag);
  // Drops the publications of `key` whose expiry has passed at `now`.
  void expire_publications(const std::string& key, TimePoint now);
  // The state chosen in the web client (and restored from the store at start); it counts as
  // newer than every publication made so far.
  void set_chosen_presence(const std::string& key, UserPresence presence);
  static constexpr std::size_t kMaxPublications = 8;

  // Told (on the changing thread, without the mutex held) whenever any extension's presence
  // input changed: call state, DND, publications, chosen state. For the web client's feed.
  // Set before the workers start.
  void set_change_listener(std::function<void()> listener) { listener_ = std::move(listener); }
  // The voicemail hook: every box's counts at once (hub key -> counts; boxes left out have
  // none). Extensions whose counts changed are marked dirty for their watchers.
  void replace_message_counts(std::unordered_map<std::string, MessageCounts> counts);

  // --- subscriptions ---
  void watch(std::size_t worker, const std::string& key);
  void unwatch(std::size_t worker, const std::string& key);
  // Counts one more subscription of `device` in `tenant`, or refuses past a cap.
  SubscriptionAdmission admit(store::TenantId tenant, const std::string& device);
  void release(store::TenantId tenant, const std::string& device);

  std::size_t subscription_count() const;
  std::size_t busy_extension_count() const;  // extensions with at least one dialog

 private:
  struct Said {
    Publication publication;  // etag empty for the chosen state
    std::uint64_t sequence = 0;
  };
  struct Entry {
    std::vector<ExtensionDialog> dialogs;
    bool do_not_disturb = false;
    std::vector<std::uint32_t> watchers;  // per worker
    std::vector<Said> publications;
    std::optional<Said> chosen;
  };
  struct Worker {
    std::function<void()> wake;
    std::vector<std::string> dirty;
    bool woken = false;
  };

  // Marks `key` dirty for its watching workers; returns the wakes to call after unlocking.
  std::vector<std::function<void()>> mark_dirty_locked(const std::string& key, const Entry& entry);
  void erase_if_unused_locked(const std::string& key);
  // Marks `key` dirty and runs the wakes and the change listener after unlocking.
  void changed(std::unique_lock<std::mutex>& lock, const std::string& key);

  const PresenceHubOptions options_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;               // guarded by mutex_
  std::vector<Worker> workers_;                                  // guarded by mutex_
  std::unordered_map<std::string, std::size_t> per_device_;      // guarded by mutex_
  std::unordered_map<store::TenantId, std::size_t> per_tenant_;  // guarded by mutex_
  std::unordered_map<std::string, MessageCounts> messages_;      // guarded by mutex_
  std::size_t subscriptions_ = 0;                                // guarded by mutex_
  std::uint64_t sequence_ = 0;                                   // guarded by mutex_
  std::uint64_t registration_changes_ = 0;                       // guarded by mutex_
  std::function<void()> listener_;  // set before the workers start, then read-only
};

}  // namespace parley::sip
