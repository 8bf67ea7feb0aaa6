#include "sip/call_routing.hpp"

#include <array>
#include <utility>

#include "base/ascii.hpp"

namespace parley::sip {

namespace {

using base::iequals;

}  // namespace

std::optional<TransportKind> transport_from_text(std::string_view text) {
  static constexpr std::array kKinds = {TransportKind::kUdp, TransportKind::kTcp,
                                        TransportKind::kTls, TransportKind::kWs,
                                        TransportKind::kWss};
  for (TransportKind kind : kKinds) {
    if (iequals(text, to_text(kind))) return kind;
  }
  return std::nullopt;
}

CallPlan CallRouting::plan_call(const CallTenant& tenant, std::string_view /*caller*/,
                                std::string_view dialled) {
  CallPlan plan;
  if (dialled.empty() || !extension_exists(tenant, dialled)) {
    plan.reject_status = 404;
    return plan;
  }
  plan.stages.push_back(RingStage{{std::string(dialled)}, Duration{}, {}});
  return plan;
}

std::optional<CallAuth> CallRouting::authenticate_peer(const protocol::sip::Message& /*invite*/) {
  return std::nullopt;
}

CallPlan CallRouting::plan_peer_call(const CallTenant& /*tenant*/, const CallAuth& /*auth*/,
                                     std::string_view /*caller*/, std::string_view /*called*/) {
  CallPlan plan;
  plan.reject_status = 404;
  return plan;
}

std::optional<Peer> CallRouting::binding_peer(const store::Binding& binding) {
  const auto transport = transport_from_text(binding.received.transport);
  if (!transport) return std::nullopt;
  auto remote = net::SocketAddress::parse(binding.received.ip, binding.received.port);
  if (!remote || binding.received.port == 0) return std::nullopt;
  Peer peer;
  peer.transport = *transport;
  peer.remote = *remote;
  if (auto local = net::SocketAddress::parse(binding.local_socket.ip, binding.local_socket.port)) {
    peer.local = *local;
  }
  return peer;
}

}  // namespace parley::sip
