// The built-in hold music: a gentle 16 s tune in C major, synthesised at 16 kHz.
//
// Integer arithmetic throughout except the sine table, whose values are rounded to 16 bits (so
// a last-bit difference between libm versions cannot change a sample) and the phase increments
// (one correctly-rounded IEEE division each): the same samples on every machine and run.
#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>

#include "media/music_on_hold.hpp"

namespace parley::media {
namespace {

constexpr int kRate = 16000;
constexpr std::uint32_t kNoteSamples = kRate / 2;  // 0.5 s per melody note
constexpr std::uint32_t kBassNotes = 4;            // melody notes per bass note (2 s)
constexpr std::size_t kTableBits = 12;
constexpr std::size_t kTableSize = std::size_t{1} << kTableBits;
constexpr std::int32_t kUnity = 1 << 15;  // envelope gain 1.0 in Q15

// Equal-tempered pitches (A4 = 440 Hz).
constexpr double kC3 = 130.81, kF3 = 174.61, kG3 = 196.00, kA3 = 220.00;
constexpr double kC4 = 261.63, kD4 = 293.66, kE4 = 329.63, kF4 = 349.23, kG4 = 392.00, kA4 = 440.00,
                 kB4 = 493.88, kC5 = 523.25;

// Four phrases of eight notes; each two-second group rests on the bass note below it.
constexpr std::array<double, 32> kMelody{
    kC4, kE4, kG4, kE4, kF4, kA4, kC5, kA4,  // I  - IV
    kG4, kE4, kC4, kE4, kD4, kG4, kB4, kG4,  // I  - V
    kE4, kG4, kC5, kG4, kF4, kA4, kC5, kA4,  // I  - IV
    kG4, kB4, kD4, kG4, kE4, kD4, kC4, kC4,  // V  - I
};
constexpr std::array<double, 8> kBass{kC3, kF3, kC3, kG3, kA3, kF3, kG3, kC3};

constexpr std::int32_t kMelodyLevel = 6000;
constexpr std::int32_t kOvertoneLevel = 1200;  // second harmonic, for a softer, rounder sound
constexpr std::int32_t kBassLevel = 2500;

using SineTable = std::array<std::int16_t, kTableSize>;

SineTable make_sine_table() {
  SineTable table{};
  for (std::size_t i = 0; i < kTableSize; ++i) {
    const double phase = 2.0 * std::numbers::pi * static_cast<double>(i) / kTableSize;
    table[i] = static_cast<std::int16_t>(std::lround(32767.0 * std::sin(phase)));
  }
  return table;
}

std::uint32_t increment_of(double hz) {
  return static_cast<std::uint32_t>(hz * 4294967296.0 / kRate + 0.5);
}

// Q15 gain at `at` of a note `length` long: a linear attack, a decay to `floor`, and a release
// to silence over the last `release` samples (no clicks at note boundaries or at the loop).
std::int32_t envelope(std::uint32_t at, std::uint32_t length, std::uint32_t attack,
                      std::uint32_t release, std::int32_t floor) {
  if (at < attack) return static_cast<std::int32_t>(std::int64_t{kUnity} * at / attack);
  const std::uint32_t release_start = length - release;
  if (at >= release_start) {
    return static_cast<std::int32_t>(std::int64_t{floor} * (length - at) / release);
  }
  const std::uint32_t span = release_start - attack;
  return kUnity - static_cast<std::int32_t>(std::int64_t{kUnity - floor} * (at - attack) / span);
}

std::int32_t voice(const SineTable& table, std::uint32_t& phase, std::uint32_t increment,
                   std::int32_t level) {
  const std::int32_t sample = table[phase >> (32U - kTableBits)];
  phase += increment;
  return sample * level / 32767;
}

std::vector<std::int16_t> synthesise() {
  const SineTable table = make_sine_table();
  const std::uint32_t total = kNoteSamples * kMelody.size();
  std::vector<std::int16_t> pcm(total);
  std::uint32_t melody_phase = 0;
  std::uint32_t overtone_phase = 0;
  std::uint32_t bass_phase = 0;
  const std::uint32_t bass_length = kNoteSamples * kBassNotes;
  for (std::uint32_t n = 0; n < total; ++n) {
    const std::size_t note = n / kNoteSamples;
    const std::uint32_t in_note = n % kNoteSamples;
    if (in_note == 0) melody_phase = overtone_phase = 0;  // each note starts from silence
    if (n % bass_length == 0) bass_phase = 0;
    const std::int32_t melody_gain =
        envelope(in_note, kNoteSamples, kRate / 100, kRate / 20, kUnity * 35 / 100);
    const std::int32_t bass_gain =
        envelope(n % bass_length, bass_length, kRate / 25, kRate / 10, kUnity * 60 / 100);
    const std::int32_t melody =
        voice(table, melody_phase, increment_of(kMelody[note]), kMelodyLevel) +
        voice(table, overtone_phase, increment_of(2 * kMelody[note]), kOvertoneLevel);
    const std::int32_t bass =
        voice(table, bass_phase, increment_of(kBass[n / bass_length]), kBassLevel);
    const std::int32_t mixed = (melody * melody_gain + bass * bass_gain) / kUnity;
    pcm[n] = static_cast<std::int16_t>(std::clamp(mixed, -32767, 32767));
  }
  return pcm;
}

}  // namespace

const std::vector<double>& built_in_hold_music_notes() {
  static const std::vector<double> notes{kC4, kD4, kE4, kF4, kG4, kA4, kB4, kC5};
  return notes;
}

std::shared_ptr<const AudioClip> built_in_hold_music() {
  // Made once per process (about 5 ms) and shared by every held call.
  static const std::shared_ptr<const AudioClip> clip =
      std::make_shared<const AudioClip>(synthesise(), kRate);
  return clip;
}

}  // namespace parley::media
