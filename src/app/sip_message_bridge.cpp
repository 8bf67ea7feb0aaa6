#include "app/sip_message_bridge.hpp"

#include <spdlog/spdlog.h>

#include <utility>

#include "app/chat_websocket.hpp"
#include "app/sip_message_relay.hpp"
#include "sip/call_routing.hpp"

namespace parley::app {
namespace {

// A chat error as the SIP answer to the MESSAGE that carried the text.
SipMessageVerdict verdict_of(const Error& error) {
  switch (error.code) {
    case 400:
    case 403:
    case 404:
    case 413:
      return {error.code, {}, false};
    case 429:
      return {503, "Too Many Messages", true};
    case 503:
      return {503, "Chat Busy", true};
    default:
      return {500, "Chat Unavailable", false};
  }
}

bool reached_over_chat(const store::Binding& binding) {
  const auto transport = sip::transport_from_text(binding.received.transport);
  return transport &&
         (*transport == sip::TransportKind::kWs || *transport == sip::TransportKind::kWss);
}

}  // namespace

SipMessageBridge::SipMessageBridge(net::WorkerPool& pool, PbxCore& core,
                                   SipMessageBridgeOptions options)
    : pool_(pool), core_(core), options_(options), relays_(pool.size(), nullptr) {}

void SipMessageBridge::attach_chat(ChatWebSocket& chat) {
  chat.set_posted_listener(
      [this](const chat::ChatUser& sender, const chat::ConversationView& view,
             const store::ChatMessage& message) { forward(sender, view, message); });
  chat_.store(&chat, std::memory_order_release);
}

void SipMessageBridge::attach_worker(std::size_t worker, SipMessageRelay& relay) {
  std::lock_guard lock(relays_mutex_);
  if (worker < relays_.size()) relays_[worker] = &relay;
}

void SipMessageBridge::detach_worker(std::size_t worker) {
  std::lock_guard lock(relays_mutex_);
  if (worker < relays_.size()) relays_[worker] = nullptr;
}

void SipMessageBridge::post_to_relay(std::size_t worker,
                                     std::function<void(SipMessageRelay&)> task) {
  pool_.post(worker, [this, worker, task = std::move(task)] {
    SipMessageRelay* relay = nullptr;
    {
      std::lock_guard lock(relays_mutex_);
      relay = relays_[worker];
    }
    if (relay != nullptr) task(*relay);
  });
}

bool SipMessageBridge::deliver(std::size_t worker, sip::TransactionId transaction,
                               InboundSipMessage message) {
  ChatWebSocket* chat = chat_.load(std::memory_order_acquire);
  if (chat == nullptr) return false;
  const chat::ChatUser sender{message.tenant_id, message.sender, false};
  return chat->post_from_sip(
      sender, std::move(message.recipient), std::move(message.body),
      [this, worker, transaction](Result<ChatWebSocket::SipDelivery> delivered) {
        SipMessageVerdict verdict;
        if (!delivered) {
          verdict = verdict_of(delivered.error());
          verdict.reason = verdict.reason.empty() ? delivered.error().message : verdict.reason;
        } else if (!delivered->recipient_online) {
          verdict.status = 202;  // stored; the recipient reads it at the next sign-in
        }
        post_to_relay(worker, [transaction, verdict = std::move(verdict)](SipMessageRelay& relay) {
          relay.finish(transaction, verdict);
        });
      });
}

void SipMessageBridge::forward(const chat::ChatUser& sender, const chat::ConversationView& view,
                               const store::ChatMessage& message) {
  if (view.conversation.kind != store::ConversationKind::kDirect || message.body.empty()) return;
  std::string recipient;
  for (const auto& member : view.members) {
    if (member.extension != sender.extension) recipient = member.extension;
  }
  if (recipient.empty()) return;
  OutgoingSipMessage out;
  for (auto& binding : core_.location().lookup(sender.tenant_id, recipient)) {
    if (!reached_over_chat(binding)) out.bindings.push_back(std::move(binding));
  }
  if (out.bindings.empty()) return;
  const auto snapshot = core_.directory().snapshot();
  const sip::TenantInfo* tenant = snapshot->tenant(sender.tenant_id);
  if (tenant == nullptr) return;
  out.from_uri = "sip:" + sender.extension + "@" + tenant->domain;
  out.to_uri = "sip:" + recipient + "@" + tenant->domain;
  out.body = message.body;
  const std::size_t worker = next_worker_.fetch_add(1, std::memory_order_relaxed) % pool_.size();
  spdlog::debug("chat message {} to {} SIP device(s) of {} via worker {}", message.id,
                out.bindings.size(), out.to_uri, worker);
  post_to_relay(worker, [out = std::move(out)](SipMessageRelay& relay) { relay.send(out); });
}

}  // namespace parley::app
