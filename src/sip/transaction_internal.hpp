#pragma once
// Private to the transaction layer's .cpp files: the RFC 3261 timer names, which of a
// transaction's three timer slots each one occupies, and key-building helpers. A timer's cookie
// in the TimerQueue is (transaction id << kTimerKindBits) | kind.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/ascii.hpp"
#include "sip/transaction.hpp"
#include "sip/transaction_layer.hpp"

namespace parley::sip::detail {

enum class TimerKind : std::uint8_t {
  // client (RFC 3261 §17.1, RFC 6026 §7.2)
  kA,  // INVITE request retransmit, UDP
  kB,  // INVITE timeout
  kD,  // wait for response retransmissions after a 3xx-6xx
  kE,  // non-INVITE request retransmit, UDP
  kF,  // non-INVITE timeout
  kK,  // wait for response retransmissions after a final response
  kM,  // Accepted: wait for 2xx retransmissions
  // server (RFC 3261 §17.2, RFC 6026 §7.1)
  kG,       // INVITE final response retransmit, UDP
  kH,       // wait for ACK
  kI,       // Confirmed: absorb ACK retransmissions
  kJ,       // non-INVITE: absorb request retransmissions
  kL,       // Accepted: absorb INVITE retransmissions
  kTrying,  // send 100 Trying if the TU is silent
};

inline constexpr unsigned kTimerKindBits = 4;
inline constexpr std::uint64_t kTimerKindMask = (1U << kTimerKindBits) - 1;

inline bool is_server_timer(TimerKind kind) {
  return kind >= TimerKind::kG;
}

inline std::size_t slot_of(TimerKind kind) {
  switch (kind) {
    case TimerKind::kA:
    case TimerKind::kE:
    case TimerKind::kG:
      return 0;  // retransmit
    case TimerKind::kTrying:
      return 2;  // 100 Trying
    default:
      return 1;  // lifetime
  }
}

inline constexpr std::string_view kMagicCookie = "z9hG4bK";

// Via parameter values and hosts compare case-insensitively (RFC 3261 §7.3.1); keys hold them
// lowercased so that plain string equality does the comparison.
using base::append_lower;

}  // namespace parley::sip::detail
