#include "media/call_media.hpp"

#include <algorithm>
#include <array>
#include <optional>
#include <random>
#include <string_view>
#include <utility>

#include <spdlog/spdlog.h>

#include "base/ascii.hpp"
#include "base/os_random.hpp"
#include "base/token_bucket.hpp"
#include "media/sdes_negotiation.hpp"
#include "media/webrtc_sdp.hpp"
#include "net/worker_pool.hpp"
#include "protocol/sdp/session_description.hpp"

namespace parley::media {
namespace {

namespace sdp = protocol::sdp;
using sip::MediaSide;

constexpr std::size_t kSides = 2;

Leg leg_of(MediaSide side) {
  return side == MediaSide::kCaller ? Leg::kA : Leg::kB;
}
MediaSide other_side(MediaSide side) {
  return side == MediaSide::kCaller ? MediaSide::kCallee : MediaSide::kCaller;
}
std::size_t index_of(MediaSide side) {
  return side == MediaSide::kCaller ? 0 : 1;
}

using base::iequals;

bool is_dtmf(const sdp::Format& format) {
  return iequals(format.encoding, "telephone-event");
}
bool is_comfort_noise(const sdp::Format& format) {
  return iequals(format.encoding, "CN");
}
bool is_opus(const sdp::Format& format) {
  return iequals(format.encoding, "opus");
}
bool is_voice(const sdp::Format& format) {
  return !is_dtmf(format) && !is_comfort_noise(format) && !format.encoding.empty();
}
bool is_secure(std::string_view protocol) {
  return protocol.find("SAVP") != std::string_view::npos;
}
// DTLS-SRTP as WebRTC uses it (RFC 5764, RFC 8827); RTP/SAVP with SDES keys is not.
bool is_webrtc(const sdp::Media& media) {
  return media.protocol.starts_with("UDP/TLS/RTP/SAVP");
}
constexpr std::string_view kWebRtcProtocol = "UDP/TLS/RTP/SAVPF";

// Attributes that describe transport details of the other user agent (ICE candidates, DTLS and
// SDES keys, its SSRCs): relayed, they would let media bypass the anchor or promise what the
// relay does not do.
bool is_transport_attribute(std::string_view name) {
  // Header extensions, feedback and reduced-size RTCP too: the relay rewrites streams and takes
  // no part in them, so neither side may count on them across it.
  constexpr std::array<std::string_view, 21> kDropped{"candidate",
                                                      "ice-ufrag",
                                                      "ice-pwd",
                                                      "ice-options",
                                                      "ice-lite",
                                                      "end-of-candidates",
                                                      "remote-candidates",
                                                      "crypto",
                                                      "fingerprint",
                                                      "setup",
                                                      "ssrc",
                                                      "ssrc-group",
                                                      "msid",
                                                      "msid-semantic",
                                                      "group",
                                                      "mid",
                                                      "rtcp-fb",
                                                      "extmap",
                                                      "extmap-allow-mixed",
                                                      "rtcp-rsize",
                                                      "ice2"};
  return std::any_of(kDropped.begin(), kDropped.end(),
                     [name](std::string_view dropped) { return iequals(name, dropped); });
}

void strip_transport_attributes(std::vector<sdp::Attribute>& attributes) {
  std::erase_if(attributes, [](const sdp::Attribute& attribute) {
    return is_transport_attribute(attribute.name);
  });
}

std::optional<net::SocketAddress> address_of(std::string_view ip, std::uint16_t port) {
  if (ip.find(':') != std::string_view::npos) {
    return net::SocketAddress::parse("[" + std::string(ip) + "]:" + std::to_string(port));
  }
  return net::SocketAddress::parse(ip, port);
}

bool is_unspecified(std::string_view ip) {
  return ip == "0.0.0.0" || ip == "::";
}

const std::string* find_attribute(const std::vector<sdp::Attribute>& attributes,
                                  std::string_view name) {
  for (const auto& attribute : attributes) {
    if (iequals(attribute.name, name)) return &attribute.value;
  }
  return nullptr;
}

// Media-level first, then session-level (RFC 8839 §5.4, RFC 8122 §5).
const std::string* find_attribute(const sdp::SessionDescription& description, std::size_t index,
                                  std::string_view name) {
  if (const std::string* value = find_attribute(description.media[index].attributes, name)) {
    return value;
  }
  return find_attribute(description.attributes, name);
}

// Where the author of `description` receives media `index`, and what it will do.
Result<LegRemote> remote_of(const sdp::SessionDescription& description, std::size_t index) {
  const sdp::Media& media = description.media[index];
  LegRemote remote;
  const sdp::Direction direction = media.effective_direction(description.direction);
  remote.sends = sdp::sends(direction);
  remote.receives = sdp::receives(direction);
  remote.rtcp_mux = media.rtcp_mux;
  if (media.port == 0) {
    remote.sends = false;
    remote.receives = false;
    return remote;
  }
  // ICE, not c=, says where a WebRTC agent receives (c= may be 0.0.0.0 or an mDNS name).
  if (is_webrtc(media)) {
    remote.rtcp_mux = true;
    return remote;
  }
  const sdp::Connection* connection = description.connection_for(index);
  if (connection == nullptr) return Error{488, "SDP has no connection address for audio"};
  if (is_unspecified(connection->address)) {
    remote.receives = false;  // RFC 3264 §8.4 old-style hold
    return remote;
  }
  auto rtp = address_of(connection->address, media.port);
  if (!rtp) return Error{488, "SDP connection address must be an IP address"};
  remote.rtp = *rtp;
  if (media.rtcp_port) {
    const std::string& ip =
        media.rtcp_connection ? media.rtcp_connection->address : connection->address;
    if (auto rtcp = address_of(ip, *media.rtcp_port)) remote.rtcp = *rtcp;
  }
  return remote;
}

CodecSpec spec_of(const sdp::Format& format) {
  CodecSpec spec;
  spec.encoding = format.encoding;
  spec.clock_rate = format.clock_rate;
  spec.channels = format.channels;
  spec.fmtp = format.fmtp;
  return spec;
}

const sdp::Format* find_same(const std::vector<sdp::Format>& formats, const sdp::Format& wanted) {
  for (const auto& format : formats) {
    if (sdp::same_codec(format, wanted)) return &format;
  }
  return nullptr;
}

const sdp::Format* find_dtmf(const std::vector<sdp::Format>& formats) {
  const sdp::Format* found = nullptr;
  for (const auto& format : formats) {
    if (!is_dtmf(format)) continue;
    if (format.clock_rate == 8000) return &format;
    if (found == nullptr) found = &format;
  }
  return found;
}

// Codecs Parley can offer a callee in addition to the caller's, in preference order.
std::vector<sdp::Format> transcodable_codecs() {
  std::vector<sdp::Format> codecs;
  auto add = [&codecs](int payload_type, std::string encoding, int rate, int channels,
                       std::string fmtp) {
    if (!can_transcode(encoding, rate)) return;
    sdp::Format format;
    format.payload_type = payload_type;
    format.encoding = std::move(encoding);
    format.clock_rate = rate;
    format.channels = channels;
    format.fmtp = std::move(fmtp);
    format.has_rtpmap = true;
    codecs.push_back(std::move(format));
  };
  add(0, "PCMU", 8000, 1, {});
  add(8, "PCMA", 8000, 1, {});
  add(9, "G722", 8000, 1, {});
  add(-1, "opus", 48000, 2, "useinbandfec=1");  // -1: a free dynamic type is chosen
  return codecs;
}

int free_dynamic_type(const std::vector<sdp::Format>& formats) {
  for (int type = 96; type <= 127; ++type) {
    if (std::none_of(formats.begin(), formats.end(),
                     [type](const sdp::Format& format) { return format.payload_type == type; })) {
      return type;
    }
  }
  return -1;
}

// telephone-event/8000 with digits 0-15, on 101 (the usual choice) when free; type -1 when
// no dynamic type is free.
sdp::Format telephone_event_format(const std::vector<sdp::Format>& formats) {
  sdp::Format format;
  const bool taken = std::any_of(formats.begin(), formats.end(), [](const sdp::Format& other) {
    return other.payload_type == 101;
  });
  format.payload_type = taken ? free_dynamic_type(formats) : 101;
  format.encoding = "telephone-event";
  format.clock_rate = 8000;
  format.channels = 1;
  format.fmtp = "0-15";
  format.has_rtpmap = true;
  return format;
}

class CallMediaImpl final : public sip::CallMedia, public RtpRelay::Listener {
 public:
  CallMediaImpl(std::unique_ptr<RtpRelay> relay, const MediaOptions& options, const Clock& clock,
                const sip::CallMediaInfo& info)
      : relay_(std::move(relay)), options_(options), clock_(clock), call_id_(info.call_id) {
    relay_->set_listener(this);
    if (options_.recorder != nullptr && options_.recording_policy != nullptr) {
      recording_ = options_.recording_policy->decide(info);
      recording_info_ =
          RecordingInfo{info.tenant_id, info.tenant_domain, info.call_id, info.caller, info.callee};
      if (recording_.record) start_recording();
    }
    if (options_.advertised_address.empty()) {
      options_.advertised_address = options_.bind_address.ip();
    }
    for (auto& origin : origins_) {
      const std::uint64_t id = base::os_random_u64();
      origin.session_id = std::to_string(id >> 1U);  // positive in a signed 64-bit reader too
      origin.username = "parley";
      origin.version = 1;
      origin.address_type = options_.bind_address.is_v6() ? "IP6" : "IP4";
      origin.address = options_.advertised_address;
    }
  }

  Result<std::string> offer(MediaSide from, std::string_view text) override {
    auto parsed = sdp::parse(text);
    if (!parsed.ok()) return Error{400, "Malformed SDP: " + parsed.error().message};
    sdp::SessionDescription& offer = *parsed;
    auto audio = find_audio(offer, options_.webrtc != nullptr, options_.sdes != SdesPolicy::kOff);
    if (!audio.ok()) return audio.error();
    const std::size_t index = *audio;
    auto remote = remote_of(offer, index);
    if (!remote.ok()) return remote.error();
    if (is_webrtc(offer.media[index])) {
      auto secure = webrtc_remote_of(offer, index);
      if (!secure.ok()) return secure.error();
      if (auto made = make_secure(from, *secure); !made.ok()) return made.error();
    } else if (offer.media[index].port != 0 && is_sdes_protocol(offer.media[index].protocol)) {
      const auto& current = sdes_[index_of(from)];
      auto keys = answer_sdes(offer.media[index], current ? &*current : nullptr);
      if (!keys.ok()) return keys.error();
      if (auto made = make_sdes(from, std::move(keys).value()); !made.ok()) return made.error();
    } else {
      make_plain(from);
    }
    relay_->set_remote(leg_of(from), *remote);
    return relay_offer(from, std::move(offer), index);
  }

  Result<std::string> transfer_offer(MediaSide to) override {
    const MediaSide stays = other_side(to);
    const std::optional<Negotiated>& current = negotiated_[index_of(stays)];
    if (!current) return Error{488, "no negotiated media to transfer"};
    sdp::SessionDescription offer = current->description;
    sdp::Media& media = offer.media[current->audio_index];
    // Only what the staying agent uses now: whatever the new one picks, the relay converts to
    // it, so the staying agent's session does not change.
    media.formats.clear();
    media.formats.push_back(current->voice);
    if (current->events) media.formats.push_back(*current->events);
    if (media.effective_direction(offer.direction) == sdp::Direction::kRecvOnly) {
      // The staying agent answered a hold from the party that now leaves (recvonly): the new
      // agent talks with it, so it is offered both ways; the B2BUA takes the staying agent off
      // hold once the new one has answered (decision 0057). Its own hold (sendonly, inactive)
      // stays a hold.
      offer.direction.reset();
      media.direction = sdp::Direction::kSendRecv;
    }
    // A new user agent: whether it gets SRTP is the B2BUA's choice (sdes_offer), not the old
    // agent's.
    return relay_offer(stays, std::move(offer), current->audio_index, /*same_agent=*/false);
  }

  Result<std::string> sdes_offer(MediaSide to) override {
    if (options_.sdes != SdesPolicy::kOfferOverTls) return Error{488, "SDES-SRTP is not offered"};
    if (!pending_ || pending_->offerer == to) return Error{488, "no offer to send"};
    sdp::SessionDescription out = pending_->relayed;
    if (auto rendered = render_sdes(out, to, pending_->audio_index); !rendered.ok()) {
      return rendered.error();
    }
    return finish(out, to);
  }

 private:
  // The offer `from` made (already parsed, its leg of the relay set up), relayed to the other
  // side: anchored, with transcodable codecs and telephone-event appended.
  Result<std::string> relay_offer(MediaSide from, sdp::SessionDescription offer, std::size_t index,
                                  bool same_agent = true) {
    const MediaSide to = other_side(from);
    const bool holds = offer_holds(offer, index);
    sdp::SessionDescription out = offer;
    anchor(out, to, index);
    sdp::Media& media = out.media[index];
    if (holds && options_.music_on_hold) {
      // Parley plays music to the held side whatever the holder sends (RFC 3264 §8.4 asks the
      // held side to answer recvonly).
      out.direction.reset();
      media.direction = sdp::Direction::kSendOnly;
    }
    if (is_secure(media.protocol)) media.protocol = "RTP/AVP";
    if (options_.transcoding &&
        std::any_of(media.formats.begin(), media.formats.end(), [](const sdp::Format& format) {
          return can_transcode(format.encoding, format.clock_rate);
        })) {
      for (sdp::Format extra : transcodable_codecs()) {
        if (find_same(media.formats, extra) != nullptr) continue;
        if (media.formats.size() >= sdp::kMaxFormats) break;
        const bool taken = std::any_of(media.formats.begin(), media.formats.end(),
                                       [&extra](const sdp::Format& format) {
                                         return format.payload_type == extra.payload_type;
                                       });
        if (extra.payload_type < 0 || taken) extra.payload_type = free_dynamic_type(media.formats);
        if (extra.payload_type < 0) break;
        media.formats.push_back(std::move(extra));
      }
    }
    if (options_.transcoding && options_.dtmf_translation && find_dtmf(media.formats) == nullptr &&
        media.formats.size() < sdp::kMaxFormats &&
        std::any_of(media.formats.begin(), media.formats.end(), [](const sdp::Format& format) {
          return can_transcode(format.encoding, format.clock_rate);
        })) {
      sdp::Format events = telephone_event_format(media.formats);
      if (events.payload_type >= 0) media.formats.push_back(std::move(events));
    }
    pending_ = Pending{from, std::move(offer), index, out, holds};
    for (auto& cached : answers_) cached = {};
    sdes_offered_[index_of(to)].reset();
    // Only a re-offer to the same agent keeps its leg's security; a new one (transfer_offer)
    // is rendered by the caller for what it is (webrtc_offer, sdes_offer), else plain: a phone
    // taking a browser's place must not get a WebRTC offer (decision 0055).
    if (same_agent && secure_[index_of(to)]) {
      render_webrtc(out, to, index, "actpass", nullptr);  // a re-offer to a WebRTC leg
    } else if (same_agent && sdes_[index_of(to)]) {
      // A re-offer to an SDES leg, with fresh keys (RFC 4568 §7.1.4).
      if (auto rendered = render_sdes(out, to, index); !rendered.ok()) return rendered.error();
    }
    return finish(out, to);
  }

 public:
  Result<std::string> webrtc_offer(MediaSide to) override {
    if (options_.webrtc == nullptr) return Error{488, "WebRTC media is not enabled"};
    if (!pending_ || pending_->offerer == to) return Error{488, "no offer to send"};
    const std::size_t side = index_of(to);
    if (relay_->secure(leg_of(to)) == nullptr && spare_[side] == nullptr) {
      auto made = options_.webrtc->create();
      if (!made.ok()) return Error{503, made.error().message};
      spare_[side] = std::move(made).value();
    }
    sdp::SessionDescription out = pending_->relayed;
    render_webrtc(out, to, pending_->audio_index, "actpass", nullptr);
    return finish(out, to);
  }

  Result<std::string> answer(MediaSide from, std::string_view text) override {
    if (!pending_ || pending_->offerer == from) {
      return Error{488, "SDP answer without an offer"};
    }
    Cached& cached = answers_[index_of(from)];
    if (!cached.in.empty() && cached.in == text) return cached.out;

    auto parsed = sdp::parse(text);
    if (!parsed.ok()) return Error{400, "Malformed SDP: " + parsed.error().message};
    sdp::SessionDescription& answer = *parsed;
    const std::size_t index = pending_->audio_index;
    if (index >= answer.media.size()) return Error{488, "SDP answer lacks the audio stream"};
    const MediaSide offerer = pending_->offerer;
    const sdp::Media& offered = pending_->offer.media[index];
    const sdp::Media& answered = answer.media[index];

    auto remote = remote_of(answer, index);
    if (!remote.ok()) return remote.error();
    if (answered.port != 0 && is_webrtc(answered)) {
      if (options_.webrtc == nullptr) return Error{488, "WebRTC media is not enabled"};
      auto secure = webrtc_remote_of(answer, index);
      if (!secure.ok()) return secure.error();
      if (auto made = make_secure(from, *secure); !made.ok()) return made.error();
    } else if (answered.port != 0 && is_sdes_protocol(answered.protocol)) {
      const auto& ours = sdes_offered_[index_of(from)];
      if (!ours) return Error{488, "SRTP answer to an offer without a=crypto"};
      auto keys = accept_sdes_answer(*ours, answered);
      if (!keys.ok()) return keys.error();
      if (auto made = make_sdes(from, std::move(keys).value()); !made.ok()) return made.error();
    } else if (answered.port != 0) {
      make_plain(from);
    }
    relay_->set_remote(leg_of(from), *remote);

    std::vector<sdp::Format> formats;
    const bool offerer_holds = pending_->offerer_holds;
    const sdp::Direction offered_direction = offered.effective_direction(pending_->offer.direction);
    // The answerer holds when it refuses media the offer would let it receive (it held before
    // and keeps holding while the other side re-offers).
    const bool answerer_holds =
        answered.port != 0 && !remote->receives && sdp::sends(offered_direction);
    if (answered.port != 0) {
      auto chosen = negotiate(offered, answered, offerer, from, formats,
                              Holding{offerer_holds, answerer_holds});
      if (!chosen.ok()) return chosen.error();
      remember(offerer, pending_->offer, index, formats);
      remember(from, answer, index, answered_formats_);
    } else {
      relay_->set_forwarding(leg_of(offerer), Forwarding{});
      relay_->set_forwarding(leg_of(from), Forwarding{});
    }

    sdp::SessionDescription out = answer;
    // The answer has the offer's streams, in order (RFC 3264 §6).
    out.media.resize(pending_->offer.media.size());
    for (std::size_t i = 0; i < out.media.size(); ++i) {
      if (i >= answer.media.size()) out.media[i] = pending_->offer.media[i];
    }
    anchor(out, offerer, index);
    sdp::Media& media = out.media[index];
    media.protocol = offered.protocol;
    if (answered.port == 0) {
      media.port = 0;
    } else {
      if (const auto& keys = sdes_[index_of(offerer)]; keys && is_sdes_protocol(offered.protocol)) {
        media.attributes.push_back(keys->local_attribute());
      }
      media.formats = std::move(formats);
      media.rtcp_mux = offered.rtcp_mux;
      if (options_.music_on_hold) {
        // What Parley does towards the offerer: music when the answerer holds; while the
        // offerer holds, it only takes what the offerer sends (RFC 3264 §6.1).
        std::optional<sdp::Direction> towards_offerer;
        if (offerer_holds) {
          towards_offerer =
              sdp::sends(offered_direction) ? sdp::Direction::kRecvOnly : sdp::Direction::kInactive;
        } else if (answerer_holds && sdp::receives(offered_direction)) {
          towards_offerer = sdp::Direction::kSendOnly;
        }
        if (towards_offerer) {
          out.direction.reset();
          media.direction = towards_offerer;
        }
      }
    }
    if (secure_[index_of(offerer)]) {
      // RFC 5763 §5: we answer actpass or active with passive, passive with active.
      const std::string* setup = find_attribute(pending_->offer, index, "setup");
      const bool active = setup != nullptr && iequals(*setup, "passive");
      render_webrtc(out, offerer, index, active ? "active" : "passive", &pending_->offer);
    }
    auto result = finish(out, offerer);
    cached.in.assign(text);
    cached.out = result;
    return result;
  }

  TimePoint last_media() const override { return relay_->last_rtp(); }

  ~CallMediaImpl() override {
    stop_recording();
    log_summary();
  }
  CallMediaImpl(const CallMediaImpl&) = delete;
  CallMediaImpl& operator=(const CallMediaImpl&) = delete;

  // One line per call with the relay's per-leg counters: what each leg's user agent sent that
  // Parley accepted, what Parley sent it, and what was dropped (operators' first look at
  // one-way audio; the SIPp pcap test reads it).
  void log_summary() const {
    const LegStats& a = relay_->stats(Leg::kA);
    const LegStats& b = relay_->stats(Leg::kB);
    spdlog::info(
        "call {} media: A rtp in {} out {} rtcp in {} out {} dropped {}/{}/{}; "
        "B rtp in {} out {} rtcp in {} out {} dropped {}/{}/{}",
        call_id_, a.rtp_received, a.rtp_sent, a.rtcp_received, a.rtcp_sent, a.dropped_malformed,
        a.dropped_foreign, a.dropped_payload, b.rtp_received, b.rtp_sent, b.rtcp_received,
        b.rtcp_sent, b.dropped_malformed, b.dropped_foreign, b.dropped_payload);
  }

  // The on-demand feature code: the toggle's digits in order, each within the gap of the last.
  void on_dtmf_digit(Leg leg, char digit) override {
    Digits& typed = digits_[static_cast<std::size_t>(leg)];
    const TimePoint now = clock_.now();
    // A DTMF storm must not become a storm of recordings: digits past a human's pace are not
    // read as codes, toggles come at most once a second, and a call has a bounded number.
    if (!typed.budget.take(now)) return;
    if (!typed.text.empty() && now - typed.last > options_.feature_code_gap) typed.text.clear();
    typed.last = now;
    typed.text.push_back(digit);
    const std::string& code = options_.record_toggle;
    if (typed.text.size() > code.size()) typed.text.erase(0, typed.text.size() - code.size());
    if (code.empty() || typed.text != code) return;
    typed.text.clear();
    if (!recording_.on_demand) return;
    if (toggled_ && now - last_toggle_ < kToggleInterval) return;
    if (!tap_ && on_demand_started_ == kMaxOnDemandRecordings) return;
    toggled_ = true;
    last_toggle_ = now;
    if (tap_) {
      stop_recording();
    } else {
      start_recording();
      ++on_demand_started_;
    }
  }

 private:
  struct Pending {
    MediaSide offerer = MediaSide::kCaller;
    sdp::SessionDescription offer;
    std::size_t audio_index = 0;
    sdp::SessionDescription relayed;  // the plain offer we made the other side
    bool offerer_holds = false;
  };
  struct Cached {
    std::string in;
    std::string out;
  };
  // What one side's user agent described and uses now, for transfer_offer().
  struct Negotiated {
    sdp::SessionDescription description;
    std::size_t audio_index = 0;
    sdp::Format voice;
    std::optional<sdp::Format> events;
  };

  // `formats`: the side's voice codec first, then any telephone-event, as it numbers them.
  void remember(MediaSide side, const sdp::SessionDescription& description, std::size_t audio_index,
                const std::vector<sdp::Format>& formats) {
    if (formats.empty()) return;
    Negotiated current{description, audio_index, formats.front(), std::nullopt};
    for (std::size_t i = 1; i < formats.size(); ++i) {
      if (is_dtmf(formats[i])) {
        current.events = formats[i];
        break;
      }
    }
    negotiated_[index_of(side)] = std::move(current);
  }
  struct Digits {
    std::string text;
    TimePoint last{};
    TokenBucket budget{kFeatureDigitsPerSecond, kFeatureDigitBurst};
  };
  static constexpr double kFeatureDigitsPerSecond = 15;
  static constexpr double kFeatureDigitBurst = 30;
  static constexpr auto kToggleInterval = std::chrono::seconds(1);
  static constexpr int kMaxOnDemandRecordings = 20;

  void start_recording() {
    if (options_.recorder == nullptr || tap_) return;
    tap_ = options_.recorder->start(recording_info_);
    for (std::uint8_t channel = 0; channel < kSides; ++channel) {
      if (tap_codecs_[channel]) tap_->set_codec(channel, *tap_codecs_[channel]);
    }
    relay_->set_recording_tap(tap_);
  }

  void stop_recording() {
    if (!tap_) return;
    relay_->set_recording_tap(nullptr);
    tap_->close();
    tap_.reset();
  }

  // What each leg sends, for the recorder to decode.
  void set_tap_codec(MediaSide side, const sdp::Format& format) {
    const auto channel = static_cast<std::uint8_t>(index_of(side));
    tap_codecs_[channel] = TapCodec{format.payload_type, spec_of(format)};
    if (tap_) tap_->set_codec(channel, *tap_codecs_[channel]);
  }

  static Result<std::size_t> find_audio(const sdp::SessionDescription& description, bool webrtc,
                                        bool sdes) {
    for (std::size_t i = 0; i < description.media.size(); ++i) {
      const sdp::Media& media = description.media[i];
      if (!iequals(media.type, "audio")) continue;
      if (!media.is_rtp()) return Error{488, "Audio stream is not RTP"};
      if (is_secure(media.protocol) && !(webrtc && is_webrtc(media)) &&
          !(sdes && is_sdes_protocol(media.protocol))) {
        return Error{488, "Secure media (" + media.protocol + ") is not supported on this leg"};
      }
      return i;
    }
    return Error{488, "SDP has no audio stream"};
  }

  // Makes `side` a WebRTC leg talking to `remote`: the SecureLeg already announced to it (by
  // webrtc_offer) if any, else a new one.
  Result<void> make_secure(MediaSide side, const SecureRemote& remote) {
    const std::size_t at = index_of(side);
    SecureLeg* secure = relay_->secure(leg_of(side));
    if (secure == nullptr) {
      if (spare_[at] == nullptr) {
        auto made = options_.webrtc->create();
        if (!made.ok()) return Error{503, made.error().message};
        spare_[at] = std::move(made).value();
      }
      secure = spare_[at].get();
      relay_->set_secure(leg_of(side), std::move(spare_[at]));
    }
    secure->set_remote(remote);
    secure_[at] = true;
    return {};
  }

  void make_plain(MediaSide side) {
    const std::size_t at = index_of(side);
    if (relay_->secure(leg_of(side)) != nullptr) relay_->set_secure(leg_of(side), nullptr);
    spare_[at].reset();
    secure_[at] = false;
    sdes_[at].reset();
  }

  // Makes `side` an SDES-SRTP leg with `keys`; the leg keeps its SRTP sessions (and so its
  // replay windows and rollover counters) when the keys did not change.
  Result<void> make_sdes(MediaSide side, SdesKeys keys) {
    const std::size_t at = index_of(side);
    const bool unchanged =
        sdes_[at] && same_keys(*sdes_[at], keys) && relay_->secure(leg_of(side)) != nullptr;
    if (!unchanged) {
      auto leg = keys.make_leg();
      if (!leg.ok()) return leg.error();
      spare_[at].reset();
      relay_->set_secure(leg_of(side), std::move(leg).value());
    }
    secure_[at] = false;
    sdes_[at] = std::move(keys);
    return {};
  }

  // Turns the audio stream of a plain description for `to` into SRTP with our SDES lines: the
  // ones already offered for the pending offer (every fork gets the same), else fresh ones.
  Result<void> render_sdes(sdp::SessionDescription& out, MediaSide to, std::size_t index) {
    auto& offered = sdes_offered_[index_of(to)];
    if (!offered) {
      auto fresh = SdesOffer::fresh();
      if (!fresh.ok()) return fresh.error();
      offered = std::move(fresh).value();
    }
    sdp::Media& media = out.media[index];
    if (media.port == 0) return {};
    media.protocol = "RTP/SAVP";
    for (auto& attribute : offered->attributes()) media.attributes.push_back(std::move(attribute));
    return {};
  }

  // Turns an anchored plain description into what a WebRTC user agent (`to`) needs: ICE-lite
  // with our credentials and one host candidate, our DTLS fingerprint and role, rtcp-mux, and
  // every stream tagged with a mid (the offer's when answering), the audio one alone bundled.
  void render_webrtc(sdp::SessionDescription& out, MediaSide to, std::size_t audio_index,
                     std::string_view setup, const sdp::SessionDescription* offer) {
    const std::size_t at = index_of(to);
    const SecureLeg* secure = relay_->secure(leg_of(to));
    if (secure == nullptr) secure = spare_[at].get();
    if (secure == nullptr) return;
    const SecureLocal& local = secure->local();
    auto mid_of = [offer](std::size_t i) {
      if (offer != nullptr && i < offer->media.size()) {
        if (const std::string* mid = find_attribute(offer->media[i].attributes, "mid")) {
          return *mid;
        }
        return std::string();
      }
      return std::to_string(i);
    };
    out.attributes.push_back({"ice-lite", {}, false});
    const std::string audio_mid = mid_of(audio_index);
    bool bundle = !audio_mid.empty();
    if (offer != nullptr) {
      const std::string* group = find_attribute(offer->attributes, "group");
      bundle = bundle && group != nullptr && group->starts_with("BUNDLE");
    }
    if (bundle) out.attributes.push_back({"group", "BUNDLE " + audio_mid, true});
    for (std::size_t i = 0; i < out.media.size(); ++i) {
      sdp::Media& media = out.media[i];
      const std::string mid = mid_of(i);
      if (i != audio_index || media.port == 0) {
        if (!mid.empty()) media.attributes.push_back({"mid", mid, true});
        continue;
      }
      media.protocol = std::string(kWebRtcProtocol);
      media.rtcp_mux = true;
      if (offer == nullptr && options_.webrtc_prefers_opus && options_.transcoding &&
          !secure_[index_of(other_side(to))]) {
        // The browser picks the first codec it shares with our offer: Opus, for the internet
        // leg; the relay transcodes to what the phone offered.
        std::stable_partition(media.formats.begin(), media.formats.end(), is_opus);
      }
      auto add = [&media](std::string name, std::string value) {
        media.attributes.push_back({std::move(name), std::move(value), true});
      };
      if (!mid.empty()) add("mid", mid);
      add("ice-ufrag", local.ice_ufrag);
      add("ice-pwd", local.ice_pwd);
      add("fingerprint", local.fingerprint);
      add("setup", std::string(setup));
      add("candidate", "1 1 UDP 2130706431 " + options_.advertised_address + " " +
                           std::to_string(media.port) + " typ host");
      media.attributes.push_back({"end-of-candidates", {}, false});
    }
  }

  // Points the description at our side of `to`'s leg: our origin and address, the relay port
  // for the audio stream, every other stream disabled, transport attributes of the peer gone.
  void anchor(sdp::SessionDescription& out, MediaSide to, std::size_t audio_index) {
    out.origin = origins_[index_of(to)];
    out.connection = sdp::Connection{out.origin.address_type, options_.advertised_address, {}};
    strip_transport_attributes(out.attributes);
    for (std::size_t i = 0; i < out.media.size(); ++i) {
      sdp::Media& media = out.media[i];
      media.connection.reset();
      media.rtcp_port.reset();
      media.rtcp_connection.reset();
      strip_transport_attributes(media.attributes);
      if (i != audio_index) {
        media.port = 0;
        continue;
      }
      if (media.port != 0) media.port = relay_->local_port(leg_of(to));
      media.port_count.reset();
    }
  }

  // Chooses how the two legs talk: passthrough of a shared codec, else transcoding. Fills the
  // formats of our answer to the offerer and programs the relay.
  // A WebRTC offerer's Opus when the plain answerer chose something else and Opus is preferred
  // on browser legs (MediaOptions::webrtc_prefers_opus): then the relay transcodes at the edge.
  const sdp::Format* webrtc_opus_edge(const sdp::Media& offered, const sdp::Format& chosen,
                                      MediaSide offerer, MediaSide answerer) const {
    if (!options_.webrtc_prefers_opus || !options_.transcoding) return nullptr;
    if (!secure_[index_of(offerer)] || secure_[index_of(answerer)]) return nullptr;
    if (is_opus(chosen) || !can_transcode(chosen.encoding, chosen.clock_rate)) return nullptr;
    for (const auto& format : offered.formats) {
      if (is_opus(format) && can_transcode(format.encoding, format.clock_rate)) return &format;
    }
    return nullptr;
  }

  struct Holding {
    bool offerer = false;
    bool answerer = false;
  };

  // Whether the author of `offer` holds the call (RFC 3264 §8.4): it will not receive the
  // audio stream (sendonly, inactive, or the old c=0.0.0.0), which it has not rejected.
  static bool offer_holds(const sdp::SessionDescription& offer, std::size_t index) {
    if (offer.media[index].port == 0) return false;
    const auto remote = remote_of(offer, index);
    return remote.ok() && !remote->receives;
  }

  // Music for the party on the receiving end of `forwarding` while the other holds, in the
  // codec it receives. Without a clip, or when the codec cannot be encoded, the direction
  // relays as it would without hold (the holder's stream, if it sends one).
  void add_hold_music(Forwarding& forwarding, const sdp::Format& codec) const {
    if (!options_.music_on_hold) return;
    auto music = MusicOnHold::create(options_.music_on_hold, spec_of(codec));
    if (!music.ok()) return;
    forwarding.hold_music = std::move(music).value();
    forwarding.hold_music_pt = codec.payload_type;
  }

  Result<void> negotiate(const sdp::Media& offered, const sdp::Media& answered, MediaSide offerer,
                         MediaSide answerer, std::vector<sdp::Format>& formats, Holding holding) {
    const sdp::Format* chosen = nullptr;
    for (const auto& format : answered.formats) {
      if (is_voice(format)) {
        chosen = &format;
        break;
      }
    }
    if (chosen == nullptr) return Error{488, "SDP answer has no audio codec"};
    Forwarding to_answerer;
    Forwarding to_offerer;
    const sdp::Format* opus_edge = webrtc_opus_edge(offered, *chosen, offerer, answerer);
    if (const sdp::Format* shared =
            opus_edge == nullptr ? find_same(offered.formats, *chosen) : nullptr) {
      to_answerer.payload_map[static_cast<std::size_t>(shared->payload_type)] =
          static_cast<std::int16_t>(chosen->payload_type);
      to_offerer.payload_map[static_cast<std::size_t>(chosen->payload_type)] =
          static_cast<std::int16_t>(shared->payload_type);
      to_answerer.input_clock_rate = static_cast<std::uint32_t>(shared->clock_rate);
      to_answerer.output_clock_rate = static_cast<std::uint32_t>(chosen->clock_rate);
      to_offerer.input_clock_rate = static_cast<std::uint32_t>(chosen->clock_rate);
      to_offerer.output_clock_rate = static_cast<std::uint32_t>(shared->clock_rate);
      formats.push_back(*shared);
      set_tap_codec(offerer, *shared);
    } else {
      const sdp::Format* own = opus_edge;
      for (const auto& format : offered.formats) {
        if (own != nullptr) break;
        if (is_voice(format) && can_transcode(format.encoding, format.clock_rate)) {
          own = &format;
          break;
        }
      }
      if (own == nullptr || !can_transcode(chosen->encoding, chosen->clock_rate)) {
        return Error{488, "No codec in common and none Parley can transcode"};
      }
      auto forward = Transcoder::create(spec_of(*own), spec_of(*chosen));
      auto backward = Transcoder::create(spec_of(*chosen), spec_of(*own));
      if (!forward.ok()) return Error{488, forward.error().message};
      if (!backward.ok()) return Error{488, backward.error().message};
      to_answerer.transcoder = std::move(forward).value();
      to_answerer.transcode_input_pt = own->payload_type;
      to_answerer.transcode_output_pt = chosen->payload_type;
      to_answerer.output_clock_rate = static_cast<std::uint32_t>(chosen->clock_rate);
      to_answerer.input_clock_rate = static_cast<std::uint32_t>(own->clock_rate);
      to_offerer.transcoder = std::move(backward).value();
      to_offerer.transcode_input_pt = chosen->payload_type;
      to_offerer.transcode_output_pt = own->payload_type;
      to_offerer.output_clock_rate = static_cast<std::uint32_t>(own->clock_rate);
      to_offerer.input_clock_rate = static_cast<std::uint32_t>(chosen->clock_rate);
      formats.push_back(*own);
      set_tap_codec(offerer, *own);
    }
    set_tap_codec(answerer, *chosen);
    answered_formats_.assign(1, *chosen);
    if (const sdp::Format* events = find_dtmf(answered.formats)) {
      answered_formats_.push_back(*events);
    }
    const sdp::Format* offered_dtmf = find_dtmf(offered.formats);
    const sdp::Format* answered_dtmf = find_dtmf(answered.formats);
    if (offered_dtmf != nullptr) to_answerer.dtmf_input_pt = offered_dtmf->payload_type;
    if (answered_dtmf != nullptr) to_offerer.dtmf_input_pt = answered_dtmf->payload_type;
    if (options_.transcoding && options_.dtmf_translation &&
        (offered_dtmf == nullptr) != (answered_dtmf == nullptr)) {
      const bool offerer_has_events = offered_dtmf != nullptr;
      const sdp::Format& offerer_codec = formats.front();
      translate_dtmf(offerer_has_events ? to_answerer : to_offerer,
                     offerer_has_events ? to_offerer : to_answerer,
                     offerer_has_events ? offerer_codec : *chosen,
                     offerer_has_events ? *chosen : offerer_codec,
                     offerer_has_events ? *offered_dtmf : *answered_dtmf);
      if (offerer_has_events) formats.push_back(*offered_dtmf);
    }
    if (offered_dtmf != nullptr && answered_dtmf != nullptr) {
      to_answerer.payload_map[static_cast<std::size_t>(offered_dtmf->payload_type)] =
          static_cast<std::int16_t>(answered_dtmf->payload_type);
      to_offerer.payload_map[static_cast<std::size_t>(answered_dtmf->payload_type)] =
          static_cast<std::int16_t>(offered_dtmf->payload_type);
      formats.push_back(*offered_dtmf);
    }
    if (holding.offerer) add_hold_music(to_answerer, *chosen);
    if (holding.answerer) add_hold_music(to_offerer, formats.front());
    relay_->set_forwarding(leg_of(offerer), std::move(to_answerer));
    relay_->set_forwarding(leg_of(answerer), std::move(to_offerer));
    return {};
  }

  // Sets up DTMF translation between a leg with telephone-event (sending `events_codec` and
  // `events`) and one without (sending `tones_codec`). `from_events` carries the first leg's
  // packets to the second, `from_tones` the other way. When something cannot be built the call
  // goes on without translation, as before it existed.
  static void translate_dtmf(Forwarding& from_events, Forwarding& from_tones,
                             const sdp::Format& events_codec, const sdp::Format& tones_codec,
                             const sdp::Format& events) {
    auto detector = TonesToEvents::create(spec_of(tones_codec), events.clock_rate);
    if (detector.ok()) {
      from_tones.tones_to_events = std::move(detector).value();
      from_tones.dtmf_output_pt = events.payload_type;
    }
    if (from_events.transcoder == nullptr) {
      // A shared codec: decode and encode it again so tones can be mixed in.
      auto same = Transcoder::create(spec_of(events_codec), spec_of(tones_codec));
      if (!same.ok()) return;
      from_events.transcoder = std::move(same).value();
      from_events.transcode_input_pt = events_codec.payload_type;
      from_events.transcode_output_pt = tones_codec.payload_type;
      from_events.output_clock_rate = static_cast<std::uint32_t>(tones_codec.clock_rate);
      from_events.payload_map[static_cast<std::size_t>(events_codec.payload_type)] = -1;
    }
    from_events.events_to_tones = std::make_unique<EventsToTones>(
        from_events.transcoder->output_sample_rate(), events.clock_rate);
    from_events.transcoder->set_mixer(from_events.events_to_tones.get());
  }

  // Serialises what we send `to`, bumping that leg's o= version when it differs from the last.
  std::string finish(sdp::SessionDescription& out, MediaSide to) {
    const std::size_t side = index_of(to);
    out.origin = origins_[side];
    std::string text = sdp::serialise(out);
    if (!last_sent_[side].empty() && text != last_sent_[side]) {
      ++origins_[side].version;
      out.origin.version = origins_[side].version;
      text = sdp::serialise(out);
    }
    last_sent_[side] = text;
    return text;
  }

  std::unique_ptr<RtpRelay> relay_;
  MediaOptions options_;
  const Clock& clock_;
  std::string call_id_;  // for the log
  RecordingDecision recording_;
  RecordingInfo recording_info_;
  std::shared_ptr<RecordingTap> tap_;  // set while recording
  std::array<std::optional<TapCodec>, kSides> tap_codecs_;
  std::array<Digits, kSides> digits_;
  bool toggled_ = false;  // the on-demand code was used in this call
  TimePoint last_toggle_{};
  int on_demand_started_ = 0;
  std::array<sdp::Origin, kSides> origins_;
  std::array<std::string, kSides> last_sent_;
  std::array<Cached, kSides> answers_;  // by answering side
  std::optional<Pending> pending_;
  std::array<std::optional<Negotiated>, kSides> negotiated_;
  std::vector<sdp::Format> answered_formats_;  // scratch: the answerer's side of negotiate()
  std::array<bool, kSides> secure_{};          // the side's leg is WebRTC
  // A SecureLeg announced in a WebRTC offer, installed in the relay once the answer is WebRTC.
  std::array<std::unique_ptr<SecureLeg>, kSides> spare_;
  std::array<std::optional<SdesKeys>, kSides> sdes_;  // the side's leg is SDES-SRTP with these
  // The a=crypto lines of the pending offer to a side, until a new offer replaces it.
  std::array<std::optional<SdesOffer>, kSides> sdes_offered_;
};

}  // namespace

MediaService::MediaService(net::WorkerPool& pool, PortPool& ports, const Clock& clock,
                           MediaOptions options)
    : pool_(pool), ports_(ports), clock_(clock), options_(std::move(options)) {}

Result<std::unique_ptr<sip::CallMedia>> MediaService::create(const sip::CallMediaInfo& info) {
  const std::size_t worker = pool_.current_worker();
  if (worker == net::kNoWorker) return Error{500, "media needs a worker loop"};
  RelayOptions relay_options;
  relay_options.bind_address = options_.bind_address;
  relay_options.latch_window = options_.latch_window;
  auto relay = RtpRelay::create(pool_, worker, ports_, clock_, relay_options);
  if (!relay.ok()) return Error{503, relay.error().message};
  return std::unique_ptr<sip::CallMedia>(
      std::make_unique<CallMediaImpl>(std::move(relay).value(), options_, clock_, info));
}

}  // namespace parley::media
