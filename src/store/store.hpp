#pragma once
// The durable state of a Parley installation: tenants, extensions, registration bindings and
// call detail records, behind one small interface so that pbx/ and sip/ never learn which
// database holds them. Backends live in sub-folders (sqlite/ now, postgres/ later); only app/
// names a concrete one.
//
// Every operation returns Result<T>; nothing throws. Error::code is one of StoreError below, so
// the HTTP and CLI boundaries can map failures without parsing messages, and Error::message is a
// full sentence meant for the operator ("extension 1001 already exists in tenant example.com").
//
// Times are unix seconds (UnixSeconds) except call detail records, which keep milliseconds
// because billing and quality reports want sub-second answer and hang-up times.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace parley::store {

using UnixSeconds = std::int64_t;
using UnixMillis = std::int64_t;
using TenantId = std::int64_t;
using ExtensionId = std::int64_t;
using CallRecordId = std::int64_t;

// Values of parley::Error::code for store failures. HTTP-like numbers on purpose: the REST API
// can pass them through as the status of its problem documents.
enum class StoreError : int {
  kInvalidInput = 400,  // a field failed validation; the message names the field
  kNotFound = 404,      // unknown tenant, extension or record
  kConflict = 409,      // duplicate domain or extension number, second default tenant
  kBackend = 500,       // the database failed (I/O error, corrupt file, not a Parley database)
  kSchemaTooNew = 501,  // the data folder was written by a newer Parley; refuse to touch it
  kBusy = 503,          // another process held the write lock longer than the busy timeout
};

inline bool is_error(const Error& error, StoreError kind) {
  return error.code == static_cast<int>(kind);
}
Error make_store_error(StoreError kind, std::string message);

// Input limits shared by every backend (see validation.hpp). Generous for real traffic, small
// enough that a hostile or broken client cannot bloat the database.
inline constexpr std::size_t kMaxDomainLength = 253;  // RFC 1035 host name limit
inline constexpr std::size_t kMaxDisplayNameLength = 200;
inline constexpr std::size_t kMinExtensionDigits = 2;
inline constexpr std::size_t kMaxExtensionDigits = 15;  // E.164 maximum
inline constexpr std::size_t kMaxUriLength = 2048;
inline constexpr std::size_t kMaxInstanceLength = 256;
inline constexpr std::size_t kMaxPathLength = 8192;
inline constexpr std::size_t kMaxCallIdLength = 256;
inline constexpr std::size_t kMaxUserAgentLength = 1024;
inline constexpr std::size_t kMaxPartyLength = 512;  // CDR caller / callee
inline constexpr std::uint16_t kMaxQPerMille = 1000;
inline constexpr std::size_t kMaxCallRecordPage = 1000;

// A SIP domain served by this installation. `domain` is stored lower-case; requests whose
// Request-URI or To host matches it belong to the tenant. At most one tenant is the default,
// used when a request names an IP address or an unknown host.
struct Tenant {
  TenantId id = 0;
  std::string domain;
  std::string display_name;
  bool is_default = false;
  UnixSeconds created_at = 0;
};

struct NewTenant {
  std::string domain;  // host name or IPv4 literal; upper case is folded, a trailing dot dropped
  std::string display_name;
  bool is_default = false;
};

// Digest credentials as HA1 = H(username ":" realm ":" password), lower-case hex, computed by the
// caller (RFC 8760 §2: MD5 and SHA-256). The store never sees a password. Either may be empty
// (the extension then cannot use that algorithm) but not both.
struct Credentials {
  std::string ha1_md5;     // 32 hex digits or empty
  std::string ha1_sha256;  // 64 hex digits or empty
};

// A phone number inside a tenant: the user part of its address of record.
struct Extension {
  ExtensionId id = 0;
  TenantId tenant_id = 0;
  std::string number;  // 2-15 digits, unique within the tenant
  std::string display_name;
  Credentials credentials;
  UnixSeconds created_at = 0;
  UnixSeconds updated_at = 0;  // last change of display name or credentials
};

struct NewExtension {
  TenantId tenant_id = 0;
  std::string number;
  std::string display_name;
  Credentials credentials;
};

// A transport address as text, so that store/ needs nothing from net/ or sip/.
struct Endpoint {
  std::string transport;  // "UDP", "TCP", "TLS", "WS" or "WSS" (upper case is stored)
  std::string ip;         // IPv4 or IPv6 literal without brackets
  std::uint16_t port = 0;
};

// One registered contact of an extension (RFC 3261 §10, RFC 5626 outbound).
//
// Identity: a binding with a `+sip.instance` is keyed by (tenant, extension, instance, reg_id);
// one without is keyed by (tenant, extension, contact_uri). Under RFC 5626 one device registers
// the same contact URI over several flows with different reg-ids, so the contact URI alone is
// unique only among bindings without an instance.
struct Binding {
  TenantId tenant_id = 0;
  std::string extension;             // the extension's number
  std::string contact_uri;           // as sent in Contact, without the header parameters
  std::string instance;              // +sip.instance value, e.g. "<urn:uuid:...>"; empty if absent
  std::uint32_t reg_id = 0;          // RFC 5626 reg-id; 0 = none (needs an instance when non-zero)
  std::string path;                  // Path header values, comma-joined, in received order
  std::uint16_t q_per_mille = 1000;  // Contact q-value times 1000 (q=0.5 -> 500)
  std::string call_id;
  std::uint32_t cseq = 0;
  UnixSeconds expires_at = 0;
  Endpoint received;      // where the REGISTER came from: how to reach a NATed device
  Endpoint local_socket;  // our socket it arrived on: where to send requests to it from
  std::string user_agent;
};

// Identifies one binding for removal, with the same rule as Binding's identity.
struct BindingKey {
  TenantId tenant_id = 0;
  std::string extension;
  std::string contact_uri;  // used when instance is empty
  std::string instance;
  std::uint32_t reg_id = 0;
};

enum class Disposition : std::uint8_t { kAnswered, kBusy, kNoAnswer, kCancelled, kFailed };
enum class HangupSide : std::uint8_t { kCaller, kCallee, kSystem };

std::string_view to_text(Disposition disposition);  // "answered", "busy", "no_answer", ...
std::string_view to_text(HangupSide side);          // "caller", "callee", "system"
std::optional<Disposition> parse_disposition(std::string_view text);
std::optional<HangupSide> parse_hangup_side(std::string_view text);

// Why a call ended, beyond who hung up: kMediaTimeout when no RTP flowed on either leg for the
// configured time, kShutdown when the server ended it on stop.
enum class EndReason : std::uint8_t { kNormal, kMediaTimeout, kShutdown };
std::string_view to_text(EndReason reason);  // "normal", "media_timeout", "shutdown"
std::optional<EndReason> parse_end_reason(std::string_view text);

// One finished call. `answer_ms` is set exactly when the disposition is kAnswered, and
// start <= answer <= end.
struct CallRecord {
  CallRecordId id = 0;  // assigned by insert_call_record; ignored on input
  TenantId tenant_id = 0;
  std::string call_id;
  std::string caller;
  std::string callee;
  UnixMillis start_ms = 0;
  std::optional<UnixMillis> answer_ms;
  UnixMillis end_ms = 0;
  Disposition disposition = Disposition::kFailed;
  HangupSide hangup_side = HangupSide::kSystem;
  EndReason end_reason = EndReason::kNormal;
};

// The storage interface. Implementations validate every input with validation.hpp before
// touching the database, so all backends reject the same inputs with the same messages.
//
// Thread-safety and blocking are backend properties and documented there; every call may do
// disk I/O, so code on an event loop must not call a Store directly.
class Store {
 public:
  virtual ~Store() = default;
  Store() = default;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // --- tenants ---------------------------------------------------------------------------
  // Adds a tenant. kConflict if the domain exists or is_default is set while another tenant
  // is the default.
  virtual Result<Tenant> add_tenant(const NewTenant& tenant) = 0;
  virtual Result<std::vector<Tenant>> list_tenants() = 0;  // ordered by domain
  virtual Result<Tenant> get_tenant(TenantId id) = 0;
  // `domain` is normalised as in add_tenant, so "Example.COM." finds "example.com". A text that
  // cannot be a tenant domain at all (an IPv6 literal, garbage) gives kInvalidInput, not
  // kNotFound; either way no tenant owns it.
  virtual Result<Tenant> get_tenant_by_domain(std::string_view domain) = 0;
  // kNotFound when no tenant is the default.
  virtual Result<Tenant> get_default_tenant() = 0;
  // Makes `id` the only default tenant, atomically.
  virtual Result<void> set_default_tenant(TenantId id) = 0;
  // Removes the tenant with its extensions, their bindings and its call records.
  virtual Result<void> remove_tenant(TenantId id) = 0;

  // --- extensions --------------------------------------------------------------------------
  // kNotFound for an unknown tenant; kConflict if the number exists in that tenant.
  virtual Result<Extension> add_extension(const NewExtension& extension) = 0;
  virtual Result<std::vector<Extension>> list_extensions(TenantId tenant) = 0;  // by number
  virtual Result<Extension> get_extension(TenantId tenant, std::string_view number) = 0;
  virtual Result<void> set_credentials(TenantId tenant, std::string_view number,
                                       const Credentials& credentials) = 0;
  // Removes the extension and its bindings.
  virtual Result<void> remove_extension(TenantId tenant, std::string_view number) = 0;

  // --- registration bindings ---------------------------------------------------------------
  // Inserts or replaces the binding with the same identity (see Binding). A binding with an
  // instance also replaces an instance-less binding of the same contact URI: that is the same
  // device, now registering with RFC 5626 parameters. kNotFound if the extension is unknown.
  virtual Result<void> upsert_binding(const Binding& binding) = 0;
  // A refresh that changes only call_id, cseq and expires_at of the binding with this identity
  // (the location table knows every other field is unchanged). Backends may do it with a cheaper
  // UPDATE; when no stored binding has this identity (purged, or removed by another process)
  // they insert it like upsert_binding. kNotFound if the extension is unknown.
  virtual Result<void> refresh_binding(const Binding& binding) { return upsert_binding(binding); }
  // Bindings of one extension with expires_at > now, highest q first.
  virtual Result<std::vector<Binding>> list_bindings(TenantId tenant, std::string_view extension,
                                                     UnixSeconds now) = 0;
  // True if a binding was removed, false if none matched.
  virtual Result<bool> remove_binding(const BindingKey& key) = 0;
  // Removes every binding of the extension (REGISTER with "Contact: *"); returns how many.
  virtual Result<std::size_t> remove_bindings(TenantId tenant, std::string_view extension) = 0;
  // Removes bindings with expires_at <= now; returns how many.
  virtual Result<std::size_t> purge_expired_bindings(UnixSeconds now) = 0;
  // All bindings with expires_at > now, for reloading the location service at start-up.
  virtual Result<std::vector<Binding>> list_live_bindings(UnixSeconds now) = 0;

  // --- call detail records -----------------------------------------------------------------
  // Returns the new record's id. kNotFound for an unknown tenant.
  virtual Result<CallRecordId> insert_call_record(const CallRecord& record) = 0;
  // Inserts several records, each all or nothing on its own, with one result per record in
  // order. Backends may commit them together (one fsync for the lot); the default inserts them
  // one by one.
  virtual std::vector<Result<CallRecordId>> insert_call_records(
      const std::vector<CallRecord>& records) {
    std::vector<Result<CallRecordId>> results;
    results.reserve(records.size());
    for (const CallRecord& record : records) results.push_back(insert_call_record(record));
    return results;
  }
  // At most `limit` (1..kMaxCallRecordPage) records of the tenant, newest start first.
  virtual Result<std::vector<CallRecord>> list_recent_call_records(TenantId tenant,
                                                                   std::size_t limit) = 0;

  // --- change notification -----------------------------------------------------------------
  // A number that grows whenever tenants or extensions change, by this or any other process
  // sharing the data folder (the CLI while `parley serve` runs). Bindings and call records do
  // not move it. Cheap enough to poll every second; compare values, never interpret them.
  virtual Result<std::uint64_t> change_counter() = 0;

  // Runs `body` inside one write transaction, so that the writes it makes through this store on
  // this thread commit together: one commit for many bindings. Each write inside stays all or
  // nothing on its own. Other threads' calls wait until the batch is done. Fails (and rolls
  // back everything) when the transaction cannot start or commit.
  virtual Result<void> write_batch(const std::function<void()>& body) = 0;
};

}  // namespace parley::store
