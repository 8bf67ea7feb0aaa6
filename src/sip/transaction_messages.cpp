#include "sip/transaction_messages.hpp"

#include <string_view>

namespace parley::sip {

namespace {

using protocol::sip::HeaderId;
using protocol::sip::Message;

void append_header(std::string& out, std::string_view name, std::string_view value) {
  out.append(name).append(": ").append(value).append("\r\n");
}

// Shared by ACK and CANCEL, which differ in method and in whose To they carry.
std::string build_derived(const Message& invite, std::string_view method, std::string_view to) {
  std::string out;
  out.reserve(invite.raw().size() / 2 + 64);
  out.append(method).append(" ").append(invite.request_uri()).append(" SIP/2.0\r\n");
  append_header(out, "Via", invite.top_via());
  append_header(out, "Max-Forwards", "70");
  for (const auto& field : invite.headers()) {
    if (field.id == HeaderId::kRoute) append_header(out, "Route", invite.value(field));
  }
  append_header(out, "From", invite.first(HeaderId::kFrom));
  append_header(out, "To", to);
  append_header(out, "Call-ID", invite.call_id());
  out.append("CSeq: ").append(std::to_string(invite.cseq_number())).append(" ");
  out.append(method).append("\r\n");
  append_header(out, "Content-Length", "0");
  out.append("\r\n");
  return out;
}

}  // namespace

std::string build_failure_ack(const Message& invite, const Message& response) {
  return build_derived(invite, "ACK", response.first(HeaderId::kTo));
}

std::string build_cancel(const Message& invite) {
  return build_derived(invite, "CANCEL", invite.first(HeaderId::kTo));
}

}  // namespace parley::sip
