#include "media/conference_rooms.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <vector>

#include "net/loop_timer.hpp"
#include "net/worker_pool.hpp"

namespace parley::media {

template <std::size_t N>
ConferenceSeat::Slot& ConferenceSeat::Ring<N>::push_slot(std::uint64_t& dropped) {
  if (count == N) {  // the reader fell behind: its oldest goes
    head = (head + 1) % N;
    --count;
    ++dropped;
  }
  Slot& slot = slots[(head + count) % N];
  ++count;
  return slot;
}

void ConferenceSeat::put_received(std::uint16_t sequence, std::uint32_t timestamp,
                                  std::span<const std::uint8_t> payload) {
  std::lock_guard lock(mutex_);
  if (payload.size() > kMaxPayload) {
    ++dropped_;
    return;
  }
  Slot& slot = received_.push_slot(dropped_);
  slot.sequence = sequence;
  slot.timestamp = timestamp;
  slot.size = payload.size();
  std::copy(payload.begin(), payload.end(), slot.bytes.begin());
}

std::size_t ConferenceSeat::take_mixed(std::span<std::uint8_t> out) {
  std::lock_guard lock(mutex_);
  if (mixed_.count == 0) return 0;
  const Slot& slot = mixed_.slots[mixed_.head];
  mixed_.head = (mixed_.head + 1) % kMixedSlots;
  --mixed_.count;
  if (slot.size > out.size()) {
    ++dropped_;
    return 0;
  }
  std::memcpy(out.data(), slot.bytes.data(), slot.size);
  return slot.size;
}

void ConferenceSeat::drain_into(ConferenceMixer& mixer, ParticipantId id) {
  std::lock_guard lock(mutex_);
  // Bounded by kReceivedSlots.
  while (received_.count > 0) {
    const Slot& slot = received_.slots[received_.head];
    mixer.push(id, slot.sequence, slot.timestamp, std::span(slot.bytes.data(), slot.size));
    received_.head = (received_.head + 1) % kReceivedSlots;
    --received_.count;
  }
}

void ConferenceSeat::put_mixed(std::span<const std::uint8_t> payload) {
  std::lock_guard lock(mutex_);
  if (payload.size() > kMaxPayload) {
    ++dropped_;
    return;
  }
  Slot& slot = mixed_.push_slot(dropped_);
  slot.size = payload.size();
  std::copy(payload.begin(), payload.end(), slot.bytes.begin());
}

std::uint64_t ConferenceSeat::dropped() const {
  std::lock_guard lock(mutex_);
  return dropped_;
}

// One open room on its worker loop: the mixer, its 20 ms clock and the seats in the mix. Made
// on any thread; used (add, remove, ticks) and destroyed on its worker only, except at shutdown
// when the loops have stopped.
class ConferenceRoomLoop final : public ConferenceMixer::Listener {
 public:
  ConferenceRoomLoop(net::WorkerPool& pool, std::size_t worker, std::string name)
      : name_(std::move(name)), timer_(pool, worker, [this] { on_tick(); }) {}

  ~ConferenceRoomLoop() override { timer_.cancel(); }
  ConferenceRoomLoop(const ConferenceRoomLoop&) = delete;
  ConferenceRoomLoop& operator=(const ConferenceRoomLoop&) = delete;

  Result<void> open(const ConferenceOptions& options) {
    auto mixer = ConferenceMixer::create(options, *this);
    if (!mixer) return mixer.error();
    mixer_ = std::move(mixer).value();
    members_.reserve(options.max_participants);
    return {};
  }

  void add(const std::shared_ptr<ConferenceSeat>& seat, const CodecSpec& codec) {
    remove(seat);  // a rejoin with another codec
    auto id = mixer_->join(codec);
    if (!id) {
      spdlog::warn("conference {}: cannot join a {} caller: {}", name_, codec.encoding,
                   id.error().message);
      return;
    }
    members_.push_back(Member{seat, *id});
    if (!due_) {
      due_ = std::chrono::steady_clock::now() + kTick;
      timer_.arm(*due_);
    }
  }

  void remove(const std::shared_ptr<ConferenceSeat>& seat) {
    const auto member = std::find_if(members_.begin(), members_.end(),
                                     [&](const Member& m) { return m.seat == seat; });
    if (member == members_.end()) return;
    mixer_->leave(member->id);
    members_.erase(member);
  }

  void on_mixed(ParticipantId id, const EncodedFrame& frame) override {
    // Linear: at most max_participants members, no allocation.
    for (const Member& member : members_) {
      if (member.id == id) {
        member.seat->put_mixed(frame.payload);
        return;
      }
    }
  }

 private:
  static constexpr auto kTick = std::chrono::milliseconds(ConferenceMixer::kTickMs);
  // A loop that stalled longer than this many ticks skips ahead instead of bursting.
  static constexpr int kMaxCatchUpTicks = 5;

  struct Member {
    std::shared_ptr<ConferenceSeat> seat;
    ParticipantId id = 0;
    bool muted = false;  // as last told to the mixer
  };

  void on_tick() {
    if (!due_) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - *due_ > kTick * kMaxCatchUpTicks) *due_ = now;
    // due_ is at most kMaxCatchUpTicks ticks behind `now`: bounded.
    while (*due_ <= now) {
      *due_ += kTick;
      for (Member& member : members_) {
        // One relaxed load per seat and tick: mute is set from any thread (REST API, DTMF).
        if (const bool muted = member.seat->muted(); muted != member.muted) {
          mixer_->set_muted(member.id, muted);
          member.muted = muted;
        }
        member.seat->drain_into(*mixer_, member.id);
      }
      mixer_->tick();
    }
    if (members_.empty()) {
      due_.reset();  // an empty room keeps no clock; the next join restarts it
      return;
    }
    timer_.arm(*due_);
  }

  const std::string name_;
  std::unique_ptr<ConferenceMixer> mixer_;
  std::vector<Member> members_;
  std::optional<std::chrono::steady_clock::time_point> due_;
  net::LoopTimer timer_;  // last: cancelled before the rest goes
};

ConferenceRooms::ConferenceRooms(net::WorkerPool& pool, ConferenceOptions mixer)
    : pool_(pool), mixer_options_(std::move(mixer)) {}

ConferenceRooms::~ConferenceRooms() = default;

Result<std::shared_ptr<ConferenceSeat>> ConferenceRooms::reserve(std::string_view room,
                                                                 std::size_t max_seats,
                                                                 std::size_t worker) {
  std::lock_guard lock(mutex_);
  auto found = rooms_.find(room);
  if (found == rooms_.end()) {
    auto loop = std::make_shared<ConferenceRoomLoop>(pool_, worker, std::string(room));
    if (auto opened = loop->open(mixer_options_); !opened) {
      return Error{503, "cannot open the conference room: " + opened.error().message};
    }
    found = rooms_.emplace(std::string(room), Entry{std::move(loop), worker, 0}).first;
  }
  Entry& entry = found->second;
  if (entry.seats >= max_seats || entry.seats >= mixer_options_.max_participants) {
    if (entry.seats == 0) rooms_.erase(found);
    return Error{486, "The conference room is full"};
  }
  ++entry.seats;
  return std::make_shared<ConferenceSeat>(std::string(room), entry.worker);
}

void ConferenceRooms::join(const std::shared_ptr<ConferenceSeat>& seat, const CodecSpec& codec) {
  std::lock_guard lock(mutex_);
  const auto found = rooms_.find(seat->room());
  if (found == rooms_.end()) return;  // released already
  pool_.post(found->second.worker,
             [room = found->second.room, seat, codec] { room->add(seat, codec); });
}

void ConferenceRooms::release(const std::shared_ptr<ConferenceSeat>& seat) {
  std::lock_guard lock(mutex_);
  const auto found = rooms_.find(seat->room());
  if (found == rooms_.end()) return;
  Entry& entry = found->second;
  // The last reference to a closed room is this task's: the room goes on its own worker.
  pool_.post(entry.worker, [room = entry.room, seat] { room->remove(seat); });
  if (entry.seats > 0) --entry.seats;
  if (entry.seats == 0) rooms_.erase(found);
}

std::size_t ConferenceRooms::seats(std::string_view room) const {
  std::lock_guard lock(mutex_);
  const auto found = rooms_.find(room);
  return found == rooms_.end() ? 0 : found->second.seats;
}

std::size_t ConferenceRooms::room_count() const {
  std::lock_guard lock(mutex_);
  return rooms_.size();
}

}  // namespace parley::media
