// libFuzzer target: answer_crossed_offers (call pickup, INVITE with Replaces; decision 0031)
// with a fixed relay offer and any newcomer offer. It must answer 400 or 488, or two answers
// that parse again as SDP and carry the relay's audio port.

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "protocol/sdp/session_description.hpp"
#include "sip/b2bua_pickup_sdp.hpp"

namespace {

constexpr std::string_view kRelayOffer =
    "v=0\r\no=parley 11 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n"
    "m=audio 40000 RTP/AVP 0 8 9 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:9 G722/8000\r\na=rtpmap:101 telephone-event/8000\r\n";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto answers = parley::sip::answer_crossed_offers(kRelayOffer, input);
  if (!answers.ok()) {
    if (answers.error().code != 400 && answers.error().code != 488) std::abort();
    return 0;
  }
  if (!parley::protocol::sdp::parse(answers->relay_answer).ok()) std::abort();
  if (!parley::protocol::sdp::parse(answers->newcomer_answer).ok()) std::abort();
  if (answers->newcomer_answer.find("m=audio 40000 ") == std::string::npos) std::abort();
  return 0;
}
