#pragma once
// ChatWebSocket: the team chat endpoint at /chat of the HTTPS server (docs/chat-protocol.md).
//
// Sign-in: the browser's web session cookie (parley_session, set by POST /api/v1/session)
// comes with the upgrade; a session of an extension user opens the chat as that extension of
// its tenant. No cookie, an unknown or expired session, or an admin session (admins have no
// extension) get one error message (401/403) and the connection is closed. The session is
// checked again every kRecheck while the connection lives, so a sign-out or expiry ends chat.
//
// Threading: WebSocket callbacks arrive on the HTTP workers, which also carry SIP and RTP and
// must never wait on SQLite; every callback becomes a job on one chat thread, in arrival order
// (so a connection's requests are answered in order and its open comes before its messages).
// The chat thread owns the per-connection table; replies and fan-out go out through
// WorkerPool::send_stream, which is safe from any thread. A queue over kMaxQueuedJobs answers
// new requests at once with a 503 error instead of growing without bound.
//
// Lifetime: construct before the HttpServer, destroy after it (the server calls the handler
// until it is destroyed); the destructor finishes the queued jobs and joins the thread.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "base/clock.hpp"
#include "base/result.hpp"
#include "chat/chat_attachments.hpp"
#include "chat/chat_endpoint.hpp"
#include "chat/chat_hub.hpp"
#include "chat/chat_service.hpp"
#include "http/websocket_handler.hpp"
#include "net/worker_pool.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace parley::app {

class ChatWebSocket final : public http::WebSocketHandler {
 public:
  static constexpr std::string_view kPath = "/chat";
  static constexpr std::chrono::seconds kRecheck{30};
  static constexpr std::size_t kMaxQueuedJobs = 10000;

  // Opens its own connection to the database in `data_dir` (chat writes never wait behind the
  // SIP side's store lock) and starts the chat thread.
  // Attachments go to `data_dir`/chat-attachments.
  static Result<std::unique_ptr<ChatWebSocket>> open(const std::filesystem::path& data_dir,
                                                     net::WorkerPool& pool,
                                                     chat::ChatServiceOptions options = {});
  ChatWebSocket(std::unique_ptr<store::sqlite::SqliteStore> store, net::WorkerPool& pool,
                chat::ChatServiceOptions options,
                chat::ChatAttachmentOptions attachment_options = {});
  ~ChatWebSocket() override;
  ChatWebSocket(const ChatWebSocket&) = delete;
  ChatWebSocket& operator=(const ChatWebSocket&) = delete;

  std::vector<std::string> subprotocols() const override;
  void on_open(std::uint64_t connection_id, const http::WebSocketPeer& peer) override;
  void on_message(std::uint64_t connection_id, std::string_view message) override;
  void on_close(std::uint64_t connection_id) override;

  // SIP MESSAGE (SipMessageBridge). post_from_sip queues ChatEndpoint::post_direct on the chat
  // thread and calls `done` there with the stored message and whether the recipient has a chat
  // session now; false (and `done` never called) when the queue is full.
  struct SipDelivery {
    store::ChatMessage message;
    bool recipient_online = false;
  };
  bool post_from_sip(chat::ChatUser sender, std::string recipient, std::string body,
                     std::function<void(Result<SipDelivery>)> done);
  // Upload and download of chat files for the REST API (any thread; events reach /chat).
  chat::ChatAttachments& attachments() { return attachments_; }
  // Installs ChatEndpoint's posted listener (it runs on the chat thread). Call before serving.
  void set_posted_listener(chat::ChatEndpoint::PostedListener listener);

 private:
  struct Session {
    chat::ChatUser user;
    std::string session_digest;
    std::chrono::steady_clock::time_point checked;
  };

  // Queues `job` for the chat thread; false when the queue is full.
  bool enqueue(std::function<void()> job);
  void run();
  // On the chat thread: the extension user of the web session in `cookie_header`, or the error
  // to send before closing.
  Result<Session> authenticate(std::string_view cookie_header);
  void opened(std::uint64_t connection_id, const std::string& cookie_header);
  void received(std::uint64_t connection_id, const std::string& message);
  void refuse(std::uint64_t connection_id, const Error& error);

  net::WorkerPool& pool_;
  std::unique_ptr<store::sqlite::SqliteStore> store_;
  SteadyClock clock_;
  chat::ChatService service_;
  chat::ChatHub hub_;
  chat::ChatEndpoint endpoint_;
  chat::ChatAttachments attachments_;
  std::unordered_map<std::uint64_t, Session> sessions_;  // chat thread only

  std::mutex queue_mutex_;
  std::condition_variable queue_ready_;
  std::deque<std::function<void()>> queue_;  // guarded by queue_mutex_
  bool stopping_ = false;                    // guarded by queue_mutex_
  std::thread thread_;                       // last: starts after everything above exists
};

}  // namespace parley::app
