#include "media/dtmf_translator.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "media/codecs/registry.hpp"

namespace parley::media {
namespace {

// Without audio for this long the leg has gone quiet and generated frames carry the tone.
constexpr auto kQuietAfter = std::chrono::milliseconds(30);
constexpr std::size_t kMaxDecoded = 48000 * 120 / 1000;  // 120 ms at 48 kHz
// Tone levels from the volume field (RFC 4733 §2.3.3: -dBm0), kept audible and unclipped.
constexpr int kLoudestDbm0 = -3;
constexpr int kQuietestDbm0 = -36;

}  // namespace

EventsToTones::EventsToTones(int pcm_rate, int event_clock_rate)
    : pcm_rate_(pcm_rate), event_clock_rate_(event_clock_rate), generator_(pcm_rate) {}

void EventsToTones::on_event(std::uint32_t timestamp, const protocol::rtp::TelephoneEvent& event,
                             TimePoint now) {
  (void)now;
  if (event.event >= kDtmfEvents || event_clock_rate_ <= 0) return;
  const bool current = playing_ && timestamp == event_timestamp_;
  if (!current) {
    // Retransmitted end packets of a finished event must not start it again.
    if (finished_timestamp_ && *finished_timestamp_ == timestamp) return;
    const int volume = std::clamp<int>(event.volume, -kLoudestDbm0, -kQuietestDbm0);
    generator_.start(event.event, -static_cast<double>(volume));
    playing_ = true;
    ended_ = false;
    event_timestamp_ = timestamp;
    target_samples_ = 0;
    played_samples_ = 0;
  }
  const std::uint64_t samples = std::uint64_t{event.duration} *
                                static_cast<std::uint64_t>(pcm_rate_) /
                                static_cast<std::uint64_t>(event_clock_rate_);
  target_samples_ = std::max(target_samples_, samples);
  if (event.end) ended_ = true;
  if (ended_ && played_samples_ >= target_samples_ && target_samples_ > 0) {
    playing_ = false;
    finished_timestamp_ = event_timestamp_;
  }
}

std::size_t EventsToTones::frames_owed(std::size_t frame_samples, TimePoint now) const {
  if (!playing_ || frame_samples == 0) return 0;
  if (last_audio_ && now - *last_audio_ < kQuietAfter) return 0;  // audio carries the tone
  if (played_samples_ >= target_samples_) return 0;
  const std::uint64_t missing = target_samples_ - played_samples_;
  // While the key is held only whole frames the duration has reached; at the end the rest.
  return static_cast<std::size_t>(ended_ ? (missing + frame_samples - 1) / frame_samples
                                         : missing / frame_samples);
}

void EventsToTones::mix(std::span<std::int16_t> pcm) {
  if (!playing_) return;
  std::size_t count = pcm.size();
  if (ended_) {
    count = static_cast<std::size_t>(std::min<std::uint64_t>(
        count, target_samples_ - std::min(target_samples_, played_samples_)));
  }
  generator_.mix(pcm.first(count));
  played_samples_ += count;
  if (ended_ && played_samples_ >= target_samples_) {
    playing_ = false;
    generator_.stop();
    finished_timestamp_ = event_timestamp_;
  }
}

Result<std::unique_ptr<TonesToEvents>> TonesToEvents::create(const CodecSpec& input,
                                                             int event_clock_rate) {
  if (event_clock_rate <= 0) return make_error(0, "telephone-event without a clock rate");
  CodecParams params{input.encoding, input.clock_rate, input.channels, input.fmtp,
                     CodecUse::kDecode};
  // Opus decodes straight to narrowband: DTMF lies below 1.7 kHz.
  if (input.encoding.size() == 4 && (input.encoding[0] == 'o' || input.encoding[0] == 'O')) {
    params.pcm_rate = 8000;
  }
  auto decoder = create_codec(params);
  if (!decoder) return decoder.error();
  return std::make_unique<TonesToEvents>(std::move(decoder).value(), event_clock_rate);
}

TonesToEvents::TonesToEvents(std::unique_ptr<AudioCodec> decoder, int event_clock_rate)
    : decoder_(std::move(decoder)),
      event_clock_rate_(event_clock_rate),
      detector_(decoder_->sample_rate()),
      pcm_(kMaxDecoded) {}

std::uint32_t TonesToEvents::to_clock(std::uint64_t samples) const {
  const std::uint64_t ticks = samples * static_cast<std::uint64_t>(event_clock_rate_) /
                              static_cast<std::uint64_t>(detector_.sample_rate());
  return static_cast<std::uint32_t>(std::min<std::uint64_t>(ticks, 0xFFFF));
}

void TonesToEvents::queue(std::uint8_t event, bool end, std::uint32_t duration, bool marker) {
  if (packet_count_ >= packets_.size()) return;
  Packet& packet = packets_[packet_count_++];
  packet.event.event = event;
  packet.event.end = end;
  packet.event.volume = volume_;
  packet.event.duration = static_cast<std::uint16_t>(std::min<std::uint32_t>(duration, 0xFFFF));
  packet.timestamp = event_timestamp_;
  packet.marker = marker;
  last_sent_duration_ = duration;
}

std::span<const TonesToEvents::Packet> TonesToEvents::push(std::span<const std::uint8_t> payload,
                                                           std::uint32_t timestamp) {
  packet_count_ = 0;
  began_.reset();
  const auto decoded = decoder_->decode(payload, pcm_);
  if (!decoded || decoded.value() == 0) return {};
  const std::size_t samples = decoded.value();
  const std::uint32_t packet_end = timestamp + to_clock(samples);
  for (const DtmfDetector::Event& found : detector_.push(std::span(pcm_.data(), samples))) {
    const std::uint32_t duration = to_clock(found.samples);
    if (found.kind == DtmfDetector::Event::Kind::kBegin) {
      // The digit started `duration` before the end of what has been heard.
      event_timestamp_ = packet_end - duration;
      volume_ = static_cast<std::uint8_t>(std::clamp<long>(std::lround(-found.level_dbm0), 0, 63));
      began_ = dtmf_char(found.event);
      queue(found.event, false, duration, /*marker=*/true);
    } else {
      for (int i = 0; i < kEndRepeats; ++i) queue(found.event, true, duration, false);
    }
  }
  if (const auto active = detector_.active()) {
    const std::uint32_t duration = to_clock(detector_.active_samples());
    const auto update = static_cast<std::uint32_t>(event_clock_rate_ * kUpdateMs / 1000);
    if (duration >= last_sent_duration_ + update) queue(*active, false, duration, false);
  }
  return std::span(packets_.data(), packet_count_);
}

}  // namespace parley::media
