#pragma once
// RoutingStore: where calls from and to the public network go (issue 11).
//
// - DIDs: a number a provider delivers (as it arrives in the Request-URI or To user) mapped to a
//   destination inside the tenant. A DID may be tied to one trunk of the tenant (then only calls
//   arriving on that trunk match) or to any of them.
// - Outbound routes: ordered by priority (lower first), each a pattern on the dialled number,
//   digit manipulation (strip, then prepend) and the trunks to try in failover order.
//
// DIDs and route trunk lists name trunks of the same tenant: adding one that names an unknown
// trunk fails with kNotFound, and removing a trunk still named by one fails with kConflict.
// Changes move Store::change_counter(). SqliteStore implements it
// (sqlite/sqlite_routing_store.cpp, schema migration 6).
// Thread-safety and blocking: as Store (every call may block on disk).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "store/store.hpp"

namespace parley::store {

using DidId = std::int64_t;
using OutboundRouteId = std::int64_t;

inline constexpr std::size_t kMaxDialledDigits = 32;  // E.164 is 15; room for access prefixes
inline constexpr std::size_t kMaxRoutePatternLength = 200;
inline constexpr std::size_t kMaxRouteTrunks = 8;
inline constexpr std::size_t kMaxDestinationLength = 64;

enum class DidDestinationKind : std::uint8_t { kExtension, kRingGroup, kIvr, kQueue, kVoicemail };
std::string_view to_text(DidDestinationKind kind);  // "extension", "ringgroup", "ivr", ...
std::optional<DidDestinationKind> parse_did_destination_kind(std::string_view text);

struct Did {
  DidId id = 0;  // assigned by add_did; ignored on input
  TenantId tenant_id = 0;
  // As delivered: an optional '+' then 1-kMaxDialledDigits digits ("+442071234567",
  // "02071234567"). Lookups also try the E.164 forms (pbx/did_lookup.hpp).
  std::string number;
  std::string trunk;  // a trunk name of the tenant; empty = calls from any of its trunks
  DidDestinationKind kind = DidDestinationKind::kExtension;
  // extension/voicemail: an extension number of the tenant; ringgroup: a ring group number of
  // the tenant (both checked on add); ivr, queue: the object's name (1-64 letters, digits, '.',
  // '_', '-'; not checked: those objects are not stored yet).
  std::string target;
  UnixSeconds created_at = 0;
};

enum class RoutePatternKind : std::uint8_t { kPrefix, kLength, kRegex };
std::string_view to_text(RoutePatternKind kind);  // "prefix", "length", "regex"
std::optional<RoutePatternKind> parse_route_pattern_kind(std::string_view text);

struct OutboundRoute {
  OutboundRouteId id = 0;  // assigned by add_outbound_route; ignored on input
  TenantId tenant_id = 0;
  std::string name;  // 1-64 letters, digits, '.', '_' or '-'; unique within the tenant
  // Lower first; 0 on input = after every existing route of the tenant (last + 10).
  std::int64_t priority = 0;
  RoutePatternKind pattern_kind = RoutePatternKind::kPrefix;
  // kPrefix: '+', digits, '*', '#' (may be empty: every number); kLength: "N" or "N-M" digits;
  // kRegex: an ECMAScript regular expression that must match the whole dialled number.
  std::string pattern;
  std::uint32_t strip_digits = 0;   // removed from the front of the dialled number first
  std::string prepend;              // then this ('+', digits, '*', '#') is put in front
  std::vector<std::string> trunks;  // 1-kMaxRouteTrunks trunk names, failover order, distinct
  std::string caller_id;            // overrides the trunk's caller-ID when set
  bool emergency = false;           // carries only emergency numbers, tried first for them
  UnixSeconds created_at = 0;
  UnixSeconds updated_at = 0;
};

class RoutingStore {
 public:
  virtual ~RoutingStore() = default;
  RoutingStore() = default;
  RoutingStore(const RoutingStore&) = delete;
  RoutingStore& operator=(const RoutingStore&) = delete;

  // kInvalidInput for a bad number or target; kNotFound for an unknown tenant, trunk or target
  // extension; kConflict when the tenant already maps that number for that trunk (or any).
  virtual Result<DidId> add_did(const Did& did) = 0;
  // `trunk` empty removes the any-trunk mapping. kNotFound when no such mapping exists.
  virtual Result<void> remove_did(TenantId tenant, std::string_view number,
                                  std::string_view trunk) = 0;
  // Ordered by tenant, number, trunk.
  virtual Result<std::vector<Did>> list_dids(std::optional<TenantId> tenant) = 0;

  // kInvalidInput for a bad name, pattern (a regex that does not compile), prepend or caller-ID;
  // kNotFound for an unknown tenant or trunk; kConflict for a duplicate name.
  virtual Result<OutboundRouteId> add_outbound_route(const OutboundRoute& route) = 0;
  virtual Result<void> remove_outbound_route(TenantId tenant, std::string_view name) = 0;
  // Ordered by tenant, then priority, then name: the order routes are tried in.
  virtual Result<std::vector<OutboundRoute>> list_outbound_routes(
      std::optional<TenantId> tenant) = 0;
};

}  // namespace parley::store
