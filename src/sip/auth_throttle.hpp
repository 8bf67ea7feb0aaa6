#pragma once
// Slows password guessing against the registrar and the call path: counts authentication
// failures per source address and per (realm, user) and bans what crosses the limits. The design
// (why a per-user limit never locks the real user out from another address) is explained in
// docs/decisions/0003-digest-auth.md.
//
//   - Per source IP: max_failures_per_ip failures within ip_window ban that IP for ban_duration,
//     for every user.
//   - Per (realm, user): max_failures_per_user failures within user_window, from any sources,
//     put the user under guard for ban_duration. A guarded user stays usable: only a source that
//     then fails max_failures_per_source_while_guarded times against that user is banned, and
//     only for that user. A source that never fails (the user's own phone) is never affected.
//   - Successes never reset the IP or user counts (a guesser holding one valid account could
//     otherwise interleave successes to keep guessing another); a success only clears that
//     source's strikes against that user while it is guarded.
//
// Every table is bounded (max_tracked_*): when one is full, its oldest entry is dropped, so a
// flood from many addresses costs bounded memory; dropping a live ban is counted in Stats.
// Ban starts and ends are logged through spdlog at warn.
//
// Callers record only kBadCredentials outcomes as failures (not kNoCredentials, kStale or kReplay),
// and ask is_banned() before verifying, answering a banned source with 403 without a challenge.
//
// Thread-safety: one instance may be shared by all workers; each call takes an internal mutex,
// and logging happens after it is released.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/clock.hpp"

namespace parley::sip {

struct AuthThrottleOptions {
  std::uint32_t max_failures_per_ip = 20;
  Duration ip_window = std::chrono::seconds(60);
  std::uint32_t max_failures_per_user = 20;
  Duration user_window = std::chrono::seconds(60);
  // While a user is guarded, failures against that user a single source may make (counted
  // within ban_duration) before that source is banned for that user.
  std::uint32_t max_failures_per_source_while_guarded = 3;
  Duration ban_duration = std::chrono::seconds(300);
  std::size_t max_tracked_ips = 65536;    // IP failure counters, and separately IP bans
  std::size_t max_tracked_users = 65536;  // user failure counters, and separately guards
  std::size_t max_tracked_pairs = 65536;  // (IP, user) strike counters, and separately pair bans
};

class AuthThrottle {
 public:
  struct Stats {
    std::size_t ip_counters = 0;
    std::size_t banned_ips = 0;
    std::size_t user_counters = 0;
    std::size_t guarded_users = 0;
    std::size_t pair_counters = 0;
    std::size_t banned_pairs = 0;
    std::uint64_t bans_started = 0;
    std::uint64_t live_entries_dropped = 0;  // bans, guards or counters dropped by a full table
    std::size_t expiry_records = 0;  // bookkeeping behind all tables: at most ~2x their caps
  };

  // The clock must outlive the throttle. Zero limits are raised to 1.
  explicit AuthThrottle(const Clock& clock, AuthThrottleOptions options = {});

  AuthThrottle(const AuthThrottle&) = delete;
  AuthThrottle& operator=(const AuthThrottle&) = delete;

  // True when this source is banned outright or banned for this user.
  bool is_banned(std::string_view source_ip, std::string_view realm, std::string_view user);
  void record_failure(std::string_view source_ip, std::string_view realm, std::string_view user);
  void record_success(std::string_view source_ip, std::string_view realm, std::string_view user);

  Stats stats() const;

 private:
  // Entries that live for a fixed time after they start, bounded in number. Because every
  // entry of one table lives equally long, start order is expiry order and a FIFO suffices.
  class ExpiringTable {
   public:
    struct Entry {
      TimePoint start;
      std::uint32_t count = 0;
      std::uint64_t serial = 0;  // which creation of this key; matches its current Record
    };
    ExpiringTable(Duration ttl, std::size_t cap);
    Entry* find(const std::string& key);
    // The entry for key, created starting at `now` when absent. When the table is full the
    // oldest entry is dropped first and `dropped_live` set.
    Entry& get_or_start(const std::string& key, TimePoint now, bool& dropped_live);
    void erase(const std::string& key);
    // Removes entries whose time has passed and appends their keys to `ended`, if given.
    void expire(TimePoint now, std::vector<std::string>* ended);
    std::size_t size() const { return entries_.size(); }
    std::size_t records() const { return order_.size(); }

   private:
    struct Record {
      std::string key;
      TimePoint start;
      std::uint64_t serial = 0;
    };
    bool is_current(const Record& record) const;
    void compact();

    Duration ttl_;
    std::size_t cap_;
    std::uint64_t next_serial_ = 0;
    std::unordered_map<std::string, Entry> entries_;
    // One record per creation, in start order. Erased entries leave outdated records behind;
    // is_current() skips them and compact() bounds how many pile up.
    std::deque<Record> order_;
  };

  using Events = std::vector<std::string>;  // log lines, written once the mutex is released

  void sweep(TimePoint now, Events& events);
  void start_entry(ExpiringTable& table, const std::string& key, TimePoint now);

  const Clock& clock_;
  AuthThrottleOptions options_;

  mutable std::mutex mutex_;
  // All guarded by mutex_.
  ExpiringTable ip_failures_;
  ExpiringTable ip_bans_;
  ExpiringTable user_failures_;
  ExpiringTable guarded_users_;
  ExpiringTable pair_failures_;
  ExpiringTable pair_bans_;
  std::uint64_t bans_started_ = 0;
  std::uint64_t live_entries_dropped_ = 0;
};

}  // namespace parley::sip
