#include "media/mixer/mixer_input.hpp"

#include <algorithm>

#include "media/codecs/registry.hpp"

namespace parley::media {

namespace {

constexpr int kMaxPacketMs = 120;  // the longest Opus packet
constexpr std::size_t kMaxPayload = 1500;
constexpr int kMaxConceal = 5;
constexpr float kFadeStep = 0.25F;  // repeat-and-fade reaches silence in four frames
constexpr int kStandingTicks = 50;  // one second

std::size_t samples_for(int rate, int ms) {
  return static_cast<std::size_t>(rate) * static_cast<std::size_t>(ms) / 1000;
}

bool is_opus(std::string_view encoding) {
  return encoding.size() == 4 && (encoding[0] == 'o' || encoding[0] == 'O');
}

}  // namespace

Result<std::unique_ptr<MixerInput>> MixerInput::create(const CodecSpec& codec,
                                                       const MixerInputOptions& options) {
  CodecParams params{codec.encoding, codec.clock_rate, codec.channels, codec.fmtp,
                     CodecUse::kDecode};
  if (is_opus(codec.encoding)) params.pcm_rate = options.room_rate;
  auto decoder = create_codec(params);
  if (!decoder) return decoder.error();
  std::optional<Resampler> resampler;
  if (decoder.value()->sample_rate() != options.room_rate) {
    auto made = Resampler::create(decoder.value()->sample_rate(), options.room_rate);
    if (!made) return made.error();
    resampler.emplace(std::move(made).value());
  }
  return std::make_unique<MixerInput>(std::move(decoder).value(), std::move(resampler), options);
}

MixerInput::MixerInput(std::unique_ptr<AudioCodec> decoder, std::optional<Resampler> resampler,
                       const MixerInputOptions& options)
    : decoder_(std::move(decoder)),
      resampler_(std::move(resampler)),
      jitter_(JitterBuffer::Options{options.jitter_frames, kMaxPayload, kMaxConceal}),
      decoded_(samples_for(decoder_->sample_rate(), kMaxPacketMs)),
      last_frame_(decoded_.size()),
      resampled_(resampler_ ? resampler_->max_output(decoded_.size()) : 0),
      queue_limit_(samples_for(options.room_rate, 20) *
                   static_cast<std::size_t>(std::max(options.max_queue_frames, 1))) {
  queue_.resize(queue_limit_);
}

void MixerInput::push(std::uint16_t sequence, std::uint32_t timestamp,
                      std::span<const std::uint8_t> payload) {
  if (jitter_.push(sequence, timestamp, payload) != JitterBuffer::PushResult::kQueued) {
    ++dropped_;
    return;
  }
  JitterBuffer::Item item;
  while (jitter_.pop(item)) {
    if (item.lost) {
      conceal(item.payload);
    } else {
      play(item.payload);
    }
  }
}

void MixerInput::play(std::span<const std::uint8_t> payload) {
  // Checked first: an oversized packet must not reach the codec's error path (it allocates).
  const std::size_t expected = decoder_->decoded_samples(payload);
  if (payload.empty() || expected == 0 || expected > decoded_.size()) {
    ++dropped_;
    return;
  }
  const auto decoded = decoder_->decode(payload, decoded_);
  if (!decoded || decoded.value() == 0) {
    ++dropped_;
    return;
  }
  const std::size_t samples = decoded.value();
  ++decoded_count_;
  std::copy_n(decoded_.begin(), samples, last_frame_.begin());
  last_frame_samples_ = samples;
  fade_ = 1.0F;
  queue(std::span(decoded_.data(), samples));
}

void MixerInput::conceal(std::span<const std::uint8_t> next_payload) {
  if (last_frame_samples_ == 0) return;  // nothing heard yet: silence stands in
  const std::span<std::int16_t> out(decoded_.data(), last_frame_samples_);
  if (!decoder_->conceal(out, next_payload)) {
    const float start = fade_;
    const float end = std::max(fade_ - kFadeStep, 0.0F);
    const auto count = static_cast<float>(out.size());
    for (std::size_t i = 0; i < out.size(); ++i) {
      const float gain = start + (end - start) * static_cast<float>(i) / count;
      out[i] = static_cast<std::int16_t>(static_cast<float>(last_frame_[i]) * gain);
    }
    fade_ = end;
  }
  ++concealed_count_;
  queue(out);
}

void MixerInput::queue(std::span<const std::int16_t> pcm) {
  if (!resampler_) {
    append(pcm);
    return;
  }
  while (!pcm.empty()) {
    const auto counts = resampler_->process(pcm, resampled_);
    append(std::span(resampled_.data(), counts.produced));
    if (counts.consumed == 0) break;  // never spin on a resampler that takes nothing
    pcm = pcm.subspan(counts.consumed);
  }
}

void MixerInput::append(std::span<const std::int16_t> pcm) {
  if (pcm.size() > queue_limit_) pcm = pcm.subspan(pcm.size() - queue_limit_);
  if (queued_ + pcm.size() > queue_limit_) {
    // A burst beyond the queue: keep the newest audio, bounded delay.
    consume(queued_ + pcm.size() - queue_limit_);
    ++trimmed_;
  }
  std::copy(pcm.begin(), pcm.end(), queue_.begin() + static_cast<std::ptrdiff_t>(queued_));
  queued_ += pcm.size();
}

bool MixerInput::take(std::span<std::int16_t> frame) {
  if (queued_ < frame.size()) {
    standing_ticks_ = 0;
    return false;
  }
  std::copy_n(queue_.begin(), frame.size(), frame.begin());
  consume(frame.size());
  // A sender whose clock runs faster than the room's builds a standing queue; after a second
  // that never drained below two frames, one frame is dropped to win the delay back.
  standing_ticks_ = queued_ >= 2 * frame.size() ? standing_ticks_ + 1 : 0;
  if (standing_ticks_ >= kStandingTicks) {
    consume(frame.size());
    standing_ticks_ = 0;
    ++trimmed_;
  }
  return true;
}

void MixerInput::consume(std::size_t samples) {
  samples = std::min(samples, queued_);
  std::copy(queue_.begin() + static_cast<std::ptrdiff_t>(samples),
            queue_.begin() + static_cast<std::ptrdiff_t>(queued_), queue_.begin());
  queued_ -= samples;
}

}  // namespace parley::media
