#include "protocol/sdp/session_description.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace parley::protocol::sdp {
namespace {

// The samples are written with LF for readability; the wire form uses CRLF.
std::string crlf(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') out.push_back('\r');
    out.push_back(c);
  }
  return out;
}

std::vector<std::string> lines_of(std::string_view text) {
  std::vector<std::string> lines;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.emplace_back(line);
    pos = end + 1;
  }
  return lines;
}

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

SessionDescription parse_ok(std::string_view text) {
  auto sd = parse(text);
  EXPECT_TRUE(sd.ok()) << (sd.ok() ? "" : sd.error().message) << "\n" << text;
  return sd.ok() ? std::move(*sd) : SessionDescription{};
}

// parse -> serialise -> parse -> serialise is a fixed point after the first serialise.
std::string expect_stable(std::string_view text) {
  const SessionDescription first = parse_ok(text);
  std::string once = serialise(first);
  auto second = parse(once);
  EXPECT_TRUE(second.ok()) << (second.ok() ? "" : second.error().message) << "\n" << once;
  if (second.ok()) EXPECT_EQ(serialise(*second), once);
  return once;
}

std::vector<std::string> names(const std::vector<Attribute>& attributes) {
  std::vector<std::string> out;
  out.reserve(attributes.size());
  for (const Attribute& a : attributes) out.push_back(a.name);
  return out;
}

std::string parse_error(std::string_view text) {
  auto sd = parse(text);
  EXPECT_FALSE(sd.ok()) << text;
  if (sd.ok()) return {};
  EXPECT_EQ(sd.error().code, 400);
  return sd.error().message;
}

// --- real-world descriptions -------------------------------------------------------------

constexpr std::string_view kSippOffer = R"(v=0
o=user1 53655765 2353687637 IN IP4 127.0.1.1
s=-
c=IN IP4 127.0.1.1
t=0 0
m=audio 6000 RTP/AVP 0
a=rtpmap:0 PCMU/8000
)";

TEST(SessionDescription, SippG711OfferRoundTripsByteForByte) {
  const std::string wire = crlf(kSippOffer);
  const SessionDescription sd = parse_ok(wire);
  EXPECT_EQ(sd.version, 0);
  EXPECT_EQ(sd.origin.username, "user1");
  EXPECT_EQ(sd.origin.session_id, "53655765");
  EXPECT_EQ(sd.origin.version, 2353687637u);
  EXPECT_EQ(sd.origin.address_type, "IP4");
  EXPECT_EQ(sd.origin.address, "127.0.1.1");
  EXPECT_EQ(sd.session_name, "-");
  ASSERT_TRUE(sd.connection.has_value());
  EXPECT_EQ(sd.connection->address, "127.0.1.1");
  ASSERT_EQ(sd.other_lines.size(), 1u);
  EXPECT_EQ(sd.other_lines[0].type, 't');
  EXPECT_EQ(sd.other_lines[0].value, "0 0");
  ASSERT_EQ(sd.media.size(), 1u);
  const Media& m = sd.media[0];
  EXPECT_EQ(m.type, "audio");
  EXPECT_EQ(m.port, 6000);
  EXPECT_EQ(m.protocol, "RTP/AVP");
  EXPECT_TRUE(m.is_rtp());
  ASSERT_EQ(m.formats.size(), 1u);
  EXPECT_EQ(m.formats[0].encoding, "PCMU");
  EXPECT_EQ(m.formats[0].clock_rate, 8000);
  EXPECT_TRUE(m.formats[0].has_rtpmap);
  EXPECT_TRUE(m.attributes.empty());
  EXPECT_EQ(sd.connection_for(0), &*sd.connection);
  EXPECT_EQ(serialise(sd), wire);
}

constexpr std::string_view kBaresipOffer = R"(v=0
o=- 1294614226 3211291839 IN IP4 192.168.1.10
s=-
c=IN IP4 192.168.1.10
t=0 0
a=tool:baresip 3.10.1
m=audio 10000 RTP/AVP 0 8 101
b=AS:80
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
a=ptime:20
a=sendrecv
a=label:1
a=rtcp-rsize
a=ssrc:1419296212 cname:7ac5e1b6-5be6-4b54-9d3a-2b4c6bd2d4a3
)";

TEST(SessionDescription, BaresipOfferWithStaticTypesAndTelephoneEvent) {
  const std::string wire = crlf(kBaresipOffer);
  const SessionDescription sd = parse_ok(wire);
  ASSERT_EQ(sd.media.size(), 1u);
  const Media& m = sd.media[0];
  ASSERT_EQ(m.formats.size(), 3u);
  // 0 and 8 come from the RFC 3551 table and get no a=rtpmap line back.
  EXPECT_EQ(m.formats[0].encoding, "PCMU");
  EXPECT_EQ(m.formats[0].clock_rate, 8000);
  EXPECT_FALSE(m.formats[0].has_rtpmap);
  EXPECT_EQ(m.formats[1].encoding, "PCMA");
  EXPECT_FALSE(m.formats[1].has_rtpmap);
  EXPECT_EQ(m.formats[2].payload_type, 101);
  EXPECT_EQ(m.formats[2].encoding, "telephone-event");
  EXPECT_EQ(m.formats[2].fmtp, "0-15");
  EXPECT_TRUE(m.formats[2].has_rtpmap);
  EXPECT_EQ(m.bandwidths, std::vector<std::string>{"AS:80"});
  EXPECT_EQ(m.ptime, 20);
  EXPECT_EQ(m.direction, Direction::kSendRecv);
  EXPECT_EQ(names(m.attributes), (std::vector<std::string>{"label", "rtcp-rsize", "ssrc"}));
  EXPECT_FALSE(m.attributes[1].has_value);
  EXPECT_EQ(m.attributes[2].value, "1419296212 cname:7ac5e1b6-5be6-4b54-9d3a-2b4c6bd2d4a3");
  ASSERT_EQ(sd.attributes.size(), 1u);
  EXPECT_EQ(sd.attributes[0].value, "baresip 3.10.1");
  EXPECT_EQ(serialise(sd), wire);
}

constexpr std::string_view kLinphoneOffer = R"(v=0
o=bob 3102 1745 IN IP4 192.168.1.20
s=Talk
c=IN IP4 192.168.1.20
t=0 0
a=rtcp-xr:rcvr-rtt=all:10000 stat-summary=loss,dup,jitt,TTL voip-metrics
a=record:off
m=audio 7078 RTP/AVP 96 97 98 0 8 101 99 100
a=rtpmap:96 opus/48000/2
a=fmtp:96 useinbandfec=1
a=rtpmap:97 SILK/16000
a=rtpmap:98 speex/16000
a=fmtp:98 vbr=on
a=rtpmap:101 telephone-event/48000
a=rtpmap:99 telephone-event/16000
a=rtpmap:100 telephone-event/8000
a=rtcp:7079
a=rtcp-fb:* trr-int 1000
a=rtcp-fb:* ccm tmmbr
)";

TEST(SessionDescription, LinphoneOfferWithOpusTelephoneEventAndRtcp) {
  // Linphone on some platforms ends lines with LF only; the output is CRLF either way.
  const SessionDescription sd = parse_ok(kLinphoneOffer);
  EXPECT_EQ(sd.session_name, "Talk");
  ASSERT_EQ(sd.media.size(), 1u);
  const Media& m = sd.media[0];
  ASSERT_EQ(m.formats.size(), 8u);
  const Format* opus = m.find_format(96);
  ASSERT_NE(opus, nullptr);
  EXPECT_EQ(opus->encoding, "opus");
  EXPECT_EQ(opus->clock_rate, 48000);
  EXPECT_EQ(opus->channels, 2);
  EXPECT_EQ(opus->fmtp, "useinbandfec=1");
  EXPECT_EQ(m.find_format(98)->fmtp, "vbr=on");
  EXPECT_EQ(m.find_format(100)->encoding, "telephone-event");
  EXPECT_EQ(m.find_format(100)->clock_rate, 8000);
  EXPECT_EQ(m.find_format(0)->encoding, "PCMU");
  EXPECT_EQ(m.find_format(102), nullptr);
  EXPECT_EQ(m.rtcp_port, 7079);
  EXPECT_FALSE(m.rtcp_connection.has_value());
  EXPECT_FALSE(m.rtcp_mux);
  EXPECT_FALSE(m.direction.has_value());
  EXPECT_EQ(m.effective_direction(sd.direction), Direction::kSendRecv);
  EXPECT_EQ(names(m.attributes), (std::vector<std::string>{"rtcp-fb", "rtcp-fb"}));
  EXPECT_EQ(names(sd.attributes), (std::vector<std::string>{"rtcp-xr", "record"}));
  EXPECT_EQ(sd.attributes[0].value,
            "rcvr-rtt=all:10000 stat-summary=loss,dup,jitt,TTL voip-metrics");
  EXPECT_EQ(serialise(sd), crlf(kLinphoneOffer));
}

constexpr std::string_view kChromeOffer = R"(v=0
o=- 4611731400430051336 2 IN IP4 127.0.0.1
s=-
t=0 0
a=group:BUNDLE 0 1 2
a=extmap-allow-mixed
a=msid-semantic: WMS 5d6a8f2c
m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126
c=IN IP4 0.0.0.0
a=rtcp:9 IN IP4 0.0.0.0
a=candidate:1467250027 1 udp 2122260223 192.168.0.196 46243 typ host generation 0 network-id 1
a=candidate:1853887674 1 udp 1845501695 198.51.100.7 46243 typ srflx raddr 192.168.0.196 rport 46243 generation 0
a=ice-ufrag:Kv3n
a=ice-pwd:Jf2bZ2Qm9VxnQ5yl7jK1b8Kx
a=ice-options:trickle
a=fingerprint:sha-256 7B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:19:08
a=setup:actpass
a=mid:0
a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level
a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time
a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01
a=sendrecv
a=msid:5d6a8f2c 0b1e7b0f-4c1f-4a53-a0d5-51e0b0e3d2a1
a=rtcp-mux
a=rtpmap:111 opus/48000/2
a=rtcp-fb:111 transport-cc
a=fmtp:111 minptime=10;useinbandfec=1
a=rtpmap:63 red/48000/2
a=fmtp:63 111/111
a=rtpmap:9 G722/8000
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:13 CN/8000
a=rtpmap:110 telephone-event/48000
a=rtpmap:126 telephone-event/8000
a=ssrc:3735928559 cname:abcdEFGHijklMNOP
a=ssrc:3735928559 msid:5d6a8f2c 0b1e7b0f-4c1f-4a53-a0d5-51e0b0e3d2a1
m=video 9 UDP/TLS/RTP/SAVPF 96 97
c=IN IP4 0.0.0.0
a=rtcp:9 IN IP4 0.0.0.0
a=ice-ufrag:Kv3n
a=ice-pwd:Jf2bZ2Qm9VxnQ5yl7jK1b8Kx
a=ice-options:trickle
a=fingerprint:sha-256 7B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:19:08
a=setup:actpass
a=mid:1
a=sendrecv
a=msid:5d6a8f2c 7c3e1f5a-0d8b-4e0e-9d4c-6c1b2a3d4e5f
a=rtcp-mux
a=rtcp-rsize
a=rtpmap:96 VP8/90000
a=rtcp-fb:96 goog-remb
a=rtcp-fb:96 transport-cc
a=rtcp-fb:96 nack
a=rtcp-fb:96 nack pli
a=rtpmap:97 rtx/90000
a=fmtp:97 apt=96
a=ssrc-group:FID 1111111111 2222222222
a=ssrc:1111111111 cname:abcdEFGHijklMNOP
a=ssrc:2222222222 cname:abcdEFGHijklMNOP
m=application 9 UDP/DTLS/SCTP webrtc-datachannel
c=IN IP4 0.0.0.0
a=ice-ufrag:Kv3n
a=ice-pwd:Jf2bZ2Qm9VxnQ5yl7jK1b8Kx
a=ice-options:trickle
a=fingerprint:sha-256 7B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:19:08
a=setup:actpass
a=mid:2
a=sctp-port:5000
a=max-message-size:262144
)";

TEST(SessionDescription, ChromeWebRtcOfferKeepsEveryLineVerbatim) {
  const std::string wire = crlf(kChromeOffer);
  const SessionDescription sd = parse_ok(wire);
  EXPECT_EQ(sd.origin.session_id, "4611731400430051336");
  EXPECT_EQ(names(sd.attributes),
            (std::vector<std::string>{"group", "extmap-allow-mixed", "msid-semantic"}));
  EXPECT_EQ(sd.attributes[2].value, " WMS 5d6a8f2c");
  ASSERT_EQ(sd.media.size(), 3u);

  const Media& audio = sd.media[0];
  EXPECT_EQ(audio.protocol, "UDP/TLS/RTP/SAVPF");
  EXPECT_TRUE(audio.is_rtp());
  EXPECT_EQ(audio.port, 9);
  EXPECT_TRUE(audio.rtcp_mux);
  EXPECT_EQ(audio.rtcp_port, 9);
  ASSERT_TRUE(audio.rtcp_connection.has_value());
  EXPECT_EQ(audio.rtcp_connection->address, "0.0.0.0");
  EXPECT_EQ(audio.find_format(63)->encoding, "red");
  EXPECT_EQ(audio.find_format(63)->fmtp, "111/111");
  EXPECT_EQ(audio.find_format(111)->fmtp, "minptime=10;useinbandfec=1");
  EXPECT_EQ(audio.find_format(110)->clock_rate, 48000);
  EXPECT_EQ(names(audio.attributes),
            (std::vector<std::string>{"candidate", "candidate", "ice-ufrag", "ice-pwd",
                                      "ice-options", "fingerprint", "setup", "mid", "extmap",
                                      "extmap", "extmap", "msid", "rtcp-fb", "ssrc", "ssrc"}));

  const Media& video = sd.media[1];
  EXPECT_EQ(video.find_format(97)->encoding, "rtx");
  EXPECT_EQ(video.find_format(97)->fmtp, "apt=96");

  const Media& data = sd.media[2];
  EXPECT_FALSE(data.is_rtp());
  EXPECT_TRUE(data.formats.empty());
  EXPECT_EQ(data.raw_formats, std::vector<std::string>{"webrtc-datachannel"});

  // Serialising moves the modelled attributes into RFC order, but every line is still there,
  // byte for byte, and the verbatim ones keep their relative order.
  const std::string out = expect_stable(wire);
  EXPECT_EQ(sorted(lines_of(out)), sorted(lines_of(wire)));
  const SessionDescription again = parse_ok(out);
  for (std::size_t i = 0; i < sd.media.size(); ++i) {
    EXPECT_EQ(names(again.media[i].attributes), names(sd.media[i].attributes));
    for (std::size_t k = 0; k < sd.media[i].attributes.size(); ++k) {
      EXPECT_EQ(again.media[i].attributes[k].value, sd.media[i].attributes[k].value);
    }
  }
}

TEST(SessionDescription, HoldOffers) {
  // RFC 3264 §8.4 sendonly hold, and the old RFC 2543 style with c=0.0.0.0.
  const SessionDescription sendonly = parse_ok(crlf(R"(v=0
o=- 1 2 IN IP4 192.0.2.1
s=-
c=IN IP4 192.0.2.1
t=0 0
m=audio 49170 RTP/AVP 0 8
a=sendonly
)"));
  ASSERT_EQ(sendonly.media.size(), 1u);
  EXPECT_EQ(sendonly.media[0].direction, Direction::kSendOnly);
  const Direction answer = reverse(sendonly.media[0].effective_direction(sendonly.direction));
  EXPECT_EQ(answer, Direction::kRecvOnly);
  EXPECT_FALSE(sends(answer));
  EXPECT_TRUE(receives(answer));

  const std::string old_style = crlf(R"(v=0
o=- 1 3 IN IP4 192.0.2.1
s=-
c=IN IP4 0.0.0.0
t=0 0
a=inactive
m=audio 49170 RTP/AVP 0
)");
  const SessionDescription inactive = parse_ok(old_style);
  EXPECT_EQ(inactive.connection_for(0)->address, "0.0.0.0");
  EXPECT_EQ(inactive.direction, Direction::kInactive);
  EXPECT_FALSE(inactive.media[0].direction.has_value());
  EXPECT_EQ(inactive.media[0].effective_direction(inactive.direction), Direction::kInactive);
  EXPECT_TRUE(inactive.attributes.empty());
  EXPECT_EQ(serialise(inactive), old_style);
}

TEST(SessionDescription, RejectedStreamsWithPortZero) {
  const std::string answer = crlf(R"(v=0
o=- 1 2 IN IP4 192.0.2.1
s=-
c=IN IP4 192.0.2.1
t=0 0
m=audio 49170 RTP/AVP 0
m=video 0 RTP/AVP 31
m=text 0 RTP/AVP
)");
  const SessionDescription sd = parse_ok(answer);
  ASSERT_EQ(sd.media.size(), 3u);
  EXPECT_EQ(sd.media[1].port, 0);
  EXPECT_EQ(sd.media[1].formats[0].encoding, "H261");
  EXPECT_EQ(sd.media[1].formats[0].clock_rate, 90000);
  EXPECT_TRUE(sd.media[2].formats.empty());
  EXPECT_EQ(serialise(sd), answer);
  // A stream that is not rejected must offer something.
  EXPECT_NE(parse_error("v=0\no=- 1 2 IN IP4 h\ns=-\nm=audio 4000 RTP/AVP\n").find("no formats"),
            std::string::npos);
}

TEST(SessionDescription, Ipv6AndRtcpWithAddress) {
  const std::string wire = crlf(R"(v=0
o=alice 2890844526 2890842807 IN IP6 2001:db8::1
s=-
c=IN IP6 2001:db8::1
t=0 0
m=audio 49170/2 RTP/AVP 0
c=IN IP6 2001:db8::2
a=rtcp:53020 IN IP6 2001:db8::3
)");
  const SessionDescription sd = parse_ok(wire);
  EXPECT_EQ(sd.origin.address_type, "IP6");
  EXPECT_EQ(sd.origin.address, "2001:db8::1");
  const Media& m = sd.media[0];
  EXPECT_EQ(m.port_count, 2);
  EXPECT_EQ(sd.connection_for(0)->address, "2001:db8::2");
  EXPECT_EQ(sd.connection_for(7)->address, "2001:db8::1");  // no such media: session level
  EXPECT_EQ(m.rtcp_port, 53020);
  ASSERT_TRUE(m.rtcp_connection.has_value());
  EXPECT_EQ(m.rtcp_connection->address_type, "IP6");
  EXPECT_EQ(m.rtcp_connection->address, "2001:db8::3");
  EXPECT_EQ(serialise(sd), wire);
}

TEST(SessionDescription, MulticastSuffixAndTimingLinesKeepTheirPlace) {
  // RFC 8866 §5 example, with its i= u= e= p= b= r= lines and a multicast c=.
  const std::string wire = crlf(R"(v=0
o=jdoe 3724394400 3724394405 IN IP4 198.51.100.1
s=Call to John Smith
i=SDP Offer #1
u=http://www.jdoe.example.com/home.html
e=Jane Doe <jane@jdoe.example.com>
p=+1 617 555-6011
c=IN IP4 233.252.0.1/127
b=CT:1000
t=0 0
r=604800 3600 0 90000
a=recvonly
m=audio 49170 RTP/AVP 0
m=video 51372 RTP/AVP 99
i=main camera
b=AS:512
a=rtpmap:99 h263-1998/90000
)");
  const SessionDescription sd = parse_ok(wire);
  EXPECT_EQ(sd.connection->address, "233.252.0.1");
  EXPECT_EQ(sd.connection->suffix, "/127");
  EXPECT_EQ(sd.session_name, "Call to John Smith");
  EXPECT_EQ(sd.direction, Direction::kRecvOnly);
  EXPECT_EQ(sd.media[1].title, "main camera");
  EXPECT_EQ(sd.media[1].formats[0].encoding, "h263-1998");
  EXPECT_EQ(serialise(sd), wire);

  // Out of order on input, in RFC order on output.
  const std::string shuffled = crlf(R"(v=0
t=0 0
s=x
r=604800 3600 0 90000
i=info
o=- 1 1 IN IP4 h
)");
  EXPECT_EQ(expect_stable(shuffled), crlf("v=0\no=- 1 1 IN IP4 h\ns=x\ni=info\nt=0 0\n"
                                          "r=604800 3600 0 90000\n"));
}

TEST(SessionDescription, FuzzSeedCorpusParsesAndIsStable) {
  const std::filesystem::path folder = std::filesystem::path(PARLEY_TEST_DATA) / "fuzz/sdp_fuzz";
  std::size_t seeds = 0;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    SCOPED_TRACE(entry.path().string());
    const std::string out = expect_stable(text);
    EXPECT_FALSE(out.empty());
    ++seeds;
  }
  EXPECT_GE(seeds, 8u);
}

// --- liberal acceptance ------------------------------------------------------------------

TEST(SessionDescription, ToleratesMissingTimeBlankLinesExtraSpacesAndNoFinalNewline) {
  const SessionDescription sd = parse_ok(
      "v=0\r\no=-  1   2 IN\tIP4 192.0.2.1 \r\n\r\ns=\nm=audio  4000  RTP/AVP  8 \r\n"
      "a=sendrecv \na=ptime:30 ");
  EXPECT_EQ(sd.origin.address, "192.0.2.1");
  EXPECT_EQ(sd.session_name, "");
  EXPECT_EQ(sd.media[0].port, 4000);
  EXPECT_EQ(sd.media[0].direction, Direction::kSendRecv);
  EXPECT_EQ(sd.media[0].ptime, 30);
  EXPECT_EQ(serialise(sd), crlf("v=0\no=- 1 2 IN IP4 192.0.2.1\ns=\nt=0 0\n"
                                "m=audio 4000 RTP/AVP 8\na=ptime:30\na=sendrecv\n"));
}

TEST(SessionDescription, UnreadableOrRepeatedAttributesStayVerbatim) {
  const std::string wire = crlf(R"(v=0
o=- 1 2 IN IP4 h
s=-
a=sendonly
a=recvonly
m=audio 4000 RTP/AVP 0 96
a=rtpmap:96 opus/48000/2
a=rtpmap:96 speex/16000
a=rtpmap:97 AMR/8000
a=rtpmap:0 PCMU
a=rtpmap:abc x/1
a=fmtp:96 useinbandfec=1
a=fmtp:96 stereo=1
a=fmtp:97 mode-set=7
a=fmtp:0
a=ptime:abc
a=ptime:20
a=ptime:30
a=maxptime:0
a=maxptime:99999999999999999999999
a=rtcp:70000
a=rtcp:5000 IN IP9 x
a=rtcp:5001
a=rtcp-mux:yes
a=rtcp-mux
a=rtcp-mux
a=inactive
a=sendrecv
a=sendrecv:x
)");
  const SessionDescription sd = parse_ok(wire);
  EXPECT_EQ(sd.direction, Direction::kSendOnly);
  EXPECT_EQ(names(sd.attributes), std::vector<std::string>{"recvonly"});
  const Media& m = sd.media[0];
  EXPECT_EQ(m.find_format(96)->encoding, "opus");
  EXPECT_EQ(m.find_format(96)->fmtp, "useinbandfec=1");
  EXPECT_EQ(m.find_format(0)->encoding, "PCMU");
  EXPECT_FALSE(m.find_format(0)->has_rtpmap);  // "PCMU" without a rate is unreadable
  EXPECT_EQ(m.ptime, 20);
  EXPECT_FALSE(m.maxptime.has_value());
  EXPECT_EQ(m.rtcp_port, 5001);
  EXPECT_TRUE(m.rtcp_mux);
  EXPECT_EQ(m.direction, Direction::kInactive);
  const std::vector<std::string> kept = {"rtpmap",   "rtpmap",  "rtpmap", "rtpmap",   "fmtp",
                                         "fmtp",     "fmtp",    "ptime",  "ptime",    "maxptime",
                                         "maxptime", "rtcp",    "rtcp",   "rtcp-mux", "rtcp-mux",
                                         "sendrecv", "sendrecv"};
  EXPECT_EQ(names(m.attributes), kept);
  EXPECT_EQ(m.attributes[1].value, "97 AMR/8000");  // pt not on the m= line
  // Nothing is lost: every input line comes back out.
  const std::string out = expect_stable(wire);
  std::vector<std::string> expected = lines_of(wire);
  expected.emplace_back("t=0 0");
  EXPECT_EQ(sorted(lines_of(out)), sorted(expected));
}

TEST(SessionDescription, HostileNumbersNeverOverflow) {
  const std::string head = "v=0\no=- 1 2 IN IP4 h\ns=-\n";
  EXPECT_NE(parse_error(head + "m=audio 65536 RTP/AVP 0\n").find("65535"), std::string::npos);
  EXPECT_FALSE(parse(head + "m=audio 99999999999999999999999999 RTP/AVP 0\n").ok());
  EXPECT_FALSE(parse(head + "m=audio -1 RTP/AVP 0\n").ok());
  EXPECT_FALSE(parse(head + "m=audio 4000/0 RTP/AVP 0\n").ok());
  EXPECT_FALSE(parse(head + "m=audio 4000/70000 RTP/AVP 0\n").ok());
  EXPECT_NE(parse_error(head + "m=audio 4000 RTP/AVP 128\n").find("0..127"), std::string::npos);
  EXPECT_FALSE(parse(head + "m=audio 4000 RTP/AVP 18446744073709551617\n").ok());
  EXPECT_EQ(parse_ok(head + "m=audio 65535 RTP/AVP 127\n").media[0].port, 65535);
  EXPECT_FALSE(parse("v=0\no=- 1 18446744073709551616 IN IP4 h\ns=-\n").ok());
  EXPECT_EQ(parse_ok("v=0\no=- 1 18446744073709551615 IN IP4 h\ns=-\n").origin.version,
            18446744073709551615u);
  // Session ids longer than 64 bits are kept as written.
  EXPECT_EQ(parse_ok("v=0\no=- 123456789012345678901234567890 1 IN IP4 h\ns=-\n").origin.session_id,
            "123456789012345678901234567890");
  const SessionDescription sd =
      parse_ok(head +
               "m=audio 4000 RTP/AVP 96\na=rtpmap:96 x/99999999999999999999/2\n"
               "a=rtpmap:96 y/8000/256\na=rtpmap:0096 z/8000/0\na=rtpmap:96 opus/48000/255\n");
  EXPECT_EQ(sd.media[0].formats[0].encoding, "opus");
  EXPECT_EQ(sd.media[0].formats[0].channels, 255);
  EXPECT_EQ(sd.media[0].attributes.size(), 3u);
}

// --- limits ------------------------------------------------------------------------------

TEST(SessionDescription, LimitsAreEnforced) {
  const std::string head = "v=0\no=- 1 2 IN IP4 h\ns=-\n";

  std::string media = head;
  for (std::size_t i = 0; i < kMaxMedia; ++i) media += "m=audio 0 RTP/AVP 0\n";
  EXPECT_EQ(parse_ok(media).media.size(), kMaxMedia);
  EXPECT_NE(parse_error(media + "m=audio 0 RTP/AVP 0\n").find("more than 16 m= lines"),
            std::string::npos);

  std::string formats = "m=audio 4000 RTP/AVP";
  for (std::size_t i = 0; i < kMaxFormats; ++i) formats += " " + std::to_string(i);
  EXPECT_EQ(parse_ok(head + formats + "\n").media[0].formats.size(), kMaxFormats);
  EXPECT_NE(parse_error(head + formats + " 64\n").find("more than 64 formats"), std::string::npos);
  std::string raw = "m=application 4000 UDP";
  for (std::size_t i = 0; i <= kMaxFormats; ++i) raw += " f" + std::to_string(i);
  EXPECT_FALSE(parse(head + raw + "\n").ok());

  std::string attributes = head + "a=s\nm=audio 4000 RTP/AVP 0\n";
  for (std::size_t i = 1; i < kMaxAttributes; ++i) attributes += "a=x:" + std::to_string(i) + "\n";
  EXPECT_EQ(parse_ok(attributes).media[0].attributes.size(), kMaxAttributes - 1);
  EXPECT_NE(parse_error(attributes + "a=sendrecv\n").find("more than 256 a= lines"),
            std::string::npos);

  std::string big = head + "i=";
  big.append(kMaxBytes - big.size() - 1, 'x');
  big += "\n";
  ASSERT_EQ(big.size(), kMaxBytes);
  EXPECT_TRUE(parse(big).ok());
  EXPECT_NE(parse_error(big + "\n").find("over the limit of 65536"), std::string::npos);
}

// --- malformed descriptions --------------------------------------------------------------

TEST(SessionDescription, MalformedInputsGiveHelpfulErrors) {
  const std::string head = "v=0\no=- 1 2 IN IP4 h\ns=-\n";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "empty description"},
      {"o=- 1 2 IN IP4 h\nv=0\ns=-\n", "line 1: a description starts with v=0, got 'o=- 1 2"},
      {"\nv=0\n", "line 1: a description starts with v=0"},
      {"v=1\no=- 1 2 IN IP4 h\ns=-\n", "line 1: unsupported SDP version '1' (only v=0)"},
      {"v=0\ns=-\n", "description has no o= line"},
      {"v=0\no=- 1 2 IN IP4 h\n", "description has no s= line"},
      {head + "v=0\n", "line 4: second v= line"},
      {head + "o=- 1 2 IN IP4 h\n", "line 4: second o= line"},
      {head + "s=again\n", "line 4: second s= line"},
      {head + "hello world\n", "line 4: expected <type>=<value>, got 'hello world'"},
      {head + "A=x\n", "line 4: expected <type>=<value>"},
      {head + "a\n", "line 4: expected <type>=<value>"},
      {head + "x=1\n", "line 4: unknown line type 'x'"},
      {head + std::string("a=x\0y\n", 6), "line 4: NUL or CR inside the line"},
      {head + "a=x\ry\n", "line 4: NUL or CR inside the line"},
      {"v=0\no=- 1 2 IN IP4\ns=-\n", "line 2: o= needs six fields"},
      {"v=0\no=- 1 2 IN IP4 h extra\ns=-\n", "line 2: o= needs six fields"},
      {"v=0\no=- abc 2 IN IP4 h\ns=-\n", "line 2: o= session id 'abc' is not a number"},
      {"v=0\no=- 1 v2 IN IP4 h\ns=-\n", "line 2: o= session version 'v2' is not a number"},
      {"v=0\no=- 1 2 ATM IP4 h\ns=-\n", "line 2: o= network type 'ATM' is not IN"},
      {"v=0\no=- 1 2 IN IPX h\ns=-\n", "line 2: o= address type 'IPX' is not IP4 or IP6"},
      {"v=0\no=- 1 2 IN IP4 h/12\ns=-\n", "line 2: o= address 'h/12' has a suffix"},
      {head + "c=IN IP4\n", "line 4: c= needs 'IN <IP4|IP6> <address>'"},
      {head + "c=IN IP4 [::1]\n", "line 4: c= malformed address '[::1]'"},
      {head + "c=IN IP4 224.2.1.1/\n", "line 4: c= malformed multicast suffix"},
      {head + "c=IN IP4 224.2.1.1/1/x\n", "line 4: c= malformed multicast suffix"},
      {head + "c=IN IP4 a\nc=IN IP4 b\n", "line 5: second session-level c= line"},
      {head + "m=audio 1 RTP/AVP 0\nc=IN IP4 a\nc=IN IP4 b\n",
       "line 6: second c= line in one media section"},
      {head + "m=audio 1 RTP/AVP 0\ni=a\ni=b\n", "line 6: second i= line in one media section"},
      {head + "b=AS\n", "line 4: b= needs <type>:<bandwidth>, got 'AS'"},
      {head + "b=AS:lots\n", "line 4: b= needs <type>:<bandwidth>"},
      {head + "m=audio 1 RTP/AVP 0\nt=0 0\n", "line 5: t= must come before the first m= line"},
      {head + "m=audio 1 RTP/AVP 0\ns=-\n", "line 5: s= must come before the first m= line"},
      {head + "m=audio\n", "line 4: m= needs '<media> <port> <protocol> <format> ...'"},
      {head + "m=audio 4000\n", "line 4: m= needs"},
      {head + "m=audio x RTP/AVP 0\n", "line 4: m= port 'x' is not a number 0..65535"},
      {head + "m=audio 4000/x RTP/AVP 0\n", "line 4: m= port count 'x' is not a number 1..65535"},
      {head + "m=audio 4000 RTP/AVP 0 pcmu\n",
       "line 4: payload type 'pcmu' is not a number 0..127"},
      {head + "m=audio 4000 RTP/AVP 8 0 08\n", "line 4: payload type 8 is listed twice"},
      {head + "m=au(dio 4000 RTP/AVP 0\n", "line 4: m= media type 'au(dio' is not a token"},
      {head + "m=audio 4000 RTP/A:VP 0\n", "line 4: m= protocol 'RTP/A:VP' is malformed"},
      {head + "a=\n", "line 4: a= line without an attribute name"},
      {head + "a=:x\n", "line 4: a= line without an attribute name"},
      {head + "a=foo bar\n", "line 4: attribute name 'foo bar' is not a token"},
  };
  for (const auto& [text, expected] : cases) {
    const std::string message = parse_error(text);
    EXPECT_NE(message.find(expected), std::string::npos)
        << "input:\n"
        << text << "\nmessage: " << message << "\nexpected: " << expected;
  }
  // Hostile bytes are quoted printably and briefly.
  const std::string message = parse_error(head + "\x01\x02" + std::string(200, 'z') + "\n");
  EXPECT_NE(message.find("got '??zzz"), std::string::npos) << message;
  EXPECT_LT(message.size(), 120u) << message;
}

// --- building and helpers ----------------------------------------------------------------

TEST(SessionDescription, SerialisesADescriptionBuiltInCode) {
  SessionDescription sd;
  sd.origin.session_id = "42";
  sd.origin.version = 7;
  sd.origin.address = "203.0.113.5";
  sd.connection = Connection{"IP4", "203.0.113.5", ""};
  Media m;
  m.type = "audio";
  m.port = 30000;
  m.protocol = "RTP/AVP";
  m.formats.push_back(*static_format(8));
  Format dtmf;
  dtmf.payload_type = 101;
  dtmf.encoding = "telephone-event";
  dtmf.clock_rate = 8000;
  dtmf.fmtp = "0-16";
  dtmf.has_rtpmap = true;
  m.formats.push_back(dtmf);
  m.ptime = 20;
  m.direction = Direction::kSendRecv;
  sd.media.push_back(m);
  const std::string text = serialise(sd);
  EXPECT_EQ(text, crlf(R"(v=0
o=- 42 7 IN IP4 203.0.113.5
s=-
c=IN IP4 203.0.113.5
t=0 0
m=audio 30000 RTP/AVP 8 101
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-16
a=ptime:20
a=sendrecv
)"));
  EXPECT_TRUE(parse(text).ok());
}

TEST(SessionDescription, StaticPayloadTypesFollowRfc3551) {
  const std::vector<std::tuple<int, std::string, int, int>> table = {
      {0, "PCMU", 8000, 1}, {3, "GSM", 8000, 1},   {4, "G723", 8000, 1},
      {8, "PCMA", 8000, 1}, {9, "G722", 8000, 1},  {10, "L16", 44100, 2},
      {13, "CN", 8000, 1},  {18, "G729", 8000, 1}, {34, "H263", 90000, 1}};
  for (const auto& [pt, name, rate, channels] : table) {
    const auto f = static_format(pt);
    ASSERT_TRUE(f.has_value()) << pt;
    EXPECT_EQ(f->payload_type, pt);
    EXPECT_EQ(f->encoding, name);
    EXPECT_EQ(f->clock_rate, rate);
    EXPECT_EQ(f->channels, channels);
    EXPECT_FALSE(f->has_rtpmap);
  }
  for (int pt : {-1, 1, 2, 19, 20, 35, 96, 127, 128}) EXPECT_FALSE(static_format(pt)) << pt;
}

TEST(SessionDescription, DirectionAndCodecHelpers) {
  EXPECT_EQ(to_string(Direction::kSendRecv), "sendrecv");
  EXPECT_EQ(to_string(Direction::kSendOnly), "sendonly");
  EXPECT_EQ(to_string(Direction::kRecvOnly), "recvonly");
  EXPECT_EQ(to_string(Direction::kInactive), "inactive");
  EXPECT_EQ(reverse(Direction::kSendOnly), Direction::kRecvOnly);
  EXPECT_EQ(reverse(Direction::kRecvOnly), Direction::kSendOnly);
  EXPECT_EQ(reverse(Direction::kSendRecv), Direction::kSendRecv);
  EXPECT_EQ(reverse(Direction::kInactive), Direction::kInactive);
  EXPECT_TRUE(sends(Direction::kSendRecv));
  EXPECT_FALSE(sends(Direction::kRecvOnly));
  EXPECT_FALSE(receives(Direction::kSendOnly));
  EXPECT_FALSE(receives(Direction::kInactive));

  Format a{.payload_type = 96, .encoding = "OPUS", .clock_rate = 48000};
  Format b{.payload_type = 111, .encoding = "opus", .clock_rate = 48000};
  Format c{.payload_type = 0, .encoding = "opus", .clock_rate = 16000};
  Format unknown{.payload_type = 97};
  EXPECT_TRUE(same_codec(a, b));
  EXPECT_FALSE(same_codec(a, c));
  EXPECT_FALSE(same_codec(unknown, unknown));

  Media m;
  m.protocol = "RTP/SAVP";
  EXPECT_TRUE(m.is_rtp());
  m.protocol = "UDP/TLS/RTP/SAVPF";
  EXPECT_TRUE(m.is_rtp());
  m.protocol = "udp";
  EXPECT_FALSE(m.is_rtp());
  m.protocol = "TCP/MSRP";
  EXPECT_FALSE(m.is_rtp());

  SessionDescription none;
  EXPECT_EQ(none.connection_for(0), nullptr);
}

}  // namespace
}  // namespace parley::protocol::sdp
