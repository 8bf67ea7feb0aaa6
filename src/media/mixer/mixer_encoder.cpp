#include "media/mixer/mixer_encoder.hpp"

#include <algorithm>

#include "media/codecs/registry.hpp"

namespace parley::media {

namespace {

constexpr int kTickMs = 20;
constexpr std::size_t kMaxPayload = 1500;  // 20 ms of Opus at its highest bitrate fits

std::size_t samples_for(int rate) {
  return static_cast<std::size_t>(rate) * kTickMs / 1000;
}

}  // namespace

Result<std::unique_ptr<MixerEncoder>> MixerEncoder::create(const CodecSpec& codec, int room_rate) {
  CodecParams params{codec.encoding, codec.clock_rate, codec.channels, codec.fmtp,
                     CodecUse::kEncode};
  const bool opus =
      codec.encoding.size() == 4 && (codec.encoding[0] == 'o' || codec.encoding[0] == 'O');
  if (opus) params.pcm_rate = room_rate;
  auto encoder = create_codec(params);
  if (!encoder) return encoder.error();
  std::optional<Resampler> resampler;
  if (encoder.value()->sample_rate() != room_rate) {
    auto made = Resampler::create(room_rate, encoder.value()->sample_rate());
    if (!made) return made.error();
    resampler.emplace(std::move(made).value());
  }
  return std::make_unique<MixerEncoder>(std::move(encoder).value(), std::move(resampler));
}

MixerEncoder::MixerEncoder(std::unique_ptr<AudioCodec> encoder, std::optional<Resampler> resampler)
    : encoder_(std::move(encoder)),
      resampler_(std::move(resampler)),
      resampled_(resampler_ ? samples_for(encoder_->sample_rate()) : 0),
      payload_(kMaxPayload),
      tick_samples_(static_cast<std::uint32_t>(samples_for(encoder_->clock_rate()))) {}

std::span<const std::uint8_t> MixerEncoder::encode(std::span<const std::int16_t> pcm) {
  std::span<const std::int16_t> input = pcm;
  if (resampler_) {
    const auto counts = resampler_->process(pcm, resampled_);
    // The resampler skips its start-up delay, so its first output runs a few samples short:
    // right-align it behind zeros to keep every frame one whole tick.
    if (counts.produced < resampled_.size()) {
      const auto gap = static_cast<std::ptrdiff_t>(resampled_.size() - counts.produced);
      std::copy_backward(resampled_.begin(),
                         resampled_.begin() + static_cast<std::ptrdiff_t>(counts.produced),
                         resampled_.end());
      std::fill(resampled_.begin(), resampled_.begin() + gap, std::int16_t{0});
    }
    input = resampled_;
  }
  const auto bytes = encoder_->encode(input, payload_);
  if (!bytes) return {};
  return std::span(payload_.data(), bytes.value());
}

}  // namespace parley::media
