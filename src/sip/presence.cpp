#include "sip/presence.hpp"

#include "sip/dialog_info.hpp"

namespace parley::sip {

std::string_view presence_state_name(PresenceState state) {
  switch (state) {
    case PresenceState::kOffline:
      return "offline";
    case PresenceState::kDoNotDisturb:
      return "dnd";
    case PresenceState::kOnThePhone:
      return "on-the-phone";
    case PresenceState::kRinging:
      return "ringing";
    case PresenceState::kAway:
      return "away";
    case PresenceState::kBusy:
      return "busy";
    case PresenceState::kAvailable:
      return "available";
  }
  return "available";
}

PresenceStatus derive_presence(const PresenceInputs& inputs) {
  PresenceStatus out;
  if (!inputs.registered || inputs.user.state == UserState::kOffline) {
    out.note = "Offline";
    out.state = PresenceState::kOffline;
    return out;  // invisible: neither calls nor the note show
  }
  out.user_note = inputs.user.note;
  if (inputs.do_not_disturb) {
    out.note = "Do not disturb";
    out.state = PresenceState::kDoNotDisturb;
    out.on_the_phone = inputs.in_call;
    return out;
  }
  out.open = true;
  if (inputs.in_call) {
    out.note = "On the phone";
    out.state = PresenceState::kOnThePhone;
    out.on_the_phone = true;
  } else if (inputs.ringing) {
    out.note = "Ringing";
    out.state = PresenceState::kRinging;
  } else if (inputs.user.state == UserState::kAway) {
    out.note = "Away";
    out.state = PresenceState::kAway;
    out.activity = "away";
  } else if (inputs.user.state == UserState::kBusy) {
    out.note = "Busy";
    out.state = PresenceState::kBusy;
    out.activity = "busy";
  } else {
    out.note = "Available";
    out.state = PresenceState::kAvailable;
  }
  return out;
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
  // Phones show the tuple's note: the user's own words when there are some.
  const std::string_view tuple_note = status.user_note.empty() ? status.note : status.user_note;
  if (!tuple_note.empty()) out += "    <note>" + xml_escape(tuple_note) + "</note>\n";
  out += "  </tuple>\n";
  const bool has_activity = status.on_the_phone || !status.activity.empty();
  if (has_activity || !status.user_note.empty()) {
    out += "  <dm:person id=\"user\">\n";
    if (has_activity) {
      out += "    <rpid:activities>";
      if (status.on_the_phone) out += "<rpid:on-the-phone/>";
      if (!status.activity.empty()) out += "<rpid:" + std::string(status.activity) + "/>";
      out += "</rpid:activities>\n";
    }
    if (!status.user_note.empty())
      out += "    <dm:note>" + xml_escape(status.note) + "</dm:note>\n";
    out += "  </dm:person>\n";
  }
  out += "</presence>\n";
  return out;
}

}  // namespace parley::sip
