#pragma once
// TrunkCalls: the call path's view of provider trunks (issue 11, decision 0016 "Calls").
//
// Outbound: when the dial plan finds a dialled number is not local, plan_outbound() asks the
// pbx::TrunkPolicy (classes, blocked prefixes, routes), picks the route's usable trunks (enabled,
// resolved, not reported down by their OPTIONS keep-alive), takes a lease from the tenant's
// ExternalCallMeter (concurrent and hourly limits) and turns it all into a sip::CallPlan: one
// ring stage per trunk in failover order, each with one sip::ExternalTarget carrying the
// route's digits, the caller-ID and the trunk's credentials. The lease rides in
// CallPlan::keep_alive, so the B2BUA holds it exactly as long as the call. Refusals become
// 403/404/484 (503 when no trunk is usable), each logged with tenant, extension, number and
// reason (a warning: refused attempts are what toll fraud looks like).
//
// Channels (decision 0026): a trunk with max_calls carries at most that many calls, outbound
// and inbound together, counted by one pbx::TrunkCallCounter for every worker. Outbound, each
// trunk's channel is claimed only when its stage rings (ExternalTarget::claim): a full trunk is
// skipped and the next trunk of the route rings; when every usable trunk is already full the
// call is refused at once with 503 "All Trunks Busy". Inbound, claim_inbound() takes the
// arrival trunk's channel for the call's life, or refuses with 486 (the caller hears busy).
//
// Inbound: authenticate_peer() recognises an INVITE from a trunk by its transport, source
// address and port, which must be those of one of the trunk's resolved servers (the configured
// port, the SRV targets' ports, or the transport's default; trunk_source_match.hpp, decision
// 0048): the provider's IP from another port is somebody else. A request from anywhere else
// whose From host is a trunk's host is refused (403). lookup_did() maps the called number to a
// destination of the trunk's tenant. A trunk that requires mutual TLS (decision 0048) is
// recognised only by the client certificate of the TLS connection the request came on
// (peer_certificates(), filled by SipService), never by its address.
//
// TrunkService's thread builds and publishes the snapshot from its own store connection when
// the change counter moves, and forwards keep-alive states; workers read it on their loops.
// Thread-safety: every method may be called from any thread. The snapshot is immutable and
// swapped under a mutex; the meter is internally locked. Outlives every call (the leases point
// at its meter): TrunkService owns it and is destroyed after the workers.

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "app/tls_peer_certificates.hpp"
#include "app/trunk_source_match.hpp"
#include "base/clock.hpp"
#include "base/result.hpp"
#include "pbx/trunk_call_counter.hpp"
#include "pbx/trunk_policy.hpp"
#include "protocol/sip/message.hpp"
#include "sip/call_routing.hpp"
#include "sip/trunk_clients.hpp"
#include "sip/trunk_endpoint.hpp"

namespace parley::app {

// Everything read from the store at one change counter, plus resolved addresses.
struct TrunkCallsSnapshot {
  pbx::TrunkPolicy policy;
  std::map<store::TrunkId, sip::TrunkEndpoint> endpoints;  // enabled trunks that resolved
  std::map<store::TenantId, std::string> domains;
  // Trunks that require a client certificate (decision 0048), by id.
  std::map<store::TrunkId, TrunkClientCheck> client_tls;
};

class TrunkCalls {
 public:
  TrunkCalls() = default;
  TrunkCalls(const TrunkCalls&) = delete;
  TrunkCalls& operator=(const TrunkCalls&) = delete;

  void publish(TrunkCallsSnapshot snapshot);
  // The trunks' keep-alive and registration states (TrunkClients' status).
  void set_status(const std::vector<sip::TrunkStatus>& status);
  std::shared_ptr<const TrunkCallsSnapshot> current() const;

  // `extension` of `tenant` dialled `dialled`, a number the dial plan does not know.
  sip::CallPlan plan_outbound(const sip::CallTenant& tenant, std::string_view extension,
                              std::string_view dialled);

  // See the header comment; nullopt when `source` is no trunk and claims none.
  std::optional<sip::CallAuth> authenticate_peer(const sip::Peer& source,
                                                 const protocol::sip::Message& invite) const;

  // The destination of a call to `called` that arrived on `trunk` (a trunk name) of `tenant`.
  Result<pbx::DidMatch> lookup_did(store::TenantId tenant, std::string_view trunk,
                                   std::string_view called) const;

  pbx::ExternalCallUsage usage(store::TenantId tenant) const { return meter_.usage(tenant); }

  // A channel of trunk `trunk` (a name) of `tenant` for an inbound call, to keep as long as the
  // call (CallPlan::keep_alive); Error 486 with the reason when the trunk is at max_calls.
  // A trunk unknown to the snapshot (removed meanwhile) has no limit.
  Result<std::shared_ptr<void>> claim_inbound(store::TenantId tenant, std::string_view trunk);

  // The client certificates of TLS connections to our listener, for trunks with mutual TLS.
  TlsPeerCertificates& peer_certificates() { return peer_certificates_; }

  // Calls up now per trunk id (both directions), for `parley trunk status`.
  std::map<store::TrunkId, std::uint32_t> calls_in_progress() const {
    return channels_.all_in_use();
  }

 private:
  bool is_down(const TrunkCallsSnapshot& snapshot, const store::Trunk& trunk) const;
  bool presents_certificate_of(const store::Trunk& trunk, const TrunkClientCheck& check,
                               const sip::Peer& source) const;

  SteadyClock clock_;
  pbx::ExternalCallMeter meter_{clock_};
  pbx::TrunkCallCounter channels_;
  TlsPeerCertificates peer_certificates_;
  mutable std::mutex mutex_;
  std::shared_ptr<const TrunkCallsSnapshot> snapshot_ =
      std::make_shared<const TrunkCallsSnapshot>();  // guarded by mutex_
  std::set<std::string> down_;                       // "domain\nname"; guarded by mutex_
};

}  // namespace parley::app
