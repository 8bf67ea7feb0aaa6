// The B2BUA's side of media anchoring: which bodies go to the CallMedia, and the media timeout.
#include <cctype>
#include <string>

#include "sip/b2bua.hpp"
#include "sip/b2bua_call.hpp"

namespace parley::sip {
namespace {

using protocol::sip::HeaderId;
using protocol::sip::Message;

// application/sdp, in any case, with or without parameters.
bool is_sdp(std::string_view content_type) {
  constexpr std::string_view kSdp = "application/sdp";
  while (!content_type.empty() && (content_type.front() == ' ' || content_type.front() == '\t')) {
    content_type.remove_prefix(1);
  }
  if (content_type.size() < kSdp.size()) return false;
  for (std::size_t i = 0; i < kSdp.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(content_type[i])) != kSdp[i]) return false;
  }
  const std::string_view rest = content_type.substr(kSdp.size());
  return rest.empty() || rest.front() == ';' || rest.front() == ' ' || rest.front() == '\t';
}

}  // namespace

Result<std::string> B2bua::media_body(Call& call, Side from, const Message& message,
                                      bool is_offer) {
  const std::string_view body = message.body();
  if (call.media == nullptr || body.empty() || !is_sdp(message.first(HeaderId::kContentType))) {
    return std::string(body);
  }
  const auto side = from == Side::kCaller ? MediaSide::kCaller : MediaSide::kCallee;
  return is_offer ? call.media->offer(side, body) : call.media->answer(side, body);
}

void B2bua::arm_media_timer(Call& call, Duration delay) {
  if ((call.media == nullptr && call.local == nullptr) ||
      options_.media_timeout <= Duration::zero()) {
    return;
  }
  cancel_timer(call.media_timer);
  call.media_timer = schedule(call.id, TimerKind::kMediaCheck, delay);
}

void B2bua::check_media(Call& call) {
  if (!call.answered || (call.media == nullptr && call.local == nullptr)) return;
  const TimePoint now = options_.clock.now();
  const TimePoint last =
      call.local != nullptr ? call.local->last_media() : call.media->last_media();
  if (now - last >= options_.media_timeout) {
    ++stats_.media_timeouts;
    call.end_reason = store::EndReason::kMediaTimeout;
    hang_up(call, store::HangupSide::kSystem, true, true);
    return;
  }
  // Check again when the timeout would be reached if nothing more arrives.
  arm_media_timer(call, options_.media_timeout - (now - last));
}

}  // namespace parley::sip
