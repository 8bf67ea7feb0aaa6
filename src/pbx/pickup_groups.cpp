#include "pbx/pickup_groups.hpp"

#include <algorithm>
#include <utility>

#include "pbx/feature_code.hpp"

namespace parley::pbx {

PickupGroupSnapshot::PickupGroupSnapshot(std::vector<store::PickupGroup> groups) {
  for (auto& group : groups) {
    std::sort(group.members.begin(), group.members.end());
    groups_[group.tenant_id].push_back(std::move(group.members));
  }
}

std::vector<std::string> PickupGroupSnapshot::group_peers(store::TenantId tenant,
                                                          std::string_view extension) const {
  std::vector<std::string> peers;
  const auto found = groups_.find(tenant);
  if (found == groups_.end()) return peers;
  for (const auto& members : found->second) {
    if (!std::binary_search(members.begin(), members.end(), extension, std::less<>{})) continue;
    for (const auto& member : members) {
      if (member != extension) peers.push_back(member);
    }
  }
  std::sort(peers.begin(), peers.end());
  peers.erase(std::unique(peers.begin(), peers.end()), peers.end());
  return peers;
}

std::optional<PickupRequest> pickup_request(
    const PickupGroupSnapshot& groups, store::TenantId tenant, std::string_view picker,
    std::string_view dialled, const std::function<bool(std::string_view)>& extension_exists) {
  const auto code = parse_feature_code(dialled);
  if (!code) return std::nullopt;
  PickupRequest request;
  if (code->action == FeatureAction::kPickupDirected) {
    if (extension_exists && !extension_exists(code->number)) {
      request.refusal = 404;
      request.reason = "No Such Extension";
      return request;
    }
    request.ringing_at.push_back(code->number);
    return request;
  }
  if (code->action != FeatureAction::kPickupGroup) return std::nullopt;
  request.ringing_at = groups.group_peers(tenant, picker);
  if (request.ringing_at.empty()) {
    request.refusal = 480;
    request.reason = "No Pickup Group";
  }
  return request;
}

Result<void> PickupGroups::reload(store::PickupGroupStore& store) {
  auto groups = store.list_pickup_groups(std::nullopt);
  if (!groups) return groups.error();
  auto snapshot = std::make_shared<const PickupGroupSnapshot>(std::move(groups).value());
  const std::lock_guard lock(mutex_);
  snapshot_ = std::move(snapshot);
  return {};
}

std::shared_ptr<const PickupGroupSnapshot> PickupGroups::current() const {
  const std::lock_guard lock(mutex_);
  return snapshot_;
}

}  // namespace parley::pbx
