#pragma once
// MixerEncoder (private to the conference mixer): 20 ms of mixed PCM at the room's rate into one
// RTP payload of a participant's codec. Opus encodes at the room rate directly; G.722 in a
// narrowband room goes through an 8 → 16 kHz Resampler first. Stateful (codec and resampler), so
// one instance serves one continuous output stream: a speaker's own, or the shared stream of
// everyone in the room who hears the whole mix in this codec.
//
// Buffers are sized by create(); encode() never allocates. Thread-safety: none.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "base/result.hpp"
#include "media/codecs/codec.hpp"
#include "media/codecs/resampler.hpp"
#include "media/transcoder.hpp"

namespace parley::media {

class MixerEncoder {
 public:
  static Result<std::unique_ptr<MixerEncoder>> create(const CodecSpec& codec, int room_rate);
  MixerEncoder(std::unique_ptr<AudioCodec> encoder, std::optional<Resampler> resampler);

  // Encodes one tick of `pcm` (room rate). The payload stays valid until the next encode().
  // Empty on a codec error (the participant then misses one packet).
  std::span<const std::uint8_t> encode(std::span<const std::int16_t> pcm);
  // RTP timestamp advance of one tick in the codec's clock.
  std::uint32_t tick_samples() const { return tick_samples_; }

 private:
  std::unique_ptr<AudioCodec> encoder_;
  std::optional<Resampler> resampler_;
  std::vector<std::int16_t> resampled_;  // one tick at the codec's rate
  std::vector<std::uint8_t> payload_;
  std::uint32_t tick_samples_;
};

}  // namespace parley::media
