#include "app/call_recording.hpp"

#include <spdlog/spdlog.h>

#include <chrono>

#include "store/sqlite/sqlite_store.hpp"

namespace parley::app {

namespace {

constexpr auto kRefreshInterval = std::chrono::seconds(1);

enum class Effective : std::uint8_t { kOff, kRecord, kNever };

Effective effective(const CallRecording::Snapshot& snapshot, store::TenantId tenant,
                    const std::string& number) {
  const auto found = snapshot.extensions.find({tenant, number});
  if (found != snapshot.extensions.end()) {
    if (found->second == store::ExtensionRecording::kAlways) return Effective::kRecord;
    if (found->second == store::ExtensionRecording::kNever) return Effective::kNever;
  }
  const auto tenant_policy = snapshot.tenant_records.find(tenant);
  return tenant_policy != snapshot.tenant_records.end() && tenant_policy->second
             ? Effective::kRecord
             : Effective::kOff;
}

}  // namespace

Result<std::unique_ptr<CallRecording>> CallRecording::open(const std::filesystem::path& data_dir) {
  store::sqlite::SqliteStoreOptions options;
  options.data_dir = data_dir;
  options.create_if_missing = false;
  auto opened = store::sqlite::SqliteStore::open(options);
  if (!opened) return opened.error();
  auto recording = std::make_unique<CallRecording>(Key{}, std::move(opened).value());
  if (auto loaded = recording->refresh(); !loaded) return loaded.error();
  recording->thread_ = std::thread([raw = recording.get()] { raw->run(); });
  return recording;
}

CallRecording::CallRecording(Key /*key*/, std::unique_ptr<store::sqlite::SqliteStore> store)
    : store_(std::move(store)), snapshot_(std::make_shared<const Snapshot>()) {}

CallRecording::~CallRecording() {
  {
    std::lock_guard lock(stop_mutex_);
    stopping_ = true;
  }
  stop_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void CallRecording::run() {
  std::unique_lock lock(stop_mutex_);
  while (!stop_.wait_for(lock, kRefreshInterval, [this] { return stopping_; })) {
    lock.unlock();
    if (auto refreshed = refresh(); !refreshed) {
      spdlog::warn("cannot reload the recording policy: {}", refreshed.error().message);
    }
    lock.lock();
  }
}

Result<void> CallRecording::refresh() {
  std::lock_guard lock(store_mutex_);
  auto counter = store_->change_counter();
  if (!counter) return counter.error();
  if (loaded_ && *counter == seen_counter_) return {};
  auto policies = store_->recording_policies();
  if (!policies) return policies.error();
  auto snapshot = std::make_shared<Snapshot>();
  for (const auto& tenant : policies->tenants) {
    snapshot->tenant_records[tenant.tenant_id] = tenant.record_all;
  }
  for (const auto& extension : policies->extensions) {
    snapshot->extensions[{extension.tenant_id, extension.number}] = extension.mode;
  }
  {
    std::lock_guard snapshot_lock(snapshot_mutex_);
    snapshot_ = std::move(snapshot);
  }
  seen_counter_ = *counter;
  loaded_ = true;
  return {};
}

media::RecordingDecision CallRecording::decide(const sip::CallMediaInfo& call) const {
  std::shared_ptr<const Snapshot> snapshot;
  {
    std::lock_guard lock(snapshot_mutex_);
    snapshot = snapshot_;
  }
  const Effective caller = effective(*snapshot, call.tenant_id, call.caller);
  const Effective callee = effective(*snapshot, call.tenant_id, call.callee);
  const bool never = caller == Effective::kNever || callee == Effective::kNever;
  media::RecordingDecision decision;
  decision.on_demand = !never;
  decision.record = !never && (caller == Effective::kRecord || callee == Effective::kRecord);
  return decision;
}

void CallRecording::on_recording_finished(const media::FinishedRecording& recording) {
  store::Recording row;
  row.tenant_id = recording.info.tenant_id;
  row.call_id = recording.info.call_id;
  row.caller = recording.info.caller;
  row.callee = recording.info.callee;
  row.path = recording.path;
  row.size_bytes = recording.size_bytes;
  row.duration_ms = recording.duration_ms;
  row.started_at = recording.started_at_ms;
  if (auto inserted = store_->insert_recording(row); !inserted) {
    spdlog::error("recording {} not listed in the store: {}", recording.path,
                  inserted.error().message);
  }
}

}  // namespace parley::app
