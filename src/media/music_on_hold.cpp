#include "media/music_on_hold.hpp"

#include "media/codecs/registry.hpp"

namespace parley::media {
namespace {

constexpr std::size_t kMaxEncoded = 1500;

// Opus can encode the clip's own rate directly (no resampler, a cheaper encoder).
bool opus_native_rate(int rate) {
  return rate == 8000 || rate == 12000 || rate == 16000 || rate == 24000 || rate == 48000;
}

}  // namespace

MusicOnHold::MusicOnHold(AudioPlayer player, std::unique_ptr<AudioCodec> encoder)
    : player_(std::move(player)),
      encoder_(std::move(encoder)),
      encoded_(kMaxEncoded),
      frame_advance_(static_cast<std::uint32_t>(encoder_->clock_rate() * kFrameMs / 1000)) {}

Result<std::unique_ptr<MusicOnHold>> MusicOnHold::create(std::shared_ptr<const AudioClip> clip,
                                                         const CodecSpec& codec) {
  if (clip == nullptr) return make_error(0, "music on hold: no clip");
  CodecParams params{codec.encoding, codec.clock_rate, codec.channels, codec.fmtp,
                     CodecUse::kEncode};
  auto encoder = create_codec(params);
  if (!encoder) return encoder.error();
  if (encoder.value()->name() == "opus" && opus_native_rate(clip->sample_rate()) &&
      clip->sample_rate() != encoder.value()->sample_rate()) {
    params.pcm_rate = clip->sample_rate();
    encoder = create_codec(params);
    if (!encoder) return encoder.error();
  }
  auto player = AudioPlayer::create(std::move(clip), encoder.value()->sample_rate(), kFrameMs);
  if (!player) return player.error();
  return std::make_unique<MusicOnHold>(std::move(player).value(), std::move(encoder).value());
}

bool MusicOnHold::next(EncodedFrame& frame) {
  const auto pcm = player_.next_frame();
  const auto size = encoder_->encode(pcm, encoded_);
  if (!size) return false;
  ++frames_;
  frame.payload = std::span(encoded_.data(), *size);
  frame.samples = frame_advance_;
  frame.marker = false;
  return true;
}

}  // namespace parley::media
