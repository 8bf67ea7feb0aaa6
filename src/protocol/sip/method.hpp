#pragma once
#include <cstdint>
#include <string_view>

namespace parley::protocol::sip {

// Methods this codebase knows by name. Anything else is kUnknown and keeps its text.
enum class Method : std::uint8_t {
  kUnknown,
  kInvite,
  kAck,
  kBye,
  kCancel,
  kOptions,
  kRegister,
  kPrack,
  kSubscribe,
  kNotify,
  kPublish,
  kInfo,
  kRefer,
  kMessage,
  kUpdate,
};

// Method names are case-sensitive (RFC 3261 §7.1): "invite" is an unknown method.
Method method_from_text(std::string_view text);
std::string_view to_text(Method method);  // "" for kUnknown

}  // namespace parley::protocol::sip
