#include "sip/dialog.hpp"

#include <cctype>
#include <vector>

#include "protocol/sip/headers.hpp"

namespace parley::sip {

namespace {

using protocol::sip::HeaderId;
using protocol::sip::Message;

void append_header(std::string& out, std::string_view name, std::string_view value) {
  out.append(name).append(": ").append(value).append("\r\n");
}

// The URI of a Contact value, or empty when it is missing, "*", or not a SIP URI we can use.
std::string_view contact_uri(const Message& message) {
  const std::string_view contact = message.first(HeaderId::kContact);
  if (contact.empty()) return {};
  auto parsed = protocol::sip::parse_name_addr(contact);
  if (!parsed.ok() || parsed->is_star || parsed->opaque_uri) return {};
  return parsed->uri_text;
}

std::string join_record_route(const Message& message, bool reversed) {
  std::vector<std::string_view> values;
  for (const auto& field : message.headers()) {
    if (field.id == HeaderId::kRecordRoute) values.push_back(message.value(field));
  }
  std::string out;
  const std::size_t n = values.size();
  for (std::size_t i = 0; i < n; ++i) {
    if (!out.empty()) out.append(", ");
    out.append(values[reversed ? n - 1 - i : i]);
  }
  return out;
}

}  // namespace

Result<Dialog> make_uas_dialog(const Message& request, std::string_view local_tag,
                               const Peer& peer) {
  if (request.from_tag().empty()) return make_error(400, "Missing From tag");
  const std::string_view target = contact_uri(request);
  if (target.empty()) return make_error(400, "Missing or invalid Contact");
  Dialog dialog;
  dialog.call_id.assign(request.call_id());
  dialog.local_tag.assign(local_tag);
  dialog.remote_tag.assign(request.from_tag());
  dialog.remote_party.assign(request.first(HeaderId::kFrom));
  dialog.local_party.assign(request.first(HeaderId::kTo));
  if (request.to_tag().empty()) dialog.local_party.append(";tag=").append(local_tag);
  dialog.remote_target.assign(target);
  dialog.route_set = join_record_route(request, false);
  dialog.remote_cseq = request.cseq_number();
  dialog.remote_cseq_known = true;
  dialog.peer = peer;
  return dialog;
}

Result<Dialog> make_uac_dialog(const Message& request, const Message& response, const Peer& peer) {
  if (response.to_tag().empty()) return make_error(400, "Missing To tag");
  Dialog dialog;
  dialog.call_id.assign(request.call_id());
  dialog.local_tag.assign(request.from_tag());
  dialog.remote_tag.assign(response.to_tag());
  dialog.local_party.assign(request.first(HeaderId::kFrom));
  dialog.remote_party.assign(response.first(HeaderId::kTo));
  const std::string_view target = contact_uri(response);
  dialog.remote_target.assign(target.empty() ? request.request_uri() : target);
  dialog.route_set = join_record_route(response, true);
  dialog.local_cseq = request.cseq_number();
  dialog.peer = peer;
  return dialog;
}

bool matches_request(const Dialog& dialog, const Message& request) {
  return request.call_id() == dialog.call_id && request.to_tag() == dialog.local_tag &&
         request.from_tag() == dialog.remote_tag;
}

bool matches_response(const Dialog& dialog, const Message& response) {
  return response.call_id() == dialog.call_id && response.from_tag() == dialog.local_tag &&
         response.to_tag() == dialog.remote_tag;
}

bool accept_remote_cseq(Dialog& dialog, const Message& request) {
  if (dialog.remote_cseq_known && request.cseq_number() < dialog.remote_cseq) return false;
  dialog.remote_cseq = request.cseq_number();
  dialog.remote_cseq_known = true;
  return true;
}

bool refresh_target(Dialog& dialog, const Message& message) {
  if (!message.has(HeaderId::kContact)) return true;
  const std::string_view target = contact_uri(message);
  if (target.empty()) return false;
  dialog.remote_target.assign(target);
  return true;
}

std::string build_request(const Dialog& dialog, const DialogRequest& request) {
  std::string out;
  out.reserve(512 + dialog.route_set.size() + request.extra_lines.size() + request.body.size());
  out.append(request.method).append(" ").append(dialog.remote_target).append(" SIP/2.0\r\n");
  append_header(out, "Via", request.via);
  append_header(out, "Max-Forwards", std::to_string(request.max_forwards));
  if (!dialog.route_set.empty()) append_header(out, "Route", dialog.route_set);
  append_header(out, "From", dialog.local_party);
  append_header(out, "To", dialog.remote_party);
  append_header(out, "Call-ID", dialog.call_id);
  out.append("CSeq: ").append(std::to_string(request.cseq)).append(" ");
  out.append(request.method).append("\r\n");
  if (!request.contact.empty()) append_header(out, "Contact", request.contact);
  if (!request.user_agent.empty()) append_header(out, "User-Agent", request.user_agent);
  out.append(request.extra_lines);
  if (!request.body.empty() && !request.content_type.empty()) {
    append_header(out, "Content-Type", request.content_type);
  }
  append_header(out, "Content-Length", std::to_string(request.body.size()));
  out.append("\r\n").append(request.body);
  return out;
}

std::string make_via(TransportKind transport, std::string_view host_port, std::string_view branch) {
  std::string via("SIP/2.0/");
  via.append(to_text(transport)).append(" ").append(host_port);
  via.append(";rport;branch=").append(branch);
  return via;
}

std::string make_contact(TransportKind transport, std::string_view user,
                         std::string_view host_port) {
  std::string contact("<sip:");
  if (!user.empty()) contact.append(user).append("@");
  contact.append(host_port);
  if (transport != TransportKind::kUdp) {
    contact.append(";transport=");
    for (char c : to_text(transport)) {
      contact.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
  }
  contact.append(">");
  return contact;
}

}  // namespace parley::sip
