#include "pbx/call_queue.hpp"

#include <algorithm>
#include <utility>

namespace parley::pbx {

std::string_view to_string(QueueStrategy strategy) {
  switch (strategy) {
    case QueueStrategy::kRingAll:
      return "ring-all";
    case QueueStrategy::kRoundRobin:
      return "round-robin";
    case QueueStrategy::kLongestIdle:
      return "longest-idle";
  }
  return "ring-all";
}

std::optional<QueueStrategy> queue_strategy_from_text(std::string_view text) {
  for (auto strategy :
       {QueueStrategy::kRingAll, QueueStrategy::kRoundRobin, QueueStrategy::kLongestIdle}) {
    if (text == to_string(strategy)) return strategy;
  }
  return std::nullopt;
}

CallQueue::CallQueue(QueueSettings settings, std::vector<std::string> members, const Clock& clock)
    : settings_(settings), clock_(clock) {
  set_members(std::move(members));
}

std::optional<QueueCallerId> CallQueue::join() {
  if (settings_.max_callers != 0 && line_.size() >= settings_.max_callers) {
    ++stats_.refused_full;
    return std::nullopt;
  }
  const QueueCallerId id = next_id_++;
  line_.push_back(Waiting{id, clock_.now()});
  ++stats_.joined;
  return id;
}

std::size_t CallQueue::position(QueueCallerId caller) const {
  for (std::size_t i = 0; i < line_.size(); ++i) {
    if (line_[i].id == caller) return i + 1;
  }
  return 0;
}

std::vector<std::string> CallQueue::leave(QueueCallerId caller) {
  auto it = std::find_if(line_.begin(), line_.end(),
                         [caller](const Waiting& waiting) { return waiting.id == caller; });
  if (it == line_.end()) return {};
  line_.erase(it);
  ++stats_.abandoned;
  if (offer_ && offer_->caller == caller) return end_offer();
  return {};
}

bool CallQueue::available(const std::string& name, const Agent& agent,
                          const AgentAvailability& availability) const {
  return agent.logged_in && !agent.ringing && !agent.busy && clock_.now() >= agent.wrap_up_until &&
         availability.can_ring(name);
}

std::vector<std::string> CallQueue::choose(const AgentAvailability& availability) {
  std::vector<std::string> chosen;
  const std::size_t count = members_.size();
  switch (settings_.strategy) {
    case QueueStrategy::kRingAll:
      for (const auto& name : members_) {
        if (available(name, agents_.find(name)->second, availability)) chosen.push_back(name);
      }
      break;
    case QueueStrategy::kRoundRobin:
      for (std::size_t step = 0; step < count; ++step) {
        const std::size_t index = (next_member_ + step) % count;
        const auto& name = members_[index];
        if (available(name, agents_.find(name)->second, availability)) {
          chosen.push_back(name);
          next_member_ = (index + 1) % count;
          break;
        }
      }
      break;
    case QueueStrategy::kLongestIdle: {
      const std::string* best = nullptr;
      TimePoint best_idle = TimePoint::max();
      for (const auto& name : members_) {
        const Agent& agent = agents_.find(name)->second;
        if (!available(name, agent, availability)) continue;
        if (best == nullptr || agent.idle_since < best_idle) {
          best = &name;
          best_idle = agent.idle_since;
        }
      }
      if (best != nullptr) chosen.push_back(*best);
      break;
    }
  }
  return chosen;
}

std::optional<QueueOffer> CallQueue::next_offer(const AgentAvailability& availability) {
  if (offer_ || line_.empty()) return std::nullopt;
  auto agents = choose(availability);
  if (agents.empty()) return std::nullopt;
  for (const auto& name : agents) agents_.find(name)->second.ringing = true;
  offer_ = QueueOffer{line_.front().id, std::move(agents), clock_.now() + settings_.ring_timeout};
  return offer_;
}

std::vector<std::string> CallQueue::end_offer() {
  std::vector<std::string> agents;
  if (!offer_) return agents;
  agents = std::move(offer_->agents);
  offer_.reset();
  for (const auto& name : agents) {
    if (auto it = agents_.find(name); it != agents_.end()) it->second.ringing = false;
  }
  return agents;
}

void CallQueue::offer_failed(QueueCallerId caller) {
  if (offer_ && offer_->caller == caller) end_offer();
}

std::optional<std::vector<std::string>> CallQueue::answered(QueueCallerId caller,
                                                            std::string_view agent) {
  if (!offer_ || offer_->caller != caller) return std::nullopt;
  auto agents = end_offer();
  std::erase(agents, agent);
  auto it = std::find_if(line_.begin(), line_.end(),
                         [caller](const Waiting& waiting) { return waiting.id == caller; });
  if (it != line_.end()) {
    stats_.total_wait += clock_.now() - it->since;
    line_.erase(it);
  }
  ++stats_.answered;
  if (auto found = agents_.find(agent); found != agents_.end()) {
    found->second.busy = true;
    ++found->second.answered;
  }
  return agents;
}

void CallQueue::agent_done(std::string_view agent) {
  auto it = agents_.find(agent);
  if (it == agents_.end()) return;
  if (std::find(members_.begin(), members_.end(), agent) == members_.end()) {
    agents_.erase(it);  // removed from the queue while on its call
    return;
  }
  it->second.busy = false;
  it->second.idle_since = clock_.now();
  it->second.wrap_up_until = clock_.now() + settings_.wrap_up;
}

CallQueue::Expired CallQueue::expire() {
  Expired expired;
  if (settings_.max_wait == Duration::zero()) return expired;
  const TimePoint now = clock_.now();
  while (!line_.empty() && now - line_.front().since >= settings_.max_wait) {
    const QueueCallerId id = line_.front().id;
    line_.pop_front();
    ++stats_.timed_out;
    expired.callers.push_back(id);
    if (offer_ && offer_->caller == id) expired.cancel = end_offer();
  }
  return expired;
}

TimePoint CallQueue::next_deadline() const {
  TimePoint next = TimePoint::max();
  if (!line_.empty() && settings_.max_wait != Duration::zero()) {
    next = line_.front().since + settings_.max_wait;
  }
  if (offer_) next = std::min(next, offer_->deadline);
  const TimePoint now = clock_.now();
  for (const auto& [name, agent] : agents_) {
    if (agent.wrap_up_until > now) next = std::min(next, agent.wrap_up_until);
  }
  return next;
}

std::optional<QueueCallerId> CallQueue::offer_timed_out() const {
  if (offer_ && clock_.now() >= offer_->deadline) return offer_->caller;
  return std::nullopt;
}

void CallQueue::set_members(std::vector<std::string> members) {
  std::vector<std::string> unique;
  for (auto& name : members) {
    if (std::find(unique.begin(), unique.end(), name) == unique.end()) {
      unique.push_back(std::move(name));
    }
  }
  members_ = std::move(unique);
  for (const auto& name : members_) {
    agents_.try_emplace(name, Agent{.idle_since = TimePoint::min()});
  }
  // Keep removed members only while they ring or talk: their call still ends here.
  std::erase_if(agents_, [this](const auto& entry) {
    return !entry.second.ringing && !entry.second.busy &&
           std::find(members_.begin(), members_.end(), entry.first) == members_.end();
  });
  if (next_member_ >= members_.size()) next_member_ = 0;
}

void CallQueue::log_in(std::string_view agent) {
  if (auto it = agents_.find(agent); it != agents_.end()) it->second.logged_in = true;
}

void CallQueue::log_out(std::string_view agent) {
  if (auto it = agents_.find(agent); it != agents_.end()) it->second.logged_in = false;
}

bool CallQueue::logged_in(std::string_view agent) const {
  auto it = agents_.find(agent);
  return it != agents_.end() && it->second.logged_in;
}

std::uint64_t CallQueue::answered_by(std::string_view agent) const {
  auto it = agents_.find(agent);
  return it == agents_.end() ? 0 : it->second.answered;
}

}  // namespace parley::pbx
