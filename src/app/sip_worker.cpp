#include "app/sip_worker.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "app/applications.hpp"
#include "app/conference_directory.hpp"
#include "app/feature_code_application.hpp"
#include "app/forward_external.hpp"
#include "app/park_presence.hpp"
#include "app/park_service.hpp"
#include "app/sip_message_relay.hpp"
#include "app/trunk_service.hpp"
#include "net/worker_pool.hpp"
#include "pbx/pickup_groups.hpp"
#include "protocol/sip/response.hpp"
#include "sip/call_affinity.hpp"

namespace parley::app {
namespace {

constexpr Duration kTimerTick = std::chrono::milliseconds(5);
// The throttle's realm for sources that pretend to be a provider trunk.
constexpr std::string_view kTrunkRealm = "trunk";

}  // namespace

using protocol::sip::Message;
using protocol::sip::Method;

// The B2BUA's view of tenants, extensions and authentication, answered from the shared
// Directory, DigestAuthenticator and AuthThrottle. Per worker, because it remembers the source
// address of the INVITE being handled (for throttling), which the B2BUA's interface does not pass.
class SipWorker::Routing final : public sip::CallRouting {
 public:
  // `trunks` may be null (no calls through provider trunks), `park` too (no call park).
  Routing(PbxCore& core, TrunkCalls* trunks, ParkService* park)
      : core_(core), trunks_(trunks), park_(park) {}

  void set_source(const sip::Peer& peer) {
    source_ip_ = peer.remote.ip();
    source_ = peer;
  }

  std::optional<sip::CallTenant> resolve_tenant(std::string_view host) override {
    const auto snapshot = core_.directory().snapshot();
    const sip::TenantInfo* tenant = snapshot->tenant_for_host(host);
    if (tenant == nullptr) return std::nullopt;
    return sip::CallTenant{tenant->id, tenant->domain};
  }

  sip::CallAuth authenticate(const Message& invite, const sip::CallTenant& tenant) override {
    sip::DigestAuthenticator& authenticator = core_.authenticator();
    sip::AuthThrottle& throttle = core_.throttle();
    const sip::AuthResult result = authenticator.verify(invite, tenant.domain, /*proxy=*/true);
    if (throttle.is_banned(source_ip_, tenant.domain, result.username)) {
      return sip::CallAuth{sip::CallAuthOutcome::kForbidden, {}, {}, {}};
    }
    switch (result.outcome) {
      case sip::AuthOutcome::kOk:
        throttle.record_success(source_ip_, tenant.domain, result.username);
        return sip::CallAuth{sip::CallAuthOutcome::kOk, result.username, {}, {}};
      case sip::AuthOutcome::kNoCredentials:
        return challenge(tenant, false);
      case sip::AuthOutcome::kStale:
        return challenge(tenant, true);
      default:
        throttle.record_failure(source_ip_, tenant.domain, result.username);
        return challenge(tenant, false);
    }
  }

  bool extension_exists(const sip::CallTenant& tenant, std::string_view number) override {
    return core_.directory().snapshot()->extension(tenant.id, number) != nullptr;
  }

  std::optional<sip::CallPlan> pickup_plan(const sip::CallTenant& tenant, std::string_view caller,
                                           std::string_view dialled) {
    auto request = pbx::pickup_request(
        *core_.pickup_groups().current(), tenant.id, caller, dialled,
        [&](std::string_view number) { return extension_exists(tenant, number); });
    if (!request) return std::nullopt;
    if (!extension_exists(tenant, caller)) {
      return sip::CallPlan{.reject_status = 403,
                           .reject_reason = "Feature Codes Are For Extensions"};
    }
    if (request->refusal != 0) {
      return sip::CallPlan{.reject_status = request->refusal,
                           .reject_reason = std::move(request->reason)};
    }
    return sip::CallPlan{.pickup = true, .pickup_from = std::move(request->ringing_at)};
  }

  // Applications (feature codes such as the *43 echo test, rooms) first, then the tenant's dial
  // plan: forwarding, do-not-disturb, ring groups (decision 0018).
  sip::CallPlan plan_call(const sip::CallTenant& tenant, std::string_view caller,
                          std::string_view dialled) override {
    // A waiting queue caller being put through to its agents (decision 0023).
    if (auto offer = core_.queues().offer_plan(tenant.id, caller, dialled)) return *offer;
    if (auto application = application_for_dialled(dialled)) {
      return sip::CallPlan{.application = std::move(*application)};
    }
    // Call pickup (*8, **EXT; decision 0031): the B2BUA answers a ringing call instead.
    if (auto pickup = pickup_plan(tenant, caller, dialled)) return *pickup;
    // Do-not-disturb and forwarding codes act on the caller's own extension (decision 0028).
    if (auto feature = feature_code_plan(dialled)) {
      if (!feature->application.empty() && !extension_exists(tenant, caller)) {
        return sip::CallPlan{.reject_status = 403,
                             .reject_reason = "Feature Codes Are For Extensions"};
      }
      return *feature;
    }
    if (core_.queues().exists(tenant.id, dialled)) {
      return sip::CallPlan{.application = queue_application(dialled)};
    }
    if (core_.conference_rooms().find(tenant.id, dialled)) {
      return sip::CallPlan{.application = conference_application(tenant.id, dialled)};
    }
    if (auto menu = core_.ivr().application_for_number(tenant.id, dialled)) {
      return sip::CallPlan{.application = std::move(*menu)};
    }
    if (park_ != nullptr && !extension_exists(tenant, dialled)) {
      if (auto retrieve = park_->plan_dialled(dialled)) return *retrieve;
    }
    const LiveCallState live(core_.location(), core_.presence());
    const auto snapshot = core_.dial_plan().current();
    const pbx::CallPlan local = pbx::plan_call(*snapshot, tenant.id, caller, dialled, live);
    if (local.final.kind == pbx::FinalKind::kNotLocal && local.stages.empty() &&
        trunks_ != nullptr) {
      // Through a trunk (issue 11). A toll-fraud refusal counts toward the brute-force ban
      // like a wrong password: repeated blocked attempts are what a hijacked phone looks like.
      sip::CallPlan outbound = trunks_->plan_outbound(tenant, caller, dialled);
      if (outbound.reject_status == 403) {
        core_.throttle().record_failure(source_ip_, tenant.domain, caller);
      }
      return outbound;
    }
    return executable(tenant, local, ForwardedCaller{caller, false}, *snapshot);
  }

  // Call park by blind transfer (decision 0030); the B2BUA asks only for non-extensions.
  std::optional<std::string> transfer_application(const sip::CallTenant& /*tenant*/,
                                                  std::string_view transferor,
                                                  std::string_view target) override {
    if (park_ == nullptr) return std::nullopt;
    return park_->transfer_application(transferor, target);
  }

  // Provider trunks are trusted by their address (TrunkCalls, issue 11).
  std::optional<sip::CallAuth> authenticate_peer(const Message& invite) override {
    if (trunks_ == nullptr) return std::nullopt;
    auto auth = trunks_->authenticate_peer(source_, invite);
    if (auth && auth->outcome == sip::CallAuthOutcome::kForbidden) {
      // An address pretending to be a trunk: counted like a failed registration, so that a
      // scanner hammering the trunk side is banned from everything (decision 0026).
      core_.throttle().record_failure(source_ip_, kTrunkRealm, {});
    }
    return auth;
  }

  // A trusted peer's call takes one of its trunk's channels for its whole life (max_calls,
  // decision 0026); a trunk at its limit gets 486, so the outside caller hears busy.
  sip::CallPlan plan_peer_call(const sip::CallTenant& tenant, const sip::CallAuth& auth,
                               std::string_view caller, std::string_view called) override {
    sip::CallPlan plan = plan_did_call(tenant, auth, caller, called);
    if (trunks_ == nullptr || plan.reject_status != 0) return plan;
    auto channel = trunks_->claim_inbound(tenant.id, auth.username);
    if (!channel) {
      spdlog::warn("inbound call on trunk {}@{} from {} to {} refused (486): {}", auth.username,
                   tenant.domain, caller, called, channel.error().message);
      return sip::CallPlan{.reject_status = 486, .reject_reason = "Trunk At Capacity"};
    }
    if (*channel == nullptr) return plan;
    if (plan.keep_alive == nullptr) {
      plan.keep_alive = std::move(*channel);
    } else {
      using Both = std::pair<std::shared_ptr<void>, std::shared_ptr<void>>;
      plan.keep_alive = std::make_shared<Both>(std::move(plan.keep_alive), std::move(*channel));
    }
    return plan;
  }

  // A call from a trunk to one of the tenant's DIDs rings what the DID names, through the
  // tenant's dial plan; never out through a trunk again (no loops).
  sip::CallPlan plan_did_call(const sip::CallTenant& tenant, const sip::CallAuth& auth,
                              std::string_view caller, std::string_view called) {
    if (trunks_ == nullptr) return CallRouting::plan_peer_call(tenant, auth, caller, called);
    auto did = trunks_->lookup_did(tenant.id, auth.username, called);
    if (!did) {
      spdlog::info("inbound call on trunk {}@{} from {} to {}: {}", auth.username, tenant.domain,
                   caller, called, did.error().message);
      return sip::CallPlan{.reject_status = 404, .reject_reason = "Unknown Number"};
    }
    switch (did->kind) {
      case store::DidDestinationKind::kExtension:
      case store::DidDestinationKind::kRingGroup: {
        const LiveCallState live(core_.location(), core_.presence());
        const auto snapshot = core_.dial_plan().current();
        const pbx::CallPlan local = pbx::plan_call(*snapshot, tenant.id, caller, did->target, live);
        if (local.final.kind == pbx::FinalKind::kNotLocal && local.stages.empty()) {
          return sip::CallPlan{.reject_status = 404, .reject_reason = "Unknown Number"};
        }
        spdlog::info("inbound call on trunk {}@{} from {} to {} -> {} {}", auth.username,
                     tenant.domain, caller, called, store::to_text(did->kind), did->target);
        return executable(tenant, local, ForwardedCaller{caller, true}, *snapshot);
      }
      case store::DidDestinationKind::kIvr:  // a menu or a schedule (decision 0022)
        spdlog::info("inbound call on trunk {}@{} from {} to {} -> ivr {}", auth.username,
                     tenant.domain, caller, called, did->target);
        return sip::CallPlan{.application = ivr_application(tenant.id, did->target)};
      case store::DidDestinationKind::kQueue:  // decision 0023
        if (!core_.queues().exists(tenant.id, did->target)) {
          return sip::CallPlan{.reject_status = 404, .reject_reason = "Unknown Number"};
        }
        spdlog::info("inbound call on trunk {}@{} from {} to {} -> queue {}", auth.username,
                     tenant.domain, caller, called, did->target);
        return sip::CallPlan{.application = queue_application(did->target)};
      case store::DidDestinationKind::kVoicemail: {  // straight to the box, nothing rings
        spdlog::info("inbound call on trunk {}@{} from {} to {} -> voicemail {}", auth.username,
                     tenant.domain, caller, called, did->target);
        pbx::CallPlan to_box;
        to_box.final = pbx::FinalAction{.kind = pbx::FinalKind::kVoicemail,
                                        .target = did->target,
                                        .reason = "DID " + std::string(called) + " to voicemail"};
        return core_.dial_plan().to_sip(to_box, tenant.id);  // 480 if the box cannot answer
      }
    }
    return sip::CallPlan{.reject_status = 480, .reject_reason = {}};
  }

  // A device registered over TCP is reached over the connection it registered on (RFC 5626
  // flow): it may sit behind NAT and accept no connection of ours.
  std::optional<sip::Peer> binding_peer(const store::Binding& binding) override {
    std::optional<sip::Peer> peer = CallRouting::binding_peer(binding);
    if (!peer || !sip::is_reliable(peer->transport)) return peer;
    for (const auto& contact :
         core_.location().lookup_contacts(binding.tenant_id, binding.extension)) {
      if (contact.binding.contact_uri == binding.contact_uri && contact.connection_id != 0) {
        peer->connection_id = contact.connection_id;
        return peer;
      }
    }
    return std::nullopt;  // the connection is gone; no way to reach the device yet
  }

 private:
  // pbx/'s plan in the B2BUA's terms: a forward to an outside number goes out through a trunk
  // with the forwarder's permissions (decision 0047), and each stage whose extension has a busy
  // forward carries the planning of it for when its phones refuse busy themselves (0052).
  // `snapshot` is the one `local` was planned from.
  sip::CallPlan executable(const sip::CallTenant& tenant, const pbx::CallPlan& local,
                           ForwardedCaller caller, const pbx::DialPlanSnapshot& snapshot) {
    sip::CallPlan plan = local.final.kind == pbx::FinalKind::kExternal && trunks_ != nullptr
                             ? forward_to_external(core_.dial_plan().to_sip(local, tenant.id),
                                                   local, *trunks_, tenant, caller)
                             : core_.dial_plan().to_sip(local, tenant.id);
    if (plan.reject_status != 0 || !plan.application.empty()) return plan;
    // to_sip() keeps pbx/'s stages first and in order; a trunk's stages follow them.
    for (std::size_t index = 0; index < local.stages.size() && index < plan.stages.size();
         ++index) {
      const pbx::RingStage& stage = local.stages[index];
      if (!pbx::forwards_when_busy(snapshot, tenant.id, caller.number, stage)) continue;
      plan.stages[index].when_busy = [this, tenant, stage, number = std::string(caller.number),
                                      outside = caller.outside] {
        return plan_when_busy(tenant, stage, ForwardedCaller{number, outside});
      };
    }
    return plan;
  }

  // The rest of a call whose `stage` was refused busy by every phone of its extension.
  std::optional<sip::CallPlan> plan_when_busy(const sip::CallTenant& tenant,
                                              const pbx::RingStage& stage, ForwardedCaller caller) {
    const LiveCallState live(core_.location(), core_.presence());
    const auto snapshot = core_.dial_plan().current();
    const auto rest = pbx::plan_when_busy(*snapshot, tenant.id, caller.number, stage, live);
    if (!rest) return std::nullopt;
    spdlog::info(
        "busy forward: tenant {} extension {} refused {}'s call busy on its phones: {}",
        tenant.domain, stage.reached, caller.number,
        rest->stages.empty() ? rest->final.reason : "rings " + rest->stages.front().reached);
    return executable(tenant, *rest, caller, *snapshot);
  }

  sip::CallAuth challenge(const sip::CallTenant& tenant, bool stale) {
    return sip::CallAuth{sip::CallAuthOutcome::kChallenge,
                         {},
                         core_.authenticator().challenge(tenant.domain, stale),
                         {}};
  }

  PbxCore& core_;
  TrunkCalls* trunks_ = nullptr;
  ParkService* park_ = nullptr;
  std::string source_ip_;
  sip::Peer source_;
};

namespace {

std::function<bool(std::string_view)> dialog_elsewhere(sip::CallPlacement* placement,
                                                       std::size_t worker) {
  if (placement == nullptr) return {};
  return
      [placement, worker](std::string_view call_id) { return placement->owner(call_id) != worker; };
}

sip::B2buaOptions b2bua_options(sip::TransactionLayer& layer, sip::Transport& transport,
                                const Clock& clock, sip::CallRouting& routing, PbxCore& core,
                                const SipWorkerOptions& options, std::size_t worker,
                                std::size_t workers, std::function<void()> wake,
                                sip::CallStateListener* call_states) {
  return sip::B2buaOptions{.layer = layer,
                           .transport = transport,
                           .clock = clock,
                           .routing = routing,
                           .location = core.location(),
                           .records = core.call_records(),
                           .fallback = nullptr,
                           .wall_clock = {},
                           .advertised_host = {},
                           .no_answer_timeout = options.no_answer_timeout,
                           .user_agent = options.advertisement.server,
                           .allow_inter_tenant_calls = options.allow_inter_tenant_calls,
                           .max_calls = 100000,
                           .media = options.media,
                           .media_timeout = options.media_timeout,
                           .make_call_id =
                               [&layer, worker, workers] {
                                 return sip::make_owned_call_id(worker, workers, [&layer] {
                                   return layer.make_tag() + layer.make_tag();
                                 });
                               },
                           .applications = options.applications,
                           .wake = std::move(wake),
                           .call_states = call_states,
                           .dialog_elsewhere = dialog_elsewhere(options.placement, worker)};
}

sip::SubscriptionServiceOptions subscription_options(sip::TransactionLayer& layer,
                                                     const Clock& clock, PbxCore& core,
                                                     const SipWorkerOptions& options,
                                                     std::size_t worker) {
  return sip::SubscriptionServiceOptions{
      .layer = layer,
      .clock = clock,
      .directory = core.directory(),
      .authenticator = core.authenticator(),
      .throttle = core.throttle(),
      .location = core.location(),
      .hub = core.presence(),
      .worker = worker,
      .min_expires = options.subscribe_min_expires,
      .max_expires = options.subscribe_max_expires,
      .default_expires = options.subscribe_default_expires,
      .coalesce_window = options.notify_coalesce_window,
      .retry_after_seconds = 60,
      .user_agent = options.advertisement.server,
      .advertised_host = {},
      .unix_clock = {},
      .watchable = park_slot_watchable(options.park ? &options.park->lot() : nullptr)};
}

sip::PublicationServiceOptions publication_options(sip::TransactionLayer& layer, const Clock& clock,
                                                   PbxCore& core, const SipWorkerOptions& options) {
  return sip::PublicationServiceOptions{.layer = layer,
                                        .clock = clock,
                                        .directory = core.directory(),
                                        .authenticator = core.authenticator(),
                                        .throttle = core.throttle(),
                                        .hub = core.presence(),
                                        .min_expires = options.subscribe_min_expires,
                                        .max_expires = options.subscribe_max_expires,
                                        .default_expires = options.subscribe_default_expires,
                                        .user_agent = options.advertisement.server};
}

}  // namespace

SipWorker::SipWorker(net::WorkerPool& pool, std::size_t worker, sip::Transport& transport,
                     const Clock& clock, PbxCore& core, const SipWorkerOptions& options)
    : core_(core),
      options_(options),
      transport_(transport),
      responder_(sip::CoreResponder::Options{transport, clock, options.advertisement}),
      routing_(std::make_unique<Routing>(
          core, options.trunks != nullptr ? &options.trunks->calls() : nullptr, options.park)),
      placement_reporter_(options.placement != nullptr
                              ? std::make_unique<sip::PlacementReporter>(*options.placement, worker,
                                                                         &core.live_calls())
                              : nullptr),
      layer_(sip::TransactionLayer::Options{clock, transport, *this, options.timers,
                                            options.max_transactions}),
      b2bua_(b2bua_options(
          layer_, transport, clock, *routing_, core, options, worker, pool.size(),
          [this] { rearm(); },
          placement_reporter_ != nullptr
              ? static_cast<sip::CallStateListener*>(placement_reporter_.get())
              : &core.live_calls())),
      subscriptions_(subscription_options(layer_, clock, core, options, worker)),
      publications_(publication_options(layer_, clock, core, options)),
      worker_(worker),
      timer_(pool, worker, [this] { on_timer(); }) {
  // Workers are destroyed only after the pool stopped running tasks, so a wake posted to this
  // worker never outlives it.
  core.presence().attach_worker(
      worker, [&pool, worker, this] { pool.post(worker, [this] { on_presence_changed(); }); });
  if (options.trunks != nullptr && options.trunks->worker() == worker) {
    trunk_clients_ = std::make_unique<sip::TrunkClients>(
        options.trunks->client_options(layer_, clock, [this, worker, workers = pool.size()] {
          return sip::make_owned_call_id(worker, workers,
                                         [this] { return layer_.make_tag() + layer_.make_tag(); });
        }));
    options.trunks->attach(TrunkWorkerHooks{.apply =
                                                [this](std::vector<sip::TrunkClientConfig> wanted) {
                                                  trunk_clients_->apply(std::move(wanted));
                                                  rearm();
                                                },
                                            .shutdown =
                                                [this] {
                                                  trunk_clients_->shutdown();
                                                  rearm();
                                                },
                                            .idle = [this] { return trunk_clients_->idle(); }});
  }
  if (options.messages != nullptr) {
    messages_ = std::make_unique<SipMessageRelay>(SipMessageRelay::Options{
        .layer = layer_,
        .routing = *routing_,
        .bridge = *options.messages,
        .worker = worker,
        .advertisement = options.advertisement,
        .advertised_host = {},
        .make_call_id =
            [this, worker, workers = pool.size()] {
              return sip::make_owned_call_id(
                  worker, workers, [this] { return layer_.make_tag() + layer_.make_tag(); });
            },
        .wake = [this] { rearm(); }});
  }
}

SipWorker::~SipWorker() {
  core_.presence().detach_worker(worker_);
}

void SipWorker::on_presence_changed() {
  subscriptions_.on_changes();
  rearm();
}

void SipWorker::on_inbound(Result<Message> parsed, std::string_view raw, const sip::Peer& from) {
  if (!parsed) {
    responder_.reject_unparsable(raw, parsed.error(), from);
    return;
  }
  const Message& message = *parsed;
  if (message.is_request() && message.method() == Method::kOptions && message.to_tag().empty()) {
    // Out-of-dialog OPTIONS (keep-alive pings, monitoring) is answered statelessly, as a proxy
    // would: a retransmission just gets the same answer again, and no transaction state is
    // held for the 32 s of Timer J.
    responder_.on_inbound(std::move(parsed), raw, from);
    return;
  }
  if (message.is_request() && message.method() == Method::kRegister) {
    // REGISTER is answered statelessly too (decision 0036): its 401 needs no state, and the
    // registrar recognises a retransmission of one it applied. Holding two transactions per
    // registration for Timer J's 32 s cost more than the registration itself.
    if (sip::check_request_headers(message)) {
      responder_.respond(message, from);  // 420 / 415 / 416 as for any request
    } else {
      core_.registrar().answer_statelessly(message, from, transport_);
    }
    return;
  }
  layer_.on_message(std::move(parsed.value()), from);
  rearm();
}

void SipWorker::on_flow_closed(const sip::Peer& flow) {
  const std::size_t removed = core_.location().remove_connection(flow.connection_id);
  if (removed != 0) {
    spdlog::debug("{} connection {} from {} closed: {} binding(s) removed", to_text(flow.transport),
                  flow.connection_id, flow.remote.to_string(), removed);
  }
}

void SipWorker::on_end_call(std::string_view caller_tag) {
  if (b2bua_.end_call(caller_tag)) {
    spdlog::info("call {} ended by an administrator", caller_tag);
    rearm();
  } else {
    spdlog::debug("call {} to end is gone already", caller_tag);
  }
}

void SipWorker::answer(sip::ServerTransaction& transaction, const Message& request,
                       sip::RequestVerdict verdict) {
  const int status = sip::status_code_of(verdict);
  if (status == 0) return;
  protocol::sip::ResponseOptions response;
  response.status_code = status;
  const std::string to_tag = layer_.make_tag();
  response.to_tag = to_tag;
  response.extra_headers = sip::extra_headers_for(verdict, request, options_.advertisement);
  if (auto sent = transaction.respond(response); !sent) {
    spdlog::debug("cannot answer {}: {}", request.method_text(), sent.error().message);
  }
}

void SipWorker::on_request(sip::ServerTransaction& transaction, const Message& request) {
  if (messages_ && messages_->handles(request)) {
    routing_->set_source(transaction.peer());
    messages_->on_request(transaction, request);
    return;
  }
  if (request.method() == Method::kPublish) {
    // Before the generic checks, which refuse any body but SDP: the publication service checks
    // its own (415 names application/pidf+xml); URI scheme and Require still count.
    const auto rejected = sip::check_request_headers(request);
    if (rejected && *rejected != sip::RequestVerdict::kUnsupportedMediaType) {
      answer(transaction, request, *rejected);
    } else {
      publications_.on_publish(transaction, request);
    }
    return;
  }
  if (auto rejected = sip::check_request_headers(request)) {
    answer(transaction, request, *rejected);
    return;
  }
  if (request.method() == Method::kSubscribe) {
    subscriptions_.on_subscribe(transaction, request);
    return;
  }
  if (sip::B2bua::claims(request)) {
    routing_->set_source(transaction.peer());
    b2bua_.on_request(transaction, request);
    return;
  }
  if (request.method() == Method::kRegister) {
    core_.registrar().handle(request, transaction, transaction.peer());
    return;
  }
  answer(transaction, request, sip::classify_request(request));
}

void SipWorker::on_cancel(sip::ServerTransaction& invite, const Message& cancel) {
  b2bua_.on_cancel(invite, cancel);
}
void SipWorker::on_ack(sip::ServerTransaction& invite, const Message& ack) {
  b2bua_.on_ack(invite, ack);
}
void SipWorker::on_stray_ack(const Message& ack, const sip::Peer& from) {
  b2bua_.on_stray_ack(ack, from);
}
void SipWorker::on_server_failure(sip::ServerTransaction& transaction, sip::ServerFailure failure) {
  b2bua_.on_server_failure(transaction, failure);
}
void SipWorker::on_response(sip::ClientTransaction& transaction, const Message& response) {
  if (trunk_clients_ && trunk_clients_->on_response(transaction, response)) return;
  if (messages_ && messages_->on_response(transaction, response)) return;
  if (subscriptions_.on_response(transaction, response)) return;
  b2bua_.on_response(transaction, response);
}
void SipWorker::on_client_failure(sip::ClientTransaction& transaction, sip::ClientFailure failure) {
  if (trunk_clients_ && trunk_clients_->on_client_failure(transaction, failure)) return;
  if (messages_ && messages_->on_client_failure(transaction, failure)) return;
  if (subscriptions_.on_client_failure(transaction, failure)) return;
  b2bua_.on_client_failure(transaction, failure);
}
void SipWorker::on_stray_response(const Message& response, const sip::Peer& from) {
  b2bua_.on_stray_response(response, from);
}

void SipWorker::end_all_calls() {
  b2bua_.end_all_calls();
  rearm();
}

void SipWorker::rearm() {
  const TimePoint deadline =
      std::min({layer_.next_deadline(), b2bua_.next_deadline(), subscriptions_.next_deadline(),
                publications_.next_deadline(),
                trunk_clients_ ? trunk_clients_->next_deadline() : TimePoint::max()});
  if (deadline == TimePoint::max()) {
    timer_.cancel();
    return;
  }
  // Wake at most once per tick: under load thousands of transactions end each second (Timer J),
  // and one wake-up per tick serves all that are due instead of one each. SIP timers are
  // hundreds of milliseconds or more, so a few milliseconds late changes nothing on the wire.
  const auto since_epoch = deadline.time_since_epoch();
  const auto ticks = (since_epoch + kTimerTick - Duration(1)) / kTimerTick;
  timer_.arm(TimePoint(ticks * kTimerTick));
}

void SipWorker::on_timer() {
  layer_.process_timers();
  b2bua_.process_timers();
  subscriptions_.process_timers();
  publications_.process_timers();
  if (trunk_clients_) trunk_clients_->process_timers();
  rearm();
}

}  // namespace parley::app
