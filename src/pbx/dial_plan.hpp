#pragma once
// The dial plan for calls to a tenant's own numbers: what happens when `caller` dials an
// extension or a ring group, given the tenant's forwarding, do-not-disturb and ring-group
// settings (a DialPlanSnapshot) and which extensions are registered and busy right now (a
// LiveState). plan_call() is a pure function: values in, a CallPlan out; it never blocks, so the
// B2BUA's worker calls it inline for each new INVITE.
//
// A CallPlan is a list of ring stages followed by one final action. The B2BUA rings the
// extensions of a stage in parallel (forking to all their bindings); a stage ends when it is
// answered (the plan is done), when its timeout passes (CANCEL its legs), or when every leg has
// failed; then the next stage starts, and after the last one the final action runs.
//
// The rules (docs/feature-codes.md has them for users; the choices follow Asterisk/FreePBX):
// - Forward always wins over everything: the extension does not ring at all.
// - Do-not-disturb: the caller gets the busy-forward target if one is set, else 486 Busy Here.
// - Not registered: the unregistered-forward target, else the no-answer target (the phone cannot
//   answer, so the no-answer wish applies at once), else 480 Temporarily Unavailable.
// - Busy (already in a call): the busy-forward target if set; otherwise the phone still rings
//   (call waiting) and may answer 486 itself. A phone that refuses busy by itself while Parley
//   thought it idle makes the extension busy after all: plan_when_busy() below.
// - Otherwise the extension rings, for its no-answer seconds when a no-answer forward is set
//   (then the forward follows), else without a limit of its own.
// - Ring-all groups are one stage with every available member; hunt groups one stage per
//   available member in list order; both use the group's member timeout. Members that are on
//   do-not-disturb, not registered, busy or the caller are skipped, and members' own forwarding
//   is not followed (the call is for the group, not the person). Then the final destination
//   (hang-up = 480).
// - A forward or final destination that no longer exists (removed extension, group or box) or
//   that points back at the caller is ignored, as if it were not set.
// - A chain of forwards that reaches an extension or group a second time, or takes more than
//   kMaxForwardHops hops, ends with 482 Loop Detected: a misconfiguration should be loud, not
//   ring someone at random.
//
// Thread-safety: DialPlanSnapshot is immutable after construction and may be read from any
// number of threads; plan_call() only reads its arguments.

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.hpp"
#include "store/call_feature_store.hpp"
#include "store/store.hpp"

namespace parley::pbx {

inline constexpr int kMaxForwardHops = 5;

// Which extensions can take a call right now, as the B2BUA knows it (its location table and its
// own calls). Called during plan_call(); implementations must not block.
class LiveState {
 public:
  virtual ~LiveState() = default;
  LiveState() = default;
  LiveState(const LiveState&) = default;
  LiveState& operator=(const LiveState&) = default;

  virtual bool is_registered(store::TenantId tenant, std::string_view extension) const = 0;
  virtual bool is_busy(store::TenantId tenant, std::string_view extension) const = 0;
};

// A LiveState given as two sets of extension numbers (of the one tenant being planned for).
class FixedLiveState final : public LiveState {
 public:
  FixedLiveState() = default;
  FixedLiveState(std::set<std::string, std::less<>> registered,
                 std::set<std::string, std::less<>> busy)
      : registered_(std::move(registered)), busy_(std::move(busy)) {}

  bool is_registered(store::TenantId, std::string_view extension) const override {
    return registered_.contains(extension);
  }
  bool is_busy(store::TenantId, std::string_view extension) const override {
    return busy_.contains(extension);
  }

 private:
  std::set<std::string, std::less<>> registered_;
  std::set<std::string, std::less<>> busy_;
};

// Every tenant's call features in memory, indexed for plan_call(). Build it from one store read
// (load()) whenever Store::change_counter() moves, and publish it to the workers as a
// std::shared_ptr<const DialPlanSnapshot>.
class DialPlanSnapshot {
 public:
  DialPlanSnapshot() = default;
  explicit DialPlanSnapshot(store::CallFeatureSnapshot rows);
  // One consistent read of all rows (CallFeatureStore::call_feature_snapshot()); blocks on disk.
  static Result<DialPlanSnapshot> load(store::CallFeatureStore& store);

  // Null when the tenant has no such extension / ring group.
  const store::ExtensionCallFeatures* find_extension(store::TenantId tenant,
                                                     std::string_view number) const;
  const store::RingGroup* find_ring_group(store::TenantId tenant, std::string_view number) const;

 private:
  struct TenantPlan {
    std::map<std::string, store::ExtensionCallFeatures, std::less<>> extensions;
    std::map<std::string, store::RingGroup, std::less<>> ring_groups;
  };
  std::map<store::TenantId, TenantPlan> tenants_;
};

// One hop of forwarding that led to a stage or final action, for the Diversion (RFC 5806) or
// History-Info (RFC 7044) header and for logs. `reason` uses RFC 5806's words: "unconditional",
// "user-busy", "no-answer", "unavailable", "do-not-disturb".
struct Diversion {
  std::string from;  // the extension or ring group that forwarded
  std::string reason;
  bool operator==(const Diversion&) const = default;
};

struct RingStage {
  std::vector<std::string> extensions;  // rung in parallel; never empty
  std::uint32_t timeout_seconds = 0;    // 0 = no limit of its own (until the caller gives up)
  std::string reached;                  // the extension or ring-group number this stage serves
  std::vector<Diversion> diversions;    // how the call got here, oldest first
};

enum class FinalKind : std::uint8_t {
  kEnd,        // nothing more: the caller gets the last stage's outcome (its legs' best final
               // response, or 480 Temporarily Unavailable when it timed out)
  kReject,     // answer the caller `status` (486 DND, 480 unavailable, 482 loop)
  kVoicemail,  // connect to the voicemail box of extension `target`
  kExternal,   // call the outside number `target` through the tenant's outbound routes
  kNotLocal,   // the dialled number is neither an extension nor a ring group of the tenant:
               // outbound routing decides (or the B2BUA answers 404)
};

struct FinalAction {
  FinalKind kind = FinalKind::kEnd;
  int status = 0;      // the SIP status for kReject, else 0
  std::string target;  // voicemail box or outside number
  std::string reason;  // one line for logs ("1001 is on do-not-disturb")
  std::vector<Diversion> diversions;
};

struct CallPlan {
  std::vector<RingStage> stages;
  FinalAction final;
};

// What happens to a call from `caller` (an extension number of the tenant, or any text for an
// outside caller) to `dialled` (the user part of the Request-URI, unescaped) in `tenant`.
// Feature codes ("*78") are not numbers of the plan: check parse_feature_code() first.
CallPlan plan_call(const DialPlanSnapshot& plan, store::TenantId tenant, std::string_view caller,
                   std::string_view dialled, const LiveState& live);

// Busy by the phone's own answer (decision 0052). Parley counts an extension busy when it knows
// it is in a call; its phones may still refuse a call themselves (486 Busy Here, 600 Busy
// Everywhere, 603 Decline: the phone's own do-not-disturb, call waiting off, the user pressed
// reject). When every device of `stage` (a stage of a plan plan_call() made for `caller`)
// refused like that, plan_when_busy() makes the plan again from the stage's extension with it
// marked busy, so the rules above apply unchanged: its busy forward, with the chain of
// diversions that led to the stage and the same loop and hop limits. The result holds only what
// follows the stage (its stages and final action); std::nullopt when the stage rings ring-group
// members (whose own forwarding is not followed) or the extension has no usable busy forward,
// and the call goes on with its original plan (a no-answer forward, else the caller hears busy).
std::optional<CallPlan> plan_when_busy(const DialPlanSnapshot& plan, store::TenantId tenant,
                                       std::string_view caller, const RingStage& stage,
                                       const LiveState& live);

// Whether plan_when_busy() would give a plan for `stage` now: it rings one extension for itself,
// and that extension has a usable busy forward. Cheap: the B2BUA is only handed the re-planning
// for stages where it may apply.
bool forwards_when_busy(const DialPlanSnapshot& plan, store::TenantId tenant,
                        std::string_view caller, const RingStage& stage);

}  // namespace parley::pbx
