// libFuzzer target: the WAV reader behind `[media] music_on_hold` (and later IVR prompts).
// Any input either fails with a message or yields a clip that holds whole 16-bit samples at a
// supported rate, which then plays (resampled to 8 kHz) without reading outside it, and which
// writes back to the same samples.

#include <cstdint>
#include <cstdlib>
#include <span>

#include "fuzz_require.hpp"
#include "media/audio_player.hpp"

namespace media = parley::media;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto clip = media::AudioClip::parse_wav(std::span(data, size));
  if (!clip.ok()) {
    fuzz::require(!clip.error().message.empty());
    return 0;
  }
  const media::AudioClip& decoded = **clip;
  const int rate = decoded.sample_rate();
  fuzz::require(rate == 8000 || rate == 16000 || rate == 48000);
  fuzz::require(decoded.samples().size() >= static_cast<std::size_t>(rate) / 50);
  fuzz::require(decoded.samples().size() * 2 <= size);
  auto player = media::AudioPlayer::create(*clip, 8000);
  fuzz::require(player.ok());
  for (int i = 0; i < 8; ++i) fuzz::require(player->next_frame().size() == 160);
  const auto again = media::AudioClip::parse_wav(media::to_wav_bytes(decoded));
  fuzz::require(again.ok() && (*again)->samples().size() == decoded.samples().size());
  return 0;
}
