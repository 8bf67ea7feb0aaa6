#include "media/rtp_relay_stream.hpp"

#include <algorithm>
#include <chrono>

namespace parley::media {
namespace {

// Serial number arithmetic (RFC 1982) on 16-bit sequence numbers.
bool newer(std::uint16_t candidate, std::uint16_t reference) {
  return candidate != reference &&
         static_cast<std::uint16_t>(candidate - reference) < std::uint16_t{0x8000};
}

// A gap of more than this many frames in generated output is taken as silence or loss and the
// timestamp jumps by the wall-clock time instead of one frame.
constexpr std::uint32_t kGapFrames = 4;

}  // namespace

OutgoingStream::OutgoingStream(std::uint32_t ssrc, std::uint16_t first_sequence,
                               std::uint32_t first_timestamp)
    : ssrc_(ssrc), first_sequence_(first_sequence), first_timestamp_(first_timestamp) {}

std::uint32_t OutgoingStream::advance_since_last(TimePoint now, std::uint32_t clock_rate) const {
  const auto elapsed = std::chrono::duration_cast<std::chrono::microseconds>(now - last_time_);
  const auto micros = static_cast<std::uint64_t>(std::max<std::int64_t>(elapsed.count(), 0));
  const std::uint64_t ticks = micros * clock_rate / 1'000'000U;
  // At least one tick, so a switch never repeats the last timestamp.
  return static_cast<std::uint32_t>(std::max<std::uint64_t>(ticks, 1));
}

void OutgoingStream::record(std::uint16_t sequence, std::uint32_t timestamp, TimePoint now) {
  if (!have_output_ || newer(sequence, highest_sequence_)) {
    highest_sequence_ = sequence;
    last_timestamp_ = timestamp;
    last_time_ = now;
  }
  have_output_ = true;
}

OutgoingStream::Stamp OutgoingStream::map(std::uint32_t input_ssrc, std::uint16_t input_sequence,
                                          std::uint32_t input_timestamp, bool input_marker,
                                          TimePoint now, std::uint32_t clock_rate,
                                          bool sequential) {
  Stamp stamp;
  stamp.marker = input_marker;
  if (!have_input_ || input_ssrc != input_ssrc_) {
    const std::uint16_t next_sequence =
        have_output_ ? static_cast<std::uint16_t>(highest_sequence_ + 1) : first_sequence_;
    const std::uint32_t next_timestamp =
        have_output_ ? last_timestamp_ + advance_since_last(now, clock_rate) : first_timestamp_;
    sequence_offset_ = static_cast<std::uint16_t>(next_sequence - input_sequence);
    timestamp_offset_ = next_timestamp - input_timestamp;
    input_ssrc_ = input_ssrc;
    have_input_ = true;
    stamp.marker = true;
  }
  stamp.sequence = sequential ? (have_output_ ? static_cast<std::uint16_t>(highest_sequence_ + 1)
                                              : first_sequence_)
                              : static_cast<std::uint16_t>(input_sequence + sequence_offset_);
  stamp.timestamp = input_timestamp + timestamp_offset_;
  record(stamp.sequence, stamp.timestamp, now);
  return stamp;
}

OutgoingStream::Stamp OutgoingStream::next_frame(std::uint32_t samples, TimePoint now,
                                                 std::uint32_t clock_rate) {
  Stamp stamp;
  if (!have_frames_ || !have_output_) {
    frame_timestamp_ =
        have_output_ ? last_timestamp_ + advance_since_last(now, clock_rate) : first_timestamp_;
    stamp.marker = true;
  } else {
    const std::uint32_t wall = advance_since_last(now, clock_rate);
    if (wall > samples * kGapFrames) {
      frame_timestamp_ = last_timestamp_ + wall;
      stamp.marker = true;
    }
  }
  have_frames_ = true;
  stamp.sequence =
      have_output_ ? static_cast<std::uint16_t>(highest_sequence_ + 1) : first_sequence_;
  stamp.timestamp = frame_timestamp_;
  frame_timestamp_ += samples;
  record(stamp.sequence, stamp.timestamp, now);
  return stamp;
}

}  // namespace parley::media
