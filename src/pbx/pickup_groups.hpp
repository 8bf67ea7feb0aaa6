#pragma once
// Call pickup in the dial plan (decision 0031): which ringing extensions a pickup code may take
// a call from. "*8" takes from every other member of every pickup group the caller is in,
// "**EXT" from extension EXT alone. The B2BUA then answers the call that has rung longest at
// one of them (sip/b2bua_pickup.cpp); CallPlacement asks the same question to send the pickup
// INVITE to the worker where that call lives.
//
// Thread-safety: PickupGroupSnapshot is immutable and shared between threads. PickupGroups:
// reload() on the maintenance thread, current() on any thread (a mutex guards the swap only).

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "store/pickup_group_store.hpp"

namespace parley::pbx {

class PickupGroupSnapshot {
 public:
  PickupGroupSnapshot() = default;
  explicit PickupGroupSnapshot(std::vector<store::PickupGroup> groups);

  // Every other member of every group `extension` of `tenant` is in, ascending, each once;
  // empty when it is in none.
  std::vector<std::string> group_peers(store::TenantId tenant, std::string_view extension) const;

 private:
  // By tenant: each group's members, ascending.
  std::map<store::TenantId, std::vector<std::vector<std::string>>> groups_;
};

// What a dialled pickup code asks for.
struct PickupRequest {
  int refusal = 0;  // non-zero: answer with this status (and `reason`) instead
  std::string reason;
  std::vector<std::string> ringing_at;  // extensions whose ringing calls may be taken
};

// nullopt when `dialled` (the Request-URI user, unescaped) is no pickup code. A directed code
// for a number that `extension_exists` denies is refused 404; "*8" from an extension in no
// group 480 "No Pickup Group".
std::optional<PickupRequest> pickup_request(
    const PickupGroupSnapshot& groups, store::TenantId tenant, std::string_view picker,
    std::string_view dialled, const std::function<bool(std::string_view)>& extension_exists);

class PickupGroups {
 public:
  // Reads every tenant's groups (blocks on disk). On failure the previous snapshot stays.
  Result<void> reload(store::PickupGroupStore& store);
  std::shared_ptr<const PickupGroupSnapshot> current() const;

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const PickupGroupSnapshot> snapshot_ =
      std::make_shared<const PickupGroupSnapshot>();
};

}  // namespace parley::pbx
