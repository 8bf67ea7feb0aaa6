#include "app/pbx_core.hpp"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <array>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>
#include <unordered_map>
#include <vector>

#include "app/park_presence.hpp"
#include "media/prompt_library.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace parley::app {
namespace {

constexpr std::size_t kSecretBytes = 32;
constexpr std::size_t kMaxQueuedCallRecords = 100000;
constexpr auto kRefreshInterval = std::chrono::seconds(1);
constexpr int kPurgeEveryRefreshes = 30;
// Debian's tzdata (a package every Debian system has); schedules read their zones here.
constexpr std::string_view kZoneInfoDir = "/usr/share/zoneinfo";

std::string read_boot_id() {
  std::ifstream file("/proc/sys/kernel/random/boot_id");
  std::string id;
  std::getline(file, id);
  return id;
}

}  // namespace

Result<std::string> load_or_create_secret(const std::filesystem::path& data_dir) {
  const std::filesystem::path path = data_dir / "digest.secret";
  if (std::ifstream existing(path, std::ios::binary); existing) {
    std::ostringstream bytes;
    bytes << existing.rdbuf();
    std::string secret = bytes.str();
    if (secret.size() < 16) {
      return make_error(1,
                        path.string() + " is shorter than 16 bytes; delete it to make a new one");
    }
    return secret;
  }
  std::string secret(kSecretBytes, '\0');
  if (getrandom(secret.data(), secret.size(), 0) != static_cast<ssize_t>(secret.size())) {
    return make_error(1, "cannot read random bytes for the digest secret");
  }
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return make_error(1, "cannot create " + path.string());
  const bool written =
      ::write(fd, secret.data(), secret.size()) == static_cast<ssize_t>(secret.size());
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!written || !synced) return make_error(1, "cannot write " + path.string());
  return secret;
}

// Queues call detail records from the worker loops and writes them on its own thread, so a loop
// never waits for the disk. Bounded: past the cap a record is dropped with an error log.
// Group commit (decision 0044): the thread is woken only when idle and then gathers records for
// kCallRecordCommitDelay, so one fsync serves every call that ended meanwhile instead of one
// fsync and one thread wake-up per call.
class PbxCore::CallRecordWriter final : public sip::CallRecordSink {
 public:
  explicit CallRecordWriter(store::Store& store) : store_(store), thread_([this] { run(); }) {}
  ~CallRecordWriter() override {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }
  CallRecordWriter(const CallRecordWriter&) = delete;
  CallRecordWriter& operator=(const CallRecordWriter&) = delete;

  void record(const store::CallRecord& record) override {
    bool wake = false;
    {
      std::lock_guard lock(mutex_);
      if (queue_.size() >= kMaxQueuedCallRecords) {
        spdlog::error("call record queue full: dropping the record of call {}", record.call_id);
        return;
      }
      queue_.push_back(record);
      wake = writer_idle_;
    }
    if (wake) wake_.notify_one();
  }

 private:
  static constexpr auto kCallRecordCommitDelay = std::chrono::milliseconds(20);
  static constexpr std::size_t kMaxCallRecordBatch = 512;

  void run() {
    std::vector<store::CallRecord> batch;
    std::unique_lock lock(mutex_);
    for (;;) {
      writer_idle_ = true;
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      writer_idle_ = false;
      if (queue_.empty()) return;  // stopping, and everything written
      wake_.wait_for(lock, kCallRecordCommitDelay, [this] { return stopping_; });
      batch.clear();
      while (!queue_.empty() && batch.size() < kMaxCallRecordBatch) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      lock.unlock();
      const auto results = store_.insert_call_records(batch);
      for (std::size_t i = 0; i < results.size(); ++i) {
        if (!results[i]) {
          spdlog::error("cannot store the record of call {}: {}", batch[i].call_id,
                        results[i].error().message);
        }
      }
      lock.lock();
    }
  }

  store::Store& store_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<store::CallRecord> queue_;  // guarded by mutex_
  bool stopping_ = false;                // guarded by mutex_
  bool writer_idle_ = false;             // guarded by mutex_: waits for a first record
  std::thread thread_;
};

// Once a second: pick up tenants and extensions changed by `parley tenant|user` in another
// process; every 30 s: purge expired bindings.
class PbxCore::Maintenance {
 public:
  explicit Maintenance(PbxCore& core) : core_(core), thread_([this] { run(); }) {}
  ~Maintenance() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }
  Maintenance(const Maintenance&) = delete;
  Maintenance& operator=(const Maintenance&) = delete;

 private:
  void run() {
    int ticks = 0;
    std::unique_lock lock(mutex_);
    while (!wake_.wait_for(lock, kRefreshInterval, [this] { return stopping_; })) {
      lock.unlock();
      tick(++ticks % kPurgeEveryRefreshes == 0);
      lock.lock();
    }
  }

  void tick(bool purge) {
    core_.reload_directory();
    if (purge) {
      if (const std::size_t purged = core_.location().purge_expired(); purged > 0) {
        spdlog::debug("{} expired bindings purged", purged);
      }
    }
  }

  PbxCore& core_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mutex_
  std::thread thread_;
};

Result<std::unique_ptr<PbxCore>> PbxCore::open(const PbxCoreOptions& options) {
  auto core = std::make_unique<PbxCore>(Key{});
  store::sqlite::SqliteStoreOptions store_options;
  store_options.data_dir = options.data_dir;
  auto store = store::sqlite::SqliteStore::open(store_options);
  if (!store) return store.error();
  core->call_features_ = store.value().get();
  core->voicemail_ = store.value().get();
  core->conference_store_ = store.value().get();
  core->queue_store_ = store.value().get();
  core->ivr_store_ = store.value().get();
  core->pickup_store_ = store.value().get();
  core->store_ = std::move(store.value());
  if (auto loaded = core->pickup_groups_.reload(*core->pickup_store_); !loaded) {
    return loaded.error();
  }
  if (auto loaded = core->dial_plan_.reload(*core->call_features_, core->voicemail_); !loaded) {
    return loaded.error();
  }
  if (auto loaded = core->conference_rooms_.reload(*core->conference_store_); !loaded) {
    return loaded.error();
  }
  if (auto prompts = media::PromptLibrary::open(options.data_dir / "prompts"); prompts) {
    core->prompts_ = std::move(prompts).value();
  } else {
    spdlog::warn("spoken prompts: {}", prompts.error().message);
  }
  core->queues_ = std::make_unique<QueueCenter>(core->clock_, core->prompts_.get());
  if (auto loaded = core->queues_->reload(*core->queue_store_); !loaded) return loaded.error();
  core->ivr_ = std::make_unique<IvrDirectory>(core->prompts_.get(), kZoneInfoDir);
  if (auto loaded = core->ivr_->reload(*core->store_, *core->ivr_store_); !loaded) {
    return loaded.error();
  }

  auto secret = load_or_create_secret(options.data_dir);
  if (!secret) return secret.error();

  sip::DirectoryOptions directory_options;
  directory_options.own_hosts = options.own_hosts;
  auto directory = sip::Directory::open(*core->store_, directory_options);
  if (!directory) return directory.error();
  core->directory_ = std::move(directory.value());

  auto location = sip::LocationTable::open(*core->store_);
  if (!location) return location.error();
  core->location_ = std::move(location.value());

  sip::DigestAuthOptions auth_options;
  auth_options.secret = std::move(secret.value());
  auth_options.clock_epoch = read_boot_id();
  auth_options.algorithms = options.algorithms;
  core->authenticator_ = std::make_unique<sip::DigestAuthenticator>(
      core->clock_, core->directory_->credential_lookup(), auth_options);
  core->throttle_ = std::make_unique<sip::AuthThrottle>(core->clock_, options.throttle);

  sip::RegistrarOptions registrar_options = options.registrar;
  registrar_options.server = options.server_header;
  core->registrar_ =
      std::make_unique<sip::Registrar>(*core->directory_, *core->location_, *core->authenticator_,
                                       *core->throttle_, registrar_options);
  core->presence_ = std::make_unique<sip::PresenceHub>(options.presence);
  // Registration edges make presence live (issue 10): first binding, last binding gone.
  core->location_->set_reachability_listener(
      [hub = core->presence_.get()](store::TenantId tenant, std::string_view extension,
                                    bool reachable) {
        hub->registration_changed(tenant, extension, reachable);
      });
  core->reload_message_counts();
  core->reload_do_not_disturb();
  core->park_slot_calls_ = std::make_unique<ParkSlotCalls>(*core->presence_);
  core->live_calls_ = std::make_unique<LiveCalls>(*core->park_slot_calls_);
  core->call_records_ = std::make_unique<CallRecordWriter>(*core->store_);
  core->maintenance_ = std::make_unique<Maintenance>(*core);
  return core;
}

PbxCore::PbxCore(Key /*only open()*/) {}

void PbxCore::set_park_lot(const pbx::ParkLot& lot) {
  park_slot_calls_->set_slots(park_slots_of(lot, *directory_));
}

PbxCore::~PbxCore() {
  maintenance_.reset();
  call_records_.reset();
  registrar_.reset();
  if (location_) location_->flush();
  location_.reset();
}

void PbxCore::reload_directory() {
  // The maintenance thread and the REST API (after a change) both reload.
  const std::lock_guard lock(reload_mutex_);
  auto refreshed = directory_->refresh_if_changed();
  if (!refreshed) {
    spdlog::warn("cannot reload tenants and extensions: {}", refreshed.error().message);
  } else if (*refreshed) {
    auto snapshot = directory_->snapshot();
    const std::size_t dropped =
        location_->retain_extensions([&](store::TenantId tenant, std::string_view number) {
          return snapshot->extension(tenant, number) != nullptr;
        });
    spdlog::info("tenants and extensions reloaded ({} extensions; {} bindings dropped)",
                 snapshot->extension_count(), dropped);
    if (auto loaded = dial_plan_.reload(*call_features_, voicemail_); !loaded) {
      spdlog::warn("cannot reload forwarding and ring groups: {}", loaded.error().message);
    }
    reload_message_counts();
    reload_do_not_disturb();
    if (auto loaded = conference_rooms_.reload(*conference_store_); !loaded) {
      spdlog::warn("cannot reload conference rooms: {}", loaded.error().message);
    }
    if (auto loaded = ivr_->reload(*store_, *ivr_store_); !loaded) {
      spdlog::warn("cannot reload IVR menus and schedules: {}", loaded.error().message);
    }
    if (auto loaded = pickup_groups_.reload(*pickup_store_); !loaded) {
      spdlog::warn("cannot reload pickup groups: {}", loaded.error().message);
    }
    if (auto loaded = queues_->reload(*queue_store_); !loaded) {
      spdlog::warn("cannot reload call queues: {}", loaded.error().message);
    }
  }
}

void PbxCore::reload_message_counts() {
  auto boxes = voicemail_->list_voicemail_counts();
  if (!boxes) {
    spdlog::warn("cannot read voicemail counts: {}", boxes.error().message);
    return;
  }
  std::unordered_map<std::string, sip::MessageCounts> counts;
  for (const auto& box : *boxes) {
    counts.emplace(sip::PresenceHub::key(box.box.tenant_id, box.box.box),
                   sip::MessageCounts{box.counts.new_messages, box.counts.saved_messages});
  }
  presence_->replace_message_counts(std::move(counts));
}

void PbxCore::reload_do_not_disturb() {
  auto rows = call_features_->call_feature_snapshot();
  if (!rows) {
    spdlog::warn("cannot read do-not-disturb: {}", rows.error().message);
    return;
  }
  std::vector<std::string> keys;
  for (const auto& extension : rows->extensions) {
    if (extension.dnd) keys.push_back(sip::PresenceHub::key(extension.tenant_id, extension.number));
  }
  presence_->replace_do_not_disturb(keys);
}

sip::CallRecordSink& PbxCore::call_records() {
  return *call_records_;
}

}  // namespace parley::app
