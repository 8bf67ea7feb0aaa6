#include "app/ivr_directory.hpp"

#include <spdlog/spdlog.h>

#include <fstream>
#include <iterator>
#include <vector>

#include "media/prompt_library.hpp"

namespace parley::app {

std::string ivr_application(store::TenantId tenant, std::string_view name) {
  return "ivr:" + std::to_string(tenant) + ":" + std::string(name);
}

Result<pbx::TimeZone> load_time_zone(const std::filesystem::path& zoneinfo_dir,
                                     std::string_view zone) {
  if (zone.empty()) return pbx::TimeZone{};
  if (!store::check_time_zone_name(zone)) return Error{400, "not a time zone name"};
  std::ifstream in(zoneinfo_dir / std::string(zone), std::ios::binary);
  if (!in) return Error{404, "no time zone " + std::string(zone)};
  std::vector<std::uint8_t> bytes;
  constexpr std::size_t kMaxTzif = 1 << 20;
  char chunk[4096];
  while (in.read(chunk, sizeof(chunk)) || in.gcount() > 0) {
    bytes.insert(bytes.end(), chunk, chunk + in.gcount());
    if (bytes.size() > kMaxTzif) return Error{400, "time zone file too large"};
  }
  return pbx::TimeZone::from_tzif(bytes);
}

Result<void> IvrDirectory::reload(store::Store& store, store::IvrStore& ivr) {
  auto menus = ivr.list_ivr_menus(std::nullopt);
  if (!menus) return menus.error();
  auto schedules = ivr.list_schedules(std::nullopt);
  if (!schedules) return schedules.error();
  // The shared prompts ("invalid choice", "goodbye", ...) are made once, when the first menu or
  // schedule appears: servers without an IVR never spend the synthesis time.
  if (prompts_ != nullptr && !standard_prepared_ && (!menus->empty() || !schedules->empty())) {
    standard_prepared_ = true;
    if (auto spoken = prompts_->prepare_standard(); !spoken) {
      spdlog::warn("spoken prompts: {}", spoken.error().message);
    }
  }
  auto snapshot = std::make_shared<IvrSnapshot>();
  for (auto& menu : *menus) {
    IvrMenuEntry entry;
    if (!menu.greeting_wav.empty()) {
      auto clip = media::AudioClip::load(menu.greeting_wav);
      if (clip) {
        entry.greeting = std::move(clip).value();
      } else {
        spdlog::warn("menu {}: greeting {}: {}", menu.name, menu.greeting_wav,
                     clip.error().message);
      }
    }
    if (!entry.greeting && !menu.greeting_text.empty() && prompts_ != nullptr) {
      auto clip = prompts_->prepare(menu.greeting_text);
      if (clip) {
        entry.greeting = std::move(clip).value();
      } else {
        spdlog::warn("menu {}: cannot speak its greeting: {}", menu.name, clip.error().message);
      }
    }
    if (menu.direct_dial && !snapshot->dialable.contains(menu.tenant_id)) {
      auto extensions = store.list_extensions(menu.tenant_id);
      if (!extensions) return extensions.error();
      auto& numbers = snapshot->dialable[menu.tenant_id];
      for (const auto& extension : *extensions) numbers.insert(extension.number);
    }
    if (!menu.number.empty()) {
      snapshot->numbers.emplace(IvrSnapshot::Key{menu.tenant_id, menu.number}, "menu:" + menu.name);
    }
    IvrSnapshot::Key key{menu.tenant_id, menu.name};
    entry.menu = std::move(menu);
    snapshot->menus.emplace(std::move(key), std::move(entry));
  }
  for (const auto& schedule : *schedules) {
    auto zone = load_time_zone(zoneinfo_dir_, schedule.time_zone);
    if (!zone) {
      spdlog::warn("schedule {}: time zone {}: {}; using UTC", schedule.name, schedule.time_zone,
                   zone.error().message);
      zone = pbx::TimeZone{};
    }
    auto compiled = pbx::CompiledSchedule::compile(schedule, std::move(zone).value());
    if (!compiled) {
      spdlog::warn("schedule {}: {}", schedule.name, compiled.error().message);
      continue;
    }
    if (!schedule.number.empty()) {
      snapshot->numbers.emplace(IvrSnapshot::Key{schedule.tenant_id, schedule.number},
                                "schedule:" + schedule.name);
    }
    snapshot->schedules.emplace(IvrSnapshot::Key{schedule.tenant_id, schedule.name},
                                std::move(compiled).value());
  }
  std::lock_guard lock(mutex_);
  snapshot_ = std::move(snapshot);
  return {};
}

std::shared_ptr<const IvrSnapshot> IvrDirectory::current() const {
  std::lock_guard lock(mutex_);
  return snapshot_;
}

std::optional<std::string> IvrDirectory::application_for_number(store::TenantId tenant,
                                                                std::string_view dialled) const {
  const auto snapshot = current();
  const auto found = snapshot->numbers.find(IvrSnapshot::Key{tenant, std::string(dialled)});
  if (found == snapshot->numbers.end()) return std::nullopt;
  const std::string_view kind_and_name = found->second;
  return ivr_application(tenant, kind_and_name.substr(kind_and_name.find(':') + 1));
}

}  // namespace parley::app
