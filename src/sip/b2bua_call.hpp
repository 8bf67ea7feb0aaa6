#pragma once
// The B2bua's per-call state. Private to b2bua*.cpp; nothing else includes it.
//
// Memory: a call keeps two Dialogs (each a handful of short strings plus a Peer) and, for a
// moment, the 2xx it waits an ACK for. Nothing of the INVITE is kept: while ringing, the forked
// INVITEs live in their client transactions (the layer owns them), and after the answer only
// the two dialogs remain. See docs/decisions/0005-b2bua.md for the measured size.

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "protocol/sip/message.hpp"
#include "protocol/sip/response.hpp"
#include "sip/b2bua.hpp"
#include "sip/dialog.hpp"

namespace parley::sip {

enum class B2bua::TimerKind : std::uint8_t {
  kNoAnswer,          // call: ringing too long
  kRetransmitA,       // call: resend our 2xx on the caller leg (§13.3.1.4)
  kRetransmitB,       // call: ... on the callee leg (after a re-INVITE from the callee)
  kAckTimeoutA,       // call: no ACK for our 2xx on the caller leg within 64*T1
  kAckTimeoutB,       // call: ... on the callee leg
  kForgetAckA,        // call: stop keeping the ACK we sent on the caller leg
  kForgetAckB,        // call: ... on the callee leg
  kForgetClient,      // client transaction: stop tracking it (64*T1 after its 2xx or CANCEL)
  kMediaCheck,        // call: has RTP flowed within the media timeout?
  kTransferNoAnswer,  // call: the target of a blind transfer rings too long
  kLocalHangUp,       // call: the application answering it asked to end it
  kExternalNoReply,   // client transaction: an INVITE to a trunk got no response at all
  kLocalRedirect,     // call: the application answering it asked to pass the caller on
};
inline constexpr unsigned kB2buaTimerBits = 4;

struct B2bua::Leg {
  Dialog dialog;
  bool established = false;  // the caller leg from the start, the callee leg once answered

  // Our 2xx to an INVITE received on this leg, resent until its ACK arrives.
  std::string pending_2xx;
  std::uint32_t pending_2xx_cseq = 0;  // 0 = no 2xx awaits an ACK
  Duration retransmit_interval{};
  TimerId retransmit_timer = kNoTimer;
  TimerId ack_timer = kNoTimer;

  // An INVITE we sent on this leg was answered 2xx: its ACK goes out when the other leg's UA
  // ACKs our relayed 2xx (the ACK is end-to-end, and may carry the SDP answer of a late offer).
  std::uint32_t ack_cseq = 0;  // CSeq of that INVITE; 0 = none
  bool ack_sent = false;
  std::string last_ack;  // resent for retransmitted 2xx; dropped after 64*T1
  TimerId forget_ack_timer = kNoTimer;

  // INVITE transactions without a final response on this leg (glare checks, §14.2).
  TransactionId invite_client = 0;  // we sent it
  TransactionId invite_server = 0;  // the UA of this leg sent it
};

// A blind transfer in progress (RFC 3515, decision 0014): the transferor's REFER was accepted
// and the target's devices ring. The transferee's leg and its media are untouched until one
// answers; then the transferor's leg is replaced by the target's.
struct B2buaTransfer {
  std::uint8_t transferor = 0;  // index into Call::legs of the side that sent REFER
  // Not a REFER: the application answering the call passes the caller on (b2bua_redirect.cpp).
  // The "transferor" is the application's side, which has no leg (transferor_gone).
  bool from_application = false;
  bool transferor_gone = false;  // it hung up while the target rang
  std::uint32_t refer_cseq = 0;  // the REFER's CSeq, the NOTIFY's Event id (RFC 3515 §2.4.6)
  std::string target;            // the target extension
  std::string domain;            // the tenant domain, for From and To of the new leg
  std::string transferee_uri;    // From of the new leg
  store::UnixMillis start_ms = 0;
  std::vector<TransactionId> branches;  // 0 once a branch has its final answer
  // The extension each branch rings (parallel to `branches`): with several extensions in a
  // redirect's stage (a queue's ring-all offer) the one that answered is told to the session.
  std::vector<std::string> branch_extensions;
  std::size_t live_branches = 0;
  int best_status = 0;
  std::string best_reason;
  TimerId no_answer_timer = kNoTimer;
  // Attended transfer (decision 0024): the transferor's consultation call, whose other party
  // (the target) is being re-INVITEd onto this call's relay; 0 for a blind transfer.
  std::uint64_t consultation = 0;
  std::uint8_t consultation_transferor = 0;  // index into its legs of the transferor's leg
  TransactionId reinvite = 0;                // the re-INVITE to the target
  // A redirect that follows its target's plan (decision 0058; not a queue's "agent:" offer):
  // the offer each stage rings with, the stages still to ring, the application that takes the
  // call when they are exhausted (e.g. "voicemail:1002"), and the ringing stage's busy hook.
  bool follow_plan = false;
  std::string offer;
  std::vector<RingStage> later_stages;
  std::string exhausted_application;
  std::function<std::optional<CallPlan>()> when_busy;
};

struct B2bua::Call {
  CallId id = 0;
  bool answered = false;
  store::TenantId tenant = 0;
  std::string caller;  // extension numbers, for the call detail record
  std::string callee;
  store::UnixMillis start_ms = 0;
  store::UnixMillis answer_ms = 0;
  std::array<Leg, 2> legs;           // indexed by Side
  std::unique_ptr<CallMedia> media;  // null without a MediaFactory
  // Set for a call Parley answered itself: it has no callee leg and no CallMedia.
  std::unique_ptr<LocalSession> local;
  TimerId local_hang_up_timer = kNoTimer;
  // For a call an application answers: the caller's last SDP offer (a redirect offers it to the
  // new target), the tenant's domain, and a redirect the application asked for.
  std::string local_offer;
  std::string tenant_domain;
  std::string redirect_target;
  TimerId local_redirect_timer = kNoTimer;
  bool invite_offer = false;  // the caller's INVITE carried the SDP offer
  store::EndReason end_reason = store::EndReason::kNormal;
  TimerId media_timer = kNoTimer;
  // Per side: its last SDP offer put the call on hold (sendonly, inactive, c=0.0.0.0). A
  // holding phone may send nothing at all while the other party hears music, so the media
  // timeout waits until the hold ends (decision 0041).
  std::array<bool, 2> holding{};
  TimePoint hold_ended{};                   // the media timeout counts from here at the earliest
  std::unique_ptr<B2buaTransfer> transfer;  // while a blind transfer rings
  // After a transfer from the caller's side, the caller leg holds the target and the callee
  // leg the transferee, who placed the new call: its record names them the other way round.
  bool record_swapped = false;
  // CallPlan::keep_alive (e.g. the toll-fraud meter's lease): released when the call is
  // destroyed.
  std::shared_ptr<void> keep_alive;

  // --- while ringing ---
  TransactionId invite = 0;             // the caller's INVITE server transaction
  store::TenantId callee_tenant = 0;    // whose extensions the stages name
  std::vector<RingStage> stages;        // the call plan's ring stages (call_routing.hpp)
  std::size_t stage = 0;                // the stage ringing now
  int exhausted_status = 0;             // CallPlan::exhausted_status
  std::string exhausted_application;    // CallPlan::exhausted_application
  std::string branch_offer;             // the body of every INVITE to a callee device
  std::vector<TransactionId> branches;  // forked INVITEs; 0 once a branch has its final answer
  // Per branch, which extension of its stage it rings: (stage << 16) | index in the stage.
  std::vector<std::uint32_t> branch_targets;
  // Per branch, what ExternalTarget::claim gave it (a trunk channel), held while it rings;
  // the answering branch's moves to `answered_hold`.
  std::vector<std::shared_ptr<void>> branch_holds;
  std::shared_ptr<void> answered_hold;
  std::size_t live_branches = 0;  // neither answered nor cancelled
  int best_status = 0;            // best failure so far (§16.7), 0 = none
  std::string best_reason;
  bool ringing_relayed = false;  // a 180 without body went to the caller already
  // Every branch of the current stage that failed so far refused busy (486, 600, 603): when
  // none is left ringing, the stage's extension is busy (RingStage::when_busy, decision 0052).
  bool stage_refused_busy = true;
  TimerId no_answer_timer = kNoTimer;
};

namespace b2bua_detail {

inline constexpr std::string_view kAllow =
    "INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, INFO, MESSAGE, REFER";

// Header fields relayed unchanged from one leg to the other besides the body and its
// Content-Type: what the body's meaning depends on (RFC 3261 Content-Disposition, RFC 6086 INFO
// packages). Everything else is hop-by-hop for a B2BUA, or would make us promise what we
// cannot keep (Supported: timer, 100rel).
bool is_passthrough(const protocol::sip::Message& message, const protocol::sip::HeaderField& field);
// The passthrough fields of `message` as whole header lines.
std::string passthrough_lines(const protocol::sip::Message& message);
// Appends the passthrough fields of `message` to a response being built.
void add_passthrough(protocol::sip::ExtraHeaders& extra, const protocol::sip::Message& message);

}  // namespace b2bua_detail

}  // namespace parley::sip
