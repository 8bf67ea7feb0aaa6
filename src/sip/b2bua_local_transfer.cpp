// A blind transfer (REFER) from the caller of a call Parley answers itself, whose application
// connects it with another party: a retrieved parked call (decision 0041). The retriever's call
// and the parked caller's are two calls Parley answers, possibly on two workers, bridged by a
// private room (decision 0030), so there is no relayed leg to replace here. Instead the session
// hands the target to the other party's call (LocalSession::transfer), which rings it through
// the application redirect (b2bua_redirect.cpp) as the park timeout rings the parker back; the
// transferor is told at once, as for parking itself, and its call ends.

#include <utility>

#include "sip/b2bua.hpp"
#include "sip/b2bua_call.hpp"

namespace parley::sip {

using protocol::sip::Message;

void B2bua::on_local_refer(Call& call, ServerTransaction& transaction, const Message& refer) {
  // Most applications (voicemail, a room, an IVR) connect the caller with nobody to pass on.
  const std::string party = call.local->connected_party();
  if (party.empty()) {
    reject(transaction, 403, "Transfer Not Supported Here");
    return;
  }
  Leg& transferor = leg(call, Side::kCaller);
  if (call.transfer != nullptr || call.local_redirect_timer != kNoTimer) {
    reject(transaction, 491, "Transfer Already Pending");
    return;
  }
  if (transferor.invite_client != 0 || transferor.invite_server != 0 ||
      transferor.pending_2xx_cseq != 0) {
    reject(transaction, 491);  // an offer/answer exchange is under way
    return;
  }
  auto target = read_refer_target(call, Side::kCaller, transaction, refer);
  if (!target) return;
  if (target->replaces) {
    reject(transaction, 501, "Attended Transfer Not Supported Here");
    return;
  }
  if (target->number == call.caller || target->number == party) {
    reject(transaction, 403, "Transfer Loop");
    return;
  }
  if (!options_.routing.extension_exists(target->tenant, target->number)) {
    reject(transaction, 404);
    return;
  }
  if (auto passed = call.local->transfer(target->number); !passed.ok()) {
    reject(transaction, passed.error().code, passed.error().message);
    return;
  }

  complete_refer_at_once(call, Side::kCaller, transaction, refer, call.callee, {});
  // The transferor leaves; its call ends as answered, hung up by it.
  hang_up(call, store::HangupSide::kCaller, true, false);
}

}  // namespace parley::sip
