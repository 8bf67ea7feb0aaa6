#pragma once
// ChatEndpoint: one chat session's side of the protocol (docs/chat-protocol.md). It turns each
// request text into a ChatService call, answers the requesting session with one reply that
// echoes the client id ({"type":"ok",...} or {"type":"error","code":..,"message":..}), and
// fans the resulting event out through the ChatHub to every other session of every member.
//
// Sign-in and sign-out: connect() registers an authenticated session with the hub and returns
// its "welcome" (the user's conversations with unread counts: how offline delivery reaches a
// user, since every message is in the store before anyone is told of it); a user's first
// session announces presence "available" to the tenant, the last one's disconnect "offline".
//
// Thread-safety: as ChatService and ChatHub (any thread); calls block on the store, so the
// caller runs them off event loops. Replies are returned, not sent: the caller sends them on
// the requesting session so that a reply never overtakes an earlier one on the same session.
// Ownership: borrows the service and the hub.

#include <functional>
#include <string>
#include <string_view>

#include "chat/chat_hub.hpp"
#include "chat/chat_service.hpp"

namespace parley::chat {

class ChatEndpoint {
 public:
  ChatEndpoint(ChatService& service, ChatHub& hub) : service_(service), hub_(hub) {}

  // Registers `session` for `user` (an extension) and returns the welcome text.
  std::string connect(SessionId session, const ChatUser& user);
  void disconnect(SessionId session);
  // The reply to one request text from `session` signed in as `user`.
  std::string handle(SessionId session, const ChatUser& user, std::string_view text);

  // A message that arrived from outside the WebSocket (SIP MESSAGE): opens the direct
  // conversation of `sender` and `recipient`, posts `body` (stored before this returns) and
  // sends the "message" event to every session of both members, then tells the listener.
  Result<store::ChatMessage> post_direct(const ChatUser& sender, std::string_view recipient,
                                         std::string_view body);

  // Sends the "message" event for `message` (already stored, e.g. a file posted over HTTP) to
  // every session of every member of its conversation, the sender's own included.
  void announce(const ChatUser& sender, const store::ChatMessage& message);

  // Told of every stored post (from handle() and post_direct()), after its fan-out, on the
  // calling thread: how the app forwards messages to the members' SIP devices. Set it before
  // the first request, on the thread that calls handle().
  using PostedListener = std::function<void(const ChatUser& sender, const ConversationView& view,
                                            const store::ChatMessage& message)>;
  void set_posted_listener(PostedListener listener) { posted_ = std::move(listener); }

 private:
  // The message with its attachments (looked up: history, edits, announced uploads).
  std::string message_event(std::string_view type, const store::ChatMessage& message);

  ChatService& service_;
  ChatHub& hub_;
  PostedListener posted_;
};

// {"type":"error","id":null,"code":code,"message":message}: for refusals before a session is
// signed in (no cookie, expired session).
std::string error_event(int code, std::string_view message);

}  // namespace parley::chat
