#include "app/trunk_source_match.hpp"

#include <algorithm>
#include <cerrno>

namespace parley::app {
namespace {

// Compared as text so that the address family's padding and scope fields do not matter.
bool same_server(const sip::Peer& server, const sip::Peer& source) {
  return server.transport == source.transport && server.remote.port() == source.remote.port() &&
         server.remote.ip() == source.remote.ip();
}

template <typename Predicate>
bool any_server(const sip::TrunkEndpoint& endpoint, Predicate&& predicate) {
  return predicate(endpoint.peer) ||
         std::any_of(endpoint.alternates.begin(), endpoint.alternates.end(),
                     [&](const sip::TrunkTarget& target) { return predicate(target.peer); });
}

}  // namespace

bool comes_from_trunk_server(const sip::TrunkEndpoint& endpoint, const sip::Peer& source) {
  return any_server(endpoint, [&](const sip::Peer& server) { return same_server(server, source); });
}

Result<void> presents_trunk_certificate(const TrunkClientCheck& check, sip::TransportKind transport,
                                        const std::vector<std::string>* chain) {
  if (transport != sip::TransportKind::kTls) return make_error(EACCES, "not over TLS");
  if (chain == nullptr || chain->empty()) return make_error(EACCES, "no client certificate");
  if (!check.anchors) return make_error(EINVAL, "the CA file " + check.ca_file + " did not load");
  return check.anchors->verify(*chain, check.expected_name);
}

bool shares_trunk_server_ip(const sip::TrunkEndpoint& endpoint, const sip::Peer& source) {
  const std::string ip = source.remote.ip();
  return any_server(endpoint, [&](const sip::Peer& server) { return server.remote.ip() == ip; });
}

}  // namespace parley::app
