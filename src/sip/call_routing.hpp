#pragma once
// The narrow interfaces the B2BUA (b2bua.hpp) needs from the rest of the server: who the
// tenants and extensions are, how callers authenticate, where call detail records go. The app
// implements them over the Directory, the DigestAuthenticator and the store; unit tests
// implement them in a few lines.
//
// Thread-safety: the B2BUA calls these on its worker loop only, and every call must return
// without blocking (answer from memory). One instance may serve several workers if the
// implementation is thread-safe.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.hpp"
#include "protocol/sip/message.hpp"
#include "sip/transport.hpp"
#include "store/store.hpp"

namespace parley::sip {

// A tenant as the call logic sees it. `domain` is also the digest realm of its users.
struct CallTenant {
  store::TenantId id = 0;
  std::string domain;
};

enum class CallAuthOutcome : std::uint8_t {
  kOk,         // `username` is authenticated
  kChallenge,  // answer 407 with `challenges` as Proxy-Authenticate values
  kForbidden,  // answer 403: banned, throttled, or otherwise refused without a challenge
};

struct CallAuth {
  CallAuthOutcome outcome = CallAuthOutcome::kChallenge;
  std::string username;                 // kOk only; for a trusted peer, its name (a trunk's)
  std::vector<std::string> challenges;  // kChallenge only; one value per offered algorithm
  // kOk from CallRouting::authenticate_peer only: the caller is a peer trusted by its address
  // (a provider trunk, issue 11), not a user. The call belongs to this tenant, the From user is
  // only the caller's number as text, and the callee comes from plan_peer_call.
  std::optional<CallTenant> trusted_peer{};
};

// Digest credentials Parley answers a provider's 401/407 with (sip/digest_client.hpp).
struct DigestCredentials {
  std::string username;
  std::string password;
  std::string realm;  // empty = answer whatever realm the provider names
};

// A destination outside Parley, reached through a provider trunk (issue 11): the INVITE goes to
// `peer` with this Request-URI and caller-ID. A 401 or 407 to it is answered once with
// `credentials` (a second challenge is a failure); a target that sends no response at all
// within B2buaOptions::external_reply_timeout is given up (408), so that the next stage (the
// next trunk) is tried without waiting for Timer B.
struct ExternalTarget {
  Peer peer;                 // the provider's resolved address and our socket towards it
  std::string request_uri;   // e.g. "sip:442071234567@provider.example"; also the To URI
  std::string from_uri;      // our caller-ID, e.g. "sip:+441234567890@provider.example"
  std::string from_display;  // may be empty
  DigestCredentials credentials;
  std::string label;  // for logs, e.g. "trunk main@example.com"
  // Header lines ("Name: value\r\n") this branch's INVITE carries besides the usual ones, e.g.
  // Diversion (RFC 5806) and P-Asserted-Identity on a forwarded call; trusted as written.
  std::string extra_lines{};
  // The trunk lets a forwarded outside caller's own number go out in From (the planner's
  // business, decision 0047); the B2BUA ignores it.
  bool caller_id_passthrough = false;
  // Non-empty: asked just before this target rings, on the call's worker, for a channel of a
  // trunk with a call limit (decision 0026). nullptr = the trunk is at capacity: the target is
  // skipped as a 503 failure ("Trunk At Capacity") and the next stage rings. What it returns is
  // held while the branch rings and, once it answers, for the rest of the call; it is dropped
  // when the branch fails or is cancelled.
  std::function<std::shared_ptr<void>()> claim{};
};

struct CallPlan;

// One step of ringing: every device of these extensions and every external target rings at
// once, for `timeout` at most.
struct RingStage {
  std::vector<std::string> extensions;
  Duration timeout{};  // zero = B2buaOptions::no_answer_timeout
  std::vector<ExternalTarget> externals{};
  // Set by the planner where the stage's extension has a busy forward (decision 0052): asked,
  // on the call's worker and without blocking, when every device of the stage that answered
  // refused busy by itself (486 Busy Here, 600 Busy Everywhere, 603 Decline) and none still
  // rings. What it returns replaces the rest of the plan (the later stages and the final
  // action) at once; std::nullopt = the plan goes on as made. Empty = never asked.
  std::function<std::optional<CallPlan>()> when_busy{};
};

// What a dialled number means for one call: a refusal, or the stages to ring in order. The
// B2BUA moves to the next stage when the current one times out or every device in it refused
// (a 6xx ends the search at once; refusals that all say busy ask RingStage::when_busy first),
// skipping stages with no registered device; whoever answers first takes the call. Forwarding,
// do-not-disturb and ring groups become plans in pbx/.
struct CallPlan {
  int reject_status = 0;  // non-zero: answer the caller with this status and ring nobody
  std::string reject_reason;
  std::vector<RingStage> stages;
  // Non-empty: Parley answers the call itself with this application (LocalSessionFactory in
  // call_media.hpp), e.g. "conference:3001"; `stages` is then ignored.
  std::string application;
  // Non-empty: when the last stage ends unanswered (or no stage has a registered device), Parley
  // answers the call itself with this application instead, e.g. "voicemail:1002".
  std::string exhausted_application;
  // The status the caller gets when the last stage ends unanswered; 0 = from the devices'
  // answers (486 when one was busy), 480 when none answered at all.
  int exhausted_status = 0;
  // Opaque state that must live exactly as long as the call (e.g. the toll-fraud meter's lease
  // of an external call, pbx/external_call_meter.hpp): the B2BUA keeps it in the call and drops
  // it when the call ends (answered or not), on the call's worker loop. Dropped at once when
  // the plan is a refusal or the call never starts.
  std::shared_ptr<void> keep_alive{};
  // Call pickup (*8, **EXT; decision 0031): nobody is rung; the caller answers the call that has
  // rung longest at one of `pickup_from` (extensions of the caller's tenant) on this worker,
  // and 480 when none rings. `stages` is then ignored.
  bool pickup = false;
  std::vector<std::string> pickup_from{};
};

class CallRouting {
 public:
  virtual ~CallRouting() = default;

  // The tenant a host names (the From host of a caller, the Request-URI host of a callee), or
  // nullopt when no tenant is served under it. Whether unknown hosts map to a default tenant is
  // the implementation's choice. The B2BUA never asks for IP literals in the Request-URI: a
  // phone dialling the server's address reaches its own tenant.
  virtual std::optional<CallTenant> resolve_tenant(std::string_view host) = 0;

  // Digest authentication of an INVITE (Proxy-Authorization, realm = tenant.domain), e.g.
  // DigestAuthenticator::verify(invite, tenant.domain, /*proxy=*/true) plus the AuthThrottle.
  virtual CallAuth authenticate(const protocol::sip::Message& invite, const CallTenant& tenant) = 0;

  // Asked first about every new INVITE: whether it comes from a peer trusted by its source
  // address (a provider trunk with IP-authenticated peering, issue 11). nullopt = an ordinary
  // caller (resolve_tenant, authenticate). Otherwise kOk with `trusted_peer` set (never
  // challenged), or kForbidden (403: the source claims to be a trunk but is not). The default
  // trusts nobody.
  virtual std::optional<CallAuth> authenticate_peer(const protocol::sip::Message& invite);

  // What a call from a trusted peer to `called` (the Request-URI user, e.g. a DID) rings.
  // `caller` is the From user as text. The default refuses with 404.
  virtual CallPlan plan_peer_call(const CallTenant& tenant, const CallAuth& auth,
                                  std::string_view caller, std::string_view called);

  // Whether `number` is an extension of `tenant` (registered or not).
  virtual bool extension_exists(const CallTenant& tenant, std::string_view number) = 0;

  // What `caller` dialling `dialled` in `tenant` rings. The default rings the extension of that
  // number and refuses anything else with 404.
  virtual CallPlan plan_call(const CallTenant& tenant, std::string_view caller,
                             std::string_view dialled);

  // A blind transfer's target that is no extension but an application Parley answers (call
  // park: "park:..."; decision 0030): the application, or nullopt (the REFER gets 404).
  // `transferor` is the extension that sent the REFER. The default knows none.
  virtual std::optional<std::string> transfer_application(const CallTenant& tenant,
                                                          std::string_view transferor,
                                                          std::string_view target) {
    (void)tenant;
    (void)transferor;
    (void)target;
    return std::nullopt;
  }

  // Where requests to a registered device go. The default sends over binding.received's
  // transport to binding.received from binding.local_socket, with connection_id 0; the app
  // overrides it when it can name the live stream connection (RFC 5626 flow) of the binding.
  // nullopt skips the binding.
  virtual std::optional<Peer> binding_peer(const store::Binding& binding);
};

// Receives one record per finished call. Called on the worker loop: the production
// implementation queues the record for the store's writer thread and returns at once.
class CallRecordSink {
 public:
  virtual ~CallRecordSink() = default;
  virtual void record(const store::CallRecord& record) = 0;
};

// "UDP", "tcp" ... to a TransportKind (case-insensitive); nullopt for anything else.
std::optional<TransportKind> transport_from_text(std::string_view text);

}  // namespace parley::sip
