#pragma once
// DTMF signalling in audio (ITU-T Q.23 frequencies, Q.24-style reception): a dual-tone
// generator and a Goertzel detector, for translating between RFC 4733 events and in-band tones
// when only one leg of a call negotiated telephone-event.
//
// Events are numbered as in RFC 4733 §3.2: 0-9, 10 '*', 11 '#', 12-15 'A'-'D'.
//
// The detector takes 16-bit PCM at any rate, in blocks of about 13 ms (106 samples at 8 kHz,
// resolution ≈ 75 Hz, enough to tell the row tones apart). A block holds a digit when both its
// row and its column tone are present (each at least kMinToneDbm0), each stands clear of the
// other tones of its group, the twist is within limits (column tone at most 8 dB below the row
// tone, at most 4 dB above) and the two tones carry most of the block's power (speech and noise
// spread theirs). A digit begins once it fills two consecutive blocks (any tone of 40 ms does) and
// ends after two blocks without it; a single bad block inside a digit is bridged.
//
// Neither class allocates after construction. Thread-safety: none; one owner.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "media/codecs/tone.hpp"

namespace parley::media {

inline constexpr std::uint8_t kDtmfEvents = 16;

// '0'-'9', '*', '#', 'A'-'D' for events 0-15; '?' otherwise.
char dtmf_char(std::uint8_t event);

struct DtmfPair {
  double row = 0.0;     // low group, Hz
  double column = 0.0;  // high group, Hz
};
std::optional<DtmfPair> dtmf_pair(std::uint8_t event);

// Writes the dual tone of one event, phase-continuous across calls.
class DtmfToneGenerator {
 public:
  explicit DtmfToneGenerator(int sample_rate) : sample_rate_(sample_rate) {}
  // Starts `event` (0-15; others are ignored) at `level_dbm0`, the power of both tones together.
  void start(std::uint8_t event, double level_dbm0);
  void stop() { playing_ = false; }
  bool playing() const { return playing_; }
  // Adds the tone to `pcm`, saturating.
  void mix(std::span<std::int16_t> pcm);

 private:
  int sample_rate_;
  bool playing_ = false;
  std::optional<ToneGenerator> row_;
  std::optional<ToneGenerator> column_;
};

class DtmfDetector {
 public:
  static constexpr double kMinToneDbm0 = -30.0;

  struct Event {
    enum class Kind : std::uint8_t { kBegin, kEnd };
    Kind kind = Kind::kBegin;
    std::uint8_t event = 0;
    std::uint32_t samples = 0;  // tone so far (kBegin) or in all (kEnd), at the PCM rate
    double level_dbm0 = 0.0;    // both tones together, as measured when the digit began
  };

  explicit DtmfDetector(int sample_rate);

  // Feeds PCM; returns what began or ended in it (valid until the next push).
  std::span<const Event> push(std::span<const std::int16_t> pcm);
  // The digit sounding now, and how long it has sounded (PCM samples).
  std::optional<std::uint8_t> active() const;
  std::uint32_t active_samples() const { return active_samples_; }
  int sample_rate() const { return sample_rate_; }

 private:
  static constexpr std::uint8_t kNone = 0xFF;
  static constexpr std::size_t kMaxEvents = 32;
  static constexpr std::size_t kMaxBlock = 1024;  // 13 ms at 48 kHz is 636

  struct Reading {
    std::uint8_t event = kNone;
    double level_dbm0 = 0.0;
  };
  Reading classify(std::span<const std::int16_t> block) const;
  void on_block(const Reading& reading);
  void emit(Event::Kind kind, std::uint8_t event, std::uint32_t samples, double level);

  int sample_rate_;
  std::size_t block_size_;
  std::uint32_t min_samples_;
  std::array<std::int16_t, kMaxBlock> block_{};
  std::size_t filled_ = 0;

  std::uint8_t candidate_ = kNone;
  std::uint32_t candidate_samples_ = 0;
  double candidate_level_ = 0.0;
  std::uint8_t active_ = kNone;
  std::uint32_t active_samples_ = 0;
  double active_level_ = 0.0;
  int misses_ = 0;

  std::array<Event, kMaxEvents> events_{};
  std::size_t event_count_ = 0;
};

}  // namespace parley::media
