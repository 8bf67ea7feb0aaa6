#include "sip/b2bua_pickup_sdp.hpp"

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "base/ascii.hpp"
#include "protocol/sdp/crypto_attribute.hpp"
#include "protocol/sdp/session_description.hpp"

namespace parley::sip {
namespace {

namespace sdp = protocol::sdp;

using base::iequals;

bool is_events(const sdp::Format& format) {
  return iequals(format.encoding, "telephone-event");
}
bool is_noise(const sdp::Format& format) {
  return iequals(format.encoding, "CN");
}

CrossedSecurity security_of(const sdp::Media& media) {
  if (media.protocol.starts_with("UDP/TLS/RTP/SAVP")) return CrossedSecurity::kWebRtc;
  if (media.protocol == "RTP/SAVP" || media.protocol == "RTP/SAVPF") return CrossedSecurity::kSdes;
  return CrossedSecurity::kPlain;
}

bool is_encrypted(const sdp::Media& media) {
  return media.protocol.find("SAVP") != std::string::npos ||
         media.protocol.find("TLS") != std::string::npos;
}

const std::string* attribute_in(const std::vector<sdp::Attribute>& attributes,
                                std::string_view name) {
  const auto found = std::find_if(
      attributes.begin(), attributes.end(),
      [name](const sdp::Attribute& attribute) { return iequals(attribute.name, name); });
  return found == attributes.end() ? nullptr : &found->value;
}

void replace_attribute(std::vector<sdp::Attribute>& attributes, std::string_view name,
                       std::optional<std::string> value) {
  std::erase_if(attributes,
                [name](const sdp::Attribute& attribute) { return iequals(attribute.name, name); });
  if (value) attributes.push_back({std::string(name), std::move(*value), true});
}

// A line Parley can key a leg with: one inline key, no MKI, no session parameters (as
// media/sdes_negotiation takes them).
std::optional<sdp::CryptoAttribute> usable_crypto(const std::string& value) {
  auto line = sdp::parse_crypto(value);
  if (!line.ok()) return std::nullopt;
  if (line->keys.size() != 1 || line->keys.front().mki || !line->session_params.empty()) {
    line->wipe();
    return std::nullopt;
  }
  return std::move(line).value();
}

// The a=crypto value each side's answer carries (see the header): both made from the
// newcomer's first usable line whose suite the relay offered.
struct CrossedKeys {
  std::string newcomer_side;  // our tag, the newcomer's key
  std::string relay_side;     // the newcomer's tag, our key
};

Result<CrossedKeys> cross_sdes(const sdp::Media& relay, const sdp::Media& newcomer) {
  for (const sdp::Attribute& theirs : newcomer.attributes) {
    if (!iequals(theirs.name, "crypto")) continue;
    auto their_line = usable_crypto(theirs.value);
    if (!their_line) continue;
    for (const sdp::Attribute& ours : relay.attributes) {
      if (!iequals(ours.name, "crypto")) continue;
      auto our_line = usable_crypto(ours.value);
      if (!our_line) continue;
      if (our_line->suite != their_line->suite) {
        our_line->wipe();
        continue;
      }
      std::swap(our_line->keys, their_line->keys);  // each tag now holds the other's key
      CrossedKeys crossed{sdp::serialise_crypto(*our_line), sdp::serialise_crypto(*their_line)};
      our_line->wipe();
      their_line->wipe();
      return crossed;
    }
    their_line->wipe();
  }
  return Error{488, "No a=crypto line in common"};
}

// Our side of a WebRTC newcomer's answer: the DTLS role RFC 5763 §5 gives the answerer, and
// the newcomer's mid on our audio stream in place of the one the relay's offer numbered.
void answer_webrtc(sdp::Media& ours, const sdp::Media& newcomer) {
  const std::string* setup = attribute_in(newcomer.attributes, "setup");
  const bool newcomer_waits = setup != nullptr && iequals(*setup, "passive");
  replace_attribute(ours.attributes, "setup", newcomer_waits ? "active" : "passive");
  const std::string* mid = attribute_in(newcomer.attributes, "mid");
  replace_attribute(ours.attributes, "mid",
                    mid == nullptr ? std::nullopt : std::optional<std::string>(*mid));
  ours.rtcp_mux = true;
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
// stream, every other stream refused (RFC 3264 §6), keeping its mid when `keep_mids` (a
// browser matches the streams of its BUNDLE by them).
std::string serialise_answer(sdp::SessionDescription answerer,
                             const std::vector<sdp::Media>& offered, std::size_t audio_index,
                             sdp::Media audio, bool keep_mids = false) {
  answerer.direction.reset();
  answerer.media.clear();
  for (std::size_t i = 0; i < offered.size(); ++i) {
    if (i == audio_index) {
      answerer.media.push_back(audio);
      continue;
    }
    sdp::Media stream = refused(offered[i]);
    const std::string* mid = attribute_in(offered[i].attributes, "mid");
    if (keep_mids && mid != nullptr) stream.attributes.push_back({"mid", *mid, true});
    answerer.media.push_back(std::move(stream));
  }
  return sdp::serialise(answerer);
}

// The relay's session as a browser's answer needs it: ICE-lite stays, and the BUNDLE group is
// the newcomer's audio mid alone, when the newcomer bundled.
sdp::SessionDescription webrtc_session(sdp::SessionDescription relay,
                                       const sdp::SessionDescription& newcomer,
                                       const sdp::Media& newcomer_audio) {
  const std::string* group = attribute_in(newcomer.attributes, "group");
  const std::string* mid = attribute_in(newcomer_audio.attributes, "mid");
  const bool bundled = group != nullptr && group->starts_with("BUNDLE") && mid != nullptr;
  replace_attribute(relay.attributes, "group",
                    bundled ? std::optional<std::string>("BUNDLE " + *mid) : std::nullopt);
  return relay;
}

}  // namespace

CrossedSecurity crossed_security(std::string_view newcomer_offer) {
  auto parsed = sdp::parse(newcomer_offer);
  if (!parsed.ok()) return CrossedSecurity::kPlain;
  const auto index = offered_audio(*parsed);
  return index ? security_of(parsed->media[*index]) : CrossedSecurity::kPlain;
}

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
  const CrossedSecurity security = security_of(newcomer_audio);
  if (security != security_of(relay_audio) ||
      (security == CrossedSecurity::kPlain &&
       (is_encrypted(newcomer_audio) || is_encrypted(relay_audio)))) {
    return Error{488, "Encrypted media of this kind cannot be picked up"};
  }
  std::vector<sdp::Format> formats = common_formats(relay_audio, newcomer_audio);
  if (formats.empty()) return Error{488, "No codec in common"};
  const sdp::Direction direction = newcomer_audio.effective_direction(newcomer->direction);

  const bool rtcp_mux = newcomer_audio.rtcp_mux && relay_audio.rtcp_mux;
  // What the newcomer would have answered to the relay's offer, and our answer to its offer
  // from the relay's side.
  sdp::Media newcomer_side = answered_audio(newcomer_audio, formats, direction, rtcp_mux);
  sdp::Media relay_side = answered_audio(relay_audio, formats, sdp::reverse(direction), rtcp_mux);
  relay_side.protocol = newcomer_audio.protocol;
  sdp::SessionDescription relay_session = *relay;
  if (security == CrossedSecurity::kSdes) {
    auto keys = cross_sdes(relay_audio, newcomer_audio);
    if (!keys.ok()) return keys.error();
    replace_attribute(newcomer_side.attributes, "crypto", std::move(keys->newcomer_side));
    replace_attribute(relay_side.attributes, "crypto", std::move(keys->relay_side));
  } else if (security == CrossedSecurity::kWebRtc) {
    answer_webrtc(relay_side, newcomer_audio);
    relay_session = webrtc_session(std::move(relay_session), *newcomer, newcomer_audio);
  }
  const bool webrtc = security == CrossedSecurity::kWebRtc;
  const std::string relay_answer =
      serialise_answer(*newcomer, relay->media, *relay_index, std::move(newcomer_side));
  const std::string newcomer_answer = serialise_answer(
      std::move(relay_session), newcomer->media, *newcomer_index, std::move(relay_side), webrtc);
  return CrossedAnswers{relay_answer, newcomer_answer};
}

}  // namespace parley::sip
