#include "sip/b2bua_branch_offer.hpp"

namespace parley::sip {

std::optional<std::string> secured_branch_offer(CallMedia& media, MediaSide side,
                                                TransportKind transport) {
  Result<std::string> rendered = Error{0, "plain"};
  if (transport == TransportKind::kWs || transport == TransportKind::kWss) {
    rendered = media.webrtc_offer(side);
  } else if (transport == TransportKind::kTls) {
    rendered = media.sdes_offer(side);
  }
  if (!rendered.ok()) return std::nullopt;
  return std::move(rendered).value();
}

}  // namespace parley::sip
