#pragma once
// The auto attendant, application "ivr:<tenant id>:<name>" (issue 7, decision 0022): Parley
// answers, plays the menu's greeting and routes the caller by the keys pressed (RFC 4733 events
// from the LocalEndpoint): to a number of the tenant (extension, ring group, room: the B2BUA
// redirect, sip/call_media.hpp), to another menu (the same session goes on), to a schedule
// (evaluated at that moment), to voicemail, or hangs up. pbx::MenuNavigator decides; this file
// plays and waits.
//
// <name> may name a schedule: the call then goes where the schedule points at the moment it
// arrives. A key interrupts the greeting (barge-in). The digit timeout runs from the end of the
// greeting or the last key. While a number rings the caller hears "please hold" and then
// silence; if nobody answers, "nobody is available" and the menu again.
//
// Thread-safety: a session lives on its call's worker loop; the directory and the prompt
// library are thread-safe and outlive every session.

#include <cstdint>
#include <functional>

#include "app/applications.hpp"
#include "app/ivr_directory.hpp"
#include "media/prompt_library.hpp"

namespace parley::app {

// Seconds since the Unix epoch, for schedules.
using UnixClock = std::function<std::int64_t()>;

// The system wall clock plus `offset_seconds`. A non-zero offset exists only for tests
// (`[testing] clock_offset_s`, decision 0040): they route calls at a chosen instant.
UnixClock shifted_unix_clock(std::int64_t offset_seconds);

// The "ivr" kind, for Applications::add. `prompts` may be null (no spoken system prompts).
ApplicationMaker ivr_maker(const IvrDirectory& directory, const media::PromptLibrary* prompts,
                           UnixClock unix_now);

}  // namespace parley::app
