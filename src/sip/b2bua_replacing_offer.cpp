#include "sip/b2bua_replacing_offer.hpp"

namespace parley::sip {

Result<std::string> replacing_offer(CallMedia& media, MediaSide replaced,
                                    CrossedSecurity newcomer) {
  // Always first: the renderings below render the offer transfer_offer() leaves pending.
  auto plain = media.transfer_offer(replaced);
  if (!plain.ok()) return plain;
  switch (newcomer) {
    case CrossedSecurity::kWebRtc:
      return media.webrtc_offer(replaced);
    case CrossedSecurity::kSdes:
      return media.sdes_offer(replaced);
    case CrossedSecurity::kPlain:
      break;
  }
  return plain;
}

}  // namespace parley::sip
