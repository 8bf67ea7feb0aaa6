#pragma once
// SIP transactions (RFC 3261 §17 with the RFC 6026 "Accepted" state): the server and client
// state machines' per-transaction data and the small API the transaction user (TU) calls.
//
// Ownership: every transaction is owned by its TransactionLayer (see transaction_layer.hpp),
// which creates it, drives its timers and destroys it once it is Terminated. The TU receives
// `ServerTransaction&` / `ClientTransaction&` only inside Listener callbacks and must not keep
// the reference past the callback: it keeps the TransactionId and asks the layer
// (find_server / find_client), which answers nullptr once the transaction is gone.
//
// Thread-safety: none; a transaction lives and dies on its layer's worker loop.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "base/clock.hpp"
#include "base/result.hpp"
#include "protocol/sip/message.hpp"
#include "protocol/sip/response.hpp"
#include "sip/timer_queue.hpp"
#include "sip/transport.hpp"

namespace parley::sip {

class TransactionLayer;

// Unique per layer for its whole life; never reused. 0 is never a valid id.
using TransactionId = std::uint64_t;

// One enum for both sides; each machine uses a subset:
//   INVITE server:     Proceeding → Completed → Confirmed → Terminated, or Proceeding → Accepted
//   non-INVITE server: Trying → Proceeding → Completed → Terminated
//   INVITE client:     Calling → Proceeding → Completed → Terminated, or → Accepted
//   non-INVITE client: Trying → Proceeding → Completed → Terminated
enum class TransactionState : std::uint8_t {
  kCalling,
  kTrying,
  kProceeding,
  kCompleted,
  kConfirmed,
  kAccepted,
  kTerminated,
};
std::string_view to_text(TransactionState state);

// Why a server transaction ended badly (the "Inform TU" arcs of RFC 3261 Figures 7 and 8).
enum class ServerFailure : std::uint8_t {
  kAckTimeout,      // Timer H: no ACK for our 3xx-6xx within 64*T1
  kTransportError,  // a retransmitted response could not be sent
};

// Why a client transaction ended without a final response. RFC 3261 §8.1.3.1 tells the TU to
// treat these as if it had received a 408 or a 503 respectively; failure_status_code() says so.
enum class ClientFailure : std::uint8_t {
  kTimeout,         // Timer B or F: 408 Request Timeout
  kTransportError,  // the request or the ACK could not be (re)sent: 503 Service Unavailable
};
int failure_status_code(ClientFailure failure);

// What the two machines share: identity, state, the request that created the transaction, the
// peer, and up to three running timers.
class Transaction {
 public:
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  TransactionId id() const { return id_; }
  TransactionState state() const { return state_; }
  bool is_invite() const { return invite_; }
  bool is_reliable() const { return sip::is_reliable(peer_.transport); }
  // For a server transaction the request received; for a client transaction the request sent.
  const protocol::sip::Message& request() const { return request_; }
  // Server: where the request came from and its responses go. Client: where the request went.
  const Peer& peer() const { return peer_; }

 protected:
  friend class TransactionLayer;
  Transaction(TransactionId id, protocol::sip::Message request, const Peer& peer)
      : id_(id), request_(std::move(request)), peer_(peer) {
    invite_ = request_.method() == protocol::sip::Method::kInvite;
  }
  ~Transaction() = default;

  TransactionId id_;
  bool invite_ = false;
  TransactionState state_ = TransactionState::kTrying;
  protocol::sip::Message request_;
  Peer peer_;
  std::string key_;  // the layer's lookup key; the index maps views of it
  // Running timers: retransmit (A, E, G), lifetime (B, D, F, H-M) and 100 Trying; at most one
  // per slot at a time (see transaction_internal.hpp).
  std::array<TimerId, 3> timers_{};
  Duration retransmit_interval_{};  // current value of timer A, E or G
};

// A server transaction: one request received and the responses the TU sends to it. Responses
// go back to peer(): the same connection for stream transports, the request's source address
// and port for UDP (RFC 3261 §18.2.2 with RFC 3581 received/rport; maddr is ignored).
class ServerTransaction final : public Transaction {
 public:
  // Created only by TransactionLayer.
  ServerTransaction(TransactionLayer& layer, TransactionId id, protocol::sip::Message request,
                    const Peer& peer);

  // Both respond functions fail with Error.code 500 when the state does not allow that status
  // (a second final response, a provisional after the final, anything but 2xx in Accepted), and
  // with 503 when the transport refused the bytes, after which the transaction is Terminated
  // (except in Accepted, which ends with Timer L whatever happens to 2xx retransmissions).
  //
  // Builds the response from request() (protocol::sip::build_response) and sends it. For a
  // dialog-creating response, pass the local tag in options.to_tag.
  Result<void> respond(const protocol::sip::ResponseOptions& options);
  // Sends a response the TU built itself. `status_code` must be the code inside the bytes.
  Result<void> respond_wire(std::string wire_bytes, int status_code);

  int last_status() const { return last_status_; }  // 0 until the first response
  // The To tag the TU gave in respond() (empty when none yet or sent with respond_wire()).
  std::string_view local_tag() const { return local_tag_; }

 private:
  friend class TransactionLayer;
  TransactionLayer& layer_;
  std::string last_response_;  // what a retransmitted request gets again
  std::string local_tag_;
  int last_status_ = 0;
  bool rfc2543_ = false;  // matched by the RFC 2543 fallback rules, not by branch
};

// A client transaction: one request the TU sent and the responses to it. Retransmissions
// (timers A, E), the ACK for a 3xx-6xx answer to an INVITE (§17.1.1.3) and absorbing duplicate
// responses are the transaction's job; the TU sees each response once (except 2xx to an INVITE,
// which RFC 6026 passes up every time so that each can be ACKed).
class ClientTransaction final : public Transaction {
 public:
  // Created only by TransactionLayer::send_request().
  ClientTransaction(TransactionId id, protocol::sip::Message request, const Peer& peer);

  std::string_view branch() const { return request_.top_via_branch(); }
  int last_status() const { return last_status_; }  // 0 until the first response

 private:
  friend class TransactionLayer;
  std::string ack_;  // the ACK sent for a 3xx-6xx, re-sent on each retransmitted final response
  int last_status_ = 0;
};

}  // namespace parley::sip
