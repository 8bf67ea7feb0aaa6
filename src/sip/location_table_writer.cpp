#include "sip/location_table_writer.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <string_view>
#include <utility>
#include <vector>

namespace parley::sip {
namespace {

// Write-through failures are logged at most this often, with a count of the ones in between,
// so a broken disk under REGISTER load does not flood the log.
constexpr auto kLogInterval = std::chrono::seconds(1);
// Queued writes committed together at most; bounds how long one commit holds the write lock.
constexpr std::size_t kMaxBatch = 256;
// Group commit window (decision 0063): short while writes are sparse, so a binding reaches the
// disk within a few milliseconds; longer while they keep coming (a batch of kBusyBatch or more),
// where each commit's fixed cost (WAL frames, locks, a pwrite) would otherwise be paid every
// few bindings.
constexpr auto kGroupCommitDelay = std::chrono::milliseconds(5);
constexpr auto kBusyGroupCommitDelay = std::chrono::milliseconds(50);
constexpr std::size_t kBusyBatch = 4;

// The store's identity of a binding (store::Binding): instance and reg-id, else the contact URI.
bool same_binding(const store::Binding& a, const store::Binding& b) {
  if (a.instance != b.instance) return false;
  return a.instance.empty() ? a.contact_uri == b.contact_uri : a.reg_id == b.reg_id;
}

}  // namespace

std::size_t BindingWriter::AorHash::operator()(const AorKey& key) const noexcept {
  const std::size_t h = std::hash<std::string_view>{}(key.extension);
  return h ^
         (std::hash<store::TenantId>{}(key.tenant) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2));
}

BindingWriter::BindingWriter(store::Store& store, BindingWriterOptions options)
    : store_(store), options_(options), thread_([this] { run(); }) {}

BindingWriter::~BindingWriter() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

bool BindingWriter::try_push(std::vector<Operation>& batch) {
  if (batch.empty()) return true;
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || queue_.size() + batch.size() > options_.capacity) {
      ++refused_;
      return false;
    }
    const bool had_refreshes = refresh_count_ != 0;
    for (auto& operation : batch) {
      if (auto* refresh = std::get_if<Refresh>(&operation);
          refresh != nullptr && options_.refresh_delay.count() > 0) {
        defer(std::move(*refresh));
        continue;
      }
      // Whatever else touches an AOR must reach the store after the AOR's pending refreshes.
      if (const auto* binding = std::get_if<store::Binding>(&operation)) {
        const AorKey aor{binding->tenant_id, binding->extension};
        queue_refreshes(&aor);
      } else if (const auto* key = std::get_if<store::BindingKey>(&operation)) {
        const AorKey aor{key->tenant_id, key->extension};
        queue_refreshes(&aor);
      } else if (const auto* all = std::get_if<RemoveAll>(&operation)) {
        const AorKey aor{all->tenant_id, all->extension};
        queue_refreshes(&aor);
      }
      queue_.push_back(std::move(operation));
      ++pushed_;
    }
    // Only an idle writer needs waking; one gathering a group commit picks this up anyway,
    // and waking it per REGISTER would cost a context switch each. A writer waiting for its
    // refreshes' deadline needs no waking for one more refresh either.
    wake = (writer_idle_ && (!queue_.empty() || !had_refreshes)) || queue_.size() >= kMaxBatch ||
           refresh_count_ >= options_.max_pending_refreshes;
  }
  batch.clear();
  if (wake) wake_.notify_one();
  return true;
}

void BindingWriter::flush() {
  std::unique_lock lock(mutex_);
  const bool had_refreshes = refresh_count_ != 0;
  queue_refreshes(nullptr);
  const std::uint64_t target = pushed_;
  if (had_refreshes) wake_.notify_one();
  idle_.wait(lock, [&] { return done_ >= target; });
}

BindingWriter::Stats BindingWriter::stats() const {
  std::lock_guard lock(mutex_);
  return Stats{written_, failed_, refused_, queue_.size() + refresh_count_};
}

void BindingWriter::defer(Refresh refresh) {
  auto& pending = refreshes_[AorKey{refresh.binding.tenant_id, refresh.binding.extension}];
  for (auto& binding : pending) {
    if (same_binding(binding, refresh.binding)) {
      binding = std::move(refresh.binding);
      return;
    }
  }
  if (refresh_count_ == 0) refreshes_since_ = std::chrono::steady_clock::now();
  pending.push_back(std::move(refresh.binding));
  ++refresh_count_;
}

void BindingWriter::queue_refreshes(const AorKey* aor) {
  if (refresh_count_ == 0) return;
  const auto move_out = [&](std::vector<store::Binding>& pending) {
    for (auto& binding : pending) queue_.emplace_back(Refresh{std::move(binding)});
    pushed_ += pending.size();
    refresh_count_ -= pending.size();
  };
  if (aor == nullptr) {
    for (auto& [key, pending] : refreshes_) move_out(pending);
    refreshes_.clear();
    return;
  }
  auto it = refreshes_.find(*aor);
  if (it == refreshes_.end()) return;
  move_out(it->second);
  refreshes_.erase(it);
}

BindingWriter::Outcome BindingWriter::write_one(const Operation& operation) {
  Outcome outcome;
  for (int attempt = 0;; ++attempt) {
    outcome = {};
    const Error* error = nullptr;
    Result<void> upserted;
    Result<bool> removed = false;
    Result<std::size_t> removed_many = std::size_t{0};
    if (const auto* binding = std::get_if<store::Binding>(&operation)) {
      upserted = store_.upsert_binding(*binding);
      if (!upserted) error = &upserted.error();
    } else if (const auto* key = std::get_if<store::BindingKey>(&operation)) {
      removed = store_.remove_binding(*key);
      if (!removed) error = &removed.error();
    } else if (const auto* all = std::get_if<RemoveAll>(&operation)) {
      removed_many = store_.remove_bindings(all->tenant_id, all->extension);
      if (!removed_many) error = &removed_many.error();
    } else if (const auto* purge = std::get_if<Purge>(&operation)) {
      removed_many = store_.purge_expired_bindings(purge->now);
      if (!removed_many) error = &removed_many.error();
    } else if (const auto* refresh = std::get_if<Refresh>(&operation)) {
      upserted = store_.refresh_binding(refresh->binding);
      if (!upserted) error = &upserted.error();
    }
    if (error == nullptr) return outcome;
    outcome.failure = error->message;
    // The extension was removed (CLI) after the REGISTER was accepted: the binding has
    // nothing to belong to any more, which is not a failure of the store.
    outcome.not_found = store::is_error(*error, store::StoreError::kNotFound);
    if (!store::is_error(*error, store::StoreError::kBusy) || attempt >= options_.busy_retries) {
      return outcome;
    }
  }
}

void BindingWriter::run() {
  auto last_log = std::chrono::steady_clock::time_point{};
  std::uint64_t unlogged = 0;
  std::vector<Operation> batch;
  std::vector<Outcome> outcomes;
  std::unique_lock lock(mutex_);
  for (;;) {
    writer_idle_ = true;
    bool refreshes_due = false;
    while (!stopping_ && queue_.empty() && !refreshes_due) {
      if (refresh_count_ >= options_.max_pending_refreshes) {
        refreshes_due = true;
      } else if (refresh_count_ == 0) {
        wake_.wait(lock);
      } else {
        refreshes_due = wake_.wait_until(lock, refreshes_since_ + options_.refresh_delay) ==
                        std::cv_status::timeout;
      }
    }
    writer_idle_ = false;
    if (stopping_ || refreshes_due ||
        (refresh_count_ != 0 &&
         std::chrono::steady_clock::now() >= refreshes_since_ + options_.refresh_delay)) {
      queue_refreshes(nullptr);
    }
    if (queue_.empty()) {
      if (stopping_) return;  // everything is written
      continue;
    }
    // Group commit: let a few more writes arrive so one commit (its locks and WAL page writes)
    // serves them all. The REGISTER was answered already; its binding reaches the disk a few
    // milliseconds later, well inside what a crash may lose anyway (decision 0004).
    wake_.wait_for(lock, batch.size() >= kBusyBatch ? kBusyGroupCommitDelay : kGroupCommitDelay,
                   [&] { return stopping_ || queue_.size() >= kMaxBatch; });
    batch.clear();
    while (!queue_.empty() && batch.size() < kMaxBatch) {
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    lock.unlock();

    // Everything queued meanwhile commits at once: under REGISTER load one commit serves many
    // bindings (about 5x less CPU per write than a transaction each). Each write is still all
    // or nothing on its own (a savepoint). If the batch itself cannot start or commit, every
    // write is tried again in a transaction of its own.
    const auto write_all = [&] {
      outcomes.clear();
      for (const Operation& operation : batch) outcomes.push_back(write_one(operation));
    };
    if (batch.size() == 1 || !store_.write_batch(write_all)) write_all();

    for (const Outcome& outcome : outcomes) {
      if (!outcome.failure.empty() && !outcome.not_found) {
        const auto now = std::chrono::steady_clock::now();
        if (now - last_log >= kLogInterval) {
          spdlog::warn(
              "could not write a registration binding to the store: {} ({} similar "
              "failures since the last report)",
              outcome.failure, unlogged);
          last_log = now;
          unlogged = 0;
        } else {
          ++unlogged;
        }
      } else if (outcome.not_found) {
        spdlog::debug("binding write skipped: {}", outcome.failure);
      }
    }

    lock.lock();
    for (const Outcome& outcome : outcomes) {
      ++done_;
      if (outcome.failure.empty() || outcome.not_found) {
        ++written_;
      } else {
        ++failed_;
      }
    }
    idle_.notify_all();
  }
}

}  // namespace parley::sip
