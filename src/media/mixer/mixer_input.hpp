#pragma once
// MixerInput (private to the conference mixer): one participant's incoming audio, from RTP
// payloads in its codec to 20 ms frames of PCM at the room's rate.
//
// push() reorders through a JitterBuffer, decodes (Opus straight at the room rate, the others at
// their own rate and then through a Resampler), conceals the packets the buffer gives up on (the
// codec's PLC, else a repeat of the last frame fading to silence) and queues the PCM; take() hands
// the tick one frame. The queue holds at most `max_queue_frames` frames (a burst beyond loses its
// oldest audio), and a queue that stays two frames deep for a second (a sender clock faster than
// the room's) loses one frame: delay stays bounded.
//
// Buffers are sized by create(); push() and take() never allocate.
// Thread-safety: none; owned by the room.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "base/result.hpp"
#include "media/codecs/codec.hpp"
#include "media/codecs/resampler.hpp"
#include "media/jitter_buffer.hpp"
#include "media/transcoder.hpp"

namespace parley::media {

struct MixerInputOptions {
  int room_rate = 8000;
  int jitter_frames = 2;
  int max_queue_frames = 6;
};

class MixerInput {
 public:
  static Result<std::unique_ptr<MixerInput>> create(const CodecSpec& codec,
                                                    const MixerInputOptions& options);
  MixerInput(std::unique_ptr<AudioCodec> decoder, std::optional<Resampler> resampler,
             const MixerInputOptions& options);

  void push(std::uint16_t sequence, std::uint32_t timestamp, std::span<const std::uint8_t> payload);
  // Fills `frame` (one tick at the room rate) and returns true when that much audio is queued.
  bool take(std::span<std::int16_t> frame);

  std::uint64_t frames_decoded() const { return decoded_count_; }
  std::uint64_t frames_concealed() const { return concealed_count_; }
  std::uint64_t packets_dropped() const { return dropped_; }
  // Times queued audio was dropped to bound the delay (bursts, a fast sender clock).
  std::uint64_t queue_trims() const { return trimmed_; }

 private:
  void play(std::span<const std::uint8_t> payload);
  void conceal(std::span<const std::uint8_t> next_payload);
  void queue(std::span<const std::int16_t> pcm);
  void append(std::span<const std::int16_t> pcm);
  void consume(std::size_t samples);

  std::unique_ptr<AudioCodec> decoder_;
  std::optional<Resampler> resampler_;
  JitterBuffer jitter_;
  std::vector<std::int16_t> decoded_;     // one packet at the codec's rate
  std::vector<std::int16_t> last_frame_;  // for repeat-and-fade concealment
  std::size_t last_frame_samples_ = 0;
  float fade_ = 1.0F;
  std::vector<std::int16_t> resampled_;
  std::vector<std::int16_t> queue_;  // PCM at the room rate, oldest first
  std::size_t queued_ = 0;
  std::size_t queue_limit_;
  std::uint64_t decoded_count_ = 0;
  std::uint64_t concealed_count_ = 0;
  std::uint64_t dropped_ = 0;
  std::uint64_t trimmed_ = 0;
  int standing_ticks_ = 0;
};

}  // namespace parley::media
