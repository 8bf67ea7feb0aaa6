#pragma once
// The echo test (feature code *43, docs/feature-codes.md): the caller hears what it sends, as
// Asterisk's Echo() does. Checks a phone's microphone, speaker and codec, and the round trip of
// its network path, in one call.
//
// Decision: the echo is immediate (the jitter buffer and one 20 ms tick, no added delay), like
// Asterisk's. What the caller then hears late is the real round trip of its path, which is what
// an echo test is for; an added fixed delay would hide it. Audio waits at most
// `kMaxQueuedFrames` frames (a caller whose clock runs fast loses the oldest); nothing comes back
// while the caller holds. `#` ends the call (Asterisk's convention), so a phone user can leave
// the test from the keypad too.
//
// Thread-safety: the session lives on its call's worker loop.

#include "app/applications.hpp"

namespace parley::app {

Result<std::unique_ptr<sip::LocalSession>> make_echo_session(ApplicationContext& context);

}  // namespace parley::app
