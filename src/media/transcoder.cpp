#include "media/transcoder.hpp"

#include <algorithm>
#include <optional>
#include <vector>

#include "media/codecs/codec.hpp"
#include "media/codecs/registry.hpp"
#include "media/codecs/resampler.hpp"
#include "media/jitter_buffer.hpp"

namespace parley::media {

namespace {

constexpr int kMaxPacketMs = 120;  // longest Opus packet; G.711/G.722 ptime beyond is absurd
constexpr std::size_t kMaxPayload = 1500;
constexpr std::size_t kMaxEncoded = 4000;  // Opus' recommended output bound for 120 ms
constexpr int kMaxConceal = 5;
constexpr int kMaxJitterFrames = 16;
constexpr float kFadeStep = 0.25F;  // repeat-and-fade concealment reaches silence in 4 frames

std::size_t samples_for(int rate, int ms) {
  return static_cast<std::size_t>(rate) * static_cast<std::size_t>(ms) / 1000;
}

class TranscoderImpl final : public Transcoder {
 public:
  TranscoderImpl(std::unique_ptr<AudioCodec> decoder, std::unique_ptr<AudioCodec> encoder,
                 std::optional<Resampler> resampler, const TranscoderOptions& options)
      : decoder_(std::move(decoder)),
        encoder_(std::move(encoder)),
        resampler_(std::move(resampler)),
        jitter_(JitterBuffer::Options{options.jitter_frames, kMaxPayload, kMaxConceal}),
        decoded_(std::max(samples_for(decoder_->sample_rate(), kMaxPacketMs), kMaxPayload * 2)),
        last_frame_(decoded_.size()),
        out_frame_samples_(samples_for(encoder_->sample_rate(), options.output_ptime_ms)),
        out_frame_advance_(static_cast<std::uint32_t>(
            samples_for(encoder_->clock_rate(), options.output_ptime_ms))),
        silence_(out_frame_samples_),
        encoded_(kMaxEncoded) {
    const std::size_t per_packet =
        resampler_ ? resampler_->max_output(decoded_.size()) : decoded_.size();
    resampled_.resize(per_packet);
    // One push can release the held packets plus a run of concealed frames.
    const std::size_t burst =
        static_cast<std::size_t>(options.jitter_frames) + 1 + static_cast<std::size_t>(kMaxConceal);
    fifo_.resize(per_packet * burst + out_frame_samples_);
  }

  void push(std::uint16_t sequence, std::uint32_t timestamp,
            std::span<const std::uint8_t> payload) override {
    if (jitter_.push(sequence, timestamp, payload) != JitterBuffer::PushResult::kQueued) {
      ++dropped_;
      return;
    }
    JitterBuffer::Item item;
    while (jitter_.pop(item)) {
      if (item.discontinuity) marker_pending_ = true;
      if (item.lost) {
        conceal(item.payload);
      } else {
        play(item.timestamp, item.payload);
      }
    }
  }

  void set_mixer(FrameMixer* mixer) override { mixer_ = mixer; }
  int output_sample_rate() const override { return encoder_->sample_rate(); }

  bool generate(EncodedFrame& frame) override {
    std::fill(silence_.begin(), silence_.end(), std::int16_t{0});
    if (mixer_ != nullptr) mixer_->mix(silence_);
    const auto encoded = encoder_->encode(silence_, encoded_);
    if (!encoded) return false;
    frame.payload = std::span(encoded_.data(), encoded.value());
    frame.samples = out_frame_advance_;
    frame.marker = false;
    return true;
  }

  bool pop(EncodedFrame& frame) override {
    while (fifo_size_ >= out_frame_samples_) {
      if (mixer_ != nullptr) mixer_->mix(std::span(fifo_.data(), out_frame_samples_));
      const auto encoded = encoder_->encode(std::span(fifo_.data(), out_frame_samples_), encoded_);
      consume_fifo(out_frame_samples_);
      if (!encoded) {
        ++dropped_;
        continue;
      }
      frame.payload = std::span(encoded_.data(), encoded.value());
      frame.samples = out_frame_advance_;
      frame.marker = marker_pending_;
      marker_pending_ = false;
      return true;
    }
    return false;
  }

  std::uint64_t frames_decoded() const override { return decoded_count_; }
  std::uint64_t frames_concealed() const override { return concealed_count_; }
  std::uint64_t packets_dropped() const override { return dropped_; }

 private:
  void play(std::uint32_t timestamp, std::span<const std::uint8_t> payload) {
    const auto decoded = decoder_->decode(payload, decoded_);
    if (!decoded || decoded.value() == 0) {
      ++dropped_;
      return;
    }
    const std::size_t samples = decoded.value();
    // A timestamp jump over a continuous sequence is a new talkspurt (silence suppression, DTX).
    if (have_timestamp_ && timestamp != expected_timestamp_) marker_pending_ = true;
    have_timestamp_ = true;
    expected_timestamp_ = timestamp + clock_advance(samples);
    ++decoded_count_;
    std::copy_n(decoded_.begin(), samples, last_frame_.begin());
    last_frame_samples_ = samples;
    fade_ = 1.0F;
    feed(std::span(decoded_.data(), samples));
  }

  void conceal(std::span<const std::uint8_t> next_payload) {
    if (last_frame_samples_ == 0) return;  // nothing heard yet: nothing to stand in for
    const std::size_t samples = last_frame_samples_;
    const std::span<std::int16_t> out(decoded_.data(), samples);
    if (!decoder_->conceal(out, next_payload)) {
      // No codec PLC: repeat the last frame, fading linearly to silence over a few frames.
      const float start = fade_;
      const float end = std::max(fade_ - kFadeStep, 0.0F);
      for (std::size_t i = 0; i < samples; ++i) {
        const float gain =
            start + (end - start) * static_cast<float>(i) / static_cast<float>(samples);
        out[i] = static_cast<std::int16_t>(static_cast<float>(last_frame_[i]) * gain);
      }
      fade_ = end;
    }
    expected_timestamp_ += clock_advance(samples);
    ++concealed_count_;
    feed(out);
  }

  std::uint32_t clock_advance(std::size_t samples) const {
    return static_cast<std::uint32_t>(samples * static_cast<std::size_t>(decoder_->clock_rate()) /
                                      static_cast<std::size_t>(decoder_->sample_rate()));
  }

  void feed(std::span<const std::int16_t> pcm) {
    if (!resampler_) {
      append_fifo(pcm);
      return;
    }
    while (!pcm.empty()) {
      const auto counts = resampler_->process(pcm, resampled_);
      append_fifo(std::span(resampled_.data(), counts.produced));
      if (counts.consumed == 0 && counts.produced == 0) break;  // cannot happen; never spin
      pcm = pcm.subspan(counts.consumed);
    }
  }

  void append_fifo(std::span<const std::int16_t> pcm) {
    if (pcm.size() > fifo_.size()) pcm = pcm.subspan(pcm.size() - fifo_.size());
    if (fifo_size_ + pcm.size() > fifo_.size()) {
      // The relay stopped popping: keep the newest audio.
      consume_fifo(fifo_size_ + pcm.size() - fifo_.size());
    }
    std::copy(pcm.begin(), pcm.end(), fifo_.begin() + static_cast<std::ptrdiff_t>(fifo_size_));
    fifo_size_ += pcm.size();
  }

  void consume_fifo(std::size_t samples) {
    samples = std::min(samples, fifo_size_);
    std::copy(fifo_.begin() + static_cast<std::ptrdiff_t>(samples),
              fifo_.begin() + static_cast<std::ptrdiff_t>(fifo_size_), fifo_.begin());
    fifo_size_ -= samples;
  }

  std::unique_ptr<AudioCodec> decoder_;
  std::unique_ptr<AudioCodec> encoder_;
  std::optional<Resampler> resampler_;
  JitterBuffer jitter_;
  std::vector<std::int16_t> decoded_;
  std::vector<std::int16_t> last_frame_;
  std::vector<std::int16_t> resampled_;
  std::vector<std::int16_t> fifo_;
  std::size_t fifo_size_ = 0;
  std::size_t last_frame_samples_ = 0;
  std::size_t out_frame_samples_;
  std::uint32_t out_frame_advance_;
  std::vector<std::int16_t> silence_;
  std::vector<std::uint8_t> encoded_;
  FrameMixer* mixer_ = nullptr;
  float fade_ = 1.0F;
  bool marker_pending_ = false;
  bool have_timestamp_ = false;
  std::uint32_t expected_timestamp_ = 0;
  std::uint64_t decoded_count_ = 0;
  std::uint64_t concealed_count_ = 0;
  std::uint64_t dropped_ = 0;
};

bool valid_ptime(std::string_view encoding, int ptime_ms) {
  if (ptime_ms < 10 || ptime_ms > kMaxPacketMs || ptime_ms % 10 != 0) return false;
  // Opus frames are 2.5 to 60 ms, and multi-frame packets are not built here.
  const bool opus = encoding.size() == 4 && (encoding[0] == 'o' || encoding[0] == 'O');
  return !opus || ptime_ms == 10 || ptime_ms == 20 || ptime_ms == 40 || ptime_ms == 60;
}

}  // namespace

bool can_transcode(std::string_view encoding, int clock_rate) {
  return codec_supported(encoding, clock_rate);
}

Result<std::unique_ptr<Transcoder>> Transcoder::create(const CodecSpec& input,
                                                       const CodecSpec& output,
                                                       const TranscoderOptions& options) {
  if (!valid_ptime(output.encoding, options.output_ptime_ms)) {
    return make_error(0, "transcoder: unsupported output ptime " +
                             std::to_string(options.output_ptime_ms) + " ms for " +
                             output.encoding);
  }
  if (options.jitter_frames < 0 || options.jitter_frames > kMaxJitterFrames) {
    return make_error(0, "transcoder: jitter_frames out of range");
  }
  CodecParams decode{input.encoding, input.clock_rate, input.channels, input.fmtp,
                     CodecUse::kDecode};
  CodecParams encode{output.encoding, output.clock_rate, output.channels, output.fmtp,
                     CodecUse::kEncode};
  auto decoder = create_codec(decode);
  if (!decoder) return decoder.error();
  auto encoder = create_codec(encode);
  if (!encoder) return encoder.error();
  // Opus works at the other side's rate where it can, so no resampler runs (and opposite G.711
  // the encoder codes narrowband, several times cheaper than fullband).
  const auto opus_rate_ok = [](int rate) {
    return rate == 8000 || rate == 12000 || rate == 16000 || rate == 24000;
  };
  if (decoder.value()->name() == "opus" && encoder.value()->name() != "opus" &&
      opus_rate_ok(encoder.value()->sample_rate())) {
    decode.pcm_rate = encoder.value()->sample_rate();
    decoder = create_codec(decode);
    if (!decoder) return decoder.error();
  } else if (encoder.value()->name() == "opus" && decoder.value()->name() != "opus" &&
             opus_rate_ok(decoder.value()->sample_rate())) {
    encode.pcm_rate = decoder.value()->sample_rate();
    encoder = create_codec(encode);
    if (!encoder) return encoder.error();
  }
  std::optional<Resampler> resampler;
  const int from = decoder.value()->sample_rate();
  const int to = encoder.value()->sample_rate();
  if (from != to) {
    auto made = Resampler::create(from, to);
    if (!made) return made.error();
    resampler.emplace(std::move(made).value());
  }
  return std::unique_ptr<Transcoder>(std::make_unique<TranscoderImpl>(
      std::move(decoder).value(), std::move(encoder).value(), std::move(resampler), options));
}

}  // namespace parley::media
