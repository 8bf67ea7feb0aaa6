#pragma once
// Which worker owns a call: every message of a call (both legs of a B2BUA call, their
// transactions, retransmissions and in-dialog requests) must reach the one worker loop that holds
// its state, whatever socket the kernel delivered it to. The owner is a stable hash of the
// Call-ID; the B2BUA picks the Call-IDs of the legs it creates so that they hash to its own
// worker (make_owned_call_id), so one call never spans two workers.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "protocol/sip/message.hpp"

namespace parley::sip {

// FNV-1a of the Call-ID modulo `workers` (not std::hash: the same in every build and process).
std::size_t call_owner(std::string_view call_id, std::size_t workers);

// Whether a parsed message must run on its call's owner. REGISTER and out-of-dialog OPTIONS
// touch only shared state, so they stay on the worker that received them.
bool needs_call_affinity(const protocol::sip::Message& message);

// Draws Call-IDs from `random_token` until one is owned by `worker` (about `workers` draws).
std::string make_owned_call_id(std::size_t worker, std::size_t workers,
                               const std::function<std::string()>& random_token);

}  // namespace parley::sip
