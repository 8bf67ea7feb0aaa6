#include "media/webrtc_sdp.hpp"

#include <algorithm>
#include <cctype>
#include <string>
#include <utility>
#include <vector>

namespace parley::media {
namespace {

namespace sdp = protocol::sdp;

bool same_name(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

const std::string* attribute_in(const std::vector<sdp::Attribute>& attributes,
                                std::string_view name) {
  const auto found =
      std::find_if(attributes.begin(), attributes.end(),
                   [name](const sdp::Attribute& a) { return same_name(a.name, name); });
  return found == attributes.end() ? nullptr : &found->value;
}

const std::string* stream_attribute(const sdp::SessionDescription& description, std::size_t index,
                                    std::string_view name) {
  if (const std::string* value = attribute_in(description.media[index].attributes, name)) {
    return value;
  }
  return attribute_in(description.attributes, name);
}

}  // namespace

bool is_webrtc_protocol(std::string_view protocol) {
  return protocol.starts_with("UDP/TLS/RTP/SAVP");
}

Result<SecureRemote> webrtc_remote_of(const sdp::SessionDescription& description,
                                      std::size_t index) {
  if (index >= description.media.size()) return Error{488, "no such stream"};
  const std::string* ufrag = stream_attribute(description, index, "ice-ufrag");
  const std::string* pwd = stream_attribute(description, index, "ice-pwd");
  const std::string* fingerprint = stream_attribute(description, index, "fingerprint");
  if (ufrag == nullptr || pwd == nullptr || ufrag->empty() || pwd->empty()) {
    return Error{488, "WebRTC stream without ICE credentials"};
  }
  if (fingerprint == nullptr || fingerprint->empty()) {
    return Error{488, "WebRTC stream without a DTLS fingerprint"};
  }
  // An offerer that says passive waits for us to start the handshake (RFC 5763 §5); actpass,
  // active or nothing (RFC 4145 §4) makes us the server.
  const std::string* setup = stream_attribute(description, index, "setup");
  return SecureRemote{*ufrag, *pwd, *fingerprint, setup != nullptr && same_name(*setup, "passive")};
}

void render_webrtc_answer(sdp::SessionDescription& answer, const sdp::SessionDescription& offer,
                          std::size_t audio_index, const SecureLocal& local,
                          std::string_view candidate_address) {
  auto mid_of = [&offer](std::size_t i) -> std::string {
    if (i >= offer.media.size()) return {};
    const std::string* mid = attribute_in(offer.media[i].attributes, "mid");
    return mid == nullptr ? std::string() : *mid;
  };
  answer.attributes.push_back({"ice-lite", {}, false});
  const std::string audio_mid = mid_of(audio_index);
  const std::string* group = attribute_in(offer.attributes, "group");
  if (!audio_mid.empty() && group != nullptr && group->starts_with("BUNDLE")) {
    answer.attributes.push_back({"group", "BUNDLE " + audio_mid, true});
  }
  const std::string* offered_setup = stream_attribute(offer, audio_index, "setup");
  const bool we_are_client = offered_setup != nullptr && same_name(*offered_setup, "passive");
  for (std::size_t i = 0; i < answer.media.size(); ++i) {
    sdp::Media& media = answer.media[i];
    auto add = [&media](std::string name, std::string value) {
      media.attributes.push_back({std::move(name), std::move(value), true});
    };
    const std::string mid = mid_of(i);
    if (!mid.empty()) add("mid", mid);
    if (i != audio_index || media.port == 0) continue;
    media.rtcp_mux = true;
    add("ice-ufrag", local.ice_ufrag);
    add("ice-pwd", local.ice_pwd);
    add("fingerprint", local.fingerprint);
    add("setup", we_are_client ? "active" : "passive");
    add("candidate", "1 1 UDP 2130706431 " + std::string(candidate_address) + " " +
                         std::to_string(media.port) + " typ host");
    media.attributes.push_back({"end-of-candidates", {}, false});
  }
}

}  // namespace parley::media
