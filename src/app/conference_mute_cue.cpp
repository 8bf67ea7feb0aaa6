#include "app/conference_mute_cue.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace parley::app {

void MuteCue::start(bool muted) {
  playing_ = true;
  muted_ = muted;
  position_ = 0;
  phase_ = 0.0;
}

bool MuteCue::fill(std::span<std::int16_t> pcm, int sample_rate) {
  if (!playing_) return false;
  const std::size_t note = static_cast<std::size_t>(sample_rate) * kNoteMs / 1000;
  const std::size_t fade = static_cast<std::size_t>(sample_rate) * 5 / 1000;
  const double first = muted_ ? kMutedFirstHz : kUnmutedFirstHz;
  const double second = muted_ ? kMutedSecondHz : kUnmutedSecondHz;
  for (auto& sample : pcm) {
    if (position_ >= 2 * note) {
      sample = 0;  // the cue ended inside this frame
      continue;
    }
    const std::size_t in_note = position_ % note;
    if (in_note == 0) phase_ = 0.0;  // each note starts (and, faded, ends) at zero
    const double hz = position_ < note ? first : second;
    const std::size_t edge = std::min(in_note, note - 1 - in_note);
    const double gain = edge < fade ? static_cast<double>(edge) / static_cast<double>(fade) : 1.0;
    sample = static_cast<std::int16_t>(std::lround(kAmplitude * gain * std::sin(phase_)));
    phase_ += 2.0 * std::numbers::pi * hz / sample_rate;
    ++position_;
  }
  if (position_ >= 2 * note) playing_ = false;  // this frame held its end
  return true;
}

}  // namespace parley::app
