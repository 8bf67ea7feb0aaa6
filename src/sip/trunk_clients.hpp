#pragma once
// TrunkClients: every trunk's client side on one worker loop: an OutboundRegistration for each
// registering trunk and a TrunkKeepAlive for each trunk with OPTIONS keep-alive (issue 11).
//
// The app computes the wanted set (from the store, with hosts resolved off the loop) and hands
// it over with apply(): new trunks start, removed ones unregister and go, changed ones are
// replaced (unregistered, then started afresh). Responses to our requests reach this worker
// because every Call-ID we pick hashes to it (make_call_id); the worker's TransactionLayer
// listener passes client callbacks here first (on_response / on_client_failure answer false
// for transactions that are not ours).
//
// Thread-safety: none; one instance per worker loop, used on that loop's thread only. Status
// leaves the loop through options.on_status, as a copy.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.hpp"
#include "protocol/sip/message.hpp"
#include "sip/outbound_registration.hpp"
#include "sip/transaction_layer.hpp"
#include "sip/trunk_endpoint.hpp"
#include "sip/trunk_keepalive.hpp"

namespace parley::sip {

// One trunk as the app wants it to run.
struct TrunkClientConfig {
  std::int64_t trunk_id = 0;
  std::string tenant_domain;
  std::string name;
  // Empty when the host could not be resolved or the transport is not supported: the trunk is
  // shown failed with `unreachable_reason` and nothing is sent.
  std::optional<TrunkEndpoint> endpoint;
  std::string unreachable_reason;
  bool registers = false;
  RegistrationAccount account;
  bool keepalive = true;
  bool operator==(const TrunkClientConfig& other) const = default;
};

// What `parley trunk status` shows for one trunk.
struct TrunkStatus {
  std::string tenant_domain;
  std::string name;
  bool registers = false;
  RegistrationStatus registration;  // kUnregistered for IP-peered trunks
  bool keepalive = false;
  ReachabilityStatus reachability;  // kUnknown without keep-alive
};

struct TrunkClientsOptions {
  TransactionLayer& layer;
  const Clock& clock;
  std::function<std::string()> make_call_id;
  std::function<std::int64_t()> wall_clock;  // Unix seconds; empty = the system clock
  std::string user_agent = "Parley";
  Duration keepalive_interval = std::chrono::seconds(30);
  int keepalive_failures_for_down = 2;
  Duration retry_min = std::chrono::seconds(30);
  Duration retry_max = std::chrono::minutes(10);
  // Receives the whole status after every change (on the loop thread). May be empty.
  std::function<void(std::vector<TrunkStatus>)> on_status;
};

class TrunkClients {
 public:
  explicit TrunkClients(TrunkClientsOptions options);
  ~TrunkClients();
  TrunkClients(const TrunkClients&) = delete;
  TrunkClients& operator=(const TrunkClients&) = delete;

  // Makes the running set match `wanted` (keyed by trunk_id).
  void apply(std::vector<TrunkClientConfig> wanted);
  // Unregisters every trunk and stops all pings (clean shutdown). idle() tells when done.
  void shutdown();
  bool idle() const;

  bool on_response(const ClientTransaction& transaction, const protocol::sip::Message& response);
  bool on_client_failure(const ClientTransaction& transaction, ClientFailure failure);

  TimePoint next_deadline() const;
  void process_timers();

  std::vector<TrunkStatus> status() const;

 private:
  struct Trunk;
  std::unique_ptr<Trunk> start_trunk(TrunkClientConfig config);
  void retire(std::unique_ptr<Trunk> trunk);
  void publish_if_changed();

  TrunkClientsOptions options_;
  std::vector<std::unique_ptr<Trunk>> trunks_;
  // Removed or replaced trunks whose Expires: 0 is still in flight.
  std::vector<std::unique_ptr<OutboundRegistration>> leaving_;
  bool changed_ = false;
};

}  // namespace parley::sip
