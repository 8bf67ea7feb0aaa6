#pragma once
// TrunkStore: provider accounts (trunks), the numbers they deliver (DIDs), outbound routes and
// the toll-fraud limits of a tenant (issue 11).
//
// A trunk belongs to one tenant. It either registers to the provider (RFC 3261 §10 as a
// client: `registers` with username and password) or is peered by IP address without
// registration. The password is kept because a UAC must answer the provider's digest challenge
// with any algorithm and realm the provider picks; the data folder is private to the server.
//
// A separate interface from Store so that SIP code and its test fakes do not grow; SqliteStore
// implements it (sqlite/sqlite_trunk_store.cpp, schema migration 6). Changes move
// Store::change_counter(), so a running server picks them up within a second.
// Thread-safety and blocking: as Store (every call may block on disk).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "store/store.hpp"

namespace parley::store {

using TrunkId = std::int64_t;

struct Trunk {
  TrunkId id = 0;  // assigned by add_trunk; ignored on input
  TenantId tenant_id = 0;
  std::string name;        // 1-64 letters, digits, '.', '_' or '-'; unique within the tenant
  std::string host;        // provider host name or IP literal (RFC 3263 when a name)
  std::uint16_t port = 0;  // 0 = resolve by SRV, or 5060/5061 by transport
  std::string transport;   // "UDP", "TCP" or "TLS"
  bool registers = false;  // outbound registration, else IP-authenticated peering
  std::string username;    // digest user and the user part of the AOR
  std::string password;    // digest password (registering trunks and challenged INVITEs)
  std::string auth_realm;  // empty = accept the realm the provider names
  std::uint32_t register_expires = 600;
  std::string codecs;           // comma-separated encoding names allowed, empty = all
  std::string caller_id;        // default caller-ID presented on this trunk (E.164 or local form)
  std::uint32_t max_calls = 0;  // 0 = unlimited
  bool options_keepalive = true;
  bool enabled = true;
  // An outside caller forwarded out through this trunk is presented with its own number in
  // From (a Diversion names the forwarder); off = the trunk's caller-ID, which every provider
  // accepts (decision 0047).
  bool caller_id_passthrough = false;
  UnixSeconds created_at = 0;
  UnixSeconds updated_at = 0;
};

class TrunkStore {
 public:
  virtual ~TrunkStore() = default;

  // kInvalidInput for a bad name, host, port or transport (rules: trunk_validation.hpp);
  // kConflict when the tenant already has a trunk of that name; kNotFound for an unknown tenant.
  // Host names are stored lower-case, IPv6 literals without brackets, transports upper-case.
  virtual Result<TrunkId> add_trunk(const Trunk& trunk) = 0;
  virtual Result<void> update_trunk(const Trunk& trunk) = 0;  // by id; kNotFound when gone
  // kConflict while a route or DID names the trunk (routing_store.hpp); kNotFound when absent.
  virtual Result<void> remove_trunk(TenantId tenant, std::string_view name) = 0;
  virtual Result<std::optional<Trunk>> find_trunk(TenantId tenant, std::string_view name) = 0;
  // Every trunk of every tenant (tenant == nullopt), or of one tenant, ordered by tenant and name.
  virtual Result<std::vector<Trunk>> list_trunks(std::optional<TenantId> tenant) = 0;
};

}  // namespace parley::store
