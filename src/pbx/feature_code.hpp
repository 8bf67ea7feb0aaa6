#pragma once
// Dialled feature codes for call forwarding and do-not-disturb (docs/feature-codes.md): a phone
// dials "*78" to turn do-not-disturb on, "*721002" to forward everything to 1002, and so on.
// parse_feature_code() only reads the dialled text; app/feature_code_application applies the
// action through CallFeatureStore for the calling extension and answers the call (decision 0028).
//
// The codes are those of Asterisk/FreePBX, which desk-phone users and phone templates know:
//   *76 toggle DND, *78 DND on, *79 DND off,
//   *72NUMBER forward always to NUMBER, *73 clear it,
//   *90NUMBER forward on busy to NUMBER, *91 clear it,
//   *52NUMBER forward on no answer to NUMBER, *53 clear it,
//   *8 group pickup (answer a call ringing in the caller's pickup group),
//   **EXT directed pickup (answer a call ringing at extension EXT).
// Extension numbers are digits only, so a code can never shadow an extension.
//
// Pure; safe from any thread.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "store/call_feature_store.hpp"
#include "store/store.hpp"

namespace parley::pbx {

class DialPlanSnapshot;

enum class FeatureAction : std::uint8_t {
  kDndOn,
  kDndOff,
  kDndToggle,
  kForwardSet,      // `condition` to `number`
  kForwardClear,    // `condition`
  kPickupGroup,     // "*8": a call ringing at any extension of the caller's pickup group
  kPickupDirected,  // "**EXT": a call ringing at extension `number`
  kUnknown,         // starts with '*' but is no code of ours: answer 404
  kInvalid,         // a known code with a bad number ("*72", "*72abc"): answer 484 Address
                    // Incomplete
};

struct FeatureCode {
  FeatureAction action = FeatureAction::kUnknown;
  store::ForwardCondition condition = store::ForwardCondition::kAlways;  // for kForward*
  std::string number;  // the forward target as dialled (digits, or '+' and digits), or the
                       // extension of a directed pickup (digits)
  bool operator==(const FeatureCode&) const = default;
};

// Longest number accepted after a forward code ("+" plus store::kMaxExternalNumberDigits).
inline constexpr std::size_t kMaxFeatureNumberLength = 1 + store::kMaxExternalNumberDigits;

// std::nullopt when `dialled` is not a feature code at all (it does not start with '*'), so the
// call goes through plan_call(). `dialled` is the Request-URI user part, already unescaped
// ("%2A78" is "*78"); a trailing '#' (the "send" key of some phones) is ignored.
std::optional<FeatureCode> parse_feature_code(std::string_view dialled);

// What the number after *72 / *90 / *52 means in `tenant`: an extension or ring group of the
// tenant when one has that number, otherwise an outside number (a store::Destination ready for
// CallFeatureStore::set_forward, which still checks it).
store::Destination forward_destination(const DialPlanSnapshot& plan, store::TenantId tenant,
                                       std::string_view number);

}  // namespace parley::pbx
