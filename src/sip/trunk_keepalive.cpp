#include "sip/trunk_keepalive.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <utility>

#include "sip/dialog.hpp"

namespace parley::sip {

std::string_view to_text(Reachability reachability) {
  switch (reachability) {
    case Reachability::kUnknown:
      return "unknown";
    case Reachability::kUp:
      return "up";
    case Reachability::kDown:
      return "down";
  }
  return "?";
}

TrunkKeepAlive::TrunkKeepAlive(TrunkKeepAliveOptions options, TrunkEndpoint endpoint,
                               std::string from_user)
    : options_(std::move(options)),
      endpoint_(std::move(endpoint)),
      from_user_(std::move(from_user)) {
  if (!options_.wall_clock) {
    options_.wall_clock = [] {
      return std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch())
          .count();
    };
  }
  options_.failures_for_down = std::max(1, options_.failures_for_down);
  status_.since = options_.wall_clock();
  targets_.push_back({endpoint_.peer, endpoint_.local_host_port});
  targets_.insert(targets_.end(), endpoint_.alternates.begin(), endpoint_.alternates.end());
}

void TrunkKeepAlive::start() {
  probe();
}

void TrunkKeepAlive::probe() {
  sent_at_ = options_.clock.now();
  next_ = sent_at_ + options_.interval;
  const std::string uri = endpoint_.request_uri();
  std::string from = "<sip:";
  if (!from_user_.empty()) from.append(from_user_).append("@");
  from.append(endpoint_.local_host_port).append(">;tag=").append(options_.layer.make_tag());
  const std::string to = "<" + uri + ">";
  const std::string via =
      make_via(endpoint_.peer.transport, endpoint_.local_host_port, options_.layer.make_branch());
  const std::string call_id = options_.make_call_id();
  const std::string wire = build_trunk_request({.method = "OPTIONS",
                                                .request_uri = uri,
                                                .from = from,
                                                .to = to,
                                                .call_id = call_id,
                                                .cseq = ++cseq_,
                                                .via = via,
                                                .extra_lines = "Accept: application/sdp\r\n",
                                                .user_agent = options_.user_agent});
  auto sent = options_.layer.send_request(wire, endpoint_.peer);
  if (!sent) {
    pending_ = 0;
    record(false, 503);
    return;
  }
  pending_ = *sent;
}

bool TrunkKeepAlive::on_response(TransactionId id, const protocol::sip::Message& response) {
  if (id == 0 || id != pending_) return false;
  const int code = response.status_code();
  if (code < 200) return true;
  pending_ = 0;
  record(code != 408 && code != 503, code);
  return true;
}

bool TrunkKeepAlive::on_client_failure(TransactionId id, ClientFailure failure) {
  if (id == 0 || id != pending_) return false;
  pending_ = 0;
  record(false, failure_status_code(failure));
  return true;
}

void TrunkKeepAlive::record(bool success, int code) {
  if (!success && targets_.size() > 1) {
    target_ = (target_ + 1) % targets_.size();
    endpoint_.peer = targets_[target_].peer;
    endpoint_.local_host_port = targets_[target_].local_host_port;
    if (++failed_in_round_ < targets_.size()) {
      next_ = options_.clock.now();  // the next target, at once
      return;
    }
  }
  failed_in_round_ = 0;
  const ReachabilityStatus before = status_;
  status_.last_code = code;
  Reachability state = status_.state;
  if (success) {
    consecutive_failures_ = 0;
    state = Reachability::kUp;
  } else if (++consecutive_failures_ >= options_.failures_for_down) {
    state = Reachability::kDown;
  }
  if (state != status_.state) {
    status_.state = state;
    status_.since = options_.wall_clock();
    spdlog::info("trunk {}: {} ({})", endpoint_.domain, to_text(state), code);
  }
  if (options_.on_change && (before.state != status_.state || before.last_code != code)) {
    options_.on_change();
  }
  if (before.state == Reachability::kDown && state == Reachability::kUp && options_.on_back_up) {
    options_.on_back_up();
  }
}

void TrunkKeepAlive::process_timers() {
  if (pending_ != 0 || options_.clock.now() < next_) return;
  probe();
}

}  // namespace parley::sip
