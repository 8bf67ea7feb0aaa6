#pragma once
// ChatHub: who is connected right now, and live delivery to them. It tracks every open chat
// session (one per WebSocket) under the (tenant, extension) it signed in as, and hands an event
// to every session of every named member through the sender it was built with.
//
// Fan-out cost (decision 0027): an event is serialised once by the caller and handed over once
// per fan-out — one BatchSender call with every target session and one shared, immutable text —
// so a 1,000-member channel costs one copy of the text, not 1,000, and the transport can cross
// threads once per worker instead of once per session.
//
// Nothing here is durable: a member with no session simply gets nothing now, and finds the
// message in history and in the unread counts at the next sign-in (the store has it already,
// see ChatService::post). So the hub never queues, and a slow session is the transport's
// business (its write queue limit), not the hub's.
//
// Thread-safety: every method may be called from any thread; one mutex guards the tables and
// is never held while the Sender runs. Ownership: owns the Sender; the Sender must stay valid
// until the hub is destroyed.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "store/store.hpp"

namespace parley::chat {

using SessionId = std::uint64_t;

class ChatHub {
 public:
  // One fan-out: every target session gets `text` (never null, shared by all of them).
  using BatchSender = std::function<void(std::span<const SessionId> sessions,
                                         const std::shared_ptr<const std::string>& text)>;
  // One session at a time (tests, small tools): called once per target session.
  using Sender = std::function<void(SessionId session, const std::string& text)>;

  explicit ChatHub(BatchSender sender) : sender_(std::move(sender)) {}
  explicit ChatHub(Sender sender);

  // Registers `session` for (tenant, extension). True when it is that user's first session
  // (the user came online). Attaching a known session again changes nothing and returns false.
  bool attach(SessionId session, store::TenantId tenant, std::string extension);

  struct Detached {
    store::TenantId tenant_id = 0;
    std::string extension;
    bool last = false;  // the user has no session left (went offline)
  };
  // Forgets `session`; nullopt when it was not attached.
  std::optional<Detached> detach(SessionId session);

  bool online(store::TenantId tenant, std::string_view extension) const;
  std::size_t session_count() const;

  // Sends `text` to every session of each of `extensions` in `tenant`, except `except`.
  // Returns the number of sessions it was handed to.
  std::size_t deliver(store::TenantId tenant, const std::vector<std::string>& extensions,
                      std::string text, std::optional<SessionId> except = std::nullopt);
  // Sends `text` to every session of `tenant` (presence), except `except`.
  std::size_t deliver_to_tenant(store::TenantId tenant, std::string text,
                                std::optional<SessionId> except = std::nullopt);

 private:
  using UserKey = std::pair<store::TenantId, std::string>;

  // Hands `text` to `targets` in one sender call; returns how many there were.
  std::size_t send(const std::vector<SessionId>& targets, std::string text);

  BatchSender sender_;
  mutable std::mutex mutex_;
  std::map<UserKey, std::set<SessionId>, std::less<>> by_user_;  // guarded by mutex_
  std::unordered_map<SessionId, UserKey> by_session_;            // guarded by mutex_
};

}  // namespace parley::chat
