#pragma once
// SipMessageBridge: SIP MESSAGE (RFC 3428) to and from team chat, so that a desk phone or a
// softphone chats with web users (docs/chat-protocol.md, "SIP MESSAGE").
//
// Inbound: each worker's SipMessageRelay checks and authenticates an out-of-dialog MESSAGE on
// its loop and hands it here; deliver() runs the post on the chat thread (ChatWebSocket), where
// it is stored in the direct conversation of the two extensions and fanned out through the
// ChatHub, and posts the verdict back to the worker, which only then answers the MESSAGE.
//
// Outbound: every message stored in a direct conversation (from /chat or from SIP) is offered to
// forward() on the chat thread. When the other member has registered SIP devices that are not
// browsers (WS/WSS bindings get it over /chat already), it posts one send to a worker's relay,
// which sends a MESSAGE to each device. Workers are taken in turn.
//
// Thread-safety: deliver() from worker loops, forward() from the chat thread; the relay table
// is guarded by a mutex. Start-up: attach_chat() and the workers' attach_worker() happen before
// the pool starts; a worker detaches only after the pool stopped running tasks.
// Ownership: borrows the pool, the core and the chat, which outlive it (serve.cpp declares the
// bridge before the SIP service and the chat endpoint, after the pool).

#include <atomic>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "app/pbx_core.hpp"
#include "chat/chat_service.hpp"
#include "net/worker_pool.hpp"
#include "sip/transaction.hpp"

namespace parley::app {

class ChatWebSocket;
class SipMessageRelay;

// A MESSAGE a relay accepted: authenticated sender, recipient of the same tenant, text body.
struct InboundSipMessage {
  store::TenantId tenant_id = 0;
  std::string sender;
  std::string recipient;
  std::string body;
};

// How the relay answers a MESSAGE once the chat thread is done with it.
struct SipMessageVerdict {
  int status = 200;
  std::string reason;        // empty: the default phrase
  bool retry_later = false;  // add Retry-After (flood throttle, busy queue)
};

// One chat message to the registered SIP devices of one extension.
struct OutgoingSipMessage {
  std::string from_uri;  // sip:sender@tenant-domain
  std::string to_uri;    // sip:recipient@tenant-domain
  std::string body;
  std::vector<store::Binding> bindings;
};

struct SipMessageBridgeOptions {
  std::size_t max_body_bytes = std::size_t{16} * 1024;  // as ChatServiceOptions; beyond: 413
};

class SipMessageBridge {
 public:
  SipMessageBridge(net::WorkerPool& pool, PbxCore& core, SipMessageBridgeOptions options = {});
  SipMessageBridge(const SipMessageBridge&) = delete;
  SipMessageBridge& operator=(const SipMessageBridge&) = delete;

  const SipMessageBridgeOptions& options() const { return options_; }

  // Connects the chat (and installs its posted listener). Without a chat the relays leave
  // MESSAGE to the ordinary 405 answer.
  void attach_chat(ChatWebSocket& chat);
  bool enabled() const { return chat_.load(std::memory_order_acquire) != nullptr; }

  void attach_worker(std::size_t worker, SipMessageRelay& relay);
  void detach_worker(std::size_t worker);

  // Worker side: stores `message` on the chat thread, then has `worker`'s relay answer server
  // transaction `transaction` with the verdict (on its loop). False when the chat is missing or
  // its queue is full; the caller answers at once.
  bool deliver(std::size_t worker, sip::TransactionId transaction, InboundSipMessage message);

 private:
  // Chat thread: forwards a stored message of a direct conversation to the other member's
  // SIP devices.
  void forward(const chat::ChatUser& sender, const chat::ConversationView& view,
               const store::ChatMessage& message);
  void post_to_relay(std::size_t worker, std::function<void(SipMessageRelay&)> task);

  net::WorkerPool& pool_;
  PbxCore& core_;
  SipMessageBridgeOptions options_;
  std::atomic<ChatWebSocket*> chat_{nullptr};
  std::atomic<std::size_t> next_worker_{0};
  std::mutex relays_mutex_;
  std::vector<SipMessageRelay*> relays_;  // by worker; guarded by relays_mutex_
};

}  // namespace parley::app
