#include "sip/location_table_writer.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <utility>

namespace parley::sip {
namespace {

// Write-through failures are logged at most this often, with a count of the ones in between,
// so a broken disk under REGISTER load does not flood the log.
constexpr auto kLogInterval = std::chrono::seconds(1);

}  // namespace

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
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || queue_.size() + batch.size() > options_.capacity) {
      ++refused_;
      return false;
    }
    for (auto& operation : batch) queue_.push_back(std::move(operation));
    pushed_ += batch.size();
  }
  batch.clear();
  wake_.notify_one();
  return true;
}

void BindingWriter::flush() {
  std::unique_lock lock(mutex_);
  const std::uint64_t target = pushed_;
  idle_.wait(lock, [&] { return done_ >= target; });
}

BindingWriter::Stats BindingWriter::stats() const {
  std::lock_guard lock(mutex_);
  return Stats{written_, failed_, refused_, queue_.size()};
}

void BindingWriter::run() {
  auto last_log = std::chrono::steady_clock::time_point{};
  std::uint64_t unlogged = 0;
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and everything is written
    Operation operation = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();

    std::string failure;
    bool not_found = false;
    for (int attempt = 0;; ++attempt) {
      failure.clear();
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
      }
      if (error == nullptr) break;
      failure = error->message;
      // The extension was removed (CLI) after the REGISTER was accepted: the binding has
      // nothing to belong to any more, which is not a failure of the store.
      not_found = store::is_error(*error, store::StoreError::kNotFound);
      if (!store::is_error(*error, store::StoreError::kBusy) || attempt >= options_.busy_retries) {
        break;
      }
    }

    if (!failure.empty() && !not_found) {
      const auto now = std::chrono::steady_clock::now();
      if (now - last_log >= kLogInterval) {
        spdlog::warn(
            "could not write a registration binding to the store: {} ({} similar "
            "failures since the last report)",
            failure, unlogged);
        last_log = now;
        unlogged = 0;
      } else {
        ++unlogged;
      }
    } else if (not_found) {
      spdlog::debug("binding write skipped: {}", failure);
    }

    lock.lock();
    ++done_;
    if (failure.empty() || not_found) {
      ++written_;
    } else {
      ++failed_;
    }
    idle_.notify_all();
  }
}

}  // namespace parley::sip
