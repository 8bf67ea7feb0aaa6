// What the B2BUA tells the CallStateListener (BLF, presence): one report per extension of the
// call at each phase change.

#include <algorithm>

#include "sip/b2bua.hpp"
#include "sip/b2bua_call.hpp"

namespace parley::sip {

void B2bua::report_call_state(const Call& call, CallPhase phase) {
  CallStateListener* listener = options_.call_states;
  if (listener == nullptr) return;
  const Dialog& caller = call.legs[0].dialog;
  // Our tag on the caller's leg is 64 random bits, unique for the server's life: with a suffix
  // per side it names each extension's part of the call, even when an extension calls itself.
  ExtensionCallState state;
  state.tenant = call.tenant;
  state.phase = phase;

  state.extension = call.caller;
  state.dialog_id = caller.local_tag + "-i";
  state.direction = CallDirection::kInitiator;
  state.call_id = caller.call_id;
  state.local_tag = caller.remote_tag;
  state.remote_tag = caller.local_tag;
  state.remote_party = call.callee;
  listener->on_call_state(state);

  state.extension = call.callee;
  state.dialog_id = caller.local_tag + "-r";
  state.direction = CallDirection::kRecipient;
  state.remote_party = call.caller;
  const Leg& callee = call.legs[1];
  if (callee.established) {
    state.call_id = callee.dialog.call_id;
    state.local_tag = callee.dialog.remote_tag;
    state.remote_tag = callee.dialog.local_tag;
  } else {
    state.call_id.clear();
    state.local_tag.clear();
    state.remote_tag.clear();
  }
  if (phase == CallPhase::kRinging) {
    for (const RingStage& stage : call.stages) {
      for (const std::string& extension : stage.extensions) {
        if (extension != call.callee &&
            std::find(state.rung_members.begin(), state.rung_members.end(), extension) ==
                state.rung_members.end()) {
          state.rung_members.push_back(extension);
        }
      }
    }
  }
  listener->on_call_state(state);
}

}  // namespace parley::sip
