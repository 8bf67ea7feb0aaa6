#pragma once
// Private to media/: the header rewriting of one relayed direction. Turns whatever arrives
// (several input SSRCs one after the other, a transcoder's frames) into one continuous outgoing
// stream with our own SSRC: sequence numbers continue where the last packet sent left off,
// timestamps advance by the wall-clock time elapsed across a switch, and the first packet after
// a switch carries the marker so the receiver's jitter buffer resynchronises.
//
// Within one input stream, sequence and timestamp keep their offsets, so reordering and loss
// stay visible to the receiver as they were.
//
// Thread-safety: none; owned by the relay on its worker.

#include <cstdint>

#include "base/clock.hpp"

namespace parley::media {

class OutgoingStream {
 public:
  struct Stamp {
    std::uint16_t sequence = 0;
    std::uint32_t timestamp = 0;
    bool marker = false;
  };

  OutgoingStream(std::uint32_t ssrc, std::uint16_t first_sequence, std::uint32_t first_timestamp);

  std::uint32_t ssrc() const { return ssrc_; }
  // The next packet starts a new input stream whatever its SSRC (the forwarding plan changed).
  void restart() {
    have_input_ = false;
    have_frames_ = false;
  }

  // A relayed packet. `sequential`: the direction also carries generated frames, so sequence
  // numbers are handed out in sending order instead of following the input's.
  Stamp map(std::uint32_t input_ssrc, std::uint16_t input_sequence, std::uint32_t input_timestamp,
            bool input_marker, TimePoint now, std::uint32_t clock_rate, bool sequential);

  // The sequence number of a packet that shares the stream's numbering but carries a timestamp
  // of its own (an RFC 4733 event generated for this direction); the timing is left alone.
  // Only after the stream has sent something.
  std::uint16_t take_sequence() {
    highest_sequence_ =
        have_output_ ? static_cast<std::uint16_t>(highest_sequence_ + 1) : first_sequence_;
    return highest_sequence_;
  }
  bool started() const { return have_output_; }

  // A generated frame covering `samples` of `clock_rate`.
  Stamp next_frame(std::uint32_t samples, TimePoint now, std::uint32_t clock_rate);

 private:
  std::uint32_t advance_since_last(TimePoint now, std::uint32_t clock_rate) const;
  void record(std::uint16_t sequence, std::uint32_t timestamp, TimePoint now);

  std::uint32_t ssrc_;
  std::uint16_t first_sequence_;
  std::uint32_t first_timestamp_;

  bool have_output_ = false;
  std::uint16_t highest_sequence_ = 0;
  std::uint32_t last_timestamp_ = 0;  // of the packet with the highest sequence
  TimePoint last_time_{};

  bool have_input_ = false;
  std::uint32_t input_ssrc_ = 0;
  std::uint16_t sequence_offset_ = 0;
  std::uint32_t timestamp_offset_ = 0;

  bool have_frames_ = false;
  std::uint32_t frame_timestamp_ = 0;  // where the next generated frame starts
};

}  // namespace parley::media
