#pragma once
// PbxCore: the state every worker shares, built once by `parley serve` over the data folder.
//
// Owns, in construction order: the SQLite store, the Directory (tenants and extensions in
// memory), the LocationTable (bindings, with its store writer thread), the DigestAuthenticator
// and AuthThrottle, the Registrar, the call-record writer, and a maintenance thread that makes
// the server see CLI changes within a second (Directory::refresh_if_changed) and purges expired
// bindings. Destruction runs in reverse: maintenance stops first, queued writes are flushed, the
// store closes last.
//
// Thread-safety: the members handed out are themselves thread-safe (see each class); PbxCore adds
// no state of its own after construction besides the maintenance thread.

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "app/conference_directory.hpp"
#include "app/dial_plan_service.hpp"
#include "app/ivr_directory.hpp"
#include "app/live_calls.hpp"
#include "app/queue_center.hpp"
#include "base/clock.hpp"
#include "base/result.hpp"
#include "pbx/pickup_groups.hpp"
#include "sip/auth_throttle.hpp"
#include "sip/call_routing.hpp"
#include "sip/digest_auth.hpp"
#include "sip/directory.hpp"
#include "sip/location_table.hpp"
#include "sip/presence_hub.hpp"
#include "sip/registrar.hpp"
#include "store/store.hpp"

namespace parley::pbx {
class ParkLot;
}

namespace parley::app {

class ParkSlotCalls;

struct PbxCoreOptions {
  std::filesystem::path data_dir;
  // Host names and IP literals this server answers for besides tenant domains (listen IPs).
  std::vector<std::string> own_hosts;
  std::string server_header = "Parley";
  sip::RegistrarOptions registrar = {};
  std::vector<protocol::sip::DigestAlgorithm> algorithms = {protocol::sip::DigestAlgorithm::kSha256,
                                                            protocol::sip::DigestAlgorithm::kMd5};
  sip::AuthThrottleOptions throttle = {};
  sip::PresenceHubOptions presence = {};
};

class PbxCore {
  struct Key {};  // only open() constructs a PbxCore

 public:
  explicit PbxCore(Key /*only open()*/);
  // Opens (creating if needed) the data folder: the database and the digest secret file.
  static Result<std::unique_ptr<PbxCore>> open(const PbxCoreOptions& options);
  ~PbxCore();
  PbxCore(const PbxCore&) = delete;
  PbxCore& operator=(const PbxCore&) = delete;

  const Clock& clock() const { return clock_; }
  sip::Directory& directory() { return *directory_; }
  sip::LocationTable& location() { return *location_; }
  sip::DigestAuthenticator& authenticator() { return *authenticator_; }
  sip::AuthThrottle& throttle() { return *throttle_; }
  sip::Registrar& registrar() { return *registrar_; }
  // Extension call state and subscription caps shared by every worker's B2BUA and notifier.
  sip::PresenceHub& presence() { return *presence_; }
  // Calls in progress per tenant (REST API, dashboard); the B2BUAs report to it, and it passes
  // every report on to the presence hub (through ParkSlotCalls, which keeps park slots' lamps
  // to the park lot).
  LiveCalls& live_calls() { return *live_calls_; }
  // From here on the lot alone speaks for its slots' BLF state: the B2BUA's reports of calls to
  // a slot stop short of the hub (park_presence.hpp, decision 0045). Before the workers start;
  // `lot` must outlive this.
  void set_park_lot(const pbx::ParkLot& lot);
  sip::CallRecordSink& call_records();
  // Forwarding, do-not-disturb and ring groups, reloaded with the directory.
  const DialPlanService& dial_plan() const { return dial_plan_; }
  // Conference rooms of every tenant, reloaded with the directory.
  const ConferenceDirectory& conference_rooms() const { return conference_rooms_; }
  // IVR menus and schedules with their greetings, reloaded with the directory (decision 0022).
  const IvrDirectory& ivr() const { return *ivr_; }
  // Call queues: settings from the store and the live waiting lines (decision 0023).
  QueueCenter& queues() { return *queues_; }
  // Call pickup groups of every tenant, reloaded with the directory (decision 0031).
  const pbx::PickupGroups& pickup_groups() const { return pickup_groups_; }
  // Spoken prompts (espeak-ng, cached in <data>/prompts); null when it could not be opened.
  const media::PromptLibrary* prompts() const { return prompts_.get(); }

  // Re-reads tenants and extensions now if the store changed them, and drops the bindings of
  // extensions that are gone: what the maintenance thread does every second, for a caller
  // (the REST API) that just changed them and wants the registrar to see it before answering.
  // Blocks on the store; any thread but a worker loop.
  void reload_directory();

 private:
  std::mutex reload_mutex_;  // one reload_directory() at a time

  // Voicemail counts of every box into the presence hub (message-waiting NOTIFYs); at start and
  // whenever the change counter moved (a message left or removed, also by the CLI).
  void reload_message_counts();
  // Do-not-disturb of every extension into the presence hub (presence NOTIFYs within a second
  // of `parley user dnd` or a feature code; decision 0025); at start and on every store change.
  void reload_do_not_disturb();
  class CallRecordWriter;
  class Maintenance;

  SteadyClock clock_;
  std::unique_ptr<store::Store> store_;
  store::CallFeatureStore* call_features_ = nullptr;  // the same object as store_
  store::VoicemailStore* voicemail_ = nullptr;        // the same object as store_
  DialPlanService dial_plan_;
  store::ConferenceStore* conference_store_ = nullptr;  // the same object as store_
  ConferenceDirectory conference_rooms_;
  std::unique_ptr<media::PromptLibrary> prompts_;
  store::IvrStore* ivr_store_ = nullptr;  // the same object as store_
  std::unique_ptr<IvrDirectory> ivr_;
  store::CallQueueStore* queue_store_ = nullptr;  // the same object as store_
  std::unique_ptr<QueueCenter> queues_;
  store::PickupGroupStore* pickup_store_ = nullptr;  // the same object as store_
  pbx::PickupGroups pickup_groups_;
  std::unique_ptr<sip::Directory> directory_;
  std::unique_ptr<sip::LocationTable> location_;
  std::unique_ptr<sip::DigestAuthenticator> authenticator_;
  std::unique_ptr<sip::AuthThrottle> throttle_;
  std::unique_ptr<sip::Registrar> registrar_;
  std::unique_ptr<sip::PresenceHub> presence_;
  std::unique_ptr<ParkSlotCalls> park_slot_calls_;  // in front of presence_
  std::unique_ptr<LiveCalls> live_calls_;           // in front of park_slot_calls_
  std::unique_ptr<CallRecordWriter> call_records_;
  std::unique_ptr<Maintenance> maintenance_;
};

// The digest secret kept in `<data_dir>/digest.secret` (32 random bytes, mode 0600), created on
// first use, so that nonces stay valid across restarts and are shared by every worker.
Result<std::string> load_or_create_secret(const std::filesystem::path& data_dir);

}  // namespace parley::app
