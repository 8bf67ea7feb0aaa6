#include "sip/auth_throttle.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace parley::sip {
namespace {

// Keys are truncated so that a flood of huge usernames costs bounded memory per entry; two
// names that differ only past the limit share a counter, which only makes the throttle stricter.
constexpr std::size_t kMaxIpBytes = 64;
constexpr std::size_t kMaxNameBytes = 256;

std::string_view clip(std::string_view text, std::size_t limit) {
  return text.substr(0, limit);
}

std::string user_key(std::string_view realm, std::string_view user) {
  std::string key(clip(realm, kMaxNameBytes));
  key += '\0';
  key.append(clip(user, kMaxNameBytes));
  return key;
}

std::string pair_key(std::string_view ip, std::string_view realm, std::string_view user) {
  std::string key(clip(ip, kMaxIpBytes));
  key += '\0';
  key += user_key(realm, user);
  return key;
}

// Names come from the network: keep control characters out of the log.
std::string printable(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) c = '?';
  }
  return out;
}

// "realm\0user" -> "user@realm"
std::string describe_user(std::string_view key) {
  const std::size_t split = key.find('\0');
  if (split == std::string_view::npos) return printable(key);
  return printable(key.substr(split + 1)) + "@" + printable(key.substr(0, split));
}

// "ip\0realm\0user" -> "ip for user@realm"
std::string describe_pair(std::string_view key) {
  const std::size_t split = key.find('\0');
  if (split == std::string_view::npos) return printable(key);
  return printable(key.substr(0, split)) + " for " + describe_user(key.substr(split + 1));
}

long long whole_seconds(Duration d) {
  return static_cast<long long>(std::chrono::duration_cast<std::chrono::seconds>(d).count());
}

}  // namespace

// --- ExpiringTable ---

AuthThrottle::ExpiringTable::ExpiringTable(Duration ttl, std::size_t cap)
    : ttl_(ttl), cap_(std::max<std::size_t>(cap, 1)) {}

AuthThrottle::ExpiringTable::Entry* AuthThrottle::ExpiringTable::find(const std::string& key) {
  auto it = entries_.find(key);
  return it == entries_.end() ? nullptr : &it->second;
}

bool AuthThrottle::ExpiringTable::is_current(const Record& record) const {
  auto it = entries_.find(record.key);
  return it != entries_.end() && it->second.serial == record.serial;
}

AuthThrottle::ExpiringTable::Entry& AuthThrottle::ExpiringTable::get_or_start(
    const std::string& key, TimePoint now, bool& dropped_live) {
  dropped_live = false;
  if (auto it = entries_.find(key); it != entries_.end()) return it->second;
  while (entries_.size() >= cap_ && !order_.empty()) {
    const auto& oldest = order_.front();
    if (is_current(oldest)) {
      entries_.erase(oldest.key);
      dropped_live = true;
    }
    order_.pop_front();
  }
  const std::uint64_t serial = next_serial_++;
  Entry& entry = entries_.emplace(key, Entry{now, 0, serial}).first->second;  // survives rehash
  order_.push_back(Record{key, now, serial});
  compact();
  return entry;
}

void AuthThrottle::ExpiringTable::erase(const std::string& key) {
  entries_.erase(key);
}

void AuthThrottle::ExpiringTable::expire(TimePoint now, std::vector<std::string>* ended) {
  while (!order_.empty() && order_.front().start + ttl_ <= now) {
    if (is_current(order_.front())) {
      entries_.erase(order_.front().key);
      if (ended != nullptr) ended->push_back(std::move(order_.front().key));
    }
    order_.pop_front();
  }
}

// Erasing and re-creating a key inside one ttl (strike, success, strike ...) leaves outdated
// records that expire() would only reach after ttl; rebuilding once they outnumber the live
// entries keeps the deque within about twice the cap at amortised constant cost.
void AuthThrottle::ExpiringTable::compact() {
  if (order_.size() <= 2 * cap_ + 16) return;
  std::deque<Record> kept;
  for (auto& record : order_) {
    if (is_current(record)) kept.push_back(std::move(record));
  }
  order_ = std::move(kept);
}

// --- AuthThrottle ---

AuthThrottle::AuthThrottle(const Clock& clock, AuthThrottleOptions options)
    : clock_(clock),
      options_(options),
      ip_failures_(options.ip_window, options.max_tracked_ips),
      ip_bans_(options.ban_duration, options.max_tracked_ips),
      user_failures_(options.user_window, options.max_tracked_users),
      guarded_users_(options.ban_duration, options.max_tracked_users),
      pair_failures_(options.ban_duration, options.max_tracked_pairs),
      pair_bans_(options.ban_duration, options.max_tracked_pairs) {
  options_.max_failures_per_ip = std::max<std::uint32_t>(options_.max_failures_per_ip, 1);
  options_.max_failures_per_user = std::max<std::uint32_t>(options_.max_failures_per_user, 1);
  options_.max_failures_per_source_while_guarded =
      std::max<std::uint32_t>(options_.max_failures_per_source_while_guarded, 1);
}

void AuthThrottle::sweep(TimePoint now, Events& events) {
  std::vector<std::string> ended;
  ip_bans_.expire(now, &ended);
  for (const auto& key : ended) events.push_back("auth ban lifted: source " + printable(key));
  ended.clear();
  guarded_users_.expire(now, &ended);
  for (const auto& key : ended) events.push_back("auth guard lifted: user " + describe_user(key));
  ended.clear();
  pair_bans_.expire(now, &ended);
  for (const auto& key : ended) events.push_back("auth ban lifted: source " + describe_pair(key));
  ip_failures_.expire(now, nullptr);
  user_failures_.expire(now, nullptr);
  pair_failures_.expire(now, nullptr);
}

void AuthThrottle::start_entry(ExpiringTable& table, const std::string& key, TimePoint now) {
  bool dropped_live = false;
  table.get_or_start(key, now, dropped_live);
  if (dropped_live) ++live_entries_dropped_;
}

bool AuthThrottle::is_banned(std::string_view source_ip, std::string_view realm,
                             std::string_view user) {
  Events events;
  bool banned = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    sweep(clock_.now(), events);
    banned = ip_bans_.find(std::string(clip(source_ip, kMaxIpBytes))) != nullptr ||
             pair_bans_.find(pair_key(source_ip, realm, user)) != nullptr;
  }
  for (const auto& line : events) spdlog::warn("{}", line);
  return banned;
}

void AuthThrottle::record_failure(std::string_view source_ip, std::string_view realm,
                                  std::string_view user) {
  Events events;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const TimePoint now = clock_.now();
    sweep(now, events);
    const std::string ip(clip(source_ip, kMaxIpBytes));
    const std::string ukey = user_key(realm, user);
    const std::string pkey = pair_key(source_ip, realm, user);
    bool dropped_live = false;

    if (ip_bans_.find(ip) == nullptr) {
      auto& counter = ip_failures_.get_or_start(ip, now, dropped_live);
      if (dropped_live) ++live_entries_dropped_;
      if (++counter.count >= options_.max_failures_per_ip) {
        ip_failures_.erase(ip);
        start_entry(ip_bans_, ip, now);
        ++bans_started_;
        events.push_back("auth ban started: source " + printable(ip) + " for " +
                         std::to_string(whole_seconds(options_.ban_duration)) + " s after " +
                         std::to_string(options_.max_failures_per_ip) + " failures");
      }
    }

    bool guarded = guarded_users_.find(ukey) != nullptr;
    if (!guarded) {
      auto& counter = user_failures_.get_or_start(ukey, now, dropped_live);
      if (dropped_live) ++live_entries_dropped_;
      if (++counter.count >= options_.max_failures_per_user) {
        user_failures_.erase(ukey);
        start_entry(guarded_users_, ukey, now);
        guarded = true;
        events.push_back("auth guard started: user " + describe_user(ukey) + " for " +
                         std::to_string(whole_seconds(options_.ban_duration)) + " s after " +
                         std::to_string(options_.max_failures_per_user) +
                         " failures; failing sources are banned for this user");
      }
    }

    if (guarded && pair_bans_.find(pkey) == nullptr) {
      auto& counter = pair_failures_.get_or_start(pkey, now, dropped_live);
      if (dropped_live) ++live_entries_dropped_;
      if (++counter.count >= options_.max_failures_per_source_while_guarded) {
        pair_failures_.erase(pkey);
        start_entry(pair_bans_, pkey, now);
        ++bans_started_;
        events.push_back("auth ban started: source " + describe_pair(pkey) + " for " +
                         std::to_string(whole_seconds(options_.ban_duration)) + " s");
      }
    }
  }
  for (const auto& line : events) spdlog::warn("{}", line);
}

void AuthThrottle::record_success(std::string_view source_ip, std::string_view realm,
                                  std::string_view user) {
  Events events;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    sweep(clock_.now(), events);
    pair_failures_.erase(pair_key(source_ip, realm, user));
  }
  for (const auto& line : events) spdlog::warn("{}", line);
}

AuthThrottle::Stats AuthThrottle::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  Stats s;
  s.ip_counters = ip_failures_.size();
  s.banned_ips = ip_bans_.size();
  s.user_counters = user_failures_.size();
  s.guarded_users = guarded_users_.size();
  s.pair_counters = pair_failures_.size();
  s.banned_pairs = pair_bans_.size();
  s.bans_started = bans_started_;
  s.live_entries_dropped = live_entries_dropped_;
  for (const ExpiringTable* table :
       {&ip_failures_, &ip_bans_, &user_failures_, &guarded_users_, &pair_failures_, &pair_bans_}) {
    s.expiry_records += table->records();
  }
  return s;
}

}  // namespace parley::sip
