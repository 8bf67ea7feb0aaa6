#pragma once
// LocationTable: the LocationService of a Parley process. Bindings live in memory, sharded by
// address of record (tenant, extension) with one mutex per shard, and are written through to the
// store by one background BindingWriter thread, so neither a REGISTER nor a lookup ever waits
// for the disk. open() loads the live bindings from the store, so a restart keeps them.
//
// Consistency with the store: every change is queued to the writer while the shard lock is held,
// after the memory check and before the memory change, and only when the whole batch fits; so
// the store receives each AOR's changes in memory's order, and a change memory made is always
// queued. The store's binding identity rules (store::Binding) are mirrored exactly: a binding with
// an instance is keyed by (instance, reg-id) and an upsert of it also replaces an instance-less
// binding of the same contact URI; one without an instance is keyed by its contact URI (compared
// as text, like the store does).
//
// Expiry: lookups and apply() ignore bindings whose expires_at has passed; purge_expired(),
// which the app calls periodically, frees them in memory and queues the store's purge.
//
// Memory: one binding costs a fixed ~100-byte record plus ONE heap block holding its strings
// (contact URI, instance, Call-ID, Path, User-Agent); addresses are kept as 16 raw bytes. See
// docs/decisions/0004-registrar.md for measured figures.
//
// Thread-safety: every public member may be called from any thread. The writer thread is joined
// (after writing everything queued) by the destructor; the store must outlive the table.

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/result.hpp"
#include "sip/location.hpp"
#include "sip/location_table_writer.hpp"
#include "store/store.hpp"

namespace parley::sip {

// The wall clock in unix seconds, the store's time base for binding expiry. Tests pass a lambda
// reading a variable they advance by hand.
using WallClock = std::function<store::UnixSeconds()>;
store::UnixSeconds system_unix_seconds();

struct LocationTableOptions {
  WallClock wall_clock;  // empty = system_unix_seconds
  std::size_t shards = 16;
  BindingWriterOptions writer = {};
};

// One Contact of a REGISTER, already validated (store::normalize_binding passes).
struct ContactChange {
  // Identity (contact_uri, instance, reg_id) and, for an upsert, every other field. tenant_id,
  // extension, call_id and cseq are taken from the RegistrationChange.
  store::Binding binding;
  bool remove = false;  // expires 0: remove the binding with this identity
  std::uint64_t connection_id = 0;
};

// Everything one REGISTER asks of one address of record, applied all or nothing.
struct RegistrationChange {
  store::TenantId tenant_id = 0;
  std::string extension;
  std::string call_id;
  std::uint32_t cseq = 0;
  bool remove_all = false;  // "Contact: *" with Expires: 0
  std::vector<ContactChange> contacts;
  // Live bindings the AOR may have after the change. A change that would leave more than this
  // AND more than before is refused, so lowering the limit never breaks existing refreshes.
  std::size_t max_bindings = 10;
};

// Why apply() refused a change; nothing was changed in that case.
enum class ChangeRefusal : std::uint8_t {
  kOutOfOrder,       // RFC 3261 §10.3 steps 6/7: same Call-ID, CSeq not higher than stored
  kTooManyBindings,  // past max_bindings
  kOverloaded,       // the writer queue is full
};

class LocationTable final : public LocationService {
  struct Key {};  // only open() constructs a LocationTable

 public:
  struct Stats {
    std::size_t bindings = 0;  // in memory, including expired ones not purged yet
    std::size_t aors = 0;
    BindingWriter::Stats writer;
  };

  // Loads every live binding from `store` (which must outlive the table) and starts the writer.
  static Result<std::unique_ptr<LocationTable>> open(store::Store& store,
                                                     LocationTableOptions options = {});

  LocationTable(Key key, store::Store& store, LocationTableOptions options);
  ~LocationTable() override;
  LocationTable(const LocationTable&) = delete;
  LocationTable& operator=(const LocationTable&) = delete;

  std::vector<store::Binding> lookup(store::TenantId tenant,
                                     std::string_view extension) const override;
  std::vector<RegisteredContact> lookup_contacts(store::TenantId tenant,
                                                 std::string_view extension) const override;

  // The AOR's live bindings when one of them was written by exactly this Call-ID and CSeq, i.e.
  // the REGISTER carrying them was applied already; nullopt otherwise. Lets the registrar answer
  // a retransmitted REGISTER 200 again without a transaction or a store write (decision 0036).
  std::optional<std::vector<RegisteredContact>> contacts_if_applied(store::TenantId tenant,
                                                                    std::string_view extension,
                                                                    std::string_view call_id,
                                                                    std::uint32_t cseq) const;

  struct ChangeResult {
    std::optional<ChangeRefusal> refusal;
    // After a successful change: every live binding of the AOR, in lookup() order.
    std::vector<RegisteredContact> bindings;
  };
  // Applies a REGISTER's changes atomically with respect to every other call for the same AOR.
  ChangeResult apply(const RegistrationChange& change);

  // Frees expired bindings in memory and queues the store's purge; returns how many were freed.
  std::size_t purge_expired();
  // Drops every binding registered over stream connection `connection_id` now that it closed:
  // the device is reachable only over the flow it opened (RFC 5626 §5.3, RFC 7118 §5.3), so
  // its bindings end with the flow instead of lingering until they expire. Queues their removal
  // from the store too; when the writer queue is full the store's copies simply expire (after a
  // restart they are reloaded without a connection, and are not used for stream transports).
  // Returns how many bindings were dropped. 0 is no connection and drops nothing.
  std::size_t remove_connection(std::uint64_t connection_id);
  // Drops every binding of extensions for which `exists` answers false (the store already
  // removed theirs by cascade); for the app to call after Directory reloads. Returns how many.
  std::size_t retain_extensions(
      const std::function<bool(store::TenantId, std::string_view)>& exists);

  // Told when an address of record gains its first live binding (reachable = true) or loses its
  // last one (false: unregistration, "Contact: *", a closed flow, expiry found by apply() or
  // purge_expired(), a deleted extension); never for a refresh that leaves it reachable. Called
  // on the changing thread WITH the AOR's shard lock held, so one AOR's edges arrive in order; it
  // must be quick and must not call back into this table. Set before the workers start.
  using ReachabilityListener =
      std::function<void(store::TenantId tenant, std::string_view extension, bool reachable)>;
  void set_reachability_listener(ReachabilityListener listener) {
    reachability_ = std::move(listener);
  }

  // Blocks until every store write queued so far is done (tests, orderly shutdown).
  void flush();
  Stats stats() const;
  // Heap and record bytes of the bindings, an estimate for metrics.
  std::size_t memory_bytes() const;

 private:
  // An address compactly: 16 raw bytes instead of text.
  struct PackedEndpoint {
    std::array<std::uint8_t, 16> ip{};
    std::uint16_t port = 0;
    std::uint8_t transport = 0;  // index into the store's transport names
    std::uint8_t family = 0;     // 4 or 6
  };
  // One binding in memory. The strings share one heap block, in this order.
  struct Record {
    std::unique_ptr<char[]> text;
    std::uint16_t contact_length = 0;
    std::uint16_t instance_length = 0;
    std::uint16_t call_id_length = 0;
    std::uint16_t path_length = 0;
    std::uint16_t user_agent_length = 0;
    std::uint16_t q_per_mille = 1000;
    std::uint32_t reg_id = 0;
    std::uint32_t cseq = 0;
    store::UnixSeconds expires_at = 0;
    std::uint64_t sequence = 0;
    std::uint64_t connection_id = 0;
    PackedEndpoint received;
    PackedEndpoint local;

    std::string_view contact() const { return {text.get(), contact_length}; }
    std::string_view instance() const { return {text.get() + contact_length, instance_length}; }
    std::string_view call_id() const {
      return {text.get() + contact_length + instance_length, call_id_length};
    }
    std::string_view path() const {
      return {text.get() + contact_length + instance_length + call_id_length, path_length};
    }
    std::string_view user_agent() const {
      return {text.get() + contact_length + instance_length + call_id_length + path_length,
              user_agent_length};
    }
  };
  using AorKey = BindingWriter::AorKey;
  using AorHash = BindingWriter::AorHash;
  struct Shard {
    mutable std::mutex mutex;
    std::unordered_map<AorKey, std::vector<Record>, AorHash> aors;  // guarded by mutex
  };

  Result<void> load();
  // False when the binding cannot be packed (a field past 65535 bytes, an endpoint that is no IP
  // literal); store::normalize_binding rules both out.
  static bool make_record(const store::Binding& binding, std::uint64_t connection_id,
                          std::uint64_t sequence, Record& out);
  static store::Binding to_binding(const Record& record, const AorKey& key);
  // True when `fresh` replaces exactly one of `records` and differs from it only in what a
  // refresh moves (Call-ID, CSeq, expiry): the store gets a cheap, batched refresh instead of an
  // upsert (BindingWriter::Refresh).
  static bool only_refreshes(const std::vector<Record>& records, const Record& fresh);
  Shard& shard_for(const AorKey& key) const;
  store::UnixSeconds now() const;
  std::vector<RegisteredContact> collect(const std::vector<Record>& records, const AorKey& key,
                                         store::UnixSeconds now) const;
  // The AOR's live bindings; nullopt when it has none in memory, or when `wanted` is set and
  // accepts none of its live records.
  std::optional<std::vector<RegisteredContact>> collect_if(
      store::TenantId tenant, std::string_view extension,
      const std::function<bool(const Record&)>& wanted) const;

  // Notes that `key` has (or had) a binding over `connection_id`, for remove_connection().
  // Called with the AOR's shard lock held; takes flows_mutex_ after it, never the other way.
  void note_flow(std::uint64_t connection_id, const AorKey& key);

  store::Store& store_;
  WallClock wall_clock_;
  std::unique_ptr<Shard[]> shards_;
  std::size_t shard_count_;
  std::atomic<std::uint64_t> sequence_{0};  // registration order, for "most recent first"
  // The AORs each open stream connection registered, so that its close finds them without a
  // scan of every shard. May name AORs whose binding has since moved to another connection or
  // expired; remove_connection() checks the records themselves.
  std::mutex flows_mutex_;
  std::unordered_map<std::uint64_t, std::vector<AorKey>> flows_;  // guarded by flows_mutex_
  BindingWriter writer_;
  ReachabilityListener reachability_;  // set before the workers start, then read-only
};

}  // namespace parley::sip
