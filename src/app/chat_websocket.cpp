#include "app/chat_websocket.hpp"

#include <spdlog/spdlog.h>

#include <span>
#include <utility>
#include <vector>

#include "app/websocket_sign_in.hpp"

namespace parley::app {
namespace {

// One task per worker that owns some of `sessions`, carrying the shared text: on its worker,
// send_stream writes directly, so a fan-out to 1,000 sessions crosses threads once per worker
// instead of 1,000 times with 1,000 copies (decision 0027). A connection id names its worker in
// its low 16 bits (net/worker_pool.hpp).
void fan_out(net::WorkerPool& pool, std::span<const chat::SessionId> sessions,
             const std::shared_ptr<const std::string>& text) {
  std::vector<std::vector<std::uint64_t>> by_worker(pool.size());
  for (const chat::SessionId session : sessions) {
    const std::size_t worker = static_cast<std::size_t>(session & 0xFFFFU);
    if (worker < by_worker.size()) by_worker[worker].push_back(session);
  }
  for (std::size_t worker = 0; worker < by_worker.size(); ++worker) {
    if (by_worker[worker].empty()) continue;
    pool.post(worker, [&pool, ids = std::move(by_worker[worker]), text] {
      for (const std::uint64_t id : ids) (void)pool.send_stream(id, *text);
    });
  }
}

}  // namespace

Result<std::unique_ptr<ChatWebSocket>> ChatWebSocket::open(const std::filesystem::path& data_dir,
                                                           net::WorkerPool& pool,
                                                           chat::ChatServiceOptions options) {
  auto store = open_handler_store(data_dir);
  if (!store) return store.error();
  chat::ChatAttachmentOptions attachment_options;
  attachment_options.data_dir = data_dir;
  return std::make_unique<ChatWebSocket>(std::move(store).value(), pool, std::move(options),
                                         std::move(attachment_options));
}

ChatWebSocket::ChatWebSocket(std::unique_ptr<store::sqlite::SqliteStore> store,
                             net::WorkerPool& pool, chat::ChatServiceOptions options,
                             chat::ChatAttachmentOptions attachment_options)
    : pool_(pool),
      store_(std::move(store)),
      service_(*store_, clock_, std::move(options)),
      hub_([&pool](std::span<const chat::SessionId> sessions,
                   const std::shared_ptr<const std::string>& text) {
        fan_out(pool, sessions, text);
      }),
      endpoint_(service_, hub_),
      attachments_(service_, *store_, endpoint_, std::move(attachment_options)),
      thread_([this] { run(); }) {}

ChatWebSocket::~ChatWebSocket() {
  {
    std::lock_guard lock(queue_mutex_);
    stopping_ = true;
  }
  queue_ready_.notify_one();
  thread_.join();
}

std::vector<std::string> ChatWebSocket::subprotocols() const {
  return {};
}

bool ChatWebSocket::enqueue(std::function<void()> job) {
  {
    std::lock_guard lock(queue_mutex_);
    if (queue_.size() >= kMaxQueuedJobs) return false;
    queue_.push_back(std::move(job));
  }
  queue_ready_.notify_one();
  return true;
}

void ChatWebSocket::run() {
  while (true) {
    std::function<void()> job;
    {
      std::unique_lock lock(queue_mutex_);
      queue_ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything queued is done
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    job();
  }
}

void ChatWebSocket::on_open(std::uint64_t connection_id, const http::WebSocketPeer& peer) {
  if (!enqueue([this, connection_id, cookie = peer.cookie] { opened(connection_id, cookie); })) {
    (void)pool_.send_stream(connection_id, chat::error_event(503, "chat is busy; try again"));
    pool_.close_stream(connection_id);
  }
}

void ChatWebSocket::on_message(std::uint64_t connection_id, std::string_view message) {
  if (!enqueue(
          [this, connection_id, copy = std::string(message)] { received(connection_id, copy); })) {
    (void)pool_.send_stream(connection_id, chat::error_event(503, "chat is busy; try again"));
  }
}

void ChatWebSocket::on_close(std::uint64_t connection_id) {
  // Never dropped: the hub must forget the connection. A full queue grows by this one job.
  {
    std::lock_guard lock(queue_mutex_);
    queue_.push_back([this, connection_id] {
      sessions_.erase(connection_id);
      endpoint_.disconnect(connection_id);
    });
  }
  queue_ready_.notify_one();
}

bool ChatWebSocket::post_from_sip(chat::ChatUser sender, std::string recipient, std::string body,
                                  std::function<void(Result<SipDelivery>)> done) {
  return enqueue([this, sender = std::move(sender), recipient = std::move(recipient),
                  body = std::move(body), done = std::move(done)] {
    auto message = endpoint_.post_direct(sender, recipient, body);
    if (!message) {
      done(message.error());
      return;
    }
    done(SipDelivery{std::move(message).value(), hub_.online(sender.tenant_id, recipient)});
  });
}

void ChatWebSocket::set_posted_listener(chat::ChatEndpoint::PostedListener listener) {
  // On the chat thread, so that it never races a request that is being handled.
  {
    std::lock_guard lock(queue_mutex_);
    queue_.push_back([this, listener = std::move(listener)]() mutable {
      endpoint_.set_posted_listener(std::move(listener));
    });
  }
  queue_ready_.notify_one();
}

Result<ChatWebSocket::Session> ChatWebSocket::authenticate(std::string_view cookie_header) {
  auto digest = session_cookie_digest(cookie_header);
  if (!digest) {
    return make_error(401, "sign in first (POST /api/v1/session); the chat uses its cookie");
  }
  Session session;
  session.session_digest = std::move(*digest);
  auto web_session = store_->get_web_session(session.session_digest, unix_now());
  if (!web_session) {
    if (store::is_error(web_session.error(), store::StoreError::kNotFound)) {
      return make_error(401, "the session has expired or was ended; sign in again");
    }
    return make_error(500, web_session.error().message);
  }
  if (!web_session->tenant_id || web_session->extension.empty()) {
    return make_error(403, "chat is for extension users; sign in with an extension");
  }
  session.user = {*web_session->tenant_id, web_session->extension, false};
  session.checked = std::chrono::steady_clock::now();
  return session;
}

void ChatWebSocket::refuse(std::uint64_t connection_id, const Error& error) {
  (void)pool_.send_stream(connection_id, chat::error_event(error.code, error.message));
  pool_.close_stream(connection_id);
}

void ChatWebSocket::opened(std::uint64_t connection_id, const std::string& cookie_header) {
  auto session = authenticate(cookie_header);
  if (!session) {
    spdlog::info("chat {}: refused: {}", connection_id, session.error().message);
    refuse(connection_id, session.error());
    return;
  }
  const chat::ChatUser user = session->user;
  sessions_.insert_or_assign(connection_id, std::move(session).value());
  (void)pool_.send_stream(connection_id, endpoint_.connect(connection_id, user));
}

void ChatWebSocket::received(std::uint64_t connection_id, const std::string& message) {
  const auto found = sessions_.find(connection_id);
  if (found == sessions_.end()) return;  // refused at open, or closed meanwhile
  Session& session = found->second;
  const auto now = std::chrono::steady_clock::now();
  if (now - session.checked > kRecheck) {
    auto still = store_->get_web_session(session.session_digest, unix_now());
    if (!still) {
      sessions_.erase(found);
      endpoint_.disconnect(connection_id);
      refuse(connection_id, make_error(401, "the session has expired or was ended; sign in again"));
      return;
    }
    session.checked = now;
  }
  (void)pool_.send_stream(connection_id, endpoint_.handle(connection_id, session.user, message));
}

}  // namespace parley::app
