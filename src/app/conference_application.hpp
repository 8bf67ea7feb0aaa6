#pragma once
// Conference rooms as an application (decision 0020): the dial plan sends a call to a room of
// the caller's tenant as "conference:<tenant id>:<number>" (conference_directory.hpp), and the
// maker made here answers it.
//
// One call = one session on the call's worker loop: a media::LocalEndpoint in payload mode (SDP
// answer, latching, DTMF, hold, our RTP stream) and a media::ConferenceSeat in the room, which
// lives on the worker of whoever opened it (media/conference_rooms.hpp says how audio crosses).
// The seat is reserved when the call is answered (486 when the room is full), so a caller
// entering the PIN holds a place; the audio joins the mix once the codec is negotiated and the
// PIN, if any, is right.
//
// PIN: the caller keys it with RFC 4733 digits and ends it with '#' ('*' starts over) within
// kPinSeconds of the answer; kPinTries wrong entries or the time running out end the call
// (hang_up: the caller gets BYE) and are logged with the caller. There are no spoken prompts
// yet: the caller hears silence until admitted. Keying the room's moderator PIN instead admits
// the caller as a moderator; in a room without a PIN everyone is admitted at once and a
// moderator keys the moderator PIN and '#' in the room (decision 0034).
//
// Keys in the room ('*' then one key, as ConfBridge's menus): *6 mutes or unmutes oneself (a
// muted participant still hears the room); a moderator's *4 mutes and *5 unmutes everyone but
// the moderators, *7 removes the participant who joined last (not a moderator; the call gets a
// BYE). Each admitted call is in the ConferenceRoster, through which the REST API lists, mutes
// and removes participants. Whenever a participant's mute state changes (any of those ways), it
// alone hears the MuteCue (conference_mute_cue.hpp) in place of the room for 300 ms.
//
// Thread-safety: a session lives on its call's worker; the rooms registry and the directory are
// thread-safe and outlive every session.

#include <chrono>

#include "app/applications.hpp"
#include "app/conference_directory.hpp"
#include "app/conference_roster.hpp"
#include "media/conference_rooms.hpp"

namespace parley::app {

inline constexpr std::chrono::seconds kPinSeconds{15};
inline constexpr int kPinTries = 3;
inline constexpr char kToggleMuteKey = '6';
inline constexpr char kMuteOthersKey = '4';
inline constexpr char kUnmuteOthersKey = '5';
inline constexpr char kRemoveLastKey = '7';

// The "conference" kind, for Applications::add.
// `roster` must outlive every session.
ApplicationMaker conference_maker(media::ConferenceRooms& rooms,
                                  const ConferenceDirectory& directory, ConferenceRoster& roster);

}  // namespace parley::app
