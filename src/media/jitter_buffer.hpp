#pragma once
// JitterBuffer: puts the RTP packets of one stream back in sequence order before decoding.
//
// It is event-driven, not clocked: the owner pushes each packet as it arrives and then pops what
// is playable. The first packet of a stream waits for the second (a swapped pair at the start
// still plays in order); after that the next expected packet is released at once, so in-order
// traffic adds no delay;
// a missing packet holds the packets behind it until more than `depth` are waiting, and is then
// given up and reported as lost (the owner conceals it). Packets older than the play position
// (too late), repeated ones (duplicates) and over-long ones are dropped and reported by push().
// A sequence jump of more than kResyncDistance either way is taken as a new stream: the buffer
// restarts from that packet and marks it as a discontinuity. A run of losses longer than
// `max_conceal` reports only the last `max_conceal` of them (the rest is skipped, marked as a
// discontinuity), so a long outage does not turn into seconds of concealment.
//
// Storage is fixed at construction (depth + 1 slots of `max_payload` bytes); no allocation after.
// Thread-safety: none; owned by one worker loop.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace parley::media {

class JitterBuffer {
 public:
  static constexpr int kResyncDistance = 100;

  struct Options {
    int depth = 3;
    std::size_t max_payload = 1500;
    int max_conceal = 5;
  };

  enum class PushResult { kQueued, kDuplicate, kTooLate, kTooLarge, kOverflow };

  // What pop() hands out: a packet to decode, or a lost slot to conceal.
  struct Item {
    bool lost = false;
    bool discontinuity = false;  // a resync or a skipped run precedes this item
    std::uint16_t sequence = 0;
    std::uint32_t timestamp = 0;            // packets only
    std::span<const std::uint8_t> payload;  // packets: the payload; lost: the next packet if
                                            // it is already here (for FEC), else empty
  };

  explicit JitterBuffer(const Options& options);

  // Copies the payload in. Views handed out by pop() stay valid until the next push or reset.
  PushResult push(std::uint16_t sequence, std::uint32_t timestamp,
                  std::span<const std::uint8_t> payload);
  // The next playable item, if any.
  bool pop(Item& item);
  // Forgets everything; the next push starts a new stream.
  void reset();

  std::size_t buffered() const { return count_; }

 private:
  struct Slot {
    bool used = false;
    std::uint16_t sequence = 0;
    std::uint32_t timestamp = 0;
    std::size_t size = 0;
  };

  int find(std::uint16_t sequence) const;
  int oldest() const;  // slot with the smallest distance from next_, -1 if empty
  int distance(std::uint16_t sequence) const {
    return static_cast<std::int16_t>(static_cast<std::uint16_t>(sequence - next_));
  }
  std::span<const std::uint8_t> data(int slot) const;
  void clear_slots();

  Options options_;
  std::vector<Slot> slots_;
  std::vector<std::uint8_t> storage_;
  std::size_t count_ = 0;
  std::uint16_t next_ = 0;
  bool started_ = false;
  bool playing_ = false;  // primed: the first item of the run has been handed out
  bool discontinuity_ = false;
};

}  // namespace parley::media
