#pragma once
// OutboundRegistration: Parley registering one trunk account to a provider, as a UAC
// (RFC 3261 §10.2), on one worker loop.
//
// Behaviour:
// - One Call-ID and From tag for the object's whole life, CSeq one higher per REGISTER
//   (§10.2.4). Only one REGISTER is in flight at a time (§10.2).
// - A 401/407 is answered with digest credentials (digest_client.hpp: the strongest algorithm
//   offered, qop=auth with a fresh cnonce and nc=1 per nonce). The nonce is reused with a higher
//   nc for refreshes. Credentials that answered a challenge of this same attempt and meet another
//   401/407 without stale=TRUE (the same nonce again, or a fresh one: Kamailio issues a new nonce
//   each time) mean a wrong password: the attempt fails. A 401/407 to a refresh carrying an old
//   nonce means the provider forgot it (restarted, or the nonce expired) and is simply answered.
// - 423 takes the Min-Expires and retries at once (bounded, like challenges, per attempt).
// - 2xx: the expiry granted is the expires parameter of our Contact in the answer, else the
//   Expires header, else what we asked; the refresh goes out after `refresh_at` of it.
// - Failover (RFC 3263 §4.3): when the endpoint names alternates (further SRV targets or
//   addresses), a timeout, a transport error or a 503 sends the REGISTER to the next one at once
//   (a fresh challenge there), each target once per attempt; refreshes stay with the target that
//   registered us. When every target failed, the attempt fails as below and the next attempt
//   starts again from the first target.
// - Any other failure (3xx-6xx, timeout = 408, transport error = 503) is kFailed with the code
//   and a reason; the next attempt starts after a back-off that doubles from retry_min up to
//   retry_max and is reset by a success. provider_reachable() (the OPTIONS keep-alive saw the
//   provider come back) starts the next attempt at once after a failure that was not an
//   authentication or configuration refusal.
// - unregister() sends Expires: 0 for our Contact when we may be registered, then is finished().
//
// Ownership: owned by TrunkClients, next to the worker's TransactionLayer (which must outlive
// it). Thread-safety: none; every call on the worker loop's thread.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.hpp"
#include "protocol/sip/message.hpp"
#include "sip/digest_client.hpp"
#include "sip/transaction_layer.hpp"
#include "sip/trunk_endpoint.hpp"

namespace parley::sip {

enum class RegistrationState : std::uint8_t { kUnregistered, kRegistering, kRegistered, kFailed };
std::string_view to_text(RegistrationState state);  // "unregistered", "registering", ...

struct RegistrationStatus {
  RegistrationState state = RegistrationState::kUnregistered;
  int last_code = 0;       // last final status code; 408 timeout, 503 transport error; 0 = none
  std::string reason;      // why kFailed (or why the last attempt failed), for people
  std::int64_t since = 0;  // Unix seconds of the last state change
  std::uint32_t granted_expires = 0;  // seconds the provider granted last time
  std::int64_t expires_at = 0;        // Unix seconds the last granted registration lapses; 0 = none
};

struct RegistrationAccount {
  std::string username;
  std::string password;
  std::string auth_realm;  // empty = answer whatever realm the provider names
  std::uint32_t expires = 600;
  bool operator==(const RegistrationAccount& other) const = default;
};

struct OutboundRegistrationOptions {
  TransactionLayer& layer;
  const Clock& clock;
  // A Call-ID whose responses reach this worker (call_affinity.hpp). Called once.
  std::function<std::string()> make_call_id;
  // Unix seconds for RegistrationStatus::since. Empty = the system clock.
  std::function<std::int64_t()> wall_clock;
  std::string user_agent = "Parley";
  Duration retry_min = std::chrono::seconds(30);
  Duration retry_max = std::chrono::minutes(10);
  double refresh_at = 0.85;  // fraction of the granted expiry after which we refresh
  // Called after every change of status() (on the loop thread). May be empty.
  std::function<void()> on_change;
};

class OutboundRegistration {
 public:
  OutboundRegistration(OutboundRegistrationOptions options, TrunkEndpoint endpoint,
                       RegistrationAccount account);
  OutboundRegistration(const OutboundRegistration&) = delete;
  OutboundRegistration& operator=(const OutboundRegistration&) = delete;

  // Sends the first REGISTER (call once).
  void start();
  // Removes our binding (Expires: 0) if we may hold one; no new attempts afterwards.
  void unregister();
  // After unregister(): nothing is in flight any more.
  bool finished() const { return stopping_ && pending_ == 0; }
  // The provider answers again (OPTIONS keep-alive): retry now if waiting after a failure that
  // reachability could explain.
  void provider_reachable();

  // Client transaction callbacks; false when `id` is not ours.
  bool on_response(TransactionId id, const protocol::sip::Message& response);
  bool on_client_failure(TransactionId id, ClientFailure failure);

  TimePoint next_deadline() const { return pending_ != 0 || stopping_ ? TimePoint::max() : next_; }
  void process_timers();

  const RegistrationStatus& status() const { return status_; }
  const TrunkEndpoint& endpoint() const { return endpoint_; }
  const RegistrationAccount& account() const { return account_; }

 private:
  void send_register();
  void on_challenge(const protocol::sip::Message& response);
  void on_success(const protocol::sip::Message& response);
  std::uint32_t granted_expiry(const protocol::sip::Message& response) const;
  // transient: reachability could explain it (timeouts, 5xx), so provider_reachable() retries.
  void fail(int code, std::string reason, bool transient);
  void set_state(RegistrationState state);
  std::string fresh_cnonce();
  // Moves to the next target not yet tried in this attempt and sends there; false when none.
  bool fail_over(int code, std::string_view why);
  void use_target(std::size_t index);

  OutboundRegistrationOptions options_;
  TrunkEndpoint endpoint_;            // peer and local_host_port: those of the target in use
  std::vector<TrunkTarget> targets_;  // endpoint's own first, then its alternates
  std::size_t target_ = 0;
  std::size_t failed_targets_ = 0;  // targets that failed in the current attempt
  RegistrationAccount account_;
  std::string call_id_;
  std::string from_tag_;
  std::string contact_;
  std::uint32_t cseq_ = 0;
  std::uint32_t asked_expires_;

  std::optional<DigestChallenge> challenge_;
  std::uint32_t nc_ = 0;
  std::string cnonce_;
  bool challenge_is_fresh_ = false;  // challenge_ came in this attempt (not reused from before)
  int rounds_ = 0;                   // 401/407/423 answered within this attempt

  TransactionId pending_ = 0;
  bool pending_unregister_ = false;  // the REGISTER in flight has Expires: 0
  bool stopping_ = false;
  bool last_failure_transient_ = false;
  Duration backoff_;
  TimePoint next_ = TimePoint::max();
  RegistrationStatus status_;
};

}  // namespace parley::sip
