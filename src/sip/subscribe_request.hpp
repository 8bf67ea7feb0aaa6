#pragma once
// What the notifier (subscription_service.hpp) reads from a SUBSCRIBE before anything else: the
// event package and its id (RFC 6665 §8.2.1 Event), whether Accept allows the package's body
// type, and Expires. Pure: views into the request, no state; fuzzed by tests/fuzz.

#include <cstdint>
#include <optional>
#include <string_view>

#include "base/result.hpp"
#include "protocol/sip/message.hpp"

namespace parley::sip {

// The event packages Parley serves.
enum class EventPackage : std::uint8_t {
  kDialog,          // RFC 4235, application/dialog-info+xml
  kPresence,        // RFC 3856, application/pidf+xml
  kMessageSummary,  // RFC 3842, application/simple-message-summary (voicemail MWI)
};

std::string_view package_name(EventPackage package);
std::string_view content_type_of(EventPackage package);
inline constexpr std::string_view kAllowEvents = "dialog, presence, message-summary";

struct SubscribeRequest {
  std::optional<EventPackage> package;  // nullopt: no Event header or a package we do not serve
  std::string_view package_text;        // as written (trimmed)
  std::string_view event_id;            // the Event "id" parameter; empty when none
  bool accepted = true;  // Accept absent, or lists the package's type, */*, application/*
  std::optional<std::uint32_t> expires;  // the Expires header; nullopt when absent
};

// Fails with code 400 for more than one Expires header or one that is not delta-seconds.
Result<SubscribeRequest> read_subscribe(const protocol::sip::Message& request);

}  // namespace parley::sip
