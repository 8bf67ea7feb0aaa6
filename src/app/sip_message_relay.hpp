#pragma once
// SipMessageRelay: one worker's side of the SIP MESSAGE bridge (SipMessageBridge).
//
// Inbound (RFC 3428 §7, §8): an out-of-dialog MESSAGE is checked like any request (416, 420),
// then its sender is authenticated with a Proxy-Authenticate challenge exactly as an INVITE is
// (407; the From user must be the authenticated one, else 403), its body must be text/plain
// (else 415 with Accept: text/plain) and at most the chat limit (else 413), and its
// Request-URI must name an extension of the sender's tenant (another tenant: 403; unknown: 404).
// It is then handed to the bridge with its transaction id and answered when the chat thread has
// stored it: 200 when the recipient has a chat session now, 202 when it is kept for later.
// The server transaction waits meanwhile (retransmissions are absorbed by the layer).
//
// Outbound: send() builds one MESSAGE per binding (text/plain; From the sender's AOR with a tag,
// To the recipient's AOR, a Call-ID owned by this worker so that answers come back here) and
// reaches bindings over their flow the way the B2BUA forks INVITEs (CallRouting::binding_peer).
// Answers and timeouts are logged; nothing is retried beyond the transaction's own
// retransmissions (Timer F ends it).
//
// Thread-safety: none; one relay per worker, used only on that worker's loop.
// Ownership: owned by SipWorker; borrows its layer, routing and the bridge.

#include <cstddef>
#include <functional>
#include <string>
#include <unordered_map>

#include "app/sip_message_bridge.hpp"
#include "protocol/sip/message.hpp"
#include "protocol/sip/response.hpp"
#include "sip/call_routing.hpp"
#include "sip/request_checks.hpp"
#include "sip/transaction_layer.hpp"

namespace parley::app {

class SipMessageRelay {
 public:
  struct Options {
    sip::TransactionLayer& layer;
    sip::CallRouting& routing;
    SipMessageBridge& bridge;
    std::size_t worker = 0;
    sip::Advertisement advertisement;
    std::string advertised_host;  // empty: the local socket address in Via and Contact
    std::function<std::string()> make_call_id;
    // Re-arms the worker's timer after work done outside a transaction layer callback.
    std::function<void()> wake;
  };

  explicit SipMessageRelay(Options options);
  ~SipMessageRelay();
  SipMessageRelay(const SipMessageRelay&) = delete;
  SipMessageRelay& operator=(const SipMessageRelay&) = delete;

  // An out-of-dialog MESSAGE while the bridge has a chat to deliver to.
  bool handles(const protocol::sip::Message& request) const;
  void on_request(sip::ServerTransaction& transaction, const protocol::sip::Message& request);
  // True when the transaction was one of our MESSAGEs.
  bool on_response(sip::ClientTransaction& transaction, const protocol::sip::Message& response);
  bool on_client_failure(sip::ClientTransaction& transaction, sip::ClientFailure failure);

  // From the bridge, on this worker's loop.
  void finish(sip::TransactionId transaction, const SipMessageVerdict& verdict);
  void send(const OutgoingSipMessage& message);

 private:
  void reject(sip::ServerTransaction& transaction, int status, std::string_view reason = {},
              protocol::sip::ExtraHeaders extra = {});
  std::string host_port(const sip::Peer& peer) const;

  Options options_;
  std::unordered_map<sip::TransactionId, std::string> sent_;  // our MESSAGEs: "to <contact>"
};

}  // namespace parley::app
