#include "app/queue_center.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <chrono>

namespace parley::app {

namespace {

constexpr std::uint32_t kOfferBackstopSeconds = 5;

// Agents ring through the live state of the queue's tenant.
class LiveAgents final : public pbx::AgentAvailability {
 public:
  LiveAgents(const pbx::LiveState& live, store::TenantId tenant) : live_(live), tenant_(tenant) {}
  bool can_ring(std::string_view agent) const override {
    return live_.is_registered(tenant_, agent) && !live_.is_busy(tenant_, agent);
  }

 private:
  const pbx::LiveState& live_;
  store::TenantId tenant_;
};

}  // namespace

pbx::QueueSettings queue_settings(const store::CallQueueConfig& config) {
  pbx::QueueSettings settings;
  settings.strategy =
      pbx::queue_strategy_from_text(config.strategy).value_or(pbx::QueueStrategy::kRingAll);
  // The B2BUA gives up ringing after ring_timeout_s (the offer's plan); the line's own deadline
  // is only a backstop for an answer that never comes back, so it must not fire first.
  settings.ring_timeout = std::chrono::seconds(config.ring_timeout_s + kOfferBackstopSeconds);
  settings.wrap_up = std::chrono::seconds(config.wrap_up_s);
  settings.max_wait = std::chrono::seconds(config.max_wait_s);
  settings.max_callers = config.max_callers;
  return settings;
}

std::vector<std::string_view> queue_announcement_prompts(std::size_t position) {
  static constexpr std::array<std::string_view, 10> kDigits{
      "digit_0", "digit_1", "digit_2", "digit_3", "digit_4",
      "digit_5", "digit_6", "digit_7", "digit_8", "digit_9"};
  std::vector<std::string_view> keys{"queue_position"};
  const std::string digits = std::to_string(position);
  for (const char digit : digits) keys.push_back(kDigits[static_cast<std::size_t>(digit - '0')]);
  return keys;
}

std::string queue_application(std::string_view number) {
  return "queue:" + std::string(number);
}

Result<void> QueueCenter::reload(store::CallQueueStore& store) {
  auto configs = store.list_call_queues(std::nullopt);
  if (!configs) return configs.error();
  const bool announcing = std::any_of(configs->begin(), configs->end(),
                                      [](const auto& config) { return config.announce_s != 0; });
  if (prompts_ != nullptr && announcing) {
    // Servers without announcing queues never spend the synthesis time; one failure (no
    // espeak-ng data) is logged once and queues wait with music alone.
    std::call_once(prompts_prepared_, [this] {
      // 1234567890 names every digit: the prompts of any position.
      for (const std::string_view key : queue_announcement_prompts(1234567890)) {
        if (auto spoken = prompts_->prepare(media::standard_prompt_text(key)); !spoken) {
          spdlog::warn("queue announcements: {}", spoken.error().message);
          return;
        }
      }
    });
  }
  std::lock_guard lock(mutex_);
  std::map<Key, Queue, std::less<>> next;
  for (auto& config : *configs) {
    Key key{config.tenant_id, config.number};
    auto old = queues_.find(key);
    Queue queue;
    if (old != queues_.end()) {
      queue = std::move(old->second);
      queue.line->set_settings(queue_settings(config));
      queue.line->set_members(config.members);
    } else {
      queue.line = std::make_unique<pbx::CallQueue>(queue_settings(config), config.members, clock_);
    }
    queue.config = std::move(config);
    next.emplace(std::move(key), std::move(queue));
  }
  queues_ = std::move(next);
  return {};
}

QueueCenter::Queue* QueueCenter::find(store::TenantId tenant, std::string_view number) {
  auto it = queues_.find(std::make_pair(tenant, std::string(number)));
  return it == queues_.end() ? nullptr : &it->second;
}

const QueueCenter::Queue* QueueCenter::find(store::TenantId tenant, std::string_view number) const {
  auto it = queues_.find(std::make_pair(tenant, std::string(number)));
  return it == queues_.end() ? nullptr : &it->second;
}

bool QueueCenter::exists(store::TenantId tenant, std::string_view number) const {
  std::lock_guard lock(mutex_);
  return find(tenant, number) != nullptr;
}

QueueCenter::Joined QueueCenter::join(store::TenantId tenant, std::string_view number) {
  std::lock_guard lock(mutex_);
  Queue* queue = find(tenant, number);
  if (queue == nullptr) return {};
  auto caller = queue->line->join();
  return Joined{caller, caller ? std::string() : queue->config.fallback};
}

QueueStep QueueCenter::poll(store::TenantId tenant, std::string_view number,
                            pbx::QueueCallerId caller, const pbx::LiveState& live) {
  std::lock_guard lock(mutex_);
  Queue* queue = find(tenant, number);
  if (queue == nullptr) return QueueStep{.kind = QueueStep::Kind::kGone};
  pbx::CallQueue& line = *queue->line;
  // Agents back from their queue call start their wrap-up now.
  std::erase_if(queue->talking, [&](const std::string& agent) {
    if (live.is_busy(tenant, agent)) return false;
    line.agent_done(agent);
    return true;
  });
  auto expired = line.expire();
  for (auto id : expired.callers) queue->offers.erase(id);
  if (std::find(expired.callers.begin(), expired.callers.end(), caller) != expired.callers.end()) {
    return QueueStep{.kind = QueueStep::Kind::kFallback, .fallback = queue->config.fallback};
  }
  const std::size_t position = line.position(caller);
  if (position == 0) {
    // Not in line: the queue was rebuilt without it, or it already has an offer that ended.
    return QueueStep{.kind = QueueStep::Kind::kGone};
  }
  // A lost redirect (the session never heard back) must not hold the line for ever.
  if (auto stale = line.offer_timed_out()) {
    queue->offers.erase(*stale);
    line.offer_failed(*stale);
  }
  if (position == 1) {
    LiveAgents agents(live, tenant);
    if (auto offer = line.next_offer(agents)) {
      queue->offers[caller] = offer->agents;
      return QueueStep{
          .kind = QueueStep::Kind::kRing, .agents = offer->agents, .position = position};
    }
  }
  return QueueStep{.kind = QueueStep::Kind::kWait,
                   .position = position,
                   .announce_interval = std::chrono::seconds(queue->config.announce_s)};
}

void QueueCenter::arm_offer(store::TenantId tenant, std::string_view number,
                            pbx::QueueCallerId caller, std::string calling_party) {
  std::lock_guard lock(mutex_);
  Queue* queue = find(tenant, number);
  if (queue == nullptr) return;
  auto offer = queue->offers.find(caller);
  if (offer == queue->offers.end()) return;
  queue->armed = Armed{caller, std::move(calling_party), offer->second, false};
}

std::optional<sip::CallPlan> QueueCenter::offer_plan(store::TenantId tenant,
                                                     std::string_view caller,
                                                     std::string_view dialled) {
  std::lock_guard lock(mutex_);
  for (auto& [key, queue] : queues_) {
    if (key.first != tenant || !queue.armed || queue.armed->planned) continue;
    Armed& armed = *queue.armed;
    if (armed.calling_party != caller || armed.agents.empty() || armed.agents.front() != dialled) {
      continue;
    }
    armed.planned = true;
    sip::CallPlan plan;
    plan.stages.push_back(sip::RingStage{
        .extensions = armed.agents,
        .timeout = std::chrono::seconds(queue.config.ring_timeout_s),
    });
    return plan;
  }
  return std::nullopt;
}

void QueueCenter::offer_failed(store::TenantId tenant, std::string_view number,
                               pbx::QueueCallerId caller) {
  std::lock_guard lock(mutex_);
  Queue* queue = find(tenant, number);
  if (queue == nullptr) return;
  queue->offers.erase(caller);
  if (queue->armed && queue->armed->caller == caller) queue->armed.reset();
  queue->line->offer_failed(caller);
}

void QueueCenter::answered(store::TenantId tenant, std::string_view number,
                           pbx::QueueCallerId caller, std::string_view agent) {
  std::lock_guard lock(mutex_);
  Queue* queue = find(tenant, number);
  if (queue == nullptr) return;
  if (queue->armed && queue->armed->caller == caller) queue->armed.reset();
  auto offer = queue->offers.find(caller);
  if (offer == queue->offers.end()) return;
  const std::vector<std::string> agents = std::move(offer->second);
  queue->offers.erase(offer);
  // The B2BUA names the extension that answered; one of the offer's agents is credited (and
  // its wrap-up follows its call). Anyone else (an agent's own forwarding cannot apply: the
  // offer's plan rings the agents directly) credits nobody rather than the wrong agent.
  std::string credited;
  if (std::find(agents.begin(), agents.end(), agent) != agents.end()) {
    credited = agent;
  } else if (agent.empty() && agents.size() == 1) {
    credited = agents.front();
  }
  (void)queue->line->answered(caller, credited);
  if (!credited.empty()) queue->talking.push_back(credited);
}

void QueueCenter::leave(store::TenantId tenant, std::string_view number,
                        pbx::QueueCallerId caller) {
  std::lock_guard lock(mutex_);
  Queue* queue = find(tenant, number);
  if (queue == nullptr) return;
  queue->offers.erase(caller);
  if (queue->armed && queue->armed->caller == caller) queue->armed.reset();
  (void)queue->line->leave(caller);
}

std::optional<pbx::QueueStats> QueueCenter::stats(store::TenantId tenant,
                                                  std::string_view number) const {
  std::lock_guard lock(mutex_);
  const Queue* queue = find(tenant, number);
  if (queue == nullptr) return std::nullopt;
  return queue->line->stats();
}

std::uint64_t QueueCenter::answered_by(store::TenantId tenant, std::string_view number,
                                       std::string_view agent) const {
  std::lock_guard lock(mutex_);
  const Queue* queue = find(tenant, number);
  return queue == nullptr ? 0 : queue->line->answered_by(agent);
}

std::size_t QueueCenter::waiting(store::TenantId tenant, std::string_view number) const {
  std::lock_guard lock(mutex_);
  const Queue* queue = find(tenant, number);
  return queue == nullptr ? 0 : queue->line->waiting();
}

}  // namespace parley::app
