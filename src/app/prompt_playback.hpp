#pragma once
// The few lines every answering application repeats to speak a clip on its 20 ms send tick
// (IVR, voicemail deposit and menu): make a player for a clip at the call's rate, and play it a
// frame at a time until it has run once.
//
// Plain functions over the application's own std::optional<media::AudioPlayer>; a call's loop only.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "media/audio_player.hpp"

namespace parley::app {

// A player for `clip` at `rate` Hz, or nothing when the clip is null, the rate unknown (0) or
// the clip cannot be played at it.
std::optional<media::AudioPlayer> player_for(std::shared_ptr<const media::AudioClip> clip,
                                             int rate);

// The player's next frame into `pcm`. Once the clip has played to its end the player is reset
// and true returned (the frame written is its last).
bool play_frame(std::optional<media::AudioPlayer>& player, std::span<std::int16_t> pcm);

}  // namespace parley::app
