#pragma once
// TrunkKeepAlive: OPTIONS pings to one provider every `interval`, and the provider's up/down
// state with hysteresis (issue 11), on one worker loop.
//
// A probe succeeds when any final response comes back except 408 and 503: a 404 or 405 still
// proves a SIP server is there, while 503 says it will not take traffic now (RFC 3261 §21.5.4),
// which is what failover must avoid. A probe fails on 408/503 answers, Timer F (64*T1) and
// transport errors. The state starts unknown, turns down after `failures_for_down` consecutive
// failures (one lost datagram is not an outage) and up after one success (a provider that
// answers is usable at once; coming back fast matters more than flapping, which the failure
// threshold already damps). on_back_up fires on every change to up from down (not from
// unknown), so that a failed registration is retried at once.
//
// With alternates (RFC 3263: further SRV targets), a failed probe moves on to the next target
// and probes it at once; only a round in which every target failed counts as one failure, and
// the target that answered is kept for the next probes.
//
// One probe at a time: the next goes out `interval` after the previous one was sent, or at once
// when that one ended later than that (a timeout takes 32 s with the default T1).
//
// Ownership: owned by TrunkClients; the TransactionLayer outlives it. Thread-safety: none.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/clock.hpp"
#include "protocol/sip/message.hpp"
#include "sip/transaction_layer.hpp"
#include "sip/trunk_endpoint.hpp"

namespace parley::sip {

enum class Reachability : std::uint8_t { kUnknown, kUp, kDown };
std::string_view to_text(Reachability reachability);  // "unknown", "up", "down"

struct ReachabilityStatus {
  Reachability state = Reachability::kUnknown;
  int last_code = 0;       // of the last probe; 408 timeout, 503 transport error
  std::int64_t since = 0;  // Unix seconds of the last state change
};

struct TrunkKeepAliveOptions {
  TransactionLayer& layer;
  const Clock& clock;
  std::function<std::string()> make_call_id;  // owned by this worker (call_affinity.hpp)
  std::function<std::int64_t()> wall_clock;   // Unix seconds; empty = the system clock
  std::string user_agent = "Parley";
  Duration interval = std::chrono::seconds(30);
  int failures_for_down = 2;
  std::function<void()> on_change;   // status() changed; may be empty
  std::function<void()> on_back_up;  // down -> up; may be empty
};

class TrunkKeepAlive {
 public:
  // `from_user`: the user part of our From (the trunk's account name, or empty).
  TrunkKeepAlive(TrunkKeepAliveOptions options, TrunkEndpoint endpoint, std::string from_user);
  TrunkKeepAlive(const TrunkKeepAlive&) = delete;
  TrunkKeepAlive& operator=(const TrunkKeepAlive&) = delete;

  void start();  // first probe now

  bool on_response(TransactionId id, const protocol::sip::Message& response);
  bool on_client_failure(TransactionId id, ClientFailure failure);

  TimePoint next_deadline() const { return pending_ != 0 ? TimePoint::max() : next_; }
  void process_timers();

  const ReachabilityStatus& status() const { return status_; }

 private:
  void probe();
  void record(bool success, int code);

  TrunkKeepAliveOptions options_;
  TrunkEndpoint endpoint_;  // peer and local_host_port: those of the target in use
  std::vector<TrunkTarget> targets_;
  std::size_t target_ = 0;
  std::size_t failed_in_round_ = 0;
  std::string from_user_;
  std::uint32_t cseq_ = 0;
  TransactionId pending_ = 0;
  TimePoint sent_at_{};
  TimePoint next_ = TimePoint::max();
  int consecutive_failures_ = 0;
  ReachabilityStatus status_;
};

}  // namespace parley::sip
