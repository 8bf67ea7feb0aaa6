#include "sip/trunk_endpoint.hpp"

namespace parley::sip {

std::string TrunkEndpoint::request_uri() const {
  std::string uri = "sip:" + domain;
  if (port != 0) uri.append(":").append(std::to_string(port));
  return uri;
}

std::string TrunkEndpoint::aor(std::string_view user) const {
  std::string uri = "sip:";
  if (!user.empty()) uri.append(user).append("@");
  return uri.append(domain);
}

bool TrunkEndpoint::operator==(const TrunkEndpoint& other) const {
  return peer.transport == other.peer.transport && peer.remote == other.peer.remote &&
         peer.local == other.peer.local && domain == other.domain && port == other.port &&
         local_host_port == other.local_host_port && alternates == other.alternates;
}

bool TrunkTarget::operator==(const TrunkTarget& other) const {
  return peer.transport == other.peer.transport && peer.remote == other.peer.remote &&
         peer.local == other.peer.local && local_host_port == other.local_host_port;
}

std::string build_trunk_request(const TrunkRequest& request) {
  std::string out;
  out.reserve(512 + request.extra_lines.size());
  out.append(request.method).append(" ").append(request.request_uri).append(" SIP/2.0\r\n");
  out.append("Via: ").append(request.via).append("\r\n");
  out.append("Max-Forwards: 70\r\n");
  out.append("From: ").append(request.from).append("\r\n");
  out.append("To: ").append(request.to).append("\r\n");
  out.append("Call-ID: ").append(request.call_id).append("\r\n");
  out.append("CSeq: ").append(std::to_string(request.cseq)).append(" ");
  out.append(request.method).append("\r\n");
  out.append(request.extra_lines);
  if (!request.user_agent.empty()) {
    out.append("User-Agent: ").append(request.user_agent).append("\r\n");
  }
  out.append("Content-Length: 0\r\n\r\n");
  return out;
}

}  // namespace parley::sip
