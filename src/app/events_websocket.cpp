#include "app/events_websocket.hpp"

#include <spdlog/spdlog.h>

#include "app/websocket_sign_in.hpp"

namespace parley::app {
namespace {

constexpr std::size_t kMaxWatchers = 1000;

// The texts here are tenant domains (letters, digits, '.', '-') and fixed words: no escaping
// needed, but a quote or backslash is dropped rather than trusted.
std::string json_text(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c != '"' && c != '\\' && static_cast<unsigned char>(c) >= 0x20) out += c;
  }
  return out + "\"";
}

std::string error_message(int status, std::string_view detail) {
  return R"({"type":"error","status":)" + std::to_string(status) + R"(,"detail":)" +
         json_text(detail) + "}";
}

}  // namespace

Result<std::unique_ptr<EventsWebSocket>> EventsWebSocket::open(
    const std::filesystem::path& data_dir, net::WorkerPool& pool, const LiveCalls& live_calls) {
  auto store = open_handler_store(data_dir);
  if (!store) return store.error();
  return std::make_unique<EventsWebSocket>(std::move(store).value(), pool, live_calls);
}

EventsWebSocket::EventsWebSocket(std::unique_ptr<store::sqlite::SqliteStore> store,
                                 net::WorkerPool& pool, const LiveCalls& live_calls)
    : pool_(pool), store_(std::move(store)), live_calls_(live_calls), thread_([this] { run(); }) {}

EventsWebSocket::~EventsWebSocket() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

std::vector<std::string> EventsWebSocket::subprotocols() const {
  return {};
}

void EventsWebSocket::on_open(std::uint64_t connection_id, const http::WebSocketPeer& peer) {
  {
    std::lock_guard lock(mutex_);
    opened_.emplace_back(connection_id, peer.cookie);
  }
  wake_.notify_all();
}

void EventsWebSocket::on_message(std::uint64_t /*connection_id*/, std::string_view /*message*/) {}

void EventsWebSocket::on_close(std::uint64_t connection_id) {
  std::lock_guard lock(mutex_);
  closed_.push_back(connection_id);
}

Result<EventsWebSocket::Watcher> EventsWebSocket::authenticate(std::string_view cookie_header) {
  auto digest = session_cookie_digest(cookie_header);
  if (!digest) return make_error(401, "sign in first (POST /api/v1/session)");
  Watcher watcher;
  watcher.session_digest = std::move(*digest);
  auto session = store_->get_web_session(watcher.session_digest, unix_now());
  if (!session) return make_error(401, "the session has expired or was ended; sign in again");
  if (!session->admin_id) return make_error(403, "live counts are for admins");
  auto admin = store_->get_admin(*session->admin_id);
  if (!admin) return make_error(401, "the session has expired or was ended; sign in again");
  watcher.scope = admin->tenant_id;
  watcher.checked = std::chrono::steady_clock::now();
  return watcher;
}

void EventsWebSocket::refresh_tenants_and_bindings() {
  auto tenants = store_->list_tenants();
  auto bindings = store_->count_live_bindings(unix_now());
  if (!tenants || !bindings) {
    spdlog::warn("events: cannot read tenants or registrations: {}",
                 (!tenants ? tenants.error() : bindings.error()).message);
    return;
  }
  tenants_.clear();
  for (const auto& tenant : *tenants) tenants_[tenant.id].domain = tenant.domain;
  for (const auto& [tenant, count] : *bindings) {
    if (const auto it = tenants_.find(tenant); it != tenants_.end()) {
      it->second.registrations = count;
    }
  }
}

std::string EventsWebSocket::message_for(
    const Watcher& watcher, const std::map<store::TenantId, LiveCallCounts>& calls) const {
  std::string items;
  for (const auto& [id, tenant] : tenants_) {
    if (watcher.scope && *watcher.scope != id) continue;
    const auto found = calls.find(id);
    const LiveCallCounts counts = found == calls.end() ? LiveCallCounts{} : found->second;
    if (!items.empty()) items += ',';
    items += R"({"tenant":)" + json_text(tenant.domain) + R"(,"registrations":)" +
             std::to_string(tenant.registrations) + R"(,"calls":{"ringing":)" +
             std::to_string(counts.ringing) + R"(,"answered":)" + std::to_string(counts.answered) +
             "}}";
  }
  return R"({"type":"counts","tenants":[)" + items + "]}";
}

void EventsWebSocket::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, kTick);
    if (stopping_) break;
    auto opened = std::move(opened_);
    opened_.clear();
    auto closed = std::move(closed_);
    closed_.clear();
    lock.unlock();

    const auto now = std::chrono::steady_clock::now();
    for (const std::uint64_t id : closed) watchers_.erase(id);
    if (!opened.empty() || now - polled_ >= kBindingPoll) {
      refresh_tenants_and_bindings();
      polled_ = now;
    }
    for (auto& [id, cookie] : opened) {
      auto watcher = watchers_.size() >= kMaxWatchers
                         ? Result<Watcher>(make_error(503, "too many dashboards open"))
                         : authenticate(cookie);
      if (!watcher) {
        (void)pool_.send_stream(id, error_message(watcher.error().code, watcher.error().message));
        pool_.close_stream(id);
        continue;
      }
      watchers_.insert_or_assign(id, std::move(watcher).value());
    }
    // An id closed before its open was handled must not stay.
    for (const std::uint64_t id : closed) watchers_.erase(id);

    const auto calls = live_calls_.counts();
    for (auto it = watchers_.begin(); it != watchers_.end();) {
      Watcher& watcher = it->second;
      if (now - watcher.checked >= kRecheck) {
        if (!store_->get_web_session(watcher.session_digest, unix_now())) {
          (void)pool_.send_stream(it->first, error_message(401, "the session has ended"));
          pool_.close_stream(it->first);
          it = watchers_.erase(it);
          continue;
        }
        watcher.checked = now;
      }
      std::string message = message_for(watcher, calls);
      if (message != watcher.last_sent) {
        (void)pool_.send_stream(it->first, message);
        watcher.last_sent = std::move(message);
      }
      ++it;
    }
    lock.lock();
  }
}

}  // namespace parley::app
