#pragma once
// Test-tone DSP helpers for tests, benchmarks and media diagnostics: a continuous-phase sine
// generator and a Goertzel detector that measures the level of one frequency in a block of PCM.
//
// Levels are in dBm0 with the G.711 reference: a full-scale 16-bit sine (peak 32768) is
// +3.17 dBm0, so 0 dBm0 is a sine of peak ≈ 22 752 and -10 dBm0 of peak ≈ 7 195.
// Goertzel measures exactly when the block holds a whole number of periods of the frequency
// (e.g. 1 kHz over 20 ms); otherwise leakage lowers the reading slightly. No window is applied.

#include <cstdint>
#include <span>

namespace parley::media {

inline constexpr double kFullScaleSineDbm0 = 3.17;

double dbm0_to_peak(double dbm0);
double peak_to_dbm0(double peak);

class ToneGenerator {
 public:
  ToneGenerator(double frequency, double level_dbm0, int sample_rate);
  // Writes the next samples; the phase runs on across calls.
  void generate(std::span<std::int16_t> out);

 private:
  double phase_ = 0.0;
  double step_;
  double peak_;
};

// Peak amplitude of the component at `frequency` (Goertzel, one DFT bin).
double goertzel_peak(std::span<const std::int16_t> samples, double frequency, int sample_rate);
// The same, in dBm0; -200 for silence.
double tone_level_dbm0(std::span<const std::int16_t> samples, double frequency, int sample_rate);
// Ratio in dB of the power at `frequency` to the power of everything else in the block (noise,
// distortion, other tones): a SINAD figure for a test tone.
double tone_to_residual_db(std::span<const std::int16_t> samples, double frequency,
                           int sample_rate);
// RMS of the block in 16-bit units.
double rms(std::span<const std::int16_t> samples);

}  // namespace parley::media
