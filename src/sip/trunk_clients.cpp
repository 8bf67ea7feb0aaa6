#include "sip/trunk_clients.hpp"

#include <algorithm>
#include <utility>

namespace parley::sip {

struct TrunkClients::Trunk {
  TrunkClientConfig config;
  std::unique_ptr<OutboundRegistration> registration;
  std::unique_ptr<TrunkKeepAlive> keepalive;
  RegistrationStatus unreachable;  // shown when config.endpoint is empty
};

TrunkClients::TrunkClients(TrunkClientsOptions options) : options_(std::move(options)) {
  if (!options_.wall_clock) {
    options_.wall_clock = [] {
      return std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch())
          .count();
    };
  }
}

TrunkClients::~TrunkClients() = default;

std::unique_ptr<TrunkClients::Trunk> TrunkClients::start_trunk(TrunkClientConfig config) {
  auto trunk = std::make_unique<Trunk>();
  trunk->config = std::move(config);
  const TrunkClientConfig& c = trunk->config;
  if (!c.endpoint) {
    trunk->unreachable.state = RegistrationState::kFailed;
    trunk->unreachable.reason = c.unreachable_reason;
    trunk->unreachable.since = options_.wall_clock();
    return trunk;
  }
  auto mark = [this] { changed_ = true; };
  if (c.registers) {
    trunk->registration = std::make_unique<OutboundRegistration>(
        OutboundRegistrationOptions{.layer = options_.layer,
                                    .clock = options_.clock,
                                    .make_call_id = options_.make_call_id,
                                    .wall_clock = options_.wall_clock,
                                    .user_agent = options_.user_agent,
                                    .retry_min = options_.retry_min,
                                    .retry_max = options_.retry_max,
                                    .refresh_at = 0.85,
                                    .on_change = mark},
        *c.endpoint, c.account);
  }
  if (c.keepalive) {
    OutboundRegistration* registration = trunk->registration.get();
    trunk->keepalive = std::make_unique<TrunkKeepAlive>(
        TrunkKeepAliveOptions{.layer = options_.layer,
                              .clock = options_.clock,
                              .make_call_id = options_.make_call_id,
                              .wall_clock = options_.wall_clock,
                              .user_agent = options_.user_agent,
                              .interval = options_.keepalive_interval,
                              .failures_for_down = options_.keepalive_failures_for_down,
                              .on_change = mark,
                              .on_back_up =
                                  [registration] {
                                    if (registration) registration->provider_reachable();
                                  }},
        *c.endpoint, c.account.username);
  }
  if (trunk->registration) trunk->registration->start();
  if (trunk->keepalive) trunk->keepalive->start();
  return trunk;
}

void TrunkClients::retire(std::unique_ptr<Trunk> trunk) {
  if (!trunk->registration) return;
  trunk->registration->unregister();
  if (!trunk->registration->finished()) leaving_.push_back(std::move(trunk->registration));
}

void TrunkClients::apply(std::vector<TrunkClientConfig> wanted) {
  std::vector<std::unique_ptr<Trunk>> next;
  next.reserve(wanted.size());
  for (TrunkClientConfig& config : wanted) {
    auto found = std::find_if(trunks_.begin(), trunks_.end(), [&](const auto& trunk) {
      return trunk && trunk->config.trunk_id == config.trunk_id;
    });
    if (found != trunks_.end() && (*found)->config == config) {
      next.push_back(std::move(*found));
      continue;
    }
    if (found != trunks_.end()) retire(std::move(*found));
    next.push_back(start_trunk(std::move(config)));
  }
  for (auto& trunk : trunks_) {
    if (trunk) retire(std::move(trunk));
  }
  trunks_ = std::move(next);
  changed_ = true;
  publish_if_changed();
}

void TrunkClients::shutdown() {
  for (auto& trunk : trunks_) retire(std::move(trunk));
  trunks_.clear();
  changed_ = true;
  publish_if_changed();
}

bool TrunkClients::idle() const {
  return std::all_of(leaving_.begin(), leaving_.end(),
                     [](const auto& registration) { return registration->finished(); });
}

bool TrunkClients::on_response(const ClientTransaction& transaction,
                               const protocol::sip::Message& response) {
  const TransactionId id = transaction.id();
  bool handled = false;
  for (auto& trunk : trunks_) {
    if ((trunk->registration && trunk->registration->on_response(id, response)) ||
        (trunk->keepalive && trunk->keepalive->on_response(id, response))) {
      handled = true;
      break;
    }
  }
  if (!handled) {
    for (auto& registration : leaving_) {
      if (registration->on_response(id, response)) {
        handled = true;
        break;
      }
    }
  }
  if (handled) publish_if_changed();
  return handled;
}

bool TrunkClients::on_client_failure(const ClientTransaction& transaction, ClientFailure failure) {
  const TransactionId id = transaction.id();
  bool handled = false;
  for (auto& trunk : trunks_) {
    if ((trunk->registration && trunk->registration->on_client_failure(id, failure)) ||
        (trunk->keepalive && trunk->keepalive->on_client_failure(id, failure))) {
      handled = true;
      break;
    }
  }
  if (!handled) {
    for (auto& registration : leaving_) {
      if (registration->on_client_failure(id, failure)) {
        handled = true;
        break;
      }
    }
  }
  if (handled) publish_if_changed();
  return handled;
}

TimePoint TrunkClients::next_deadline() const {
  TimePoint deadline = TimePoint::max();
  for (const auto& trunk : trunks_) {
    if (trunk->registration) deadline = std::min(deadline, trunk->registration->next_deadline());
    if (trunk->keepalive) deadline = std::min(deadline, trunk->keepalive->next_deadline());
  }
  return deadline;
}

void TrunkClients::process_timers() {
  for (auto& trunk : trunks_) {
    if (trunk->registration) trunk->registration->process_timers();
    if (trunk->keepalive) trunk->keepalive->process_timers();
  }
  std::erase_if(leaving_, [](const auto& registration) { return registration->finished(); });
  publish_if_changed();
}

std::vector<TrunkStatus> TrunkClients::status() const {
  std::vector<TrunkStatus> out;
  out.reserve(trunks_.size());
  for (const auto& trunk : trunks_) {
    TrunkStatus status;
    status.tenant_domain = trunk->config.tenant_domain;
    status.name = trunk->config.name;
    status.registers = trunk->config.registers;
    status.keepalive = trunk->config.keepalive;
    if (!trunk->config.endpoint) {
      status.registration = trunk->unreachable;
    } else if (trunk->registration) {
      status.registration = trunk->registration->status();
    }
    if (trunk->keepalive) status.reachability = trunk->keepalive->status();
    out.push_back(std::move(status));
  }
  return out;
}

void TrunkClients::publish_if_changed() {
  if (!changed_) return;
  changed_ = false;
  if (options_.on_status) options_.on_status(status());
}

}  // namespace parley::sip
