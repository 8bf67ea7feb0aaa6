#pragma once
// What the voicemail menu and deposit say (decision 0029): the text of each pbx::VoicemailPrompt
// for espeak-ng, the standard prompts it reuses (PIN prompts, digits, goodbye) and the generated
// beep. Clips live in a library of our own over the server's cache folder, prepared once off the
// loops (prepare()) and found by a call's loop without blocking; a standard prompt the server's
// shared library already holds is taken from there. (The shared library makes the standard set
// only once an IVR menu exists, so we cannot rely on it.)
//
// Thread-safety: VoicemailPrompts is immutable after construction except for the library's own
// locking; find() may be called from any thread.

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "media/audio_player.hpp"
#include "media/prompt_library.hpp"
#include "pbx/voicemail_menu.hpp"

namespace parley::app {

// Played to a caller instead of the beep when the box cannot take a message.
inline constexpr std::string_view kMailboxFullText =
    "Sorry, this mailbox is full and cannot take a message now. Goodbye.";

// Played when the disk fails while the caller speaks (full: decision 0040); then the call ends.
inline constexpr std::string_view kRecordingFailedText =
    "Sorry, your message could not be saved. Please try again later. Goodbye.";

class VoicemailPrompts {
 public:
  // Either library may be null (espeak-ng or the cache folder unavailable): what it would say
  // is then left out.
  VoicemailPrompts(const media::PromptLibrary* shared, std::unique_ptr<media::PromptLibrary> own);

  // Synthesises the texts of our own that are not cached yet. Blocking: off the loops.
  Result<void> prepare() const;

  std::shared_ptr<const media::AudioClip> find(pbx::VoicemailPrompt prompt) const;
  // The digits of `number`, one clip each ("one", "two" for 12).
  std::vector<std::shared_ptr<const media::AudioClip>> number(std::uint32_t number) const;
  std::shared_ptr<const media::AudioClip> mailbox_full() const;
  std::shared_ptr<const media::AudioClip> recording_failed() const;
  const std::shared_ptr<const media::AudioClip>& beep() const { return beep_; }

 private:
  std::shared_ptr<const media::AudioClip> standard(std::string_view key) const;

  const media::PromptLibrary* shared_;
  std::unique_ptr<media::PromptLibrary> own_;
  std::shared_ptr<const media::AudioClip> beep_;
};

}  // namespace parley::app
