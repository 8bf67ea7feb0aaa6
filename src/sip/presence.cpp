#include "sip/presence.hpp"

#include "sip/dialog_info.hpp"

namespace parley::sip {

PresenceStatus derive_presence(const PresenceInputs& inputs) {
  if (!inputs.registered) return PresenceStatus{false, "Offline", false};
  if (inputs.do_not_disturb) return PresenceStatus{false, "Do not disturb", inputs.in_call};
  if (inputs.in_call) return PresenceStatus{true, "On the phone", true};
  if (inputs.ringing) return PresenceStatus{true, "Ringing", false};
  return PresenceStatus{true, "Available", false};
}

std::string build_pidf(std::string_view entity, const PresenceStatus& status) {
  const std::string escaped = xml_escape(entity);
  std::string out =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<presence xmlns=\"urn:ietf:params:xml:ns:pidf\""
      " xmlns:dm=\"urn:ietf:params:xml:ns:pidf:data-model\""
      " xmlns:rpid=\"urn:ietf:params:xml:ns:pidf:rpid\" entity=\"";
  out += escaped;
  out += "\">\n  <tuple id=\"phone\">\n    <status><basic>";
  out += status.open ? "open" : "closed";
  out += "</basic></status>\n    <contact>";
  out += escaped;
  out += "</contact>\n";
  if (!status.note.empty()) out += "    <note>" + xml_escape(status.note) + "</note>\n";
  out += "  </tuple>\n";
  if (status.on_the_phone) {
    out +=
        "  <dm:person id=\"user\">\n"
        "    <rpid:activities><rpid:on-the-phone/></rpid:activities>\n"
        "  </dm:person>\n";
  }
  out += "</presence>\n";
  return out;
}

}  // namespace parley::sip
