#pragma once
// CallQueue: the pure decisions of one call queue (ACD, issue 7, decision 0023): who waits in
// which order, which agents ring for whom, when an agent may ring again (wrap-up), when a caller
// has waited too long. Values in, decisions out; it never touches SIP, media or the store, and
// reads the time only from the Clock it is given, so unit tests drive it by hand.
//
// The rules:
// - Callers are served strictly in arrival order (FIFO): only the caller at the head of the line
//   is offered to agents. While that offer rings, the callers behind wait; when it goes
//   unanswered its agents go back to the pool and the head is offered again (to the next agents
//   the strategy picks). A queue therefore rings for one caller at a time, which is what keeps
//   the order honest: with parallel offers the second caller could be answered first.
// - A caller that arrives when `max_callers` already wait is refused (join() gives kFull) and
//   goes straight to the fallback destination; one that waits longer than `max_wait` is taken
//   out by expire() and goes there too.
// - An agent can ring when it is a member, logged in, not busy (the caller of
//   AgentAvailability says: on another call or unregistered), not ringing for this queue
//   already, and not in wrap-up. Wrap-up starts when an agent's queue call ends and lasts
//   `wrap_up`.
// - Strategies: ring-all rings every available agent; round-robin rings the next available
//   member after the one that rang last (list order, wrapping), one at a time; longest-idle rings
//   the available agent whose last queue call ended longest ago (never had one = longest),
//   ties broken by list order.
// - The first agent to answer takes the caller: answered() removes the caller and marks the
//   agent busy; the other agents of the offer are released.
//
// Thread-safety: none; the app guards each queue with a mutex (callers of one queue live on
// different worker loops).

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.hpp"

namespace parley::pbx {

enum class QueueStrategy : std::uint8_t { kRingAll, kRoundRobin, kLongestIdle };

// "ring-all", "round-robin", "longest-idle".
std::string_view to_string(QueueStrategy strategy);
std::optional<QueueStrategy> queue_strategy_from_text(std::string_view text);

struct QueueSettings {
  QueueStrategy strategy = QueueStrategy::kRingAll;
  Duration ring_timeout = std::chrono::seconds(15);  // per offer to an agent
  Duration wrap_up = std::chrono::seconds(0);
  Duration max_wait = std::chrono::seconds(300);  // zero = wait for ever
  std::size_t max_callers = 20;                   // zero = no limit
};

using QueueCallerId = std::uint64_t;

// Whether an agent's phone can take a call now, from the B2BUA's live view.
class AgentAvailability {
 public:
  virtual ~AgentAvailability() = default;
  AgentAvailability() = default;
  AgentAvailability(const AgentAvailability&) = default;
  AgentAvailability& operator=(const AgentAvailability&) = default;
  virtual bool can_ring(std::string_view agent) const = 0;
};

// Every agent can ring (tests, and a queue whose live view is not wired).
class EveryAgentAvailable final : public AgentAvailability {
 public:
  bool can_ring(std::string_view) const override { return true; }
};

// One offer: ring these agents for this caller, until `deadline`.
struct QueueOffer {
  QueueCallerId caller = 0;
  std::vector<std::string> agents;
  TimePoint deadline{};
};

struct QueueStats {
  std::uint64_t joined = 0;
  std::uint64_t refused_full = 0;
  std::uint64_t answered = 0;
  std::uint64_t abandoned = 0;  // hung up while waiting
  std::uint64_t timed_out = 0;  // max wait passed: sent to the fallback
  Duration total_wait{};        // of answered callers
};

class CallQueue {
 public:
  CallQueue(QueueSettings settings, std::vector<std::string> members, const Clock& clock);

  // A caller arrives; its id, or nullopt when max_callers wait already (refused: fallback).
  std::optional<QueueCallerId> join();
  // 1-based place in line of a waiting caller; 0 when it does not wait (gone or connected).
  std::size_t position(QueueCallerId caller) const;
  // The caller hung up (or was sent elsewhere) before an agent answered. Its offer, if it was
  // ringing, ends: the returned agents must be cancelled by the caller of this function.
  std::vector<std::string> leave(QueueCallerId caller);

  // The next offer to start when none rings and an agent is available for the head caller:
  // marks its agents ringing. nullopt otherwise.
  std::optional<QueueOffer> next_offer(const AgentAvailability& availability);
  // The offer for `caller` ended unanswered (timeout, or every agent refused): its agents may
  // ring again (no wrap-up: they took no call). The caller stays at the head.
  void offer_failed(QueueCallerId caller);
  // `agent` answered `caller`'s offer: the caller leaves the line, the agent is busy until
  // agent_done(). Returns the other agents of the offer (to cancel); nullopt when no offer of
  // that caller rings (it left meanwhile: whoever answered must be released).
  std::optional<std::vector<std::string>> answered(QueueCallerId caller, std::string_view agent);
  // The agent's queue call ended: wrap-up starts now.
  void agent_done(std::string_view agent);

  // Callers that waited past max_wait, in arrival order; they are out of the line (timed out)
  // and any offer of theirs ends (its agents are returned in `cancel`).
  struct Expired {
    std::vector<QueueCallerId> callers;
    std::vector<std::string> cancel;
  };
  Expired expire();
  // The earliest instant something changes by itself: a max wait, an offer's ring timeout, or
  // the end of a wrap-up. TimePoint::max() when nothing is pending.
  TimePoint next_deadline() const;
  // Whether the running offer's ring timeout passed (the app then cancels it and calls
  // offer_failed()).
  std::optional<QueueCallerId> offer_timed_out() const;

  // Members and login: a removed member that is busy finishes its call normally.
  void set_members(std::vector<std::string> members);
  void set_settings(const QueueSettings& settings) { settings_ = settings; }
  // Agents log in and out; members start logged in.
  void log_in(std::string_view agent);
  void log_out(std::string_view agent);
  bool logged_in(std::string_view agent) const;

  std::size_t waiting() const { return line_.size(); }
  const QueueSettings& settings() const { return settings_; }
  const std::vector<std::string>& members() const { return members_; }
  const QueueStats& stats() const { return stats_; }
  // Answered calls per agent.
  std::uint64_t answered_by(std::string_view agent) const;

 private:
  struct Waiting {
    QueueCallerId id = 0;
    TimePoint since{};
  };
  struct Agent {
    bool logged_in = true;
    bool ringing = false;
    bool busy = false;
    TimePoint idle_since{};  // last queue call ended (min() = never had one)
    TimePoint wrap_up_until{};
    std::uint64_t answered = 0;
  };

  bool available(const std::string& name, const Agent& agent,
                 const AgentAvailability& availability) const;
  std::vector<std::string> choose(const AgentAvailability& availability);
  std::vector<std::string> end_offer();

  QueueSettings settings_;
  std::vector<std::string> members_;
  const Clock& clock_;
  std::deque<Waiting> line_;
  std::map<std::string, Agent, std::less<>> agents_;
  std::optional<QueueOffer> offer_;
  std::size_t next_member_ = 0;  // round-robin: index in members_ to try first
  QueueCallerId next_id_ = 1;
  QueueStats stats_;
};

}  // namespace parley::pbx
