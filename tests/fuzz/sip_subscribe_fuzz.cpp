// libFuzzer target: a SIP message as a SUBSCRIBE reaches the notifier's first reading
// (sip/subscribe_request.hpp: Event package and id, Accept, Expires), then the dialog-info and
// PIDF builders with whatever text it yields. Views must point into the message; every
// document built must be escaped (no raw '<' from the input).

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/sip/message.hpp"
#include "sip/dialog_info.hpp"
#include "sip/presence.hpp"
#include "sip/subscribe_request.hpp"

namespace {

void require_inside(std::string_view part, std::string_view whole) {
  if (part.empty()) return;
  if (part.data() < whole.data() || part.data() + part.size() > whole.data() + whole.size()) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto message = parley::protocol::sip::parse_message(input);
  if (!message.ok() || !message->is_request()) return 0;
  auto read = parley::sip::read_subscribe(*message);
  if (!read.ok()) {
    if (read.error().code != 400) std::abort();
    return 0;
  }
  const std::string_view raw = message->raw();
  require_inside(read->package_text, raw);
  require_inside(read->event_id, raw);
  if (read->package && !read->accepted && !message->has(parley::protocol::sip::HeaderId::kAccept)) {
    std::abort();  // only an Accept header can refuse the body type
  }

  const std::string text(read->event_id);
  const std::vector<parley::sip::DialogInfoEntry> dialogs = {
      {text, parley::sip::CallDirection::kRecipient, parley::sip::DialogInfoState::kEarly, text,
       text, text, text}};
  const std::string xml = parley::sip::build_dialog_info(read->package_text, 1, dialogs);
  const std::string escaped = parley::sip::xml_escape(text);
  if (escaped.find('<') != std::string::npos || escaped.find('"') != std::string::npos) {
    std::abort();
  }
  parley::sip::PresenceStatus status;
  status.open = true;
  status.note = text;
  status.on_the_phone = true;
  (void)parley::sip::build_pidf(text, status);
  (void)xml;
  return 0;
}
