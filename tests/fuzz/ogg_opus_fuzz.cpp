// libFuzzer target: uploaded prompts and greetings in Ogg/Opus (ogg_stream_reader and
// ogg_opus_reader behind AudioClip::parse). Any input either fails with a message or yields a
// mono 48 kHz clip of whole frames that then plays (resampled to 8 kHz) without reading outside
// it. The Ogg layer alone must agree: a file it refuses never decodes.

#include <cstdint>
#include <cstdlib>
#include <span>

#include "fuzz_require.hpp"
#include "media/audio_player.hpp"
#include "media/ogg_stream_reader.hpp"

namespace media = parley::media;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span bytes(data, size);
  const bool ogg = media::looks_like_ogg(bytes);
  const auto stream = media::read_ogg_stream(bytes);
  const auto clip = media::AudioClip::parse(bytes);
  if (!clip.ok()) {
    fuzz::require(!clip.error().message.empty());
    return 0;
  }
  if (!ogg) return 0;  // a WAV: wav_fuzz's business
  fuzz::require(stream.ok());
  const media::AudioClip& decoded = **clip;
  fuzz::require(decoded.sample_rate() == 48000);
  fuzz::require(decoded.samples().size() >= 960);
  auto player = media::AudioPlayer::create(*clip, 8000);
  fuzz::require(player.ok());
  for (int i = 0; i < 8; ++i) fuzz::require(player->next_frame().size() == 160);
  return 0;
}
