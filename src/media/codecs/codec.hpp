#pragma once
// AudioCodec: one codec instance (encoder and decoder state) turning 16-bit mono PCM frames into
// RTP payloads and back. Instances are made by create_codec() (registry.hpp) from an SDP name.
//
// Rates: `sample_rate()` is the PCM rate the codec encodes from and decodes to; `clock_rate()` is
// the RTP timestamp clock. They differ for G.722 (16 kHz audio, 8 kHz clock, RFC 3551 §4.5.2).
//
// Buffers are the caller's: no method allocates after creation, so an instance can sit on the
// per-packet path. Thread-safety: none; one instance belongs to one worker loop.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "base/result.hpp"

namespace parley::media {

class AudioCodec {
 public:
  virtual ~AudioCodec() = default;

  virtual std::string_view name() const = 0;
  virtual int sample_rate() const = 0;
  virtual int clock_rate() const = 0;

  // Encodes one frame of `pcm` (a whole number of codec frames; Opus: 2.5 to 60 ms) into `out`.
  // Returns the payload size.
  virtual Result<std::size_t> encode(std::span<const std::int16_t> pcm,
                                     std::span<std::uint8_t> out) = 0;

  // Decodes one RTP payload into `pcm`. Returns the number of samples written.
  virtual Result<std::size_t> decode(std::span<const std::uint8_t> payload,
                                     std::span<std::int16_t> pcm) = 0;

  // PCM samples (at sample_rate()) that `payload` decodes to, without decoding; 0 if unknown.
  virtual std::size_t decoded_samples(std::span<const std::uint8_t> payload) const = 0;

  // Conceals one lost frame of pcm.size() samples with the codec's own loss concealment. When
  // `next_payload` (the packet after the lost one) is given, a codec with in-band FEC rebuilds the
  // lost frame from it. Returns false when the codec has no concealment (the caller then repeats
  // or fades the last frame itself); pcm is then untouched.
  virtual bool conceal(std::span<std::int16_t> pcm, std::span<const std::uint8_t> next_payload) {
    (void)pcm;
    (void)next_payload;
    return false;
  }

  // Forgets the stream history (a new source: SSRC change, resync after a long gap).
  virtual void reset() = 0;
};

}  // namespace parley::media
