#pragma once
// EventsWebSocket: the admin dashboard's live counts at /api/v1/events of the HTTPS server
// (docs/api.md): per tenant, live registrations and calls (ringing, answered), pushed when they
// change.
//
// Sign-in: the web session cookie (parley_session) that comes with the upgrade, as for the rest
// of the API; an admin session is needed (a tenant admin sees its own tenant, a system admin
// every tenant). Anything else gets one {"type":"error","status":401|403,...} message and the
// connection is closed. The session is checked again every kRecheck.
//
// Coalescing: one events thread samples the counts every kTick (live calls from LiveCalls, which
// is cheap; registrations from the database every kBindingPoll) and sends a watcher a message
// only when what it would see differs from what it was last sent, so a burst of call changes
// costs at most one message per tick per watcher. Messages from the browser are ignored.
//
// Threading: WebSocket callbacks arrive on the HTTP workers, which must never wait on SQLite;
// they only queue the open or close for the events thread, which owns the watchers and sends
// through WorkerPool::send_stream (safe from any thread).
//
// Lifetime: construct before the HttpServer, destroy after it; `live_calls` must outlive it.
// The destructor stops and joins the thread.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "app/live_calls.hpp"
#include "base/result.hpp"
#include "http/websocket_handler.hpp"
#include "net/worker_pool.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace parley::app {

class EventsWebSocket final : public http::WebSocketHandler {
 public:
  static constexpr std::string_view kPath = "/api/v1/events";
  static constexpr std::chrono::milliseconds kTick{250};
  static constexpr std::chrono::seconds kBindingPoll{2};
  static constexpr std::chrono::seconds kRecheck{30};

  // Opens its own connection to the database in `data_dir` and starts the events thread.
  static Result<std::unique_ptr<EventsWebSocket>> open(const std::filesystem::path& data_dir,
                                                       net::WorkerPool& pool,
                                                       const LiveCalls& live_calls);
  EventsWebSocket(std::unique_ptr<store::sqlite::SqliteStore> store, net::WorkerPool& pool,
                  const LiveCalls& live_calls);
  ~EventsWebSocket() override;
  EventsWebSocket(const EventsWebSocket&) = delete;
  EventsWebSocket& operator=(const EventsWebSocket&) = delete;

  std::vector<std::string> subprotocols() const override;
  void on_open(std::uint64_t connection_id, const http::WebSocketPeer& peer) override;
  void on_message(std::uint64_t connection_id, std::string_view message) override;
  void on_close(std::uint64_t connection_id) override;

 private:
  struct Watcher {
    std::optional<store::TenantId> scope;  // empty: every tenant (system admin)
    std::string session_digest;
    std::chrono::steady_clock::time_point checked;
    std::string last_sent;
  };
  struct TenantCounts {
    std::string domain;
    std::size_t registrations = 0;
    LiveCallCounts calls;
  };

  void run();
  // On the events thread: the watcher for the admin session in `cookie_header`, or the error.
  Result<Watcher> authenticate(std::string_view cookie_header);
  void refresh_tenants_and_bindings();
  std::string message_for(const Watcher& watcher,
                          const std::map<store::TenantId, LiveCallCounts>& calls) const;

  net::WorkerPool& pool_;
  std::unique_ptr<store::sqlite::SqliteStore> store_;
  const LiveCalls& live_calls_;
  // Events thread only:
  std::unordered_map<std::uint64_t, Watcher> watchers_;
  std::map<store::TenantId, TenantCounts> tenants_;
  std::chrono::steady_clock::time_point polled_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::pair<std::uint64_t, std::string>> opened_;  // guarded by mutex_
  std::vector<std::uint64_t> closed_;                         // guarded by mutex_
  bool stopping_ = false;                                     // guarded by mutex_
  std::thread thread_;  // last: starts after everything above exists
};

}  // namespace parley::app
