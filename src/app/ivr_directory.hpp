#pragma once
// IvrDirectory: every tenant's IVR menus and schedules in memory, with their greetings ready to
// play, reloaded with the directory when the store's change counter moves (PbxCore), so that the
// dial plan and the IVR application read them on a worker loop without touching the disk.
//
// reload() does the slow parts off the loops: it reads the store, loads each schedule's time
// zone from the tz database (`zoneinfo_dir`/<zone>, RFC 8536 TZif; an unknown zone is logged and
// read as UTC), synthesises each menu's greeting text with the PromptLibrary (cached in the data
// folder, so only new texts cost time) and loads uploaded greeting WAVs. A greeting that cannot
// be made is logged; the menu then plays a short tone instead. The standard prompts
// (media::standard_prompts) are prepared with the first menu or schedule.
//
// Thread-safety: reload() on the maintenance thread (or at start-up), everything else on any
// thread; the snapshot is swapped under a mutex and read through a shared_ptr.

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "base/result.hpp"
#include "media/audio_player.hpp"
#include "pbx/schedule.hpp"
#include "store/ivr_store.hpp"
#include "store/store.hpp"

namespace parley::media {
class PromptLibrary;
}

namespace parley::app {

struct IvrMenuEntry {
  store::IvrMenu menu;
  std::shared_ptr<const media::AudioClip> greeting;  // null: play the fallback tone
};

struct IvrSnapshot {
  using Key = std::pair<store::TenantId, std::string>;
  std::map<Key, IvrMenuEntry, std::less<>> menus;
  std::map<Key, pbx::CompiledSchedule, std::less<>> schedules;
  // Numbers of menus and schedules → "menu:<name>" or "schedule:<name>".
  std::map<Key, std::string, std::less<>> numbers;
  // Extension numbers of tenants with a direct-dial menu.
  std::map<store::TenantId, std::set<std::string, std::less<>>> dialable;
};

class IvrDirectory {
 public:
  IvrDirectory(media::PromptLibrary* prompts, std::filesystem::path zoneinfo_dir)
      : prompts_(prompts), zoneinfo_dir_(std::move(zoneinfo_dir)) {}

  // Blocks on disk and on speech synthesis. On a store failure the previous snapshot stays.
  Result<void> reload(store::Store& store, store::IvrStore& ivr);
  std::shared_ptr<const IvrSnapshot> current() const;

  // The application for a call to `dialled` of `tenant` when it is a menu's or schedule's number.
  std::optional<std::string> application_for_number(store::TenantId tenant,
                                                    std::string_view dialled) const;

 private:
  media::PromptLibrary* prompts_;
  std::filesystem::path zoneinfo_dir_;
  // Touched only by reload(), which runs on one thread at a time (start-up, then maintenance).
  bool standard_prepared_ = false;
  mutable std::mutex mutex_;
  std::shared_ptr<const IvrSnapshot> snapshot_ = std::make_shared<const IvrSnapshot>();
};

// "ivr:<tenant id>:<menu or schedule name>": what a CallPlan names to answer with a menu (the
// name may be a schedule's: the application evaluates it when the call arrives).
std::string ivr_application(store::TenantId tenant, std::string_view name);

// Reads a TZif file of the tz database. Error 404 when the zone does not exist.
Result<pbx::TimeZone> load_time_zone(const std::filesystem::path& zoneinfo_dir,
                                     std::string_view zone);

}  // namespace parley::app
