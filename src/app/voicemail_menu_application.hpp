#pragma once
// The voicemail menu, application "voicemail-menu" (decision 0029): the owner of a box dials
// *97 from their own extension, keys their PIN and listens to their messages — delete, save,
// previous, next, record the greeting — as pbx::VoicemailMenu decides. The box is the calling
// extension's (the B2BUA has authenticated the caller as that extension), so the menu never
// asks for a box number.
//
// Everything that blocks (the box's PIN hash and messages, the PIN check, loading a message's
// WAV, deleting or saving one, writing a greeting) runs on the VoicemailService's jobs thread
// and posts its result back to the call's loop; a session that has gone by then is not called.
// While the box is loaded the caller hears silence.
//
// Thread-safety: the session lives on its call's worker loop.

#include <chrono>
#include <memory>

#include "app/applications.hpp"

namespace parley::app {

class VoicemailService;

// How long the menu waits for a key once its prompts have played.
inline constexpr auto kMenuKeyTimeout = std::chrono::seconds(10);
// The longest greeting kept; recording stops there as if # was pressed.
inline constexpr auto kMaxGreeting = std::chrono::seconds(60);

// Builds the menu session for the calling extension's box (404 when the caller is not an
// extension number).
Result<std::unique_ptr<sip::LocalSession>> make_voicemail_menu_session(ApplicationContext& context,
                                                                       VoicemailService& service);

}  // namespace parley::app
