#include "media/stereo_recorder.hpp"

#include <algorithm>
#include <cstdlib>
#include <utility>

#include "media/codecs/registry.hpp"

namespace parley::media {

namespace {

// The longest frame a codec hands back: 120 ms of Opus at 48 kHz.
constexpr std::size_t kMaxDecoded = 5760;

bool is_opus_rate(int rate) {
  return rate == 8000 || rate == 12000 || rate == 16000 || rate == 24000 || rate == 48000;
}

}  // namespace

struct StereoRecorder::Track {
  explicit Track(const StereoRecorderOptions& options)
      : jitter(JitterBuffer::Options{options.jitter_depth, TappedPacket::kMaxPayload, 5}),
        pcm(kMaxDecoded) {}

  std::optional<TapCodec> codec;
  std::unique_ptr<AudioCodec> decoder;
  std::optional<Resampler> resampler;
  JitterBuffer jitter;
  std::vector<std::int16_t> pcm;
  std::vector<std::int16_t> resampled;
  std::vector<std::int16_t> channel;  // the leg's window of the timeline, by position % size

  bool anchored = false;
  std::int64_t anchor_position = 0;  // timeline position of anchor_timestamp
  std::uint32_t anchor_timestamp = 0;
  std::uint32_t next_timestamp = 0;  // where the frame after the last decoded one starts
  std::size_t last_frame = 0;        // samples (codec rate) of the last decoded frame
};

StereoRecorder::StereoRecorder(const StereoRecorderOptions& options)
    : options_(options),
      window_samples_(static_cast<std::size_t>(
          std::chrono::duration_cast<std::chrono::milliseconds>(options.window).count() *
          options.sample_rate / 1000)) {
  window_samples_ = std::max<std::size_t>(window_samples_, kMaxDecoded * 2);
  for (auto& track : tracks_) {
    track = std::make_unique<Track>(options_);
    track->channel.assign(window_samples_, 0);
  }
}

StereoRecorder::~StereoRecorder() = default;
StereoRecorder::StereoRecorder(StereoRecorder&&) noexcept = default;

std::int64_t StereoRecorder::position_of(TimePoint when) const {
  const auto elapsed = std::chrono::duration_cast<std::chrono::microseconds>(when - start_);
  return elapsed.count() * options_.sample_rate / 1'000'000;
}

void StereoRecorder::add(const TappedPacket& packet, const std::optional<TapCodec>& codec) {
  Track& track = *tracks_[packet.channel & 1U];
  if (!codec || codec->payload_type != packet.payload_type) {
    ++packets_ignored_;  // telephone-event, comfort noise, or a codec we were not told of
    return;
  }
  if (!started_) {
    started_ = true;
    start_ = packet.arrival;
  }
  if (track.codec != codec) {
    CodecParams params;
    params.encoding = codec->codec.encoding;
    params.clock_rate = codec->codec.clock_rate;
    params.channels = codec->codec.channels;
    params.fmtp = codec->codec.fmtp;
    params.use = CodecUse::kDecode;
    if (is_opus_rate(options_.sample_rate) && codec->codec.clock_rate == 48000) {
      params.pcm_rate = options_.sample_rate;  // Opus decodes straight to our rate
    }
    auto decoder = create_codec(params);
    track.codec = codec;
    track.decoder.reset();
    track.resampler.reset();
    track.jitter.reset();
    track.anchored = false;
    if (!decoder.ok()) {
      ++packets_ignored_;
      return;
    }
    track.decoder = std::move(decoder).value();
    if (track.decoder->sample_rate() != options_.sample_rate) {
      auto resampler = Resampler::create(track.decoder->sample_rate(), options_.sample_rate);
      if (resampler.ok()) {
        track.resampled.assign(resampler->max_output(kMaxDecoded), 0);
        track.resampler.emplace(std::move(resampler).value());
      } else {
        track.decoder.reset();
      }
    }
  }
  if (track.decoder == nullptr) {
    ++packets_ignored_;
    return;
  }
  const std::int64_t arrival = position_of(packet.arrival);
  const int clock = std::max(track.decoder->clock_rate(), 1);
  if (track.anchored) {
    const std::int64_t expected =
        track.anchor_position +
        std::int64_t{static_cast<std::int32_t>(packet.timestamp - track.anchor_timestamp)} *
            options_.sample_rate / clock;
    const std::int64_t tolerance =
        std::chrono::duration_cast<std::chrono::microseconds>(options_.realign).count() *
        options_.sample_rate / 1'000'000;
    if (std::llabs(expected - arrival) > tolerance) {
      // A new source or a pause the timestamps do not show: follow the wall clock again.
      track.anchored = false;
      track.jitter.reset();
      track.decoder->reset();
      if (track.resampler) track.resampler->reset();
    }
  }
  if (!track.anchored) {
    track.anchored = true;
    track.anchor_position = arrival;
    track.anchor_timestamp = packet.timestamp;
    track.next_timestamp = packet.timestamp;
    track.last_frame = 0;
  }
  track.jitter.push(packet.sequence, packet.timestamp, packet.bytes());
  decode_ready(track);
}

void StereoRecorder::decode_ready(Track& track) {
  const int rate = track.decoder->sample_rate();
  const int clock = track.decoder->clock_rate();
  for (JitterBuffer::Item item; track.jitter.pop(item); item = JitterBuffer::Item{}) {
    std::size_t samples = 0;
    std::uint32_t timestamp = track.next_timestamp;
    if (item.lost) {
      samples = std::min(track.last_frame, track.pcm.size());
      if (samples == 0) continue;
      const std::span<std::int16_t> frame(track.pcm.data(), samples);
      if (!track.decoder->conceal(frame, item.payload)) {
        // No codec concealment: leave the gap silent but keep the timeline moving.
        track.next_timestamp += static_cast<std::uint32_t>(samples * clock / rate);
        continue;
      }
    } else {
      auto decoded = track.decoder->decode(item.payload, track.pcm);
      if (!decoded.ok() || *decoded == 0) continue;
      samples = *decoded;
      timestamp = item.timestamp;
      track.last_frame = samples;
    }
    place(track, timestamp, std::span<const std::int16_t>(track.pcm.data(), samples));
    track.next_timestamp =
        timestamp + static_cast<std::uint32_t>(static_cast<std::uint64_t>(samples) * clock / rate);
  }
}

void StereoRecorder::place(Track& track, std::uint32_t timestamp,
                           std::span<const std::int16_t> pcm) {
  std::span<const std::int16_t> audio = pcm;
  if (track.resampler) {
    const auto counts = track.resampler->process(pcm, track.resampled);
    audio = std::span<const std::int16_t>(track.resampled.data(), counts.produced);
  }
  const int clock = std::max(track.decoder->clock_rate(), 1);
  const std::int64_t position =
      track.anchor_position +
      std::int64_t{static_cast<std::int32_t>(timestamp - track.anchor_timestamp)} *
          options_.sample_rate / clock;
  const auto window = static_cast<std::int64_t>(window_samples_);
  for (std::size_t i = 0; i < audio.size(); ++i) {
    const std::int64_t at = position + static_cast<std::int64_t>(i);
    if (at < taken_ || at >= taken_ + window) {
      ++samples_dropped_;
      continue;
    }
    track.channel[static_cast<std::size_t>(at % window)] = audio[i];
  }
  end_ =
      std::max(end_, std::min(position + static_cast<std::int64_t>(audio.size()), taken_ + window));
}

std::size_t StereoRecorder::take_to(std::int64_t target, std::span<std::int16_t> out) {
  if (!started_ || target <= taken_) return 0;
  const auto window = static_cast<std::int64_t>(window_samples_);
  const std::int64_t frames =
      std::min({target - taken_, static_cast<std::int64_t>(out.size() / 2), window});
  std::vector<std::int16_t>& left = tracks_[0]->channel;
  std::vector<std::int16_t>& right = tracks_[1]->channel;
  for (std::int64_t i = 0; i < frames; ++i) {
    const auto at = static_cast<std::size_t>((taken_ + i) % window);
    out[static_cast<std::size_t>(2 * i)] = left[at];
    out[static_cast<std::size_t>(2 * i + 1)] = right[at];
    left[at] = 0;
    right[at] = 0;
  }
  taken_ += frames;
  return static_cast<std::size_t>(frames);
}

std::size_t StereoRecorder::take_until(TimePoint until, std::span<std::int16_t> out) {
  if (!started_) return 0;
  // Silence where neither leg sent anything up to `until`: the file keeps wall-clock time.
  return take_to(position_of(until), out);
}

std::size_t StereoRecorder::take_all(std::span<std::int16_t> out) {
  return take_to(end_, out);
}

}  // namespace parley::media
