#pragma once
// ParkService: call park and retrieve (issue 6, decision 0030), everything the app wires in.
//
//   - The slots: a pbx::ParkLot shared by every worker (which call sits in which slot).
//   - Routing: a blind transfer (REFER) to the park code (700) or a free slot (701..720) becomes
//     the "park:<slot>:<parker>" application (slot 0 = the lowest free one); dialling a slot
//     becomes "park-retrieve:<slot>", and dialling the park code itself is refused (403: a call
//     is parked by transferring it there). Extensions of the same number win over both.
//   - The applications (park_application.hpp): the parked caller hears its slot spoken and then
//     music on hold; a retriever is bridged to it through a private two-seat media::
//     ConferenceRooms room (tones off), so the two may live on different workers.
//   - The spoken slot: "Parked in slot" and the digits, synthesised once by espeak-ng on the
//     service's job thread when the first call is parked (never on a loop, never at start-up:
//     most servers never park a call). Until they are ready the caller hears music only.
//
// Thread-safety: every method may be called from any thread. The service outlives the
// applications' sessions (serve.cpp: made before the Applications).

#include <array>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/blocking_jobs.hpp"
#include "media/audio_player.hpp"
#include "media/conference_rooms.hpp"
#include "pbx/park_lot.hpp"
#include "sip/call_routing.hpp"

namespace parley::net {
class WorkerPool;
}

namespace parley::app {

class Applications;

struct ParkOptions {
  pbx::ParkLotOptions lot;
  // How long a call waits in its slot before it rings its parker back.
  std::chrono::milliseconds timeout = std::chrono::seconds(60);
  // What the parked caller hears; null = silence.
  std::shared_ptr<const media::AudioClip> music;
  // Speak the slot number to the parked caller (espeak-ng).
  bool announce = true;
};

class ParkService {
 public:
  ParkService(net::WorkerPool& pool, ParkOptions options);
  ~ParkService();
  ParkService(const ParkService&) = delete;
  ParkService& operator=(const ParkService&) = delete;

  // Registers the "park" and "park-retrieve" kinds.
  void add_to(Applications& applications);

  // The application a REFER from `transferor` to `target` starts, when `target` is the park
  // code or a slot.
  std::optional<std::string> transfer_application(std::string_view transferor,
                                                  std::string_view target) const;
  // What dialling `dialled` does when it is a park number: retrieve a slot, or 403 for the park
  // code itself. nullopt for any other number.
  std::optional<sip::CallPlan> plan_dialled(std::string_view dialled) const;

  pbx::ParkLot& lot() { return lot_; }
  media::ConferenceRooms& bridges() { return bridges_; }
  const ParkOptions& options() const { return options_; }

  // The clips that say `slot` ("parked in slot", "seven", "zero", "one"); empty until they are
  // synthesised. The first call asks for the synthesis.
  std::vector<std::shared_ptr<const media::AudioClip>> announcement(std::uint32_t slot);

 private:
  void synthesise();

  ParkOptions options_;
  pbx::ParkLot lot_;
  media::ConferenceRooms bridges_;
  std::atomic<bool> synthesis_asked_{false};
  mutable std::mutex mutex_;
  // [0..9] the digits, [10] the lead-in; all set together. Guarded by mutex_.
  std::array<std::shared_ptr<const media::AudioClip>, 11> spoken_;
  bool spoken_ready_ = false;  // guarded by mutex_
  BlockingJobs jobs_{4};       // last: stopped (joined) first
};

}  // namespace parley::app
