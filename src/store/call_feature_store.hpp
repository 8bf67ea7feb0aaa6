#pragma once
// CallFeatureStore: per-extension call forwarding and do-not-disturb, and ring groups (issue 6).
//
// Forwarding: an extension has at most one rule per condition (always, busy, no answer after N
// seconds, unregistered), each naming a Destination. Do-not-disturb is a flag of the extension.
// What the rules mean when a call arrives is decided by pbx/ (pbx/dial_plan.hpp), not here.
//
// Ring groups: a number of a tenant that rings several extensions, all at once or one after
// the other, and goes to a final destination when nobody answers. Ring-group numbers and
// extension numbers share one number space per tenant: adding either with a number the other
// holds fails with kConflict, whichever process writes (database triggers enforce it, so an
// older CLI or the REST API cannot break it either).
//
// Targets are checked when written (the extension, ring group or voicemail box must exist in the
// same tenant) but not kept in step afterwards: removing an extension removes its own rules and
// its ring-group memberships, while other people's rules that point at it stay and are skipped
// by the dial plan. That way removing an extension never silently rewrites someone else's
// forwarding, and `parley user show` still shows what they had set.
//
// Every change moves Store::change_counter(), so a running server reloads its dial plan within a
// second. A separate interface from Store so that SIP code and its test fakes do not grow;
// SqliteStore implements it (sqlite/sqlite_call_feature_store.cpp, schema migration 5).
// Thread-safety and blocking: as Store (every call may block on disk).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "store/store.hpp"

namespace parley::store {

using RingGroupId = std::int64_t;

inline constexpr std::uint32_t kDefaultNoAnswerSeconds = 20;
inline constexpr std::uint32_t kDefaultMemberTimeoutSeconds = 15;
inline constexpr std::uint32_t kMinRingSeconds = 5;
inline constexpr std::uint32_t kMaxRingSeconds = 600;
inline constexpr std::size_t kMaxRingGroupMembers = 100;
inline constexpr std::size_t kMaxExternalNumberDigits = 32;

enum class ForwardCondition : std::uint8_t { kAlways, kBusy, kNoAnswer, kUnregistered };
inline constexpr ForwardCondition kAllForwardConditions[] = {
    ForwardCondition::kAlways, ForwardCondition::kBusy, ForwardCondition::kNoAnswer,
    ForwardCondition::kUnregistered};
// "always", "busy", "no-answer", "unregistered" (the CLI's words).
std::string_view to_text(ForwardCondition condition);
// Accepts the words above and "no_answer".
std::optional<ForwardCondition> parse_forward_condition(std::string_view text);

enum class DestinationKind : std::uint8_t {
  kExtension,  // ring that extension (its own forwarding applies)
  kRingGroup,  // ring that ring group
  kVoicemail,  // the voicemail box of an extension
  kExternal,   // an outside number, dialled through the tenant's outbound routes
  kHangUp,     // end the call (only as a ring group's final destination)
};
// "extension", "ring_group", "voicemail", "external", "hangup" (the stored words).
std::string_view to_text(DestinationKind kind);
std::optional<DestinationKind> parse_destination_kind(std::string_view text);

// Where a forwarded or unanswered call goes. `target` is the extension or ring-group number,
// the voicemail box's extension number, the external number ("+" and digits), or empty for
// kHangUp.
struct Destination {
  DestinationKind kind = DestinationKind::kHangUp;
  std::string target;
  bool operator==(const Destination&) const = default;
};

// The operator's text form, as the CLI takes it:
//   "1001"           a local number: an extension or a ring group (the store records which)
//   "voicemail"      the forwarding extension's own box (target left empty)
//   "voicemail:1001" the box of extension 1001
//   "+4930123456" or "external:004930123456"   an outside number
//   "hangup"         end the call
// Pure syntax: whether the number exists is checked by the store when the destination is
// written. kInvalidInput with a message naming the accepted forms otherwise.
Result<Destination> parse_destination(std::string_view text);
// The inverse of parse_destination ("1001", "voicemail:1001", "+49...", "external:0049...",
// "hangup"); a kRingGroup prints as its number like an extension.
std::string to_text(const Destination& destination);

struct CallForward {
  ForwardCondition condition = ForwardCondition::kAlways;
  Destination destination;
  // Only for kNoAnswer: how long the extension rings first (kMinRingSeconds..kMaxRingSeconds).
  std::uint32_t no_answer_seconds = kDefaultNoAnswerSeconds;
};

// The call features of one extension. `forwards` has at most one rule per condition, in the
// order of ForwardCondition.
struct ExtensionCallFeatures {
  TenantId tenant_id = 0;
  std::string number;
  bool dnd = false;
  std::vector<CallForward> forwards;
};

enum class RingStrategy : std::uint8_t { kRingAll, kHunt };
std::string_view to_text(RingStrategy strategy);                         // "ring-all", "hunt"
std::optional<RingStrategy> parse_ring_strategy(std::string_view text);  // also "ring_all"

// A ring group. Ring-all rings every member at once for member_timeout_seconds; hunt rings the
// members one at a time in list order, each for member_timeout_seconds. When nobody answers the
// call goes to `final_destination` (kHangUp = the caller is told nobody is available).
struct RingGroup {
  RingGroupId id = 0;  // assigned by add_ring_group; ignored on input
  TenantId tenant_id = 0;
  std::string number;  // 2-15 digits, not an extension number of the tenant
  std::string name;    // display name rules (check_display_name); may be empty
  RingStrategy strategy = RingStrategy::kRingAll;
  std::uint32_t member_timeout_seconds = kDefaultMemberTimeoutSeconds;
  std::vector<std::string> members;  // extension numbers, in hunt order, no repeats
  Destination final_destination;     // default: hang up
  UnixSeconds created_at = 0;
};

// Everything the dial plan needs, read in one transaction: every extension of every tenant
// (also those without features: the dial plan must know which numbers exist) and every ring
// group with its members.
struct CallFeatureSnapshot {
  std::vector<ExtensionCallFeatures> extensions;  // by tenant, then number
  std::vector<RingGroup> ring_groups;             // by tenant, then number
};

class CallFeatureStore {
 public:
  virtual ~CallFeatureStore() = default;
  CallFeatureStore() = default;
  CallFeatureStore(const CallFeatureStore&) = delete;
  CallFeatureStore& operator=(const CallFeatureStore&) = delete;

  // Sets (replaces) the rule for forward.condition. kNotFound for an unknown extension;
  // kInvalidInput for a destination that does not exist in the tenant, is the extension itself,
  // is kHangUp, or for no-answer seconds out of range. A kVoicemail with an empty target means
  // the extension's own box; a local number is stored as kExtension or kRingGroup, whichever
  // owns it.
  virtual Result<void> set_forward(TenantId tenant, std::string_view extension,
                                   const CallForward& forward) = 0;
  // Removes the rule for `condition`, or every rule when it is empty; returns how many went.
  // kNotFound for an unknown extension.
  virtual Result<std::size_t> clear_forward(TenantId tenant, std::string_view extension,
                                            std::optional<ForwardCondition> condition) = 0;
  virtual Result<void> set_dnd(TenantId tenant, std::string_view extension, bool on) = 0;
  virtual Result<ExtensionCallFeatures> get_call_features(TenantId tenant,
                                                          std::string_view extension) = 0;

  // kConflict when the number is an extension or ring group of the tenant; kNotFound for an
  // unknown tenant; kInvalidInput for a bad field, an unknown or repeated member, or a final
  // destination that does not exist (or is the group itself).
  virtual Result<RingGroup> add_ring_group(const RingGroup& group) = 0;
  virtual Result<std::vector<RingGroup>> list_ring_groups(TenantId tenant) = 0;  // by number
  virtual Result<RingGroup> get_ring_group(TenantId tenant, std::string_view number) = 0;
  // Replaces the member list (same rules as add_ring_group).
  virtual Result<void> set_ring_group_members(TenantId tenant, std::string_view number,
                                              const std::vector<std::string>& members) = 0;
  // Replaces every setting of the tenant's ring group `group.number` (name, strategy, member
  // timeout, members, final destination; the number, id and created_at stay) in one
  // transaction, and returns the group as stored. kNotFound when the tenant has no such group;
  // kInvalidInput, with nothing changed, for input add_ring_group refuses.
  virtual Result<RingGroup> update_ring_group(const RingGroup& group) = 0;
  virtual Result<void> remove_ring_group(TenantId tenant, std::string_view number) = 0;

  virtual Result<CallFeatureSnapshot> call_feature_snapshot() = 0;
};

}  // namespace parley::store
