#include "app/conference_directory.hpp"

namespace parley::app {

Result<void> ConferenceDirectory::reload(store::ConferenceStore& store) {
  auto listed = store.list_conference_rooms(std::nullopt);
  if (!listed) return listed.error();
  auto rooms = std::make_shared<Rooms>();
  for (auto& room : *listed) {
    auto key = std::make_pair(room.tenant_id, room.number);
    rooms->emplace(std::move(key), std::move(room));
  }
  std::lock_guard lock(mutex_);
  rooms_ = std::move(rooms);
  return {};
}

std::optional<store::ConferenceRoom> ConferenceDirectory::find(store::TenantId tenant,
                                                               std::string_view number) const {
  std::shared_ptr<const Rooms> rooms;
  {
    std::lock_guard lock(mutex_);
    rooms = rooms_;
  }
  const auto found = rooms->find(std::make_pair(tenant, std::string(number)));
  if (found == rooms->end()) return std::nullopt;
  return found->second;
}

std::string conference_application(store::TenantId tenant, std::string_view number) {
  return "conference:" + std::to_string(tenant) + ":" + std::string(number);
}

}  // namespace parley::app
