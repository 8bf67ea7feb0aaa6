#include "sip/b2bua_pickup_sdp.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <utility>
#include <vector>

#include "protocol/sdp/session_description.hpp"

namespace parley::sip {
namespace {

namespace sdp = protocol::sdp;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool is_events(const sdp::Format& format) {
  return iequals(format.encoding, "telephone-event");
}
bool is_noise(const sdp::Format& format) {
  return iequals(format.encoding, "CN");
}

bool is_encrypted(const sdp::Media& media) {
  return media.protocol.find("SAVP") != std::string::npos ||
         media.protocol.find("TLS") != std::string::npos;
}

// The first audio stream that is offered (port not 0) over RTP.
std::optional<std::size_t> offered_audio(const sdp::SessionDescription& description) {
  for (std::size_t i = 0; i < description.media.size(); ++i) {
    const sdp::Media& media = description.media[i];
    if (iequals(media.type, "audio") && media.port != 0 && media.is_rtp()) return i;
  }
  return std::nullopt;
}

bool offers(const sdp::Media& media, const sdp::Format& wanted) {
  return std::any_of(
      media.formats.begin(), media.formats.end(),
      [&wanted](const sdp::Format& format) { return sdp::same_codec(format, wanted); });
}

// The newcomer's voice codec (first of its offer that the relay offered too), then its
// telephone-event when the relay offered one as well.
std::vector<sdp::Format> common_formats(const sdp::Media& relay, const sdp::Media& newcomer) {
  std::vector<sdp::Format> formats;
  for (const sdp::Format& format : newcomer.formats) {
    if (is_events(format) || is_noise(format) || !offers(relay, format)) continue;
    formats.push_back(format);
    break;
  }
  if (formats.empty()) return formats;
  const bool relay_has_events = std::any_of(relay.formats.begin(), relay.formats.end(), is_events);
  for (const sdp::Format& format : newcomer.formats) {
    if (relay_has_events && is_events(format) && format.clock_rate == formats.front().clock_rate) {
      formats.push_back(format);
      break;
    }
  }
  return formats;
}

sdp::Media refused(sdp::Media media) {
  media.port = 0;
  media.port_count.reset();
  media.connection.reset();
  media.rtcp_port.reset();
  media.rtcp_connection.reset();
  media.attributes.clear();
  media.bandwidths.clear();
  return media;
}

sdp::Media answered_audio(sdp::Media audio, std::vector<sdp::Format> formats,
                          sdp::Direction direction, bool rtcp_mux) {
  audio.formats = std::move(formats);
  audio.direction = direction;
  audio.rtcp_mux = rtcp_mux;
  return audio;
}

// `answerer`'s session with one stream per offered one: `audio` in place of the offered audio
// stream, every other stream refused (RFC 3264 §6).
std::string serialise_answer(sdp::SessionDescription answerer,
                             const std::vector<sdp::Media>& offered, std::size_t audio_index,
                             sdp::Media audio) {
  answerer.direction.reset();
  answerer.media.clear();
  for (std::size_t i = 0; i < offered.size(); ++i) {
    answerer.media.push_back(i == audio_index ? audio : refused(offered[i]));
  }
  return sdp::serialise(answerer);
}

}  // namespace

Result<CrossedAnswers> answer_crossed_offers(std::string_view relay_offer,
                                             std::string_view newcomer_offer) {
  auto relay = sdp::parse(relay_offer);
  if (!relay.ok()) return Error{500, "relay offer: " + relay.error().message};
  auto newcomer = sdp::parse(newcomer_offer);
  if (!newcomer.ok()) return Error{400, "Malformed SDP: " + newcomer.error().message};
  const auto relay_index = offered_audio(*relay);
  const auto newcomer_index = offered_audio(*newcomer);
  if (!relay_index) return Error{500, "relay offer has no audio stream"};
  if (!newcomer_index) return Error{488, "No audio stream offered"};
  const sdp::Media& relay_audio = relay->media[*relay_index];
  const sdp::Media& newcomer_audio = newcomer->media[*newcomer_index];
  if (is_encrypted(newcomer_audio)) return Error{488, "Encrypted media cannot be picked up"};
  std::vector<sdp::Format> formats = common_formats(relay_audio, newcomer_audio);
  if (formats.empty()) return Error{488, "No codec in common"};
  const sdp::Direction direction = newcomer_audio.effective_direction(newcomer->direction);

  const bool rtcp_mux = newcomer_audio.rtcp_mux && relay_audio.rtcp_mux;
  // What the newcomer would have answered to the relay's offer, and our answer to its offer
  // from the relay's side.
  const std::string relay_answer =
      serialise_answer(*newcomer, relay->media, *relay_index,
                       answered_audio(newcomer_audio, formats, direction, rtcp_mux));
  const std::string newcomer_answer =
      serialise_answer(*relay, newcomer->media, *newcomer_index,
                       answered_audio(relay_audio, formats, sdp::reverse(direction), rtcp_mux));
  return CrossedAnswers{relay_answer, newcomer_answer};
}

}  // namespace parley::sip
