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
// Do-not-disturb is the second input of presence: set_do_not_disturb() is the hook the DND
// feature calls (nothing calls it yet).
//
// Thread-safety: every method may be called from any thread. The wake callback is called
// without the mutex held.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "sip/call_state.hpp"

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
  ExtensionSnapshot snapshot(const std::string& key) const;
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
  struct Entry {
    std::vector<ExtensionDialog> dialogs;
    bool do_not_disturb = false;
    std::vector<std::uint32_t> watchers;  // per worker
  };
  struct Worker {
    std::function<void()> wake;
    std::vector<std::string> dirty;
    bool woken = false;
  };

  // Marks `key` dirty for its watching workers; returns the wakes to call after unlocking.
  std::vector<std::function<void()>> mark_dirty_locked(const std::string& key, const Entry& entry);
  void erase_if_unused_locked(const std::string& key);

  const PresenceHubOptions options_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;               // guarded by mutex_
  std::vector<Worker> workers_;                                  // guarded by mutex_
  std::unordered_map<std::string, std::size_t> per_device_;      // guarded by mutex_
  std::unordered_map<store::TenantId, std::size_t> per_tenant_;  // guarded by mutex_
  std::unordered_map<std::string, MessageCounts> messages_;      // guarded by mutex_
  std::size_t subscriptions_ = 0;                                // guarded by mutex_
};

}  // namespace parley::sip
