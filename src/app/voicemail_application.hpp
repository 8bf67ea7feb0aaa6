#pragma once
// The voicemail deposit, application "voicemail:<box>" (docs/feature-codes.md, decision 0021):
// Parley answers a call nobody took, plays a short greeting and records what the caller says
// into the box of extension <box>, as Asterisk's VoiceMail() does.
//
// The greeting is 300 ms of silence and a 400 ms beep at 1 kHz, with the box's recorded greeting
// (voicemail menu key 0, decision 0029) before the beep when it has one. A box at its message
// limit, or a data disk nearly full, answers with a spoken apology instead and hangs up (the
// check runs on the service's jobs thread during the lead silence). Recording starts when the beep
// ends and stops when the caller hangs up, presses # (Parley then hangs up), or after kMaxMessage
// (Parley hangs up). The caller's audio goes, one 20 ms frame at a time at the call's rate (8 or
// 16 kHz), to a media::VoicemailDeposit; the VoicemailWriter thread writes, seals and indexes
// it, and drops messages shorter than a second. Nothing here blocks the loop.
//
// Thread-safety: the session lives on its call's worker loop; the writer is shared.

#include <chrono>

#include "app/applications.hpp"

namespace parley::app {

inline constexpr auto kMaxMessage = std::chrono::minutes(3);

class VoicemailService;

// Builds the session for `context.argument` (the box number; 404 when it is not one).
Result<std::unique_ptr<sip::LocalSession>> make_voicemail_session(ApplicationContext& context,
                                                                  VoicemailService& service);

}  // namespace parley::app
