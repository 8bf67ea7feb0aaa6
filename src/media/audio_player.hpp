#pragma once
// Playing stored audio into calls: music on hold now, IVR prompts and queue music later.
//
// AudioClip is one decoded sound, immutable once made, loaded once per process and shared by
// every call that plays it (std::shared_ptr<const AudioClip>); AudioPlayer is one call's cursor
// into a clip, cutting it into frames at the rate that call's codec needs.
//
// Accepted files: RIFF/WAVE, PCM (format 1, or WAVE_FORMAT_EXTENSIBLE with the PCM subformat),
// 16-bit, mono, 8000, 16000 or 48000 Hz; or Ogg/Opus, mono or stereo, decoded to mono 48 kHz
// (ogg_opus_reader.hpp). At least one 20 ms frame and at most kMaxClipSeconds.
// Anything else is refused with a message naming what is wrong; a clip is never half-read.
//
// Thread-safety: an AudioClip is immutable and may be read by every worker at once; an
// AudioPlayer belongs to one worker loop.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "media/codecs/resampler.hpp"

namespace parley::media {

class AudioClip {
 public:
  static constexpr int kMaxClipSeconds = 600;

  // Reads and validates a WAV or Ogg/Opus file, told apart by their first bytes (blocking file
  // I/O and decoding: call at start-up or off the loops).
  static Result<std::shared_ptr<const AudioClip>> load(const std::string& path);
  // The same for bytes already in memory (an upload).
  static Result<std::shared_ptr<const AudioClip>> parse(std::span<const std::uint8_t> bytes);
  // WAV only.
  static Result<std::shared_ptr<const AudioClip>> load_wav(const std::string& path);
  static Result<std::shared_ptr<const AudioClip>> parse_wav(std::span<const std::uint8_t> bytes);
  // A clip from samples made in the program (the built-in hold music, tests).
  static Result<std::shared_ptr<const AudioClip>> from_samples(std::vector<std::int16_t> samples,
                                                               int sample_rate);

  int sample_rate() const { return sample_rate_; }
  std::span<const std::int16_t> samples() const { return samples_; }
  double seconds() const {
    return static_cast<double>(samples_.size()) / static_cast<double>(sample_rate_);
  }

  AudioClip(std::vector<std::int16_t> samples, int sample_rate)
      : samples_(std::move(samples)), sample_rate_(sample_rate) {}

 private:
  std::vector<std::int16_t> samples_;
  int sample_rate_;
};

// Writes `clip` as a mono 16-bit PCM WAV (the inverse of parse_wav), e.g. to listen to the
// built-in hold music.
std::vector<std::uint8_t> to_wav_bytes(const AudioClip& clip);

// One call's playback of a clip: 20 ms (or `frame_ms`) frames at `output_rate`, resampled with
// speexdsp when the rates differ, looping at the end without a gap. All buffers are made by
// create(); next_frame() allocates nothing.
class AudioPlayer {
 public:
  static Result<AudioPlayer> create(std::shared_ptr<const AudioClip> clip, int output_rate,
                                    int frame_ms = 20);

  // The next frame of frame_samples() samples; valid until the next call.
  std::span<const std::int16_t> next_frame();
  std::size_t frame_samples() const { return frame_.size(); }
  int output_rate() const { return output_rate_; }
  // Times the clip ran out and started again.
  std::uint64_t loops() const { return loops_; }
  // Back to the start of the clip.
  void rewind();

 private:
  AudioPlayer(std::shared_ptr<const AudioClip> clip, std::optional<Resampler> resampler,
              int output_rate, std::size_t frame_samples)
      : clip_(std::move(clip)),
        resampler_(std::move(resampler)),
        output_rate_(output_rate),
        frame_(frame_samples) {}

  std::shared_ptr<const AudioClip> clip_;
  std::optional<Resampler> resampler_;
  int output_rate_;
  std::vector<std::int16_t> frame_;
  std::size_t cursor_ = 0;
  std::uint64_t loops_ = 0;
};

}  // namespace parley::media
