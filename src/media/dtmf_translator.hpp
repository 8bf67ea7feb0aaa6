#pragma once
// DTMF translation for a call where exactly one leg negotiated telephone-event (decision in
// docs/decisions/0008-media-anchoring.md). The relay owns one of these per direction that needs
// it, inside the direction's Forwarding:
//
//   * EventsToTones, on the direction from the leg that sends RFC 4733 events to the leg that
//     cannot take them. That direction runs through a Transcoder (the same codec both ways when
//     the legs share one) whose output frames pass through this mixer: while an event lasts its
//     dual tone is added to the audio. Phones usually stop sending audio during a key press, so
//     the relay asks frames_owed() after each event packet and generates that many frames of
//     tone itself; when the phone keeps sending audio, the audio carries the tone and nothing is
//     generated. The tone lasts the event's final duration (from its end packet), at the
//     event's volume.
//   * TonesToEvents, on the other direction: it decodes the leg's audio (its own decoder, so the
//     audio itself still passes through untouched or through the direction's Transcoder), runs a
//     DtmfDetector and turns each digit into RFC 4733 packets (§2.5): a first packet with the
//     marker bit once the digit is recognised, an update every 50 ms, and three end packets with
//     the final duration, all with the timestamp of the digit's start in the outgoing stream and
//     the measured volume.
//
// Neither allocates after creation. Thread-safety: none; used on the relay's worker loop.

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "base/clock.hpp"
#include "base/result.hpp"
#include "media/codecs/codec.hpp"
#include "media/dtmf_tones.hpp"
#include "media/transcoder.hpp"
#include "protocol/rtp/rtp_packet.hpp"

namespace parley::media {

class EventsToTones final : public FrameMixer {
 public:
  // `pcm_rate`: the rate of the frames mix() sees; `event_clock_rate`: of telephone-event.
  EventsToTones(int pcm_rate, int event_clock_rate);

  // An RFC 4733 packet (`timestamp` identifies the event) and an audio packet from the leg.
  void on_event(std::uint32_t timestamp, const protocol::rtp::TelephoneEvent& event, TimePoint now);
  void on_audio(TimePoint now) { last_audio_ = now; }
  // Frames of `frame_samples` (at pcm_rate) to generate now: tone the event's duration has
  // reached but no audio has carried, when the leg has gone quiet.
  std::size_t frames_owed(std::size_t frame_samples, TimePoint now) const;
  bool playing() const { return playing_; }

  void mix(std::span<std::int16_t> pcm) override;

 private:
  int pcm_rate_;
  int event_clock_rate_;
  DtmfToneGenerator generator_;
  bool playing_ = false;
  bool ended_ = false;
  std::uint32_t event_timestamp_ = 0;
  std::optional<std::uint32_t> finished_timestamp_;  // the last event played to its end
  std::uint64_t target_samples_ = 0;                 // the event's duration so far, at pcm_rate
  std::uint64_t played_samples_ = 0;
  std::optional<TimePoint> last_audio_;
};

class TonesToEvents {
 public:
  // One packet the relay must send: a telephone-event payload and its RTP timestamp.
  struct Packet {
    protocol::rtp::TelephoneEvent event;
    std::uint32_t timestamp = 0;
    bool marker = false;
  };

  // `input`: the codec the leg sends; `event_clock_rate`: of the other leg's telephone-event
  // (also its RTP clock, as RFC 4733 §2.1 asks).
  static Result<std::unique_ptr<TonesToEvents>> create(const CodecSpec& input,
                                                       int event_clock_rate);

  // One audio payload of the leg; `timestamp` is where it starts in the outgoing stream.
  // Returns the packets to send now, in order (valid until the next call), and what began.
  std::span<const Packet> push(std::span<const std::uint8_t> payload, std::uint32_t timestamp);
  // The digit that began in the last push, if any (for feature codes).
  std::optional<char> began() const { return began_; }

  TonesToEvents(std::unique_ptr<AudioCodec> decoder, int event_clock_rate);

 private:
  static constexpr std::size_t kMaxPackets = 16;
  static constexpr int kEndRepeats = 3;
  static constexpr int kUpdateMs = 50;

  std::uint32_t to_clock(std::uint64_t samples) const;
  void queue(std::uint8_t event, bool end, std::uint32_t duration, bool marker);

  std::unique_ptr<AudioCodec> decoder_;
  int event_clock_rate_;
  DtmfDetector detector_;
  std::vector<std::int16_t> pcm_;
  std::array<Packet, kMaxPackets> packets_{};
  std::size_t packet_count_ = 0;
  std::optional<char> began_;
  std::uint32_t event_timestamp_ = 0;
  std::uint8_t volume_ = 10;
  std::uint32_t last_sent_duration_ = 0;
};

}  // namespace parley::media
