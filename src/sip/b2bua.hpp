#pragma once
// B2bua: calls between extensions of one tenant, as a back-to-back user agent (RFC 3261 §6,
// RFC 7092). The caller's INVITE ends at us (the A leg, where we are the UAS); we fork a new
// INVITE to every registered device of the callee (one B leg per binding, where we are the
// UAC), relay provisional and final answers back, and once one device answers keep exactly two
// dialogs, A and B, relaying in-dialog requests between them. Each leg has its own Call-ID,
// tags and CSeq space; we never Record-Route, and our Contact is in every dialog, so every
// in-dialog request of either UA comes back to us. SDP is passed through unchanged (media
// anchoring is a later layer).
//
// How the app wires it in (one B2bua per worker loop, next to that loop's TransactionLayer):
//   1. Construct the B2bua BEFORE the TransactionLayer and pass it as the layer's Listener;
//      B2buaOptions::layer may name the layer before it is constructed, because the B2bua does
//      not touch it in its constructor or destructor. Destroy the layer first (reverse order).
//   2. Set B2buaOptions::fallback to the Listener that serves everything else (REGISTER to the
//      registrar, out-of-dialog OPTIONS to the responder, ...). Forwarded unchanged:
//        on_request          for requests claims() rejects;
//        on_response, on_client_failure, on_stray_response
//                            for non-INVITE client transactions the B2bua did not start;
//        on_server_failure   for server transactions of unclaimed requests.
//      on_cancel, on_ack and on_stray_ack are never forwarded (they concern INVITEs, which
//      are all the B2bua's), nor is any response to an INVITE. The fallback must ignore
//      transaction ids it does not know. Without a fallback, unclaimed requests get
//      classify_request()'s answer (200 for OPTIONS, 405/501 otherwise).
//   3. Drive timers from both: arm the loop's timer for
//      min(layer.next_deadline(), b2bua.next_deadline()) and call both process_timers() when
//      it fires (each ignores a call that finds nothing due).
//
// The A leg is authenticated with 407 Proxy-Authenticate (CallRouting::authenticate); the From
// user must be the authenticated user. A peer trusted by its address (a provider trunk,
// CallRouting::authenticate_peer) is neither challenged nor held to that rule: its From user is
// the outside caller's number, and its calls are planned by CallRouting::plan_peer_call. In-dialog
// requests are not challenged: the dialog identifiers (Call-ID and two 64-bit random tags we chose)
// are the credential.
//
// Decisions and the failure-response rules are in docs/decisions/0005-b2bua.md. Either party of
// an answered call may transfer it blind with REFER (b2bua_transfer.cpp, decision 0014).
//
// Thread-safety: none. Every method runs on the owning worker loop's thread.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/clock.hpp"
#include "protocol/sip/message.hpp"
#include "protocol/sip/response.hpp"
#include "sip/call_media.hpp"
#include "sip/call_routing.hpp"
#include "sip/call_state.hpp"
#include "sip/location.hpp"
#include "sip/timer_queue.hpp"
#include "sip/transaction_layer.hpp"
#include "sip/transport.hpp"

namespace parley::sip {

struct B2buaOptions {
  // The layer this B2bua is the Listener of, and the layer's transport: ACKs for 2xx and our
  // retransmissions of 2xx are not transactions (§13.2.2.4, §13.3.1.4) and go straight to it.
  TransactionLayer& layer;
  Transport& transport;
  const Clock& clock;
  CallRouting& routing;
  LocationService& location;
  CallRecordSink& records;
  // Receives every callback the B2bua does not claim (see the header comment). May be null.
  TransactionLayer::Listener* fallback = nullptr;
  // Unix time in milliseconds for call detail records. Empty = std::chrono::system_clock.
  std::function<store::UnixMillis()> wall_clock;
  // Host (name or IP literal, IPv6 in brackets) for our Via and Contact. Empty = the address of
  // the socket each leg uses (Peer.local); set it when that is a wildcard or behind NAT.
  std::string advertised_host;
  // Ringing longer than this: every branch is cancelled and the caller gets 480.
  Duration no_answer_timeout = std::chrono::seconds(30);
  std::string user_agent = "Parley";  // User-Agent of our requests, Server of our responses
  // Calls from one tenant's extension to another tenant's are refused (403) unless set.
  bool allow_inter_tenant_calls = false;
  // New INVITEs past this many live calls are answered 503.
  std::size_t max_calls = 100000;
  // Anchors the media of every call (rewrites each application/sdp body). Null = SDP passes
  // through unchanged. Must outlive the B2bua.
  MediaFactory* media = nullptr;
  // An answered call with a CallMedia whose last_media() is older than this is ended with BYE
  // on both legs (end reason "media_timeout"). Zero = never.
  Duration media_timeout = std::chrono::seconds(60);
  // Makes the Call-ID of each new callee leg. Empty = two random tags. The app passes one that
  // keeps the leg on this worker (call_affinity.hpp).
  std::function<std::string()> make_call_id;
  // Answers calls whose plan names an application (CallPlan::application). Null = such calls get
  // 404. Must outlive the B2bua.
  LocalSessionFactory* applications = nullptr;
  // Called when the B2bua's next_deadline() moved earlier outside any Listener callback or
  // process_timers() (an application asked to hang up): the worker re-arms its timer.
  std::function<void()> wake;
  // Told when each extension's part in a call starts ringing, is answered and ends (BLF and
  // presence, call_state.hpp). Null = nobody listens. Must outlive the B2bua.
  CallStateListener* call_states = nullptr;
  // An INVITE to an external target (a trunk, RingStage::externals) that gets no response at
  // all within this long is given up as 408, so that the next stage's trunk is tried (Timer B
  // would take 64*T1). Kamailio's tm fr_timer plays the same part.
  Duration external_reply_timeout = std::chrono::seconds(5);
  // True when the messages of the dialog with `call_id` go to another worker's B2bua
  // (CallPlacement::owner): an attended transfer cannot join a call there, and is refused
  // before it is accepted (decision 0041). Empty = one worker, every dialog is here.
  std::function<bool(std::string_view call_id)> dialog_elsewhere;
};

class B2bua final : public TransactionLayer::Listener {
 public:
  // Counters for metrics and tests. They only grow.
  struct Stats {
    std::uint64_t calls_started = 0;  // INVITEs forked to at least one device
    std::uint64_t calls_answered = 0;
    std::uint64_t calls_rejected = 0;  // authenticated INVITEs refused before forking (403/404/480)
    std::uint64_t requests_relayed = 0;
    std::uint64_t acks_resent = 0;         // for retransmitted 2xx
    std::uint64_t extra_2xx_released = 0;  // second 2xx of a fork, ACKed and BYEd
    std::uint64_t media_timeouts = 0;      // calls ended for lack of RTP
    std::uint64_t sdp_refused = 0;         // SDP bodies the media layer refused
  };

  explicit B2bua(B2buaOptions options);
  ~B2bua() override;
  B2bua(const B2bua&) = delete;
  B2bua& operator=(const B2bua&) = delete;

  // Whether the B2bua handles `request` when it creates a server transaction: INVITE, BYE,
  // UPDATE, INFO and PRACK always, and any other request with a To tag (in-dialog: the B2bua
  // answers 481 when it knows no such dialog). REGISTER, and OPTIONS, MESSAGE, SUBSCRIBE...
  // without a To tag, are not claimed. For apps that dispatch themselves.
  static bool claims(const protocol::sip::Message& request);

  // --- TransactionLayer::Listener ---
  void on_request(ServerTransaction& transaction, const protocol::sip::Message& request) override;
  void on_cancel(ServerTransaction& invite, const protocol::sip::Message& cancel) override;
  void on_ack(ServerTransaction& invite, const protocol::sip::Message& ack) override;
  void on_stray_ack(const protocol::sip::Message& ack, const Peer& from) override;
  void on_server_failure(ServerTransaction& transaction, ServerFailure failure) override;
  void on_response(ClientTransaction& transaction, const protocol::sip::Message& response) override;
  void on_client_failure(ClientTransaction& transaction, ClientFailure failure) override;
  void on_stray_response(const protocol::sip::Message& response, const Peer& from) override;

  // Timers of our own (no-answer timeout, 2xx retransmission and ACK wait), in the same style
  // as TransactionLayer: TimePoint::max() when idle.
  TimePoint next_deadline() const;
  void process_timers();

  // Ends every call for a shutdown: ringing calls are cancelled (the caller gets 503), answered
  // ones get BYE on both legs; each writes its call detail record (hang-up side "system").
  void end_all_calls();

  // Ends the one call whose caller leg carries our tag `caller_tag` (the id LiveCalls and the
  // REST API show), for an administrator: an answered call (or one Parley answers itself) gets
  // BYE on both legs, a ringing one is answered 487 and its branches cancelled. Its record says
  // hang-up side "system". False when no call has that tag (it may just have ended).
  bool end_call(std::string_view caller_tag);

  std::size_t call_count() const { return calls_.size(); }
  // Dialogs the B2bua can match in-dialog requests to (one per leg; two per answered call).
  std::size_t dialog_count() const { return dialogs_.size(); }
  // Client transactions the B2bua started and still tracks.
  std::size_t tracked_client_count() const { return clients_.size(); }
  const Stats& stats() const { return stats_; }

 private:
  struct Call;  // b2bua_call.hpp
  struct Leg;
  using CallId = std::uint64_t;
  enum class Side : std::uint8_t { kCaller, kCallee };
  enum class TimerKind : std::uint8_t;

  // Which leg of which call a dialog key names.
  struct DialogRef {
    CallId call = 0;
    Side side = Side::kCaller;
  };

  // What a client transaction we started is for. Kept until its final response (for an INVITE
  // answered 2xx: until 64*T1 later, so that retransmitted 2xx can still be re-ACKed).
  enum class ClientKind : std::uint8_t {
    kBranch,    // one forked INVITE of a ringing call
    kRelay,     // an in-dialog request relayed from `side`'s server transaction `server`
    kOther,     // BYE, CANCEL, ACK-and-BYE of an extra 2xx: the answer only ends the transaction
    kTransfer,  // one forked INVITE to the target of a blind transfer (b2bua_transfer.cpp)
    kAttended,  // the re-INVITE that moves the target of an attended transfer (b2bua_attended.cpp)
  };
  struct ClientContext {
    ClientKind kind = ClientKind::kOther;
    Side side = Side::kCaller;
    bool provisional = false;          // kBranch: a 1xx arrived, so a CANCEL may be sent (§9.1)
    bool cancel_pending = false;       // kBranch: cancel as soon as a 1xx arrives
    bool cancelled = false;            // kBranch: CANCEL sent
    bool completed_elsewhere = false;  // kBranch: the CANCEL says so (RFC 3326 Reason)
    std::uint16_t branch = 0;          // kBranch: index into Call::branches
    CallId call = 0;
    TransactionId server = 0;  // kRelay: the server transaction to answer
    TimerId forget = kNoTimer;
    bool carries_offer = false;   // kRelay: the relayed INVITE/UPDATE had an SDP offer
    std::string released_tag;     // To tag of a 2xx we ACKed and BYEd (an answer we did not take)
    bool challenged = false;      // kBranch to an external target: we answered its 401/407 once
    TimerId no_reply = kNoTimer;  // kBranch to an external target: external_reply_timeout
    CallId replaced_call = 0;     // kAttended: the consultation call whose leg is re-INVITEd
  };

  struct CalleePlan {
    store::TenantId tenant = 0;  // whose extensions the plan rings
    CallPlan plan;
  };

  // --- new calls and forking (b2bua.cpp) ---
  void on_invite(ServerTransaction& transaction, const protocol::sip::Message& invite);
  void reject(ServerTransaction& transaction, int status, std::string_view reason = {},
              protocol::sip::ExtraHeaders extra = {});
  void start_call(ServerTransaction& transaction, const protocol::sip::Message& invite,
                  const CallTenant& tenant, std::string caller, std::string callee,
                  CalleePlan plan);
  // Rings the devices of call.stage, or the first later stage that has any; ends the call
  // unanswered when none is left.
  void ring_stage(Call& call, const protocol::sip::Message& invite);
  // The current stage timed out or every device in it refused: on to the next.
  void next_stage(Call& call, store::Disposition disposition);
  // Every device of the current stage refused busy by itself: the plan the stage's when_busy
  // gives replaces the rest of the call's plan and the call moves on at once. False (nothing
  // changed) when the stage has no when_busy or it gives nothing (b2bua_busy.cpp, 0052).
  bool forward_when_busy(Call& call);
  void end_unanswered(Call& call, store::Disposition disposition);

  // --- external targets: provider trunks (b2bua_external.cpp, issue 11) ---
  // Sends the INVITEs to the external targets of call.stage, recording their branch targets
  // after those of the stage's extensions.
  void ring_externals(Call& call, const protocol::sip::Message& invite);
  bool send_external_branch(Call& call, const protocol::sip::Message& invite,
                            const ExternalTarget& target);
  // The external target a branch rings, or null for a device of an extension.
  static const ExternalTarget* external_target(const Call& call, std::uint16_t branch);
  // A 401/407 to an external branch: resend the INVITE once with credentials (RFC 3261 §22.2).
  // False when it cannot (not external, already challenged, no usable challenge).
  bool retry_with_credentials(Call& call, ClientTransaction& transaction, ClientContext& context,
                              const protocol::sip::Message& response);
  void on_external_no_reply(TransactionId transaction, TimerId timer);

  // --- calls Parley answers itself (b2bua_local.cpp) ---
  // `keep_alive` (CallPlan::keep_alive, e.g. an inbound trunk channel) lives as long as the
  // call.
  void start_local_call(ServerTransaction& transaction, const protocol::sip::Message& invite,
                        const CallTenant& tenant, std::string caller, std::string callee,
                        std::string_view application, std::shared_ptr<void> keep_alive);
  void on_local_request(Call& call, ServerTransaction& transaction,
                        const protocol::sip::Message& request);
  // Nobody answered a ringing call whose plan names an exhausted_application: Parley answers
  // the caller itself (voicemail after no answer).
  void answer_with_application(Call& call, store::Disposition unanswered);
  // The 200 for the caller's INVITE (or re-INVITE) carrying our SDP answer.
  void send_local_answer(Call& call, ServerTransaction& transaction, std::string_view sdp);
  void request_local_hang_up(CallId id);
  // --- an application passes its caller on (b2bua_redirect.cpp, decision 0022) ---
  void request_local_redirect(CallId id, std::string target);
  void start_redirect(Call& call);
  void redirect_to_application(Call& call, std::string_view application);
  void fail_redirect(Call& call, int status);
  // A redirect to a number follows that number's plan (decision 0058): rings one stage's
  // devices (false when none is registered), and, when a stage ends unanswered, moves on to the
  // busy hook, the next stage or the plan's application (false when nothing is left).
  bool ring_redirect_stage(Call& call, const RingStage& stage);
  bool next_redirect_stage(Call& call, int status);
  // The caller's media moves from the application to `sdp` (our offer in a re-INVITE).
  void reinvite_caller(Call& call, std::string_view sdp) { reinvite_leg(call, Side::kCaller, sdp); }
  // Our offer `sdp` to `side` in a re-INVITE; a refusal ends the call (its RTP goes nowhere).
  void reinvite_leg(Call& call, Side side, std::string_view sdp);
  void on_own_invite_response(ClientContext& context, const protocol::sip::Message& response);
  // Hands a new LocalSession its redirect callback.
  void attach_redirect(Call& call);
  bool send_branch(Call& call, const protocol::sip::Message& invite, std::string_view body,
                   const Peer& peer, const store::Binding& binding);
  // What differs between the INVITEs Parley sends a device of a callee: a new call's branches
  // and a transfer target's branches. The header lines are complete ("Name: value\r\n").
  struct OutgoingInvite {
    std::string_view from_display;  // may be empty
    std::string_view from_uri;
    std::string_view to;  // the To header's value
    int max_forwards = 70;
    std::string_view contact_user;
    std::string_view extra_lines;
    std::string_view content_type;  // empty: no body
    std::string_view body;
  };
  // A new INVITE (our tag, Call-ID and branch) to `binding` through `peer`.
  Result<TransactionId> send_invite(const OutgoingInvite& invite, const Peer& peer,
                                    const store::Binding& binding);
  void on_branch_response(ClientTransaction& transaction, ClientContext& context,
                          const protocol::sip::Message& response);
  void on_branch_failure(Call& call, std::uint16_t branch, int status, std::string_view reason);
  // Remembers a failure for the caller's final answer when it ranks best so far (§16.7).
  void note_failure(Call& call, int status, std::string_view reason);
  void on_branch_answer(Call& call, ClientTransaction& transaction, ClientContext& context,
                        const protocol::sip::Message& response);
  void relay_provisional(Call& call, const protocol::sip::Message& response);
  void finish_ringing(Call& call, int status, std::string_view reason,
                      store::Disposition disposition, store::HangupSide side);
  void cancel_branch(TransactionId branch, bool completed_elsewhere);
  void forget_ringing(Call& call);
  void send_cancel(ClientTransaction& invite, bool completed_elsewhere);
  void release_2xx(ClientContext& context, const protocol::sip::Message& invite,
                   const protocol::sip::Message& response, const Peer& to);
  void keep_for_retransmissions(TransactionId transaction, ClientContext& context);

  // --- dialogs (b2bua_dialog.cpp) ---
  void on_in_dialog(ServerTransaction& transaction, const protocol::sip::Message& request);
  bool on_dialog_ack(const protocol::sip::Message& ack);
  bool on_dialog_2xx(const protocol::sip::Message& response);
  void relay_request(Call& call, Side from, ServerTransaction& transaction,
                     const protocol::sip::Message& request);
  void on_relay_response(ClientTransaction& transaction, ClientContext& context,
                         const protocol::sip::Message& response);
  void on_relay_failure(ClientContext& context, int status);
  void resend_ack(Call& call, Side side, const protocol::sip::Message& response);
  void send_ack(Call& call, Side side, std::string_view content_type, std::string_view body);
  void answer_2xx(Call& call, Side side, ServerTransaction& transaction, std::string wire,
                  int status);
  Result<TransactionId> send_in_dialog(Call& call, Side side, std::string_view method,
                                       const ClientContext& context,
                                       std::string_view extra_lines = {},
                                       std::string_view content_type = {},
                                       std::string_view body = {}, int max_forwards = 70);
  void hang_up(Call& call, store::HangupSide side, bool bye_caller, bool bye_callee);

  // --- blind transfer, RFC 3515 REFER (b2bua_transfer.cpp, decision 0014) ---
  void on_refer(Call& call, Side from, ServerTransaction& transaction,
                const protocol::sip::Message& refer);
  // What a REFER's Refer-To names once the checks every transfer shares passed (400 for a bad
  // Refer-To, 501 for an unanchored relayed call, 404 an unknown domain, 403 another tenant);
  // std::nullopt after the REFER was refused.
  struct ReferTarget {
    std::string number;   // the Refer-To user, unescaped
    std::string own_uri;  // the transferor's own URI in its dialog (the transferee's From)
    CallTenant tenant;
    std::optional<std::string> replaces;  // unescaped, for an attended transfer
  };
  std::optional<ReferTarget> read_refer_target(Call& call, Side from,
                                               ServerTransaction& transaction,
                                               const protocol::sip::Message& refer);
  // A REFER from the caller of a call an application answered (a retrieved parked call):
  // the application passes its other party on (LocalSession::transfer; decision 0041).
  void on_local_refer(Call& call, ServerTransaction& transaction,
                      const protocol::sip::Message& refer);
  // 202 Accepted to a REFER from `transferor`'s UA; our Contact names `contact_user`.
  void accept_refer(ServerTransaction& transaction, const Leg& transferor,
                    std::string_view contact_user);
  // A REFER from `from` that is carried out at once (park, a retrieved call passed on): 202,
  // NOTIFY 100 and the final NOTIFY `200 <outcome>` ("OK" when empty).
  void complete_refer_at_once(Call& call, Side from, ServerTransaction& transaction,
                              const protocol::sip::Message& refer, std::string_view contact_user,
                              std::string_view outcome);
  // The offer for a new party in `from`'s place (CallMedia::transfer_offer); std::nullopt
  // after refusing the REFER with its error.
  std::optional<std::string> transfer_offer_for(Call& call, Side from,
                                                ServerTransaction& transaction);
  // ACK of a 2xx still owed on `side`'s leg, then BYE.
  void bye_leg(Call& call, Side side);
  // `side`'s party leaves an answered call that goes on without it (a transfer or a Replaces
  // took its place): its part gets its record (answered, hung up by it), BLF hears it end, its
  // leg's timers and dialog are dropped, and the leg is empty.
  void retire_leg(Call& call, Side side);
  bool send_transfer_branch(Call& call, std::string_view body, const Peer& peer,
                            const store::Binding& binding);
  void on_transfer_response(ClientTransaction& transaction, ClientContext& context,
                            const protocol::sip::Message& response);
  void on_transfer_answer(Call& call, ClientTransaction& transaction, ClientContext& context,
                          const protocol::sip::Message& response);
  void on_transfer_branch_failure(Call& call, std::uint16_t branch, int status,
                                  std::string_view reason);
  void fail_transfer(Call& call, int status, std::string_view reason);
  void notify_transferor(Call& call, int status, std::string_view reason, bool final);
  // The transferor hung up while its transfer rings: the call goes on with its leg gone.
  void drop_transferor(Call& call);
  void cancel_transfer_branches(Call& call, bool completed_elsewhere);

  // --- blind transfer to an application, e.g. call park (b2bua_park.cpp, decision 0030) ---
  // The transferee is answered by `application` instead of ringing an extension: the
  // transferor's leg and the relay end, and the call goes on as one Parley answers itself.
  void transfer_to_application(Call& call, Side from, ServerTransaction& transaction,
                               const protocol::sip::Message& refer, std::string_view application,
                               std::string_view target);

  // --- attended transfer, REFER with Replaces (b2bua_attended.cpp, decision 0024) ---
  // `replaces` is the unescaped Replaces value of the Refer-To URI; the REFER passed every
  // check of a blind transfer that does not concern the target's devices.
  void on_attended_refer(Call& call, Side from, ServerTransaction& transaction,
                         const protocol::sip::Message& refer, std::string_view replaces);
  void on_attended_response(ClientTransaction& transaction, ClientContext& context,
                            const protocol::sip::Message& response);
  void on_attended_failure(const ClientContext& context, int status, std::string_view reason);
  // The target answered the re-INVITE: it takes the transferor's place in `call`, and both of
  // the transferor's legs end. `transferee_sdp`: the relay's side for the transferee, offered
  // to it when the transferor had held it (decision 0057).
  void join_attended(Call& call, Call& consultation, std::string_view transferee_sdp);
  // An INVITE carrying Replaces (RFC 3891 §3) that arrived at us from `caller`: refused when it
  // names no dialog we can let it replace, else carried out (replace_dialog). True when a
  // response was sent.
  bool refuse_replacing_invite(ServerTransaction& transaction, const protocol::sip::Message& invite,
                               store::TenantId caller_tenant, std::string_view caller);

  // --- call pickup and INVITE with Replaces (b2bua_pickup.cpp, b2bua_replaces.cpp; 0031) ---
  // `picker` dialled a pickup code: it answers the call that has rung longest at one of
  // `ringing_at` in its tenant, or gets 480.
  void start_pickup(ServerTransaction& transaction, const protocol::sip::Message& invite,
                    store::TenantId tenant, std::string picker,
                    const std::vector<std::string>& ringing_at);
  Call* longest_ringing(store::TenantId tenant, std::string_view picker,
                        const std::vector<std::string>& ringing_at);
  // The INVITE with Replaces of `newcomer` takes over `side`'s confirmed leg of `call`.
  void replace_dialog(ServerTransaction& transaction, const protocol::sip::Message& invite,
                      Call& call, Side side, std::string newcomer);
  // The 200 with `sdp` for a newcomer's INVITE, whose dialog is `side`'s leg of `call` now.
  void answer_newcomer(Call& call, Side side, ServerTransaction& transaction, std::string_view sdp);

  // --- media (b2bua_media.cpp) ---
  // The body to send on for an SDP body `body` of `message` from `from`: unchanged without a
  // CallMedia or when it is not application/sdp, else what the CallMedia makes of it.
  Result<std::string> media_body(Call& call, Side from, const protocol::sip::Message& message,
                                 bool is_offer);
  void arm_media_timer(Call& call, Duration delay);
  void check_media(Call& call);

  // --- call state for BLF (b2bua_call_state.cpp) ---
  void report_call_state(const Call& call, CallPhase phase);

  // --- shared (b2bua.cpp) ---
  Call* find_call(CallId id);
  DialogRef* find_dialog(std::string_view call_id, std::string_view local_tag);
  static Leg& leg(Call& call, Side side);
  std::string host_port(const Peer& peer) const;
  std::string contact_for(const Peer& peer, std::string_view user) const;
  void add_dialog(Call& call, Side side);
  void write_record(const Call& call, store::Disposition disposition, store::HangupSide side);
  void destroy(Call& call);
  // Cancels both legs' timers and forgets their dialogs (the call itself stays).
  void release_legs(Call& call);
  TimerId schedule(std::uint64_t id, TimerKind kind, Duration delay);
  void cancel_timer(TimerId& timer);
  void fire(std::uint64_t id, TimerKind kind, TimerId timer);
  store::UnixMillis now_ms() const;
  void forward_unclaimed(ServerTransaction& transaction, const protocol::sip::Message& request);

  B2buaOptions options_;
  TimerQueue timers_;
  std::unordered_map<CallId, std::unique_ptr<Call>> calls_;
  // "Call-ID \n local tag" of each leg's dialog.
  std::unordered_map<std::string, DialogRef> dialogs_;
  std::unordered_map<TransactionId, ClientContext> clients_;
  // A's INVITE server transaction of each ringing call.
  std::unordered_map<TransactionId, CallId> invites_;
  std::string key_scratch_;  // reused so that a dialog lookup allocates nothing
  CallId next_call_ = 1;
  Stats stats_;
};

}  // namespace parley::sip
