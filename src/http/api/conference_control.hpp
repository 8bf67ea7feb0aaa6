#pragma once
// ConferenceControl: what the REST API needs from the running server to show and steer the
// people in a conference room (issue 7, decision 0034): list them, mute or unmute one, remove
// one (the server ends that call with a BYE). `app/` implements it over the live rooms; an API
// without a server has none and those routes answer 503.
//
// Thread-safety: every method may be called from any HTTP worker at once. The answers are a
// snapshot: a participant may hang up right after.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "store/store.hpp"

namespace parley::http::api {

struct ConferenceParticipant {
  std::string id;      // opaque, unique for the server's life
  std::string caller;  // the caller's extension or SIP user
  bool muted = false;
  bool moderator = false;  // joined with (or later keyed) the room's moderator PIN
  store::UnixMillis joined_ms = 0;
};

enum class ParticipantOutcome : std::uint8_t { kDone, kNotFound };

class ConferenceControl {
 public:
  virtual ~ConferenceControl() = default;
  ConferenceControl() = default;
  ConferenceControl(const ConferenceControl&) = delete;
  ConferenceControl& operator=(const ConferenceControl&) = delete;

  // The participants in room `number` of `tenant`, in the order they joined.
  virtual std::vector<ConferenceParticipant> participants(store::TenantId tenant,
                                                          std::string_view number) const = 0;
  // Takes effect on the room's next 20 ms tick.
  virtual ParticipantOutcome set_muted(store::TenantId tenant, std::string_view number,
                                       std::string_view id, bool muted) = 0;
  // Ends the participant's call (BYE from the server); the answer does not wait for it.
  virtual ParticipantOutcome remove(store::TenantId tenant, std::string_view number,
                                    std::string_view id) = 0;
};

}  // namespace parley::http::api
