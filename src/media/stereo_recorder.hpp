#pragma once
// StereoRecorder: turns the tapped RTP of a call's two legs into one stereo PCM stream at one
// rate, left = leg A (caller), right = leg B (callee).
//
// Each leg is smoothed by its own JitterBuffer (in-order decoding, concealment of a lost frame),
// decoded with media/codecs and resampled to the output rate. Its audio is placed on a common
// timeline whose origin is the arrival of the first packet of either leg: a leg's stream is
// anchored at the wall-clock arrival of its first packet, later packets are placed by their
// RTP timestamps from that anchor (no arrival jitter in the audio), and the stream is anchored
// again when timestamps and arrival disagree by more than `realign` (a new source, a long
// pause without a timestamp jump, a clock that drifts). Where a leg sent nothing the channel is
// silent, so the two channels stay aligned as the parties heard each other.
//
// The owner takes frames up to a wall-clock time (somewhat behind the present, so late packets
// still find their place) and at the end everything placed. Storage is sized at creation (a
// window of `window` per leg); audio placed beyond the window, or before what was already taken,
// is dropped and counted.
//
// Thread-safety: none; used by the recording writer thread.

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "base/clock.hpp"
#include "media/codecs/codec.hpp"
#include "media/codecs/resampler.hpp"
#include "media/jitter_buffer.hpp"
#include "media/recording_tap.hpp"

namespace parley::media {

struct StereoRecorderOptions {
  int sample_rate = 8000;
  Duration window = std::chrono::seconds(4);
  Duration realign = std::chrono::milliseconds(120);
  int jitter_depth = 3;
};

class StereoRecorder {
 public:
  explicit StereoRecorder(const StereoRecorderOptions& options);
  ~StereoRecorder();
  StereoRecorder(StereoRecorder&&) noexcept;
  StereoRecorder& operator=(StereoRecorder&&) = delete;

  // One tapped packet and what its leg's payload types mean now (nullopt: not recordable).
  void add(const TappedPacket& packet, const std::optional<TapCodec>& codec);

  // Interleaved stereo frames of the timeline up to wall-clock `until`, at most out.size() / 2;
  // returns the frame count. Call again while it fills `out`.
  std::size_t take_until(TimePoint until, std::span<std::int16_t> out);
  // Everything placed so far, for the end of the recording.
  std::size_t take_all(std::span<std::int16_t> out);

  bool started() const { return started_; }
  TimePoint start() const { return start_; }
  int sample_rate() const { return options_.sample_rate; }
  std::uint64_t frames_taken() const { return static_cast<std::uint64_t>(taken_); }
  std::uint64_t samples_dropped() const { return samples_dropped_; }
  std::uint64_t packets_ignored() const { return packets_ignored_; }

 private:
  struct Track;

  std::int64_t position_of(TimePoint when) const;
  void decode_ready(Track& track);
  void place(Track& track, std::uint32_t timestamp, std::span<const std::int16_t> pcm);
  std::size_t take_to(std::int64_t target, std::span<std::int16_t> out);

  StereoRecorderOptions options_;
  std::size_t window_samples_;
  std::array<std::unique_ptr<Track>, 2> tracks_;
  bool started_ = false;
  TimePoint start_{};
  std::int64_t taken_ = 0;  // timeline position of the next frame to hand out
  std::int64_t end_ = 0;    // end of the latest audio placed
  std::uint64_t samples_dropped_ = 0;
  std::uint64_t packets_ignored_ = 0;
};

}  // namespace parley::media
