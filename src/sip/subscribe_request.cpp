#include "sip/subscribe_request.hpp"

#include <algorithm>

#include "base/ascii.hpp"
#include "protocol/sip/uri.hpp"
#include "sip/registrar.hpp"

namespace parley::sip {

namespace {

using protocol::sip::HeaderId;

using base::iequals;

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

}  // namespace

std::string_view package_name(EventPackage package) {
  switch (package) {
    case EventPackage::kDialog:
      return "dialog";
    case EventPackage::kPresence:
      return "presence";
    case EventPackage::kMessageSummary:
      break;
  }
  return "message-summary";
}

std::string_view content_type_of(EventPackage package) {
  switch (package) {
    case EventPackage::kDialog:
      return "application/dialog-info+xml";
    case EventPackage::kPresence:
      return "application/pidf+xml";
    case EventPackage::kMessageSummary:
      break;
  }
  return "application/simple-message-summary";
}

Result<SubscribeRequest> read_subscribe(const protocol::sip::Message& request) {
  SubscribeRequest out;
  const std::string_view event = request.first(HeaderId::kEvent);
  const auto semicolon = event.find(';');
  out.package_text = trim(event.substr(0, semicolon));
  if (semicolon != std::string_view::npos) {
    const protocol::sip::ParamList params(event.substr(semicolon + 1));
    out.event_id = trim(params.get("id").value_or(""));
  }
  // Event packages are tokens compared case-sensitively (RFC 6665 §8.2.1 leaves no room for
  // "Dialog"); phones send them in lower case.
  if (out.package_text == "dialog") out.package = EventPackage::kDialog;
  if (out.package_text == "presence") out.package = EventPackage::kPresence;
  if (out.package_text == "message-summary") out.package = EventPackage::kMessageSummary;

  if (out.package) {
    const std::string_view wanted = content_type_of(*out.package);
    bool any = false;
    bool match = false;
    for (const auto& field : request.headers()) {
      if (field.id != HeaderId::kAccept) continue;
      any = true;
      std::string_view value = request.value(field);
      value = trim(value.substr(0, value.find(';')));
      if (iequals(value, wanted) || value == "*/*" || iequals(value, "application/*")) {
        match = true;
      }
    }
    out.accepted = !any || match;
  }

  if (request.count(HeaderId::kExpires) > 1) return make_error(400, "Multiple Expires");
  if (request.has(HeaderId::kExpires)) {
    auto parsed = parse_delta_seconds(request.first(HeaderId::kExpires));
    if (!parsed) return make_error(400, "Invalid Expires");
    out.expires = *parsed;
  }
  return out;
}

}  // namespace parley::sip
