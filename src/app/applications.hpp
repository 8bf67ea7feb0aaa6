#pragma once
// Applications: the calls Parley answers itself (decision 0018), as the B2BUA's
// sip::LocalSessionFactory. A plan's application is named "kind" or "kind:argument" ("echo",
// "conference:3001", "voicemail:1002", "park:701"); the kind picks a maker registered at
// start-up, which gets the argument and builds the call's session on its worker loop, usually
// around a media::LocalEndpoint (one RTP leg terminated here). New kinds plug in with add() in
// serve.cpp; the B2BUA, the routing and this factory's callers do not change.
//
// Built in: "echo" (echo_application.hpp), the caller hears itself.
//
// application_for_dialled() is the part of the dial plan that needs no tenant data: feature
// codes that reach an application (docs/feature-codes.md). The worker's routing asks it before
// the tenant's dial plan.
//
// Thread-safety: add() only before the workers start; create() on any worker loop (the makers
// are read-only by then), and each session lives on the loop that created it.

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/clock.hpp"
#include "base/result.hpp"
#include "media/local_endpoint.hpp"
#include "sip/call_media.hpp"

namespace parley::net {
class WorkerPool;
}
namespace parley::media {
class PortPool;
}

namespace parley::app {

// What a maker gets to build one call's session. Valid during the maker's call only; the
// session keeps what it needs (the pool, ports and clock outlive every session).
struct ApplicationContext {
  net::WorkerPool& pool;
  std::size_t worker;  // the call's loop, where the session lives
  media::PortPool& ports;
  const Clock& clock;
  const media::LocalEndpointOptions& endpoint;
  const sip::CallMediaInfo& call;
  std::string_view argument;  // what follows "kind:" (empty for "echo")
  std::function<void()> hang_up;
};

// Error::code is the caller's status (404 no such room, 486 full, 503 no media ports).
using ApplicationMaker =
    std::function<Result<std::unique_ptr<sip::LocalSession>>(ApplicationContext& context)>;

class Applications final : public sip::LocalSessionFactory {
 public:
  // The built-in kinds are registered here. `endpoint` says where RTP legs bind and what they
  // advertise; `ports` is the media range shared with the relay.
  Applications(net::WorkerPool& pool, media::PortPool& ports, const Clock& clock,
               media::LocalEndpointOptions endpoint);

  // Registers (or replaces) a kind. Start-up only.
  void add(std::string kind, ApplicationMaker make);
  bool has(std::string_view kind) const;

  Result<std::unique_ptr<sip::LocalSession>> create(const sip::CallMediaInfo& info,
                                                    std::string_view application,
                                                    std::function<void()> hang_up) override;

 private:
  net::WorkerPool& pool_;
  media::PortPool& ports_;
  const Clock& clock_;
  media::LocalEndpointOptions endpoint_;
  std::map<std::string, ApplicationMaker, std::less<>> makers_;
};

// The feature code that dials the echo test (the code Asterisk/FreePBX users know).
inline constexpr std::string_view kEchoTestCode = "*43";
// The feature code of the caller's own voicemail box (decision 0029; Asterisk/FreePBX's *97).
inline constexpr std::string_view kVoicemailMenuCode = "*97";

// The application `dialled` names by itself, whatever the tenant: "*43" → "echo", "*97" →
// "voicemail-menu". nullopt for anything else (extensions, ring groups and other codes are the
// dial plan's).
std::optional<std::string> application_for_dialled(std::string_view dialled);

}  // namespace parley::app
