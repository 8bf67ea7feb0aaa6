#include "media/codecs/resampler.hpp"

#include <speex/speex_resampler.h>

#include <limits>
#include <string>

namespace parley::media {

namespace {

spx_uint32_t to_u32(std::size_t value) {
  return value > std::numeric_limits<spx_uint32_t>::max() ? std::numeric_limits<spx_uint32_t>::max()
                                                          : static_cast<spx_uint32_t>(value);
}

}  // namespace

void Resampler::Deleter::operator()(SpeexResamplerState_* state) const {
  speex_resampler_destroy(state);
}

Result<Resampler> Resampler::create(int input_rate, int output_rate, int quality) {
  if (input_rate <= 0 || output_rate <= 0) return make_error(0, "resampler: invalid rate");
  int error = RESAMPLER_ERR_SUCCESS;
  SpeexResamplerState* state =
      speex_resampler_init(1, static_cast<spx_uint32_t>(input_rate),
                           static_cast<spx_uint32_t>(output_rate), quality, &error);
  if (state == nullptr || error != RESAMPLER_ERR_SUCCESS) {
    if (state != nullptr) speex_resampler_destroy(state);
    return make_error(0, std::string("speex_resampler_init: ") + speex_resampler_strerror(error));
  }
  speex_resampler_skip_zeros(state);
  return Resampler(state, input_rate, output_rate);
}

Resampler::Counts Resampler::process(std::span<const std::int16_t> input,
                                     std::span<std::int16_t> output) {
  spx_uint32_t in_len = to_u32(input.size());
  spx_uint32_t out_len = to_u32(output.size());
  speex_resampler_process_int(state_.get(), 0, input.data(), &in_len, output.data(), &out_len);
  return Counts{in_len, out_len};
}

std::size_t Resampler::max_output(std::size_t input_samples) const {
  const auto in = static_cast<std::size_t>(input_rate_);
  const auto out = static_cast<std::size_t>(output_rate_);
  return (input_samples * out + in - 1) / in + 1;
}

void Resampler::reset() {
  speex_resampler_reset_mem(state_.get());
  speex_resampler_skip_zeros(state_.get());
}

}  // namespace parley::media
