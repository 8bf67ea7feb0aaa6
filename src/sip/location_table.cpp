#include "sip/location_table.hpp"

#include <arpa/inet.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <limits>
#include <utility>

#include "base/check.hpp"
#include "net/address.hpp"

namespace parley::sip {
namespace {

// The store's transport names (store::Endpoint), in PackedEndpoint::transport order.
constexpr std::array<std::string_view, 5> kTransportNames{"UDP", "TCP", "TLS", "WS", "WSS"};

// The parts of a binding that decide which bindings a change replaces (store::Binding).
struct Identity {
  std::string_view contact;
  std::string_view instance;
  std::uint32_t reg_id = 0;
};

// store::Store::upsert_binding: same instance and reg-id, or an instance-less binding with the
// same contact URI (the same device now registering with RFC 5626 parameters).
bool upsert_replaces(const Identity& existing, const Identity& incoming) {
  if (!incoming.instance.empty() && existing.instance == incoming.instance &&
      existing.reg_id == incoming.reg_id) {
    return true;
  }
  return existing.instance.empty() && existing.contact == incoming.contact;
}

// store::Store::remove_binding: by instance and reg-id when the key has an instance, otherwise
// the instance-less binding with that contact URI.
bool remove_matches(const Identity& existing, const Identity& key) {
  if (!key.instance.empty()) {
    return existing.instance == key.instance && existing.reg_id == key.reg_id;
  }
  return existing.instance.empty() && existing.contact == key.contact;
}

bool change_matches(const Identity& existing, const ContactChange& change) {
  const Identity incoming{change.binding.contact_uri, change.binding.instance,
                          change.binding.reg_id};
  return change.remove ? remove_matches(existing, incoming) : upsert_replaces(existing, incoming);
}

Identity identity_of(const store::Binding& binding) {
  return {binding.contact_uri, binding.instance, binding.reg_id};
}

}  // namespace

bool LocationTable::only_refreshes(const std::vector<Record>& records, const Record& fresh) {
  const Record* replaced = nullptr;
  const Identity incoming{fresh.contact(), fresh.instance(), fresh.reg_id};
  for (const Record& record : records) {
    if (!upsert_replaces({record.contact(), record.instance(), record.reg_id}, incoming)) continue;
    if (replaced != nullptr) return false;  // it replaces two: a change of identity
    replaced = &record;
  }
  const auto same_endpoint = [](const PackedEndpoint& a, const PackedEndpoint& b) {
    return a.ip == b.ip && a.port == b.port && a.transport == b.transport && a.family == b.family;
  };
  return replaced != nullptr && replaced->contact() == fresh.contact() &&
         replaced->instance() == fresh.instance() && replaced->reg_id == fresh.reg_id &&
         replaced->path() == fresh.path() && replaced->user_agent() == fresh.user_agent() &&
         replaced->q_per_mille == fresh.q_per_mille &&
         same_endpoint(replaced->received, fresh.received) &&
         same_endpoint(replaced->local, fresh.local);
}

store::UnixSeconds system_unix_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

namespace {

bool pack(const store::Endpoint& endpoint, std::array<std::uint8_t, 16>& ip, std::uint16_t& port,
          std::uint8_t& transport, std::uint8_t& family) {
  const auto name = std::find(kTransportNames.begin(), kTransportNames.end(), endpoint.transport);
  if (name == kTransportNames.end()) return false;
  transport = static_cast<std::uint8_t>(name - kTransportNames.begin());
  char buffer[INET6_ADDRSTRLEN] = {};
  if (endpoint.ip.empty() || endpoint.ip.size() >= sizeof buffer) return false;
  // The buffer was zeroed and the size checked above, so the copy stays NUL-terminated.
  // NOLINTNEXTLINE(bugprone-not-null-terminated-result)
  std::memcpy(buffer, endpoint.ip.data(), endpoint.ip.size());
  ip.fill(0);
  if (inet_pton(AF_INET, buffer, ip.data()) == 1) {
    family = 4;
  } else if (inet_pton(AF_INET6, buffer, ip.data()) == 1) {
    family = 6;
  } else {
    return false;
  }
  port = endpoint.port;
  return true;
}

store::Endpoint unpack(const std::array<std::uint8_t, 16>& ip, std::uint16_t port,
                       std::uint8_t transport, std::uint8_t family) {
  store::Endpoint out;
  out.transport = std::string(kTransportNames[transport < kTransportNames.size() ? transport : 0]);
  if (family == 6) {
    char buffer[INET6_ADDRSTRLEN] = {};
    if (inet_ntop(AF_INET6, ip.data(), buffer, sizeof buffer) != nullptr) out.ip = buffer;
  } else {
    // SocketAddress formats IPv4 without inet_ntop's sprintf: every call's callee lookup
    // unpacks two endpoints (decision 0049).
    sockaddr_in v4{};
    v4.sin_family = AF_INET;
    std::memcpy(&v4.sin_addr, ip.data(), sizeof v4.sin_addr);
    out.ip =
        net::SocketAddress::from_sockaddr(reinterpret_cast<const sockaddr*>(&v4), sizeof v4).ip();
  }
  out.port = port;
  return out;
}

bool fits16(std::size_t n) {
  return n <= std::numeric_limits<std::uint16_t>::max();
}

}  // namespace

LocationTable::LocationTable(Key /*key*/, store::Store& store, LocationTableOptions options)
    : store_(store),
      wall_clock_(options.wall_clock ? std::move(options.wall_clock)
                                     : WallClock(system_unix_seconds)),
      shards_(std::make_unique<Shard[]>(std::max<std::size_t>(1, options.shards))),
      shard_count_(std::max<std::size_t>(1, options.shards)),
      writer_(store, options.writer) {}

LocationTable::~LocationTable() = default;

Result<std::unique_ptr<LocationTable>> LocationTable::open(store::Store& store,
                                                           LocationTableOptions options) {
  auto table = std::make_unique<LocationTable>(Key{}, store, std::move(options));
  auto loaded = table->load();
  if (!loaded) return loaded.error();
  return table;
}

store::UnixSeconds LocationTable::now() const {
  return wall_clock_();
}

LocationTable::Shard& LocationTable::shard_for(const AorKey& key) const {
  return shards_[AorHash{}(key) % shard_count_];
}

Result<void> LocationTable::load() {
  auto bindings = store_.list_live_bindings(now());
  if (!bindings) return bindings.error();
  // The store lists each AOR's bindings most preferred first; number them so that lookup() keeps
  // that order until the devices refresh.
  std::uint64_t sequence = bindings->size() + 1;
  std::size_t skipped = 0;
  for (const auto& binding : *bindings) {
    Record record;
    if (!make_record(binding, 0, --sequence, record)) {
      ++skipped;
      continue;
    }
    AorKey key{binding.tenant_id, binding.extension};
    Shard& shard = shard_for(key);
    std::lock_guard lock(shard.mutex);
    shard.aors[std::move(key)].push_back(std::move(record));
  }
  sequence_.store(bindings->size() + 1);
  if (skipped != 0) spdlog::warn("{} stored bindings could not be loaded", skipped);
  return {};
}

bool LocationTable::make_record(const store::Binding& binding, std::uint64_t connection_id,
                                std::uint64_t sequence, Record& out) {
  if (!fits16(binding.contact_uri.size()) || !fits16(binding.instance.size()) ||
      !fits16(binding.call_id.size()) || !fits16(binding.path.size()) ||
      !fits16(binding.user_agent.size())) {
    return false;
  }
  if (!pack(binding.received, out.received.ip, out.received.port, out.received.transport,
            out.received.family) ||
      !pack(binding.local_socket, out.local.ip, out.local.port, out.local.transport,
            out.local.family)) {
    return false;
  }
  const std::size_t total = binding.contact_uri.size() + binding.instance.size() +
                            binding.call_id.size() + binding.path.size() +
                            binding.user_agent.size();
  out.text = std::make_unique_for_overwrite<char[]>(std::max<std::size_t>(total, 1));
  char* p = out.text.get();
  for (const std::string* part : {&binding.contact_uri, &binding.instance, &binding.call_id,
                                  &binding.path, &binding.user_agent}) {
    // Lengths are stored beside the text, which is deliberately not NUL-terminated.
    // NOLINTNEXTLINE(bugprone-not-null-terminated-result)
    if (!part->empty()) std::memcpy(p, part->data(), part->size());
    p += part->size();
  }
  out.contact_length = static_cast<std::uint16_t>(binding.contact_uri.size());
  out.instance_length = static_cast<std::uint16_t>(binding.instance.size());
  out.call_id_length = static_cast<std::uint16_t>(binding.call_id.size());
  out.path_length = static_cast<std::uint16_t>(binding.path.size());
  out.user_agent_length = static_cast<std::uint16_t>(binding.user_agent.size());
  out.q_per_mille = binding.q_per_mille;
  out.reg_id = binding.reg_id;
  out.cseq = binding.cseq;
  out.expires_at = binding.expires_at;
  out.sequence = sequence;
  out.connection_id = connection_id;
  return true;
}

store::Binding LocationTable::to_binding(const Record& record, const AorKey& key) {
  store::Binding out;
  out.tenant_id = key.tenant;
  out.extension = key.extension;
  out.contact_uri = std::string(record.contact());
  out.instance = std::string(record.instance());
  out.reg_id = record.reg_id;
  out.path = std::string(record.path());
  out.q_per_mille = record.q_per_mille;
  out.call_id = std::string(record.call_id());
  out.cseq = record.cseq;
  out.expires_at = record.expires_at;
  out.received = unpack(record.received.ip, record.received.port, record.received.transport,
                        record.received.family);
  out.local_socket =
      unpack(record.local.ip, record.local.port, record.local.transport, record.local.family);
  out.user_agent = std::string(record.user_agent());
  return out;
}

std::vector<RegisteredContact> LocationTable::collect(const std::vector<Record>& records,
                                                      const AorKey& key,
                                                      store::UnixSeconds now) const {
  std::vector<const Record*> live;
  live.reserve(records.size());
  for (const auto& record : records) {
    if (record.expires_at > now) live.push_back(&record);
  }
  std::sort(live.begin(), live.end(), [](const Record* a, const Record* b) {
    if (a->q_per_mille != b->q_per_mille) return a->q_per_mille > b->q_per_mille;
    return a->sequence > b->sequence;
  });
  std::vector<RegisteredContact> out;
  out.reserve(live.size());
  for (const Record* record : live)
    out.push_back({to_binding(*record, key), record->connection_id});
  return out;
}

std::optional<std::vector<RegisteredContact>> LocationTable::collect_if(
    store::TenantId tenant, std::string_view extension,
    const std::function<bool(const Record&)>& wanted) const {
  const AorKey key{tenant, std::string(extension)};
  const store::UnixSeconds now = this->now();
  const Shard& shard = shard_for(key);
  std::lock_guard lock(shard.mutex);
  auto it = shard.aors.find(key);
  if (it == shard.aors.end()) return std::nullopt;
  if (wanted && std::none_of(it->second.begin(), it->second.end(),
                             [&](const Record& r) { return r.expires_at > now && wanted(r); })) {
    return std::nullopt;
  }
  return collect(it->second, key, now);
}

std::vector<RegisteredContact> LocationTable::lookup_contacts(store::TenantId tenant,
                                                              std::string_view extension) const {
  return collect_if(tenant, extension, nullptr).value_or(std::vector<RegisteredContact>{});
}

std::optional<std::vector<RegisteredContact>> LocationTable::contacts_if_applied(
    store::TenantId tenant, std::string_view extension, std::string_view call_id,
    std::uint32_t cseq) const {
  return collect_if(tenant, extension,
                    [&](const Record& r) { return r.cseq == cseq && r.call_id() == call_id; });
}

std::vector<store::Binding> LocationTable::lookup(store::TenantId tenant,
                                                  std::string_view extension) const {
  std::vector<store::Binding> out;
  for (auto& contact : lookup_contacts(tenant, extension)) {
    out.push_back(std::move(contact.binding));
  }
  return out;
}

LocationTable::ChangeResult LocationTable::apply(const RegistrationChange& change) {
  ChangeResult result;
  const store::UnixSeconds now = this->now();
  AorKey key{change.tenant_id, change.extension};
  Shard& shard = shard_for(key);
  std::lock_guard lock(shard.mutex);
  auto it = shard.aors.find(key);
  std::vector<Record> empty;
  std::vector<Record>& records = it == shard.aors.end() ? empty : it->second;
  // An expired binding no longer exists (RFC 3261 §10.3); the store's copy goes at the next purge.
  std::erase_if(records, [now](const Record& r) { return r.expires_at <= now; });

  // RFC 3261 §10.3 steps 6 and 7: a binding this request touches that was written by the same
  // Call-ID with a CSeq at least as high means the request is older; abort all of it.
  auto out_of_order = [&](const Record& r) {
    return r.call_id() == change.call_id && change.cseq <= r.cseq;
  };
  for (const auto& record : records) {
    const Identity existing{record.contact(), record.instance(), record.reg_id};
    bool touched = change.remove_all;
    for (const auto& contact : change.contacts) {
      touched = touched || change_matches(existing, contact);
    }
    if (touched && out_of_order(record)) {
      result.refusal = ChangeRefusal::kOutOfOrder;
      return result;
    }
  }

  // Replay the changes in order, as the store will: which old bindings stay, which new ones
  // remain at the end (a later Contact of the same request may replace an earlier one).
  std::vector<bool> keep(records.size(), !change.remove_all);
  std::vector<const ContactChange*> added;
  for (const auto& contact : change.contacts) {
    for (std::size_t i = 0; i < records.size(); ++i) {
      const Identity existing{records[i].contact(), records[i].instance(), records[i].reg_id};
      if (keep[i] && change_matches(existing, contact)) keep[i] = false;
    }
    std::erase_if(added, [&](const ContactChange* earlier) {
      return change_matches(identity_of(earlier->binding), contact);
    });
    if (!contact.remove) added.push_back(&contact);
  }
  const std::size_t before = records.size();
  const std::size_t after =
      static_cast<std::size_t>(std::count(keep.begin(), keep.end(), true)) + added.size();
  if (after > change.max_bindings && after > before) {
    result.refusal = ChangeRefusal::kTooManyBindings;
    return result;
  }

  std::vector<Record> fresh(added.size());
  std::vector<BindingWriter::Operation> operations;
  operations.reserve(change.contacts.size() + 1);
  if (change.remove_all) {
    operations.emplace_back(BindingWriter::RemoveAll{change.tenant_id, change.extension});
  }
  for (const auto& contact : change.contacts) {
    store::Binding binding = contact.binding;
    binding.tenant_id = change.tenant_id;
    binding.extension = change.extension;
    binding.call_id = change.call_id;
    binding.cseq = change.cseq;
    if (contact.remove) {
      operations.emplace_back(store::BindingKey{binding.tenant_id, binding.extension,
                                                binding.contact_uri, binding.instance,
                                                binding.reg_id});
    } else {
      bool refresh = false;
      for (std::size_t i = 0; i < added.size(); ++i) {
        if (added[i] != &contact) continue;
        if (!make_record(binding, contact.connection_id, ++sequence_, fresh[i])) {
          // Callers validate with store::normalize_binding first, which bounds every length.
          PARLEY_BUG("registration binding could not be packed");
          result.refusal = ChangeRefusal::kOverloaded;
          return result;
        }
        refresh =
            change.contacts.size() == 1 && !change.remove_all && only_refreshes(records, fresh[i]);
      }
      if (refresh) {
        operations.emplace_back(BindingWriter::Refresh{std::move(binding)});
      } else {
        operations.emplace_back(std::move(binding));
      }
    }
  }
  if (!writer_.try_push(operations)) {
    result.refusal = ChangeRefusal::kOverloaded;
    return result;
  }

  std::vector<Record> next;
  next.reserve(after);
  for (std::size_t i = 0; i < records.size(); ++i) {
    if (keep[i]) next.push_back(std::move(records[i]));
  }
  for (auto& record : fresh) next.push_back(std::move(record));
  // One branch on the hot path: a refresh has before != 0 and next non-empty.
  if (reachability_ && (next.empty() ? it != shard.aors.end() : before == 0)) {
    reachability_(change.tenant_id, change.extension, !next.empty());
  }
  if (next.empty()) {
    if (it != shard.aors.end()) shard.aors.erase(it);
    return result;
  }
  if (it == shard.aors.end()) it = shard.aors.emplace(std::move(key), std::vector<Record>()).first;
  it->second = std::move(next);
  for (const auto& contact : change.contacts) {
    if (!contact.remove && contact.connection_id != 0) note_flow(contact.connection_id, it->first);
  }
  result.bindings = collect(it->second, it->first, now);
  return result;
}

std::size_t LocationTable::purge_expired() {
  const store::UnixSeconds now = this->now();
  std::size_t purged = 0;
  for (std::size_t s = 0; s < shard_count_; ++s) {
    Shard& shard = shards_[s];
    std::lock_guard lock(shard.mutex);
    for (auto it = shard.aors.begin(); it != shard.aors.end();) {
      purged += std::erase_if(it->second, [now](const Record& r) { return r.expires_at <= now; });
      if (it->second.empty() && reachability_)
        reachability_(it->first.tenant, it->first.extension, false);
      it = it->second.empty() ? shard.aors.erase(it) : std::next(it);
    }
  }
  // Also clears store rows whose memory copies apply() already dropped. When the queue is full
  // the next purge catches up.
  std::vector<BindingWriter::Operation> purge;
  purge.emplace_back(BindingWriter::Purge{now});
  (void)writer_.try_push(purge);
  return purged;
}

void LocationTable::note_flow(std::uint64_t connection_id, const AorKey& key) {
  std::lock_guard lock(flows_mutex_);
  std::vector<AorKey>& aors = flows_[connection_id];
  if (std::find(aors.begin(), aors.end(), key) == aors.end()) aors.push_back(key);
}

std::size_t LocationTable::remove_connection(std::uint64_t connection_id) {
  if (connection_id == 0) return 0;
  std::vector<AorKey> aors;
  {
    std::lock_guard lock(flows_mutex_);
    auto node = flows_.extract(connection_id);
    if (node.empty()) return 0;
    aors = std::move(node.mapped());
  }
  std::size_t removed = 0;
  for (const AorKey& key : aors) {
    Shard& shard = shard_for(key);
    std::lock_guard lock(shard.mutex);
    auto it = shard.aors.find(key);
    if (it == shard.aors.end()) continue;
    std::vector<BindingWriter::Operation> operations;
    for (const Record& record : it->second) {
      if (record.connection_id != connection_id) continue;
      operations.emplace_back(store::BindingKey{key.tenant, key.extension,
                                                std::string(record.contact()),
                                                std::string(record.instance()), record.reg_id});
    }
    if (operations.empty()) continue;
    if (!writer_.try_push(operations)) {
      spdlog::warn(
          "binding writer queue full: the store keeps {} binding(s) of a closed "
          "connection until they expire",
          operations.size());
    }
    removed += std::erase_if(it->second, [connection_id](const Record& record) {
      return record.connection_id == connection_id;
    });
    if (it->second.empty() && reachability_) reachability_(key.tenant, key.extension, false);
    if (it->second.empty()) shard.aors.erase(it);
  }
  return removed;
}

std::size_t LocationTable::retain_extensions(
    const std::function<bool(store::TenantId, std::string_view)>& exists) {
  std::size_t removed = 0;
  for (std::size_t s = 0; s < shard_count_; ++s) {
    Shard& shard = shards_[s];
    std::lock_guard lock(shard.mutex);
    for (auto it = shard.aors.begin(); it != shard.aors.end();) {
      if (exists(it->first.tenant, it->first.extension)) {
        ++it;
      } else {
        removed += it->second.size();
        if (reachability_) reachability_(it->first.tenant, it->first.extension, false);
        it = shard.aors.erase(it);
      }
    }
  }
  return removed;
}

void LocationTable::flush() {
  writer_.flush();
}

LocationTable::Stats LocationTable::stats() const {
  Stats stats;
  for (std::size_t s = 0; s < shard_count_; ++s) {
    const Shard& shard = shards_[s];
    std::lock_guard lock(shard.mutex);
    stats.aors += shard.aors.size();
    for (const auto& [key, records] : shard.aors) stats.bindings += records.size();
  }
  stats.writer = writer_.stats();
  return stats;
}

std::size_t LocationTable::memory_bytes() const {
  // Per AOR: a hash node holding the key and the vector, plus its bucket pointer.
  constexpr std::size_t kNodeBytes =
      sizeof(void*) * 2 + sizeof(AorKey) + sizeof(std::vector<Record>);
  std::size_t bytes = 0;
  for (std::size_t s = 0; s < shard_count_; ++s) {
    const Shard& shard = shards_[s];
    std::lock_guard lock(shard.mutex);
    for (const auto& [key, records] : shard.aors) {
      bytes += kNodeBytes + records.capacity() * sizeof(Record);
      for (const auto& r : records) {
        bytes += std::max<std::size_t>(1, r.contact_length + r.instance_length + r.call_id_length +
                                              r.path_length + r.user_agent_length);
      }
    }
  }
  return bytes;
}

}  // namespace parley::sip
