#include "sip/dialog_info.hpp"

namespace parley::sip {

std::string_view to_text(DialogInfoState state) {
  switch (state) {
    case DialogInfoState::kTrying:
      return "trying";
    case DialogInfoState::kEarly:
      return "early";
    case DialogInfoState::kConfirmed:
      return "confirmed";
    case DialogInfoState::kTerminated:
      return "terminated";
  }
  return "terminated";
}

DialogInfoState dialog_info_state(CallPhase phase) {
  switch (phase) {
    case CallPhase::kRinging:
      return DialogInfoState::kEarly;
    case CallPhase::kConfirmed:
      return DialogInfoState::kConfirmed;
    case CallPhase::kTerminated:
      return DialogInfoState::kTerminated;
  }
  return DialogInfoState::kTerminated;
}

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\r' && c != '\n') break;
        out += c;
    }
  }
  return out;
}

std::string build_dialog_info(std::string_view entity, std::uint32_t version,
                              std::span<const DialogInfoEntry> dialogs) {
  std::string out =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<dialog-info xmlns=\"urn:ietf:params:xml:ns:dialog-info\" version=\"";
  out += std::to_string(version);
  out += "\" state=\"full\" entity=\"";
  out += xml_escape(entity);
  out += "\"";
  if (dialogs.empty()) return out + "/>\n";
  out += ">\n";
  for (const DialogInfoEntry& dialog : dialogs) {
    out += "  <dialog id=\"";
    out += xml_escape(dialog.id);
    out += "\"";
    if (!dialog.call_id.empty()) {
      out += " call-id=\"" + xml_escape(dialog.call_id) + "\"";
      if (!dialog.local_tag.empty()) out += " local-tag=\"" + xml_escape(dialog.local_tag) + "\"";
      if (!dialog.remote_tag.empty()) {
        out += " remote-tag=\"" + xml_escape(dialog.remote_tag) + "\"";
      }
    }
    out += " direction=\"";
    out += dialog.direction == CallDirection::kInitiator ? "initiator" : "recipient";
    out += "\">\n    <state>";
    out += to_text(dialog.state);
    out += "</state>\n    <local><identity>";
    out += xml_escape(entity);
    out += "</identity></local>\n";
    if (!dialog.remote_identity.empty()) {
      out +=
          "    <remote><identity>" + xml_escape(dialog.remote_identity) + "</identity></remote>\n";
    }
    out += "  </dialog>\n";
  }
  out += "</dialog-info>\n";
  return out;
}

}  // namespace parley::sip
