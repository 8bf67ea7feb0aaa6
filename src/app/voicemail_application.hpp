#pragma once
// The voicemail deposit, application "voicemail:<box>" (docs/feature-codes.md, decision 0021):
// Parley answers a call nobody took, plays a short greeting and records what the caller says
// into the box of extension <box>, as Asterisk's VoiceMail() does.
//
// The greeting is, for now, 300 ms of silence and a 400 ms beep at 1 kHz (spoken prompts from
// espeak-ng come with the prompts slice of issue 7). Recording starts when the beep ends and
// stops when the caller hangs up, presses # (Parley then hangs up), or after kMaxMessage
// (Parley hangs up). The caller's audio goes, one 20 ms frame at a time at the call's rate (8 or
// 16 kHz), to a media::VoicemailDeposit; the VoicemailWriter thread writes, seals and indexes
// it, and drops messages shorter than a second. Nothing here blocks the loop.
//
// Thread-safety: the session lives on its call's worker loop; the writer is shared.

#include <chrono>

#include "app/applications.hpp"
#include "media/voicemail_writer.hpp"

namespace parley::app {

inline constexpr auto kMaxMessage = std::chrono::minutes(3);

// Builds the session for `context.argument` (the box number; 404 when it is not one).
Result<std::unique_ptr<sip::LocalSession>> make_voicemail_session(ApplicationContext& context,
                                                                  media::VoicemailWriter& writer);

}  // namespace parley::app
