#include "app/prompt_playback.hpp"

#include <algorithm>
#include <utility>

namespace parley::app {

std::optional<media::AudioPlayer> player_for(std::shared_ptr<const media::AudioClip> clip,
                                             int rate) {
  if (!clip || rate <= 0) return std::nullopt;
  auto player = media::AudioPlayer::create(std::move(clip), rate);
  if (!player) return std::nullopt;
  return std::move(player).value();
}

bool play_frame(std::optional<media::AudioPlayer>& player, std::span<std::int16_t> pcm) {
  const auto frame = player->next_frame();
  std::copy_n(frame.begin(), std::min(frame.size(), pcm.size()), pcm.begin());
  if (player->loops() == 0) return false;
  player.reset();
  return true;
}

}  // namespace parley::app
