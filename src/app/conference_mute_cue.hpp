#pragma once
// MuteCue: what a conference participant hears when its own mute state changes (issue 7,
// decision 0040), whoever changed it: its own `*6`, a moderator's `*4`/`*5`, or the REST API.
// Two short notes, falling for "muted" (440 Hz then 330 Hz) and rising for "unmuted" (1500 Hz
// then 1750 Hz): the two cues differ in pitch as well as direction, so nobody mistakes one
// for the other, and neither is near the room's join/leave tones (700/1100 Hz).
//
// The cue is generated sample by sample (a phase accumulator, 5 ms fades against clicks), so it
// needs no buffer and allocates nothing. The conference session plays it INSTEAD of the room's
// mix for its 300 ms, to this participant only: the rest of the room never hears it.
//
// A value type; not thread-safe (one call's loop).

#include <cstddef>
#include <cstdint>
#include <span>

namespace parley::app {

class MuteCue {
 public:
  static constexpr double kMutedFirstHz = 440.0;
  static constexpr double kMutedSecondHz = 330.0;
  static constexpr double kUnmutedFirstHz = 1500.0;
  static constexpr double kUnmutedSecondHz = 1750.0;
  static constexpr int kNoteMs = 150;
  static constexpr double kAmplitude = 8000.0;  // about -12 dBm0 in 16-bit PCM

  // Starts the cue for the new state (again from its start when one is playing).
  void start(bool muted);
  bool playing() const { return playing_; }
  // The next frame of the cue at `sample_rate` Hz into `pcm` (the rest silence once it ends).
  // False when no cue is playing: nothing was written.
  bool fill(std::span<std::int16_t> pcm, int sample_rate);

 private:
  bool playing_ = false;
  bool muted_ = false;
  std::size_t position_ = 0;  // samples of the cue already played
  double phase_ = 0.0;        // radians of the current note
};

}  // namespace parley::app
