#pragma once
// TransactionLayer: the RFC 3261 §17 transaction layer (with RFC 6026's Accepted state) for one
// worker loop. It matches incoming messages to transactions, absorbs retransmissions, runs the
// retransmission and timeout timers, builds the ACK for 3xx-6xx answers to our INVITEs, and
// hands everything new to the transaction user (TU) through a Listener.
//
// Design choices:
// - No event loop inside: the layer keeps its own TimerQueue. The owning loop arms one timer
//   for next_deadline() and calls process_timers() when it fires; unit tests do the same with a
//   ManualClock. Every timer (A-M and the 200 ms "100 Trying") is therefore deterministic.
// - Transactions are destroyed only by the layer's entry points (on_message, process_timers),
//   after every callback has returned, so a reference handed to the TU stays valid for the whole
//   callback even if the TU's own respond() terminated the transaction (a final response over
//   TCP makes Timer J zero). A transaction terminated outside an entry point makes
//   next_deadline() return now, so the loop reaps it on its next turn.
// - CANCEL (§9.2) is answered by the layer: 200 when its branch and sent-by match an INVITE
//   server transaction in any live state, 481 otherwise. If that INVITE has no final response
//   yet, the TU gets on_cancel() and should answer the INVITE with 487 (and cancel whatever it
//   forked). The CANCEL's own transaction absorbs its retransmissions; the TU never sees it
//   through on_request().
// - An ACK is never a transaction. For a 3xx-6xx it is absorbed by the INVITE server
//   transaction; an ACK matching one in Accepted (RFC 2543 peers, or a UAC reusing the branch)
//   goes to on_ack(); any other ACK (normally the ACK for a 2xx, which has its own branch) goes
//   to on_stray_ack(). Likewise a 2xx that no client transaction matches (a retransmission
//   after Timer M) goes to on_stray_response(): a B2BUA must re-ACK it (RFC 6026).
// - RFC 2543 peers (top Via branch without "z9hG4bK") are matched on Request-URI, Call-ID,
//   CSeq number, From tag, the whole top Via and, except for ACK, the To tag of the original
//   request. The ACK's To tag is not compared with the tag we answered with: that only
//   separates forks at a proxy, and we answer once per transaction.
// - Client transactions are created by send_request() from the request the TU built, including
//   a top Via whose branch comes from make_branch(). A request that cannot be sent at all fails
//   synchronously (no transaction is left behind); failures later on (a retransmission or the
//   ACK cannot be sent, Timer B/F) reach the TU as on_client_failure().
// - An INVITE client transaction in Proceeding waits for its final response indefinitely, as
//   RFC 3261 says; giving up (CANCEL, Timer C) is the TU's decision. A server transaction whose
//   TU never answers likewise lives on; max_transactions bounds the damage, and past it new
//   requests are answered 503 statelessly.
//
// Thread-safety: none. One layer per worker loop; every method, and every Listener callback,
// runs on that loop's thread. Listener callbacks must not call on_message() or
// process_timers(); they may call respond(), send_request() and the lookups.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/clock.hpp"
#include "base/result.hpp"
#include "protocol/sip/message.hpp"
#include "sip/timer_queue.hpp"
#include "sip/transaction.hpp"
#include "sip/transport.hpp"

namespace parley::sip {

namespace detail {
enum class TimerKind : std::uint8_t;  // defined in transaction_internal.hpp
}

// RFC 3261 §17.1.1.1 and Table 4. Derived timers: A, E, G start at t1; B, F, H, J, L, M are
// 64*t1; I and K are t4; D is timer_d. On reliable transports A, E and G are not used and D, I,
// J and K are zero.
struct TimerValues {
  Duration t1 = std::chrono::milliseconds(500);
  Duration t2 = std::chrono::seconds(4);
  Duration t4 = std::chrono::seconds(5);
  Duration timer_d = std::chrono::seconds(32);
  // §17.2.1: an INVITE server transaction sends 100 Trying itself after this long without a
  // response from the TU.
  Duration trying_delay = std::chrono::milliseconds(200);
};

class TransactionLayer {
 public:
  // The TU. Every callback runs inside on_message() or process_timers(). Transaction references
  // are valid for the duration of the callback only; keep id() to find the transaction later.
  class Listener {
   public:
    virtual ~Listener() = default;
    // A new request (not ACK, not CANCEL) created `transaction`. Answer with respond().
    virtual void on_request(ServerTransaction& transaction,
                            const protocol::sip::Message& request) = 0;
    // A CANCEL matched `invite`, which has no final response yet. The layer has already answered
    // the CANCEL 200; the TU should answer the INVITE 487.
    virtual void on_cancel(ServerTransaction& invite, const protocol::sip::Message& cancel) = 0;
    // An ACK matched an INVITE server transaction in Accepted (it acknowledges our 2xx).
    virtual void on_ack(ServerTransaction& invite, const protocol::sip::Message& ack) = 0;
    // An ACK that matched no transaction: normally the ACK for a 2xx, which belongs to the dialog.
    virtual void on_stray_ack(const protocol::sip::Message& ack, const Peer& from) = 0;
    virtual void on_server_failure(ServerTransaction& transaction, ServerFailure failure) = 0;

    // A response for one of our requests; each retransmission is filtered out, except 2xx to an
    // INVITE in Accepted, which RFC 6026 passes up so that the TU can re-ACK.
    virtual void on_response(ClientTransaction& transaction,
                             const protocol::sip::Message& response) = 0;
    // Our request timed out (treat as 408) or could not be sent (treat as 503).
    virtual void on_client_failure(ClientTransaction& transaction, ClientFailure failure) = 0;
    // A response no client transaction claims.
    virtual void on_stray_response(const protocol::sip::Message& response, const Peer& from) = 0;
  };

  struct Options {
    const Clock& clock;
    Transport& transport;
    Listener& listener;
    TimerValues timers = {};
    // Live server plus client transactions; past it requests get 503 and send_request fails.
    std::size_t max_transactions = 100000;
    // Seeds make_branch()/make_tag(). 0 = seed from std::random_device (production); tests pass
    // a fixed value to get reproducible branches.
    std::uint64_t random_seed = 0;
  };

  // Counters for metrics and tests. They only grow.
  struct Stats {
    std::uint64_t requests_absorbed = 0;     // retransmitted requests and ACKs for 3xx-6xx
    std::uint64_t responses_absorbed = 0;    // retransmitted responses not passed to the TU
    std::uint64_t retransmissions_sent = 0;  // by timers A, E and G
    std::uint64_t stray_responses = 0;
    std::uint64_t stray_acks = 0;
    std::uint64_t rejected_overload = 0;  // requests answered 503 at max_transactions
    std::uint64_t dropped = 0;            // requests without a usable top Via, key clashes
  };

  explicit TransactionLayer(const Options& options);
  ~TransactionLayer();
  TransactionLayer(const TransactionLayer&) = delete;
  TransactionLayer& operator=(const TransactionLayer&) = delete;

  // Entry point for every parsed message the transports receive on this worker.
  void on_message(protocol::sip::Message message, const Peer& from);

  // Starts a client transaction for a request the TU built (anything but ACK, whose top Via
  // branch starts with "z9hG4bK" and is not in use) and sends it to `to`. Fails without creating
  // a transaction: code 500 for a request the layer refuses, 503 when at max_transactions or the
  // transport refused the bytes.
  Result<TransactionId> send_request(std::string_view wire_bytes, const Peer& to);
  Result<TransactionId> send_request(protocol::sip::Message request, const Peer& to);

  // When process_timers() next has work: TimePoint::max() when idle, now() when a terminated
  // transaction awaits removal.
  TimePoint next_deadline() const;
  // Fires every timer due at clock.now(), then removes terminated transactions.
  void process_timers();

  ServerTransaction* find_server(TransactionId id);
  ClientTransaction* find_client(TransactionId id);

  std::size_t server_count() const { return servers_.size(); }
  std::size_t client_count() const { return clients_.size(); }
  std::size_t size() const { return servers_.size() + clients_.size(); }
  const Stats& stats() const { return stats_; }
  const TimerValues& timer_values() const { return timers_values_; }

  // "z9hG4bK" followed by 24 random hex digits (96 bits), for the Via of a new request.
  std::string make_branch();
  // 16 random hex digits (64 bits), for a From or To tag.
  std::string make_tag();

 private:
  friend class ServerTransaction;
  using TimerKind = detail::TimerKind;
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  // Views into each transaction's own key_ string, which lives as long as the entry.
  template <typename T>
  using KeyIndex = std::unordered_map<std::string_view, T*, StringHash, std::equal_to<>>;

  // --- server side (transaction_layer.cpp) ---
  void handle_request(protocol::sip::Message message, const Peer& from);
  void handle_ack(ServerTransaction* transaction, const protocol::sip::Message& ack,
                  const Peer& from);
  void handle_cancel(protocol::sip::Message cancel, const Peer& from, bool rfc2543);
  void absorb_retransmission(ServerTransaction& transaction);
  ServerTransaction& create_server(protocol::sip::Message request, const Peer& from, bool rfc2543);
  void reject_overload(const protocol::sip::Message& request, const Peer& from);
  Result<void> respond(ServerTransaction& transaction, std::string wire, int status_code);
  void fire_server_timer(ServerTransaction& transaction, TimerKind kind);
  void resend_response(ServerTransaction& transaction);

  // --- client side (transaction_client.cpp) ---
  void handle_response(const protocol::sip::Message& response, const Peer& from);
  void handle_invite_response(ClientTransaction& transaction,
                              const protocol::sip::Message& response);
  void handle_non_invite_response(ClientTransaction& transaction,
                                  const protocol::sip::Message& response);
  void fire_client_timer(ClientTransaction& transaction, TimerKind kind);
  bool resend_request(ClientTransaction& transaction);

  // --- shared ---
  // Fills key_scratch_ with the server lookup key; false when the top Via is unusable. The
  // transport the request arrived on is part of the key: a retransmission always comes back on
  // the same transport, and a request with the same branch over another transport (a test
  // replaying one message over UDP and then TCP, or a spoofer) must not be taken for one.
  bool make_server_key(const protocol::sip::Message& request, std::string_view method_class,
                       TransportKind transport, const net::SocketAddress& source, bool& rfc2543);
  void start_timer(Transaction& transaction, TimerKind kind, Duration delay);
  void stop_timer(Transaction& transaction, TimerKind kind);
  // Starts a lifetime timer (D, I, J, K), or terminates at once when its value is zero.
  void start_or_terminate(Transaction& transaction, TimerKind kind, Duration delay);
  void terminate(Transaction& transaction);
  void reap();

  const Clock& clock_;
  Transport& transport_;
  Listener& listener_;
  TimerValues timers_values_;
  std::size_t max_transactions_;
  std::mt19937_64 random_;

  TimerQueue timers_;
  std::unordered_map<TransactionId, std::unique_ptr<ServerTransaction>> servers_;
  std::unordered_map<TransactionId, std::unique_ptr<ClientTransaction>> clients_;
  KeyIndex<ServerTransaction> server_index_;
  KeyIndex<ClientTransaction> client_index_;
  std::vector<TransactionId> doomed_;  // terminated, awaiting reap()
  std::string key_scratch_;            // reused so that a lookup allocates nothing
  TransactionId next_id_ = 1;
  Stats stats_;
};

}  // namespace parley::sip
