#pragma once
// DialPlanService: the tenants' forwarding, do-not-disturb and ring-group settings in memory
// (pbx::DialPlanSnapshot), reloaded when the store's change counter moves, and the translation of
// pbx/'s plans into the B2BUA's (sip::CallPlan). Decision 0018 says why plans are executed by the
// B2BUA and made by pbx/.
//
// Thread-safety: reload() runs on the maintenance thread, plan() on any worker loop; the
// snapshot is swapped under a mutex and read through a shared_ptr, so plan() never waits for a
// reload's disk reads.

#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "pbx/dial_plan.hpp"
#include "sip/call_routing.hpp"
#include "sip/location.hpp"
#include "sip/presence_hub.hpp"
#include "store/call_feature_store.hpp"
#include "store/voicemail_store.hpp"

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
  // Reads every tenant's call features and, given `voicemail`, which voicemail boxes are
  // switched off (blocks on disk). Without `voicemail` no plan reaches voicemail (480, as
  // before it existed). On failure the previous snapshot stays and the error is returned.
  Result<void> reload(store::CallFeatureStore& store, store::VoicemailStore* voicemail = nullptr);
  std::shared_ptr<const pbx::DialPlanSnapshot> current() const;

  // pbx/'s plan for a call to `tenant` in the B2BUA's terms, with the boxes that take voicemail
  // as the last reload saw them (to_sip_plan below).
  sip::CallPlan to_sip(const pbx::CallPlan& plan, store::TenantId tenant) const;

  // What `caller` dialling `dialled` in `tenant` rings, as the B2BUA executes it.
  sip::CallPlan plan(const sip::CallTenant& tenant, std::string_view caller,
                     std::string_view dialled, const pbx::LiveState& live) const;

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const pbx::DialPlanSnapshot> snapshot_ =
      std::make_shared<const pbx::DialPlanSnapshot>();
  // Boxes switched off; null = voicemail not available at all.
  std::shared_ptr<const std::set<std::pair<store::TenantId, std::string>, std::less<>>>
      voicemail_off_;
};

// Whether the voicemail box of extension `box` takes messages.
using VoicemailEnabled = std::function<bool(std::string_view box)>;

// pbx/'s plan in the B2BUA's terms. A plan ending in voicemail, when `voicemail_enabled` says
// the box takes messages, ends in the application "voicemail:<box>" (at once when there is
// nothing to ring, else once the last stage is unanswered; 480 if the application fails);
// otherwise, and for outside numbers (not reachable yet), as unavailable (480).
sip::CallPlan to_sip_plan(const pbx::CallPlan& plan,
                          const VoicemailEnabled& voicemail_enabled = {});

}  // namespace parley::app
