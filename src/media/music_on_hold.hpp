#pragma once
// Music on hold (decision in docs/decisions/0017-music-on-hold.md): while one party holds a call
// (its SDP says sendonly or inactive, RFC 3264 §8.4), the relay sends the other party frames of
// a shared AudioClip instead of the holder's RTP. MusicOnHold is that party's source: an
// AudioPlayer at its codec's rate and an encoder for the codec it negotiated.
//
// built_in_hold_music() is the clip Parley plays unless `[media] music_on_hold` names a WAV
// file: a 16 s melody synthesised at start-up by a fixed integer recipe (sine table, phase
// accumulators, piecewise-linear envelopes), the same samples on every run; nothing is
// downloaded or shipped beside the binary.
//
// Thread-safety: a MusicOnHold belongs to its call's worker loop.

#include <cstdint>
#include <memory>
#include <vector>

#include "base/result.hpp"
#include "media/audio_player.hpp"
#include "media/codecs/codec.hpp"
#include "media/transcoder.hpp"

namespace parley::media {

// The melody's note frequencies in Hz (tests listen for them), and the clip itself.
const std::vector<double>& built_in_hold_music_notes();
std::shared_ptr<const AudioClip> built_in_hold_music();

class MusicOnHold {
 public:
  static constexpr int kFrameMs = 20;

  // Plays `clip` encoded as `codec` (what the held party receives). Error when the codec
  // cannot be encoded.
  static Result<std::unique_ptr<MusicOnHold>> create(std::shared_ptr<const AudioClip> clip,
                                                     const CodecSpec& codec);

  // The next 20 ms frame; its payload is valid until the next call. False when encoding failed
  // (nothing to send this time). Allocates nothing.
  bool next(EncodedFrame& frame);
  std::uint32_t clock_rate() const { return static_cast<std::uint32_t>(encoder_->clock_rate()); }
  std::uint64_t frames() const { return frames_; }

  MusicOnHold(AudioPlayer player, std::unique_ptr<AudioCodec> encoder);

 private:
  AudioPlayer player_;
  std::unique_ptr<AudioCodec> encoder_;
  std::vector<std::uint8_t> encoded_;
  std::uint32_t frame_advance_;
  std::uint64_t frames_ = 0;
};

}  // namespace parley::media
