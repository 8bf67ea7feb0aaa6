#pragma once
// SipWorker: the SIP stack of one worker loop, and the place where requests are routed.
//
// Every message a transport receives on the worker arrives in on_inbound(): parse failures are
// answered statelessly (400/413/505 ...), parsed messages go through the worker's
// TransactionLayer, which calls back here as its Listener. Routing of new requests:
//   1. the RFC 3261 §8.2.2 header checks (416, 420, 415, 406) for every request;
//   2. INVITEs and in-dialog requests go to the B2BUA (calls between extensions);
//   3. REGISTER goes to the shared Registrar; an out-of-dialog MESSAGE to the chat bridge's
//      relay (before the generic checks, which would refuse its text/plain body);
//      PUBLISH to the PublicationService (also before them: its body is PIDF; decision 0025);
//   4. everything else gets classify_request()'s answer (200 to OPTIONS, 405, 501 ...).
// Client transaction callbacks go to the trunk clients (REGISTER and OPTIONS to providers, on
// TrunkService::worker() only), then the subscription notifier, then the B2BUA.
//
// The worker's LoopTimer is armed for the earliest of the transaction layer's and the B2BUA's
// deadlines and re-armed after each message and each expiry.
//
// Thread-safety: none; one SipWorker per worker loop, used only on that loop's thread.

#include <cstddef>
#include <memory>
#include <string>

#include "app/pbx_core.hpp"
#include "base/clock.hpp"
#include "net/loop_timer.hpp"
#include "sip/b2bua.hpp"
#include "sip/call_placement.hpp"
#include "sip/core_responder.hpp"
#include "sip/publication_service.hpp"
#include "sip/request_checks.hpp"
#include "sip/subscription_service.hpp"
#include "sip/transaction_layer.hpp"
#include "sip/trunk_clients.hpp"

namespace parley::net {
class WorkerPool;
}

namespace parley::app {

class TrunkService;
class ParkService;
class SipMessageBridge;
class SipMessageRelay;

struct SipWorkerOptions {
  sip::TimerValues timers = {};
  sip::Advertisement advertisement = {};
  Duration no_answer_timeout = std::chrono::seconds(30);
  bool allow_inter_tenant_calls = false;
  // Media anchoring for calls (null: SDP passes through) and its no-RTP timeout.
  sip::MediaFactory* media = nullptr;
  // Answers calls whose plan names an application (conference rooms, voicemail ...).
  sip::LocalSessionFactory* applications = nullptr;
  Duration media_timeout = std::chrono::seconds(60);
  // Live transactions per worker. A finished non-INVITE transaction lingers for Timer J
  // (64*T1 = 32 s on UDP) to absorb retransmissions, so this bounds the sustained rate of
  // REGISTERs and in-dialog requests per worker to about max_transactions / 32 s.
  std::size_t max_transactions = 500000;
  // SUBSCRIBE (dialog and presence packages): expiry bounds and NOTIFY coalescing.
  std::uint32_t subscribe_min_expires = 60;
  std::uint32_t subscribe_max_expires = 3600;
  std::uint32_t subscribe_default_expires = 3600;
  Duration notify_coalesce_window = std::chrono::milliseconds(80);
  // Runs the trunks' registrations and keep-alives on its worker (issue 11). May be null.
  TrunkService* trunks = nullptr;
  // SIP MESSAGE to and from team chat (SipMessageBridge). May be null.
  SipMessageBridge* messages = nullptr;
  // Told where each extension's calls are (the B2BUA's call-state reports, before LiveCalls),
  // so that a phone's calls share a worker (decision 0024). May be null.
  sip::CallPlacement* placement = nullptr;
  // Call park: REFERs to the park code or a slot, dialled slots (decision 0030). May be null.
  ParkService* park = nullptr;
};

class SipWorker final : public sip::InboundHandler, public sip::TransactionLayer::Listener {
 public:
  SipWorker(net::WorkerPool& pool, std::size_t worker, sip::Transport& transport,
            const Clock& clock, PbxCore& core, const SipWorkerOptions& options);
  ~SipWorker() override;
  SipWorker(const SipWorker&) = delete;
  SipWorker& operator=(const SipWorker&) = delete;

  void on_inbound(Result<protocol::sip::Message> parsed, std::string_view raw,
                  const sip::Peer& from) override;
  // Drops the bindings registered over the closed connection at once (LocationTable).
  void on_flow_closed(const sip::Peer& flow) override;
  // Ends the call (B2bua::end_call) for the REST API's hang-up, posted to this loop by
  // SipService::end_call, and re-arms the timer for the CANCEL and BYE transactions.
  void on_end_call(std::string_view caller_tag) override;

  // TransactionLayer::Listener
  void on_request(sip::ServerTransaction& transaction,
                  const protocol::sip::Message& request) override;
  void on_cancel(sip::ServerTransaction& invite, const protocol::sip::Message& cancel) override;
  void on_ack(sip::ServerTransaction& invite, const protocol::sip::Message& ack) override;
  void on_stray_ack(const protocol::sip::Message& ack, const sip::Peer& from) override;
  void on_server_failure(sip::ServerTransaction& transaction, sip::ServerFailure failure) override;
  void on_response(sip::ClientTransaction& transaction,
                   const protocol::sip::Message& response) override;
  void on_client_failure(sip::ClientTransaction& transaction, sip::ClientFailure failure) override;
  void on_stray_response(const protocol::sip::Message& response, const sip::Peer& from) override;

  // Ends every call with BYE (orderly shutdown).
  void end_all_calls();

  // The PresenceHub woke this worker (posted to its loop): extensions its subscribers watch
  // changed.
  void on_presence_changed();
  const sip::SubscriptionService& subscriptions() const { return subscriptions_; }

 private:
  class Routing;
  void answer(sip::ServerTransaction& transaction, const protocol::sip::Message& request,
              sip::RequestVerdict verdict);
  void rearm();
  void on_timer();

  PbxCore& core_;
  SipWorkerOptions options_;
  sip::Transport& transport_;  // REGISTER is answered statelessly through it (decision 0036)
  sip::CoreResponder responder_;
  std::unique_ptr<Routing> routing_;
  // The B2BUA's call-state listener when options.placement is set (before b2bua_, which uses it).
  std::unique_ptr<sip::PlacementReporter> placement_reporter_;
  sip::TransactionLayer layer_;
  sip::B2bua b2bua_;
  sip::SubscriptionService subscriptions_;
  sip::PublicationService publications_;              // PUBLISH of presence (decision 0025)
  std::unique_ptr<sip::TrunkClients> trunk_clients_;  // on TrunkService::worker() only
  std::unique_ptr<SipMessageRelay> messages_;         // when options.messages is set
  std::size_t worker_;
  net::LoopTimer timer_;
};

}  // namespace parley::app
