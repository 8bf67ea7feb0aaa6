#pragma once
// Where received SIP messages enter the stack, and the stateless UAS core that answers them
// while the server has no routing (RFC 3261 §8.2, answered per request_checks.hpp).
//
// InboundHandler is the single seam between the transports and SIP: every message a transport
// receives on a worker, parsed or not, goes to that worker's handler. Today the handler is a
// CoreResponder; the transaction layer will slot in front of it (parsed messages into
// TransactionLayer::on_message, parse failures straight to reject_unparsable()).
//
// CoreResponder sends at most one response per request and keeps no state about it: a
// retransmitted request simply gets the same answer again (with a new To tag, which a stateless
// UAS may do). Responses go back to where the request came from (Peer.remote: the packet's
// source IP:port for UDP as RFC 3581 asks, the same connection for streams).
//
// Thread-safety: none. One CoreResponder per worker loop.

#include <cstdint>
#include <random>
#include <string>
#include <string_view>

#include "base/clock.hpp"
#include "base/result.hpp"
#include "protocol/sip/message.hpp"
#include "protocol/sip/response.hpp"
#include "sip/request_checks.hpp"
#include "sip/transport.hpp"

namespace parley::sip {

class InboundHandler {
 public:
  virtual ~InboundHandler() = default;
  // One received message. `parsed` is the parse result of `raw`; `raw` is needed to answer a
  // request that failed to parse, and is only valid during the call.
  virtual void on_inbound(Result<protocol::sip::Message> parsed, std::string_view raw,
                          const Peer& from) = 0;
  // The stream connection `flow` (TCP, WebSocket) has closed; nothing more can be sent over it.
  // Called once per connection on the worker that received its messages.
  virtual void on_flow_closed(const Peer& /*flow*/) {}
  // An administrator asked to end the call whose caller leg carries our tag `caller_tag`
  // (B2bua::end_call). Called on the worker that owns the call; a handler without calls, or
  // one that no longer has it, does nothing.
  virtual void on_end_call(std::string_view /*caller_tag*/) {}
};

// Logs rejections without letting a flood of bad packets flood the log: at most
// `per_second` lines in any one-second window, then one summary line with the count of the
// suppressed ones when the next window opens.
class RejectionLog {
 public:
  RejectionLog(const Clock& clock, std::uint32_t per_second)
      : clock_(clock), per_second_(per_second) {}
  // Whether the caller may log this event now (counts it as suppressed otherwise).
  bool admit();
  std::uint64_t suppressed_total() const { return suppressed_total_; }

 private:
  const Clock& clock_;
  std::uint32_t per_second_;
  TimePoint window_start_{};
  std::uint32_t in_window_ = 0;
  std::uint64_t suppressed_in_window_ = 0;
  std::uint64_t suppressed_total_ = 0;
};

class CoreResponder final : public InboundHandler {
 public:
  struct Options {
    Transport& transport;
    const Clock& clock;
    Advertisement advertisement = {};
    // Seeds the To tags. 0 = from std::random_device (production); tests fix it.
    std::uint64_t random_seed = 0;
    std::uint32_t warnings_per_second = 5;
  };

  // Counters for metrics and tests. They only grow.
  struct Stats {
    std::uint64_t answered = 0;  // responses handed to the transport
    std::uint64_t options_ok = 0;
    std::uint64_t rejected = 0;  // 4xx/5xx from the checks and the method table
    std::uint64_t unparsable_answered = 0;
    std::uint64_t dropped = 0;  // responses, ACKs, unanswerable garbage
    std::uint64_t send_failures = 0;
  };

  explicit CoreResponder(const Options& options);

  void on_inbound(Result<protocol::sip::Message> parsed, std::string_view raw,
                  const Peer& from) override;

  // Answers one parsed request statelessly (nothing for responses and ACKs).
  void respond(const protocol::sip::Message& message, const Peer& from);
  // Answers bytes that failed to parse when the error carries a status code and enough of the
  // request can be salvaged; drops them otherwise.
  void reject_unparsable(std::string_view raw, const Error& error, const Peer& from);

  const Stats& stats() const { return stats_; }

 private:
  std::string_view make_tag();
  void send(const Peer& to, std::string_view bytes);

  Transport& transport_;
  Advertisement advertisement_;
  std::mt19937_64 random_;
  char tag_[16] = {};
  RejectionLog log_;
  // Header sets that do not depend on the request, built once so that answering OPTIONS costs
  // one allocation (the response text).
  protocol::sip::ResponseOptions options_ok_;
  protocol::sip::ResponseOptions method_not_allowed_;
  protocol::sip::ResponseOptions plain_rejection_;
  Stats stats_;
};

}  // namespace parley::sip
