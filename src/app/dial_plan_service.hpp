#pragma once
// DialPlanService: the tenants' forwarding, do-not-disturb and ring-group settings in memory
// (pbx::DialPlanSnapshot), reloaded when the store's change counter moves, and the translation of
// pbx/'s plans into the B2BUA's (sip::CallPlan). Decision 0018 says why plans are executed by the
// B2BUA and made by pbx/.
//
// Thread-safety: reload() runs on the maintenance thread, plan() on any worker loop; the
// snapshot is swapped under a mutex and read through a shared_ptr, so plan() never waits for a
// reload's disk reads.

#include <memory>
#include <mutex>
#include <string_view>

#include "pbx/dial_plan.hpp"
#include "sip/call_routing.hpp"
#include "sip/location.hpp"
#include "sip/presence_hub.hpp"
#include "store/call_feature_store.hpp"

namespace parley::app {

// Registered = the location service has a binding; busy = the presence hub knows a dialog of the
// extension that is ringing or answered.
class LiveCallState final : public pbx::LiveState {
 public:
  LiveCallState(const sip::LocationService& location, const sip::PresenceHub& presence)
      : location_(location), presence_(presence) {}
  bool is_registered(store::TenantId tenant, std::string_view extension) const override;
  bool is_busy(store::TenantId tenant, std::string_view extension) const override;

 private:
  const sip::LocationService& location_;
  const sip::PresenceHub& presence_;
};

class DialPlanService {
 public:
  // Reads every tenant's call features (blocks on disk). On failure the previous snapshot
  // stays and the error is returned for the log.
  Result<void> reload(store::CallFeatureStore& store);
  std::shared_ptr<const pbx::DialPlanSnapshot> current() const;

  // What `caller` dialling `dialled` in `tenant` rings, as the B2BUA executes it.
  sip::CallPlan plan(const sip::CallTenant& tenant, std::string_view caller,
                     std::string_view dialled, const pbx::LiveState& live) const;

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const pbx::DialPlanSnapshot> snapshot_ =
      std::make_shared<const pbx::DialPlanSnapshot>();
};

// pbx/'s plan in the B2BUA's terms. Voicemail and outside numbers are not reachable yet: a plan
// that ends in them ends as unavailable (480).
sip::CallPlan to_sip_plan(const pbx::CallPlan& plan);

}  // namespace parley::app
