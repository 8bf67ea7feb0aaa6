#pragma once
// SubscriptionService: the notifier side of SIP-specific event notification (RFC 6665) for the
// two packages BLF keys of desk phones use: "dialog" (RFC 4235, application/dialog-info+xml)
// and "presence" (RFC 3856, application/pidf+xml), and for the message-waiting lamp:
// "message-summary" (RFC 3842, application/simple-message-summary; a phone may watch only its
// own extension's voicemail box, else 403; the counts come from PresenceHub's
// replace_message_counts()). One per worker loop, next to the B2BUA.
//
// A new SUBSCRIBE (no To tag), in order:
//   1. Event: a package other than dialog/presence, or none -> 489 with Allow-Events. Accept
//      present without our content type (or */*) -> 406. More than one Expires, or a bad one
//      -> 400. Unparsable From or Request-URI -> 400.
//   2. The subscriber's tenant from the From host (403 when none), a banned source -> 403, then
//      digest authentication exactly as the registrar does it (401 WWW-Authenticate, realm =
//      tenant domain; failures counted in the shared AuthThrottle). The authenticated user
//      must be the From user -> 403.
//   3. The target is the Request-URI user in the Request-URI's tenant (an IP literal names the
//      subscriber's own tenant): another tenant -> 403, no such extension (nor a number the
//      `watchable` option admits, such as a park slot) -> 404.
//   4. Expires: absent = default_expires; non-zero below min_expires -> 423 with Min-Expires;
//      above max_expires -> shortened. Expires: 0 is a fetch: 200, one NOTIFY with the state
//      and "terminated;reason=timeout", nothing kept.
//   5. Caps (PresenceHub::admit, counted over every worker): past the per-device cap -> 403
//      "Too Many Subscriptions" (the device itself must unsubscribe: retrying cannot help);
//      past the per-tenant cap -> 503 with Retry-After (it clears as other devices leave).
//   6. 200 with Expires and Contact, then at once a NOTIFY with the full state.
// Event lists (RFC 4662, decision 0037): a presence SUBSCRIBE to sip:presence-list@<domain> is
// the tenant's list of every extension (the first kMaxListResources); without "Supported:
// eventlist" it gets 421 with "Require: eventlist". One subscription then watches every member;
// its NOTIFYs carry "Require: eventlist" and multipart/related RLMI bodies (ResourceListState):
// full state first and on refresh, then only the members that changed.
// In-dialog SUBSCRIBE: unknown dialog -> 481; Expires: 0 -> 200 and a final NOTIFY
// "terminated"; otherwise a refresh: 200 with the new Expires and a NOTIFY with full state.
// In-dialog requests are not challenged: the dialog identifiers (Call-ID and our 64-bit random
// tag) are the credential, as for calls.
//
// NOTIFY: every change of a watched extension reaches the worker through the PresenceHub and is
// coalesced for `coalesce_window` (NotifyCoalescer), then one NOTIFY with the latest full state
// goes to each subscription. A subscription has at most one NOTIFY in flight; a change meanwhile
// is sent when its answer comes, so NOTIFYs never overtake each other and dialog-info versions
// arrive in order, one higher per NOTIFY. NOTIFYs are client transactions of the worker's
// TransactionLayer (retransmitted over UDP by it). Any final answer of 300 or more (481 in
// particular) or a transaction failure ends the subscription without another NOTIFY. When a
// subscription expires, a NOTIFY "terminated;reason=timeout" goes out.
//
// A dialog that ended is reported once as "terminated" to each subscription that had seen it,
// then left out (an idle extension has an empty dialog-info).
//
// Only changes are notified: a NOTIFY caused by a change (not the first one, a refresh or the
// final one) is skipped when what the subscription would report is what it reported last (the
// live dialogs, the PIDF document, the message counts), so an input that does not move the
// package's state (DND for dialog watchers, a registration for dialog watchers) costs no NOTIFY.
// Registrations reach presence watchers as edges from the location table (first binding, last
// binding gone; PresenceHub::registration_changed). The lapse of a registration that is not
// refreshed is found by a timer per presence subscription at the expiry of the watched
// extension's latest binding, so "closed" follows within a second, not at the next purge.
//
// Thread-safety: none; every method runs on the owning worker loop. The collaborators are
// shared and thread-safe.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/clock.hpp"
#include "protocol/sip/message.hpp"
#include "sip/auth_throttle.hpp"
#include "sip/digest_auth.hpp"
#include "sip/directory.hpp"
#include "sip/location.hpp"
#include "sip/notify_coalescer.hpp"
#include "sip/presence_hub.hpp"
#include "sip/resource_list.hpp"
#include "sip/subscribe_request.hpp"
#include "sip/timer_queue.hpp"
#include "sip/transaction_layer.hpp"

namespace parley::sip {

struct SubscriptionServiceOptions {
  TransactionLayer& layer;
  const Clock& clock;
  Directory& directory;
  DigestAuthenticator& authenticator;
  AuthThrottle& throttle;
  LocationService& location;
  PresenceHub& hub;
  std::size_t worker = 0;  // this loop's index, as the hub knows it
  std::uint32_t min_expires = 60;
  std::uint32_t max_expires = 3600;
  std::uint32_t default_expires = 3600;  // RFC 4235 §3.2 and RFC 3856 §6.4 suggest 3600
  Duration coalesce_window = std::chrono::milliseconds(80);
  std::uint32_t retry_after_seconds = 60;  // in the 503 at the tenant cap
  std::string user_agent = "Parley";
  // Host for our Via and Contact; empty = the address of the socket the subscription came in on.
  std::string advertised_host;
  // Unix seconds, the time base of binding expiry (store::Binding::expires_at); empty = the
  // system clock.
  std::function<std::int64_t()> unix_clock;
  // Numbers that are no extension but may be watched with the dialog package (park slots, whose
  // parked call the app reports to the hub as the slot's dialog; issue 6). Empty = none.
  std::function<bool(store::TenantId, std::string_view number)> watchable;
};

class SubscriptionService {
 public:
  // Counters for metrics, benchmarks and tests. They only grow.
  struct Stats {
    std::uint64_t subscribed = 0;  // new subscriptions accepted (fetches included)
    std::uint64_t refreshed = 0;
    std::uint64_t unsubscribed = 0;
    std::uint64_t expired = 0;
    std::uint64_t refused = 0;     // 4xx/5xx other than 401
    std::uint64_t challenged = 0;  // 401
    std::uint64_t notifies_sent = 0;
    std::uint64_t notifies_failed = 0;   // answered >= 300 or timed out: subscription dropped
    std::uint64_t notifies_skipped = 0;  // a change that did not move the reported state
    std::uint64_t state_changes = 0;     // extension changes taken from the hub
  };

  explicit SubscriptionService(SubscriptionServiceOptions options);
  // Gives the hub back every watch and admission this worker holds (no NOTIFY is sent).
  ~SubscriptionService();
  SubscriptionService(const SubscriptionService&) = delete;
  SubscriptionService& operator=(const SubscriptionService&) = delete;

  // Any SUBSCRIBE, in or out of dialog.
  void on_subscribe(ServerTransaction& transaction, const protocol::sip::Message& request);
  // Answers to our NOTIFYs. Return false when the transaction is not ours.
  bool on_response(ClientTransaction& transaction, const protocol::sip::Message& response);
  bool on_client_failure(ClientTransaction& transaction, ClientFailure failure);
  // The hub woke this worker: take its changed extensions into the coalescer.
  void on_changes();

  TimePoint next_deadline() const;
  void process_timers();

  std::size_t size() const { return subscriptions_.size(); }
  const Stats& stats() const { return stats_; }

 private:
  struct Subscription;

  void on_refresh(ServerTransaction& transaction, const protocol::sip::Message& request);
  void respond(ServerTransaction& transaction, int status, std::string_view reason = {},
               protocol::sip::ExtraHeaders extra = {}, std::string_view to_tag = {});
  void refuse(ServerTransaction& transaction, int status, std::string_view reason = {},
              protocol::sip::ExtraHeaders extra = {});
  // `only_if_changed`: a change caused it; skipped when the state reported would not move.
  void send_notify(Subscription& subscription, bool only_if_changed = false);
  std::string dialog_body(Subscription& subscription, std::size_t& fingerprint);
  std::string presence_body(Subscription& subscription);
  // One extension's PIDF document; `registered_until` = its latest binding expiry, 0 = none.
  std::string presence_document(store::TenantId tenant, const std::string& extension,
                                const std::string& entity, const std::string& hub_key,
                                std::int64_t& registered_until);
  // An event list's next NOTIFY body (full state or what changed); nullopt = nothing to say.
  std::optional<ResourceListState::Notification> list_notification(Subscription& subscription,
                                                                   bool full_state);
  // Re-arms the lapse timer of a presence subscription for the latest binding expiry seen.
  void arm_lapse(Subscription& subscription, std::int64_t registered_until);
  std::int64_t unix_now() const;
  std::string message_summary_body(const Subscription& subscription);
  void end(Subscription& subscription, std::string_view reason);
  void stop_watching(Subscription& subscription);
  void remove(std::uint64_t id);
  Subscription* find(std::uint64_t id);
  std::string host_port(const Peer& peer) const;

  SubscriptionServiceOptions options_;
  NotifyCoalescer coalescer_;
  TimerQueue timers_;  // expiry of each subscription, cookie = its id
  TimerQueue lapses_;  // registration lapse of presence subscriptions, cookie = its id
  std::unordered_map<std::uint64_t, std::unique_ptr<Subscription>> subscriptions_;
  std::unordered_map<std::string, std::uint64_t> by_dialog_;  // "Call-ID \n our tag"
  std::unordered_map<std::string, std::vector<std::uint64_t>> by_extension_;  // hub key
  std::unordered_map<TransactionId, std::uint64_t> notifies_;  // NOTIFY in flight -> sub
  std::uint64_t next_id_ = 1;
  Stats stats_;
};

}  // namespace parley::sip
