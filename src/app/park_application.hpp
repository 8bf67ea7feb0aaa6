#pragma once
// The two sides of a parked call (decision 0030), as application kinds.
//
// "park:<slot>:<parker>" — the parked caller (reached by a blind transfer, b2bua_park.cpp).
// Claims the slot (0 = the lowest free one) in the ParkLot when made; a full lot or a taken
// slot refuses the REFER (486). The caller hears "Parked in slot 7 0 1" and then music on hold.
// Every kPollInterval the session asks the lot what happened:
//   - retrieved: the music stops and the caller joins the private bridge room "park:<ticket>";
//     when the retriever hangs up, so does the parked call;
//   - its timeout passed (and it could still expire(): no retriever won the race): the slot is
//     free and the parker is rung back through the B2BUA's redirect (the music goes on while it
//     rings); nobody answers: the parker's voicemail ("app:voicemail:<parker>"), and when that
//     is refused too the call ends.
//
// "park-retrieve:<slot>" — someone dialled a slot. The maker takes the slot's call from the lot
// (404 "Park Slot Empty" when there is none, or another retriever got it first) and the session
// joins the same bridge room; when the parked caller hangs up, so does the retriever.
//
// Thread-safety: a session lives on its call's worker loop; the maker may run on any loop.

#include <chrono>
#include <string_view>

#include "app/applications.hpp"

namespace parley::app {

class ParkService;

inline constexpr std::string_view kParkKind = "park";
inline constexpr std::string_view kParkRetrieveKind = "park-retrieve";
inline constexpr std::chrono::milliseconds kParkPollInterval{100};

// `park` outlives every session.
ApplicationMaker park_maker(ParkService& park);
ApplicationMaker park_retrieve_maker(ParkService& park);

}  // namespace parley::app
