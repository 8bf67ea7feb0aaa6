#pragma once
// Resampler: mono 16-bit PCM rate conversion over speexdsp's resampler (speex_resampler_*).
// All state is allocated by create(); process() never allocates. The filter's start-up zeros are
// skipped, so output begins with the first input sample (less latency, same length over time).
// Thread-safety: none; one instance per stream.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "base/result.hpp"

struct SpeexResamplerState_;

namespace parley::media {

class Resampler {
 public:
  // Quality 0..10 (speexdsp); 3 is speexdsp's "VoIP" setting, transparent for telephony.
  static constexpr int kVoipQuality = 3;

  static Result<Resampler> create(int input_rate, int output_rate, int quality = kVoipQuality);

  // Converts as much of `input` as fits into `output`. Returns {input consumed, output written}.
  // With output.size() >= input.size() * output_rate / input_rate + 1 all input is consumed.
  struct Counts {
    std::size_t consumed = 0;
    std::size_t produced = 0;
  };
  Counts process(std::span<const std::int16_t> input, std::span<std::int16_t> output);

  // Output samples needed to hold the conversion of `input_samples` (rounded up, plus one).
  std::size_t max_output(std::size_t input_samples) const;

  int input_rate() const { return input_rate_; }
  int output_rate() const { return output_rate_; }
  void reset();

 private:
  struct Deleter {
    void operator()(SpeexResamplerState_* state) const;
  };
  Resampler(SpeexResamplerState_* state, int input_rate, int output_rate)
      : state_(state), input_rate_(input_rate), output_rate_(output_rate) {}

  std::unique_ptr<SpeexResamplerState_, Deleter> state_;
  int input_rate_;
  int output_rate_;
};

}  // namespace parley::media
