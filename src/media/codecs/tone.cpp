#include "media/codecs/tone.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace parley::media {

namespace {

constexpr double kFullScale = 32768.0;
constexpr double kSilenceDb = -200.0;

double to_db(double ratio) {
  return ratio > 0.0 ? 10.0 * std::log10(ratio) : kSilenceDb;
}

}  // namespace

double dbm0_to_peak(double dbm0) {
  return kFullScale * std::pow(10.0, (dbm0 - kFullScaleSineDbm0) / 20.0);
}

double peak_to_dbm0(double peak) {
  if (peak <= 0.0) return kSilenceDb;
  return kFullScaleSineDbm0 + 20.0 * std::log10(peak / kFullScale);
}

ToneGenerator::ToneGenerator(double frequency, double level_dbm0, int sample_rate)
    : step_(2.0 * std::numbers::pi * frequency / sample_rate), peak_(dbm0_to_peak(level_dbm0)) {}

void ToneGenerator::generate(std::span<std::int16_t> out) {
  for (std::int16_t& sample : out) {
    const double value = std::round(peak_ * std::sin(phase_));
    sample = static_cast<std::int16_t>(std::clamp(value, -32768.0, 32767.0));
    phase_ += step_;
    if (phase_ > 2.0 * std::numbers::pi) phase_ -= 2.0 * std::numbers::pi;
  }
}

double goertzel_peak(std::span<const std::int16_t> samples, double frequency, int sample_rate) {
  if (samples.empty()) return 0.0;
  const double omega = 2.0 * std::numbers::pi * frequency / sample_rate;
  const double coefficient = 2.0 * std::cos(omega);
  double s1 = 0.0;
  double s2 = 0.0;
  for (const std::int16_t sample : samples) {
    const double s0 = sample + coefficient * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const double power = s1 * s1 + s2 * s2 - coefficient * s1 * s2;  // |X(k)|^2
  return 2.0 * std::sqrt(std::max(power, 0.0)) / static_cast<double>(samples.size());
}

double tone_level_dbm0(std::span<const std::int16_t> samples, double frequency, int sample_rate) {
  return peak_to_dbm0(goertzel_peak(samples, frequency, sample_rate));
}

double rms(std::span<const std::int16_t> samples) {
  if (samples.empty()) return 0.0;
  double sum = 0.0;
  for (const std::int16_t sample : samples) sum += static_cast<double>(sample) * sample;
  return std::sqrt(sum / static_cast<double>(samples.size()));
}

double tone_to_residual_db(std::span<const std::int16_t> samples, double frequency,
                           int sample_rate) {
  const double peak = goertzel_peak(samples, frequency, sample_rate);
  const double tone_power = peak * peak / 2.0;
  const double total = rms(samples);
  const double residual = std::max(total * total - tone_power, 1e-9);
  return to_db(tone_power / residual);
}

}  // namespace parley::media
