#pragma once
// PublicationService: the event state compositor side of SIP PUBLISH (RFC 3903) for the
// presence package (RFC 3856, bodies in application/pidf+xml, RFC 3863): how a desk phone or a
// soft client says "away", "busy" or "appear offline" for its own extension. One per worker
// loop, next to the SubscriptionService; the publications themselves live in the shared
// PresenceHub, because a refresh may arrive on another worker than the first PUBLISH (it has a
// new Call-ID), and because the hub is where watchers' NOTIFYs are made from.
//
// A PUBLISH, in order (decision 0025):
//   1. Event: anything but presence -> 489 with Allow-Events: presence. More than one or a bad
//      Expires -> 400. Unparsable From or Request-URI -> 400.
//   2. The publisher's tenant from the From host (403 when none), a banned source -> 403, then
//      digest authentication as for REGISTER and SUBSCRIBE (401, realm = tenant domain,
//      failures counted in the shared AuthThrottle). The authenticated user must be the From
//      user and the Request-URI user, in the same tenant (403: one publishes only oneself), and
//      the extension must exist (404).
//   3. SIP-If-Match naming no live publication of this extension -> 412 Conditional Request
//      Failed.
//   4. Expires: absent = default_expires; non-zero below min_expires -> 423 with Min-Expires;
//      above max_expires -> shortened.
//   5. A body must be application/pidf+xml (else 415 with Accept), without a content coding
//      (else 415 with Accept-Encoding: identity), and read by parse_pidf() (400 with the
//      reason). No SIP-If-Match and no body -> 400.
//   6. Initial (no SIP-If-Match): a new publication with a new entity-tag. Refresh (If-Match, no
//      body): new tag and expiry, same state. Modify (If-Match and a body): new tag, new state.
//      Remove (If-Match, Expires: 0): gone. 200 with SIP-ETag and Expires either way (a removal
//      gets no SIP-ETag: there is nothing left to name).
// Every change reaches watchers through the hub like a call-state change does. A publication
// expires on the worker that last set its expiry (a timer here); the hub drops it only if
// nobody refreshed it meanwhile.
//
// Thread-safety: none; every method runs on the owning worker loop. The collaborators are
// shared and thread-safe.

#include <cstdint>
#include <string>
#include <unordered_map>

#include "base/clock.hpp"
#include "protocol/sip/message.hpp"
#include "sip/auth_throttle.hpp"
#include "sip/digest_auth.hpp"
#include "sip/directory.hpp"
#include "sip/presence_hub.hpp"
#include "sip/timer_queue.hpp"
#include "sip/transaction_layer.hpp"

namespace parley::sip {

struct PublicationServiceOptions {
  TransactionLayer& layer;
  const Clock& clock;
  Directory& directory;
  DigestAuthenticator& authenticator;
  AuthThrottle& throttle;
  PresenceHub& hub;
  std::uint32_t min_expires = 60;
  std::uint32_t max_expires = 3600;
  std::uint32_t default_expires = 3600;  // RFC 3903 §4.1 leaves it to the package; as SUBSCRIBE
  std::string user_agent = "Parley";
};

class PublicationService {
 public:
  // Counters for tests and metrics. They only grow.
  struct Stats {
    std::uint64_t published = 0;  // initial publications
    std::uint64_t refreshed = 0;
    std::uint64_t modified = 0;
    std::uint64_t removed = 0;
    std::uint64_t expired = 0;
    std::uint64_t refused = 0;  // answers >= 400 other than 401
    std::uint64_t challenged = 0;
  };

  explicit PublicationService(PublicationServiceOptions options);

  void on_publish(ServerTransaction& transaction, const protocol::sip::Message& request);

  TimePoint next_deadline() const;
  void process_timers();

  const Stats& stats() const { return stats_; }

 private:
  void respond(ServerTransaction& transaction, int status, std::string_view reason = {},
               protocol::sip::ExtraHeaders extra = {});
  void refuse(ServerTransaction& transaction, int status, std::string_view reason = {},
              protocol::sip::ExtraHeaders extra = {});
  void schedule_expiry(const std::string& key, TimePoint at);

  PublicationServiceOptions options_;
  TimerQueue timers_;                                        // cookie -> expiries_
  std::unordered_map<std::uint64_t, std::string> expiries_;  // cookie -> hub key
  std::uint64_t next_cookie_ = 1;
  Stats stats_;
};

}  // namespace parley::sip
