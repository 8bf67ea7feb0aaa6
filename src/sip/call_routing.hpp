#pragma once
// The narrow interfaces the B2BUA (b2bua.hpp) needs from the rest of the server: who the
// tenants and extensions are, how callers authenticate, where call detail records go. The app
// implements them over the Directory, the DigestAuthenticator and the store; unit tests
// implement them in a few lines.
//
// Thread-safety: the B2BUA calls these on its worker loop only, and every call must return
// without blocking (answer from memory). One instance may serve several workers if the
// implementation is thread-safe.

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
  std::string username;                 // kOk only
  std::vector<std::string> challenges;  // kChallenge only; one value per offered algorithm
};

// One step of ringing: every device of these extensions rings at once, for `timeout` at most.
struct RingStage {
  std::vector<std::string> extensions;
  Duration timeout{};  // zero = B2buaOptions::no_answer_timeout
};

// What a dialled number means for one call: a refusal, or the stages to ring in order. The
// B2BUA moves to the next stage when the current one times out or every device in it refused
// (a 6xx ends the search at once), skipping stages with no registered device; whoever answers
// first takes the call. Forwarding, do-not-disturb and ring groups become plans in pbx/.
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

  // Whether `number` is an extension of `tenant` (registered or not).
  virtual bool extension_exists(const CallTenant& tenant, std::string_view number) = 0;

  // What `caller` dialling `dialled` in `tenant` rings. The default rings the extension of that
  // number and refuses anything else with 404.
  virtual CallPlan plan_call(const CallTenant& tenant, std::string_view caller,
                             std::string_view dialled);

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
