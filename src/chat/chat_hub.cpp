#include "chat/chat_hub.hpp"

#include <algorithm>

namespace parley::chat {

ChatHub::ChatHub(Sender sender)
    : sender_([sender = std::move(sender)](std::span<const SessionId> sessions,
                                           const std::shared_ptr<const std::string>& text) {
        for (const SessionId session : sessions) sender(session, *text);
      }) {}

std::size_t ChatHub::send(const std::vector<SessionId>& targets, std::string text) {
  if (!targets.empty()) {
    sender_(targets, std::make_shared<const std::string>(std::move(text)));
  }
  return targets.size();
}

bool ChatHub::attach(SessionId session, store::TenantId tenant, std::string extension) {
  std::lock_guard lock(mutex_);
  if (by_session_.contains(session)) return false;
  UserKey key{tenant, std::move(extension)};
  auto& sessions = by_user_[key];
  const bool first = sessions.empty();
  sessions.insert(session);
  by_session_.emplace(session, std::move(key));
  return first;
}

std::optional<ChatHub::Detached> ChatHub::detach(SessionId session) {
  std::lock_guard lock(mutex_);
  const auto found = by_session_.find(session);
  if (found == by_session_.end()) return std::nullopt;
  UserKey key = std::move(found->second);
  by_session_.erase(found);
  bool last = false;
  if (const auto user = by_user_.find(key); user != by_user_.end()) {
    user->second.erase(session);
    if (user->second.empty()) {
      by_user_.erase(user);
      last = true;
    }
  }
  return Detached{key.first, std::move(key.second), last};
}

bool ChatHub::online(store::TenantId tenant, std::string_view extension) const {
  std::lock_guard lock(mutex_);
  return by_user_.contains(UserKey{tenant, std::string(extension)});
}

std::size_t ChatHub::session_count() const {
  std::lock_guard lock(mutex_);
  return by_session_.size();
}

std::size_t ChatHub::deliver(store::TenantId tenant, const std::vector<std::string>& extensions,
                             std::string text, std::optional<SessionId> except) {
  std::vector<SessionId> targets;
  {
    std::lock_guard lock(mutex_);
    targets.reserve(std::min(extensions.size(), by_session_.size()));
    UserKey key{tenant, std::string()};
    for (const std::string& extension : extensions) {
      key.second = extension;  // reuses the key's buffer: no allocation per member
      const auto user = by_user_.find(key);
      if (user == by_user_.end()) continue;
      for (const SessionId session : user->second) {
        if (session != except) targets.push_back(session);
      }
    }
  }
  return send(targets, std::move(text));
}

std::size_t ChatHub::deliver_to_tenant(store::TenantId tenant, std::string text,
                                       std::optional<SessionId> except) {
  std::vector<SessionId> targets;
  {
    std::lock_guard lock(mutex_);
    for (auto user = by_user_.lower_bound(UserKey{tenant, std::string()});
         user != by_user_.end() && user->first.first == tenant; ++user) {
      for (const SessionId session : user->second) {
        if (session != except) targets.push_back(session);
      }
    }
  }
  return send(targets, std::move(text));
}

}  // namespace parley::chat
