#pragma once
// Directory: an in-memory snapshot of the tenants and extensions (with their digest HA1s) held by
// a store::Store, so that the registrar and digest authentication answer from memory on the event
// loops while the store may block on disk.
//
// Freshness: refresh_if_changed() compares store.change_counter() with the value the current
// snapshot was built at and rebuilds the whole snapshot when it moved. The app calls it once per
// second from ONE thread that may block (never a worker loop), so a change made by another
// process sharing the data folder (`parley user add` while `parley serve` runs) is seen within a
// second. The counter is read before the tables, so a change that lands during a rebuild moves
// the counter again and is picked up by the next call.
//
// Domains: tenant domains are matched lower-case, without a trailing dot. A request addressed to
// a host that is no tenant's domain belongs to the default tenant when that host is an IP literal
// (any, unless DirectoryOptions::default_tenant_for_any_ip is off, then only our own addresses)
// or one of DirectoryOptions::own_hosts; otherwise to nobody.
//
// Thread-safety: every const member may be called from any thread at any time. Readers take a
// reference-counted pointer to the current immutable snapshot under a mutex held only for the
// pointer copy, so a reload never blocks them for longer than that and never changes a snapshot
// they hold. refresh_if_changed() must not be called from two threads at once.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/result.hpp"
#include "sip/digest_auth.hpp"
#include "store/store.hpp"

namespace parley::sip {

struct DirectoryOptions {
  // Host names and IP literals (with or without brackets for IPv6) this server is reached at,
  // typically every listen address plus the machine's names. Requests naming one of these and no
  // tenant's domain belong to the default tenant.
  std::vector<std::string> own_hosts;
  // When true (the default), a request naming ANY IP literal that is no tenant's domain belongs
  // to the default tenant. Behind NAT or with a wildcard listen address the server does not know
  // every address phones use to reach it, and an IP says nothing about a tenant anyway.
  bool default_tenant_for_any_ip = true;
};

// One tenant as the SIP layer needs it.
struct TenantInfo {
  store::TenantId id = 0;
  std::string domain;  // lower-case; also the digest realm
  bool is_default = false;
};

// One extension with its credentials (lower-case hex HA1s; either may be empty).
struct ExtensionInfo {
  store::ExtensionId id = 0;
  store::TenantId tenant_id = 0;
  std::string number;
  std::string display_name;
  std::string ha1_md5;
  std::string ha1_sha256;
};

// An immutable view of the directory at one change-counter value.
class DirectorySnapshot {
 public:
  DirectorySnapshot(std::vector<TenantInfo> tenants, std::vector<ExtensionInfo> extensions,
                    const DirectoryOptions& options);

  // The tenant a Request-URI or To host belongs to (see the header comment), or nullptr.
  // `host` is taken as a URI gives it: any case, IPv6 in brackets, maybe a trailing dot.
  const TenantInfo* tenant_for_host(std::string_view host) const;
  // Exact domain match only (realms), lower-case expected.
  const TenantInfo* tenant_by_domain(std::string_view domain) const;
  const TenantInfo* tenant(store::TenantId id) const;
  const TenantInfo* default_tenant() const;
  const ExtensionInfo* extension(store::TenantId tenant, std::string_view number) const;
  // Every extension number of `tenant`, sorted (numbers compare as text); for event lists.
  std::vector<std::string> extension_numbers(store::TenantId tenant) const;

  std::size_t tenant_count() const { return tenants_.size(); }
  std::size_t extension_count() const;

 private:
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  template <typename T>
  using StringMap = std::unordered_map<std::string, T, StringHash, std::equal_to<>>;

  std::vector<TenantInfo> tenants_;
  StringMap<std::size_t> by_domain_;                        // index into tenants_
  std::unordered_map<store::TenantId, std::size_t> by_id_;  // index into tenants_
  std::optional<std::size_t> default_;
  std::unordered_map<store::TenantId, StringMap<ExtensionInfo>> extensions_;
  // Canonical forms of DirectoryOptions::own_hosts: names lower-case, IPs as inet_ntop prints.
  std::vector<std::string> own_hosts_;
  bool any_ip_ = true;
};

class Directory {
  struct Key {};  // only open() constructs a Directory

 public:
  // Loads the first snapshot. `store` must outlive the Directory. Blocks on the store.
  static Result<std::unique_ptr<Directory>> open(store::Store& store, DirectoryOptions options);

  Directory(const Directory&) = delete;
  Directory& operator=(const Directory&) = delete;

  // Rebuilds the snapshot when the store's change counter moved: true when it did, false when
  // nothing changed, an error (the old snapshot stays in use) when the store failed. Blocks on
  // the store: call from a thread that may block, once per second.
  Result<bool> refresh_if_changed();
  // Rebuilds unconditionally (after the app itself changed tenants, say).
  Result<void> reload();

  // The current snapshot; hold it for the length of one request so that all its lookups agree.
  std::shared_ptr<const DirectorySnapshot> snapshot() const;

  // A digest credential lookup answering from the current snapshot: realm = tenant domain,
  // username = extension number. Refers to this Directory, which must outlive every copy.
  CredentialLookup credential_lookup() const;

  // The change-counter value of the current snapshot.
  std::uint64_t loaded_counter() const;

  Directory(Key key, store::Store& store, DirectoryOptions options);

 private:
  Result<std::shared_ptr<const DirectorySnapshot>> load();

  store::Store& store_;
  const DirectoryOptions options_;
  std::mutex refresh_mutex_;  // serialises refreshes (a misuse would otherwise race counter_)

  mutable std::mutex mutex_;
  std::shared_ptr<const DirectorySnapshot> snapshot_;  // guarded by mutex_
  std::uint64_t counter_ = 0;                          // guarded by mutex_
};

// Canonical text of an IP literal ("[::0:1]" -> "::1", "192.0.2.1" unchanged), or nullopt when
// `host` is no IP literal.
std::optional<std::string> canonical_ip(std::string_view host);

}  // namespace parley::sip
