#pragma once
// ConferenceRooms: the live conference rooms of the process, shared by every worker loop, and
// the seats through which calls on any worker take part in them (docs/decisions/0020).
//
// A room lives on ONE worker loop, the one of the caller that opened it: its ConferenceMixer and
// the 20 ms LoopTimer that ticks the mixer run there only. A call that takes part stays on its
// own worker with its own RTP leg (a LocalEndpoint in payload mode: SDP, latching, DTMF, hold,
// the RTP stream), and exchanges audio with the room through its ConferenceSeat:
//   - the call's worker puts every received RTP payload into the seat (put_received) and, on
//     each of its 20 ms send ticks, takes the latest mixed payload (take_mixed);
//   - the room's worker, on each tick, moves every seat's received payloads into the mixer and
//     puts each seat's mixed frame (Listener::on_mixed) back into it.
// Both queues are fixed rings inside the seat behind one small mutex, held only to copy a
// payload: nothing allocates per packet or frame, nobody waits for I/O, and a seat whose other
// side is slow loses its oldest audio rather than growing. The cost is up to one tick of extra
// delay each way (two unsynchronised 20 ms clocks), the price of keeping every call's sockets
// and SIP on its own worker.
//
// Joining and leaving are posted to the room's worker (net::WorkerPool::post), in order, so a
// seat is joined before it is removed. The registry counts seats per room under its mutex; the
// room goes away (on its worker) after its last seat is released, and the next caller opens a
// new one on its own worker.
//
// Thread-safety: every ConferenceRooms method may be called from any thread; a seat's
// put_received/take_mixed from the call's worker only. The pool must outlive the registry, and
// the registry every seat's release().

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "media/mixer/conference_mixer.hpp"
#include "media/transcoder.hpp"

namespace parley::net {
class WorkerPool;
}

namespace parley::media {

class ConferenceRoomLoop;

// One call's place in a room. Made by ConferenceRooms::reserve, shared between the call (its
// session) and the room.
class ConferenceSeat {
 public:
  static constexpr std::size_t kMaxPayload = 1480;   // a payload of a 1,500-byte datagram
  static constexpr std::size_t kReceivedSlots = 16;  // > 6 frames of 120 ms ptime per tick
  static constexpr std::size_t kMixedSlots = 3;      // absorbs the two clocks' phase jitter

  ConferenceSeat(std::string room, std::size_t room_worker)
      : room_(std::move(room)), room_worker_(room_worker) {}
  ConferenceSeat(const ConferenceSeat&) = delete;
  ConferenceSeat& operator=(const ConferenceSeat&) = delete;

  const std::string& room() const { return room_; }
  std::size_t room_worker() const { return room_worker_; }

  // The call's worker: one received RTP payload (dropped when larger than kMaxPayload; the
  // oldest waiting one is dropped when the room has not taken kReceivedSlots of them).
  void put_received(std::uint16_t sequence, std::uint32_t timestamp,
                    std::span<const std::uint8_t> payload);
  // The call's worker: the oldest mixed payload not yet sent, copied into `out`; 0 when none.
  std::size_t take_mixed(std::span<std::uint8_t> out);

  // The room's worker: every waiting received payload into `mixer` as participant `id`.
  void drain_into(ConferenceMixer& mixer, ParticipantId id);
  // The room's worker: this tick's mix for the seat (the oldest is dropped when full).
  void put_mixed(std::span<const std::uint8_t> payload);

  std::uint64_t dropped() const;  // payloads lost to full rings or oversize

  // Mute (any thread): a muted seat still hears the room but is not mixed into what others hear.
  // The room applies it on its next tick, and keeps it across a rejoin with another codec.
  void set_muted(bool muted) { muted_.store(muted, std::memory_order_relaxed); }
  bool muted() const { return muted_.load(std::memory_order_relaxed); }

 private:
  struct Slot {
    std::uint16_t sequence = 0;
    std::uint32_t timestamp = 0;
    std::size_t size = 0;
    std::array<std::uint8_t, kMaxPayload> bytes{};
  };
  template <std::size_t N>
  struct Ring {
    std::array<Slot, N> slots{};
    std::size_t head = 0;
    std::size_t count = 0;
    Slot& push_slot(std::uint64_t& dropped);
  };

  const std::string room_;
  const std::size_t room_worker_;
  mutable std::mutex mutex_;
  Ring<kReceivedSlots> received_;  // guarded by mutex_
  Ring<kMixedSlots> mixed_;        // guarded by mutex_
  std::uint64_t dropped_ = 0;      // guarded by mutex_
  std::atomic<bool> muted_{false};
};

class ConferenceRooms {
 public:
  // `mixer` configures every room's ConferenceMixer (tones, speakers, slots).
  ConferenceRooms(net::WorkerPool& pool, ConferenceOptions mixer = {});
  ~ConferenceRooms();
  ConferenceRooms(const ConferenceRooms&) = delete;
  ConferenceRooms& operator=(const ConferenceRooms&) = delete;

  // A seat in `room` (any name unique in the process, e.g. "<tenant>:<number>") for a call on
  // worker `worker`; the room opens on that worker if it has no seat yet. Error 486 when
  // `max_seats` seats are taken. The seat hears and is heard only after join().
  Result<std::shared_ptr<ConferenceSeat>> reserve(std::string_view room, std::size_t max_seats,
                                                  std::size_t worker);
  // Puts the seat into the room's mix speaking `codec`; again after a codec change (the seat
  // rejoins). Posted to the room's worker.
  void join(const std::shared_ptr<ConferenceSeat>& seat, const CodecSpec& codec);
  // Gives the seat back (leaves the mix on the room's worker). Once per seat.
  void release(const std::shared_ptr<ConferenceSeat>& seat);

  // Seats reserved in `room` (0 when it is not open), and open rooms: for tests and status.
  std::size_t seats(std::string_view room) const;
  std::size_t room_count() const;

 private:
  struct Entry {
    std::shared_ptr<ConferenceRoomLoop> room;
    std::size_t worker = 0;
    std::size_t seats = 0;
  };

  net::WorkerPool& pool_;
  const ConferenceOptions mixer_options_;
  mutable std::mutex mutex_;
  std::map<std::string, Entry, std::less<>> rooms_;  // guarded by mutex_
};

}  // namespace parley::media
