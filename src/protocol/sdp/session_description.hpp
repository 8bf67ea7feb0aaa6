#pragma once
// The SDP data model (RFC 8866) as plain value types, with the parser and serialiser.
//
// What Parley needs to read and rewrite is modelled field by field (origin, connection, media
// lines, rtpmap/fmtp, direction, ptime, rtcp, rtcp-mux); every other line and attribute is kept
// verbatim in order, so that a rewritten description says everything the original said (ICE,
// crypto, ssrc, extmap ... pass through untouched unless a layer above removes them).
//
// Limits: hostile descriptions are capped (kMaxBytes, kMaxMedia, kMaxFormats, kMaxAttributes);
// exceeding one is a parse error, never a crash or an unbounded allocation.
//
// Thread-safety: value types; the functions are pure.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace parley::protocol::sdp {

inline constexpr std::size_t kMaxBytes = std::size_t{64} * 1024;
inline constexpr std::size_t kMaxMedia = 16;        // m= lines
inline constexpr std::size_t kMaxFormats = 64;      // formats on one m= line
inline constexpr std::size_t kMaxAttributes = 256;  // a= lines in the whole description

enum class Direction : std::uint8_t { kSendRecv, kSendOnly, kRecvOnly, kInactive };

std::string_view to_string(Direction direction);  // "sendrecv" ...
// The direction the answerer uses for an offered one when it is willing to do both (RFC 3264
// §6.1): sendonly ↔ recvonly swap, the others stay.
Direction reverse(Direction direction);
bool sends(Direction direction);     // sendrecv or sendonly
bool receives(Direction direction);  // sendrecv or recvonly

// c= line. `address` is as written (IPv4, IPv6 without brackets, or a host name).
struct Connection {
  std::string address_type = "IP4";  // IP4 or IP6
  std::string address;
  // Multicast suffixes (/ttl/count) are kept as written; Parley does not relay multicast.
  // The parser stores them with their leading '/' ("/127/3"), and serialise() writes
  // address + suffix.
  std::string suffix;
};

// o= line.
struct Origin {
  std::string username = "-";
  std::string session_id;     // digits as written (may exceed 64 bits)
  std::uint64_t version = 0;  // session version, bumped on each change we make
  std::string address_type = "IP4";
  std::string address;
};

// A generic attribute line "a=name" or "a=name:value" kept as written.
struct Attribute {
  std::string name;
  std::string value;
  bool has_value = false;
};

// One payload format of an RTP media line, with what a=rtpmap and a=fmtp say about it.
// Static payload types without an a=rtpmap get their RFC 3551 name and rate (0 PCMU/8000,
// 8 PCMA/8000, 9 G722/8000, 18 G729/8000 ...); unknown ones keep an empty encoding.
struct Format {
  int payload_type = 0;  // 0..127
  std::string encoding;  // as written in a=rtpmap, e.g. "opus", "telephone-event"
  int clock_rate = 0;    // 0 = unknown
  int channels = 1;
  std::string fmtp;         // value of a=fmtp:<pt>, empty when none
  bool has_rtpmap = false;  // whether serialise() writes an a=rtpmap line
};

// Case-insensitive match of an encoding name and clock rate ("PCMU"/8000, "opus"/48000).
// Formats with an unknown (empty) encoding never match.
bool same_codec(const Format& a, const Format& b);

// The RFC 3551 static payload type `payload_type` (encoding, clock rate, channels, has_rtpmap
// false), or nullopt for a dynamic, reserved or unassigned number.
std::optional<Format> static_format(int payload_type);

struct Media {
  std::string type;                         // audio, video, application, ...
  std::uint16_t port = 0;                   // 0 = stream rejected or disabled (RFC 3264 §6)
  std::optional<std::uint16_t> port_count;  // "m=audio 49170/2 ..."
  std::string protocol;                     // RTP/AVP, RTP/SAVP, RTP/SAVPF, UDP/TLS/RTP/SAVPF, ...
  // For RTP protocols the formats, in the order of the m= line; for anything else the format
  // tokens are kept in `raw_formats` and `formats` is empty.
  std::vector<Format> formats;
  std::vector<std::string> raw_formats;
  std::optional<Connection> connection;  // media-level c=
  std::vector<std::string> bandwidths;   // b= values as written ("AS:64")
  std::optional<Direction> direction;    // media-level direction attribute
  std::optional<int> ptime;
  std::optional<int> maxptime;
  bool rtcp_mux = false;
  std::optional<std::uint16_t> rtcp_port;  // a=rtcp:<port> [IN IP4 addr]
  std::optional<Connection> rtcp_connection;
  // Every other a= line of this media, in order (including a=crypto, a=ice-*, a=ssrc...).
  std::vector<Attribute> attributes;
  std::optional<std::string> title;  // media-level i=, as written
  std::optional<std::string> key;    // media-level k= (obsolete, RFC 8866 §5.12), as written

  bool is_rtp() const;  // protocol starts with RTP/ or contains /RTP/
  const Format* find_format(int payload_type) const;
  // The effective direction: media-level, else the session-level one, else sendrecv.
  Direction effective_direction(std::optional<Direction> session_level) const;
};

struct SessionDescription {
  int version = 0;
  Origin origin;
  std::string session_name = "-";
  std::optional<Connection> connection;  // session-level c=
  std::vector<std::string> bandwidths;
  // t=, r=, z=, i=, u=, e=, p=, k= lines as whole values with their letter, in order
  // ("t=0 0" is stored as {'t', "0 0"}); serialise() writes them back in RFC 8866 order.
  struct Line {
    char type = 't';
    std::string value;
  };
  std::vector<Line> other_lines;
  std::optional<Direction> direction;  // session-level direction attribute
  std::vector<Attribute> attributes;   // other session-level a= lines, in order
  std::vector<Media> media;

  // The connection address that applies to media `index`: media-level, else session-level.
  const Connection* connection_for(std::size_t index) const;
};

// Parses a whole description. Lines may end in CRLF or LF. Errors carry code 400 and a message
// naming the line ("line 4: m= needs a port"); a description over a limit also gets 400
// (callers answer 488 when they understood it but cannot accept it).
//
// What is rejected (the structure Parley relies on):
//  - anything but "v=0" as the first line; a line that is not <lowercase letter>=<value>; a
//    type letter RFC 8866 does not define (§5: such a description must be ignored or rejected);
//    NUL or a stray CR inside a line;
//  - no o= or no s= line; a second v=, o=, s= or session-level c=, a second c=, i= or k= in one
//    media section; v=, o=, s=, u=, e=, p=, t=, r= or z= after the first m=;
//  - a malformed o=, c=, m= or b= line: o= needs six fields with "IN" and IP4/IP6, a numeric
//    session id and a session version within 64 bits; c= needs "IN IP4|IP6 <address>"; m= needs
//    a port 0..65535 (port count 1..65535), a protocol, and for RTP protocols distinct payload
//    types 0..127, at least one unless the port is 0;
//  - an attribute with an empty or non-token name;
//  - more than kMaxBytes, kMaxMedia m= lines, kMaxFormats formats on one m= line or
//    kMaxAttributes a= lines.
// What is accepted liberally: lines in any order within a level, blank lines (skipped), runs of
// spaces or tabs between fields, an empty s=, no t= (serialise() then writes "t=0 0").
// Attributes are never an error beyond their name: one whose value cannot be read (a=ptime:abc,
// a=rtpmap:96 with no rate), one about a payload type not on the m= line, and a repeat of one
// already read into a field (a second a=rtpmap for a payload type, a second direction) are kept
// verbatim in `attributes`, so nothing the peer said is lost.
Result<SessionDescription> parse(std::string_view text);

// Writes the description with CRLF line ends, in RFC 8866 order: v o s i u e p c b t r z k a m.
// For each RTP media: the m= line, i=, c=, b=, k=, then a=rtpmap/a=fmtp per format in m= order,
// then a=ptime, a=maxptime, a=rtcp, a=rtcp-mux, the direction, then the other attributes. At
// session level the direction comes before the other attributes. Fields are joined by single
// spaces, an rtpmap's channel count is written only when it is not 1, and a format's a=fmtp only
// when `fmtp` is not empty. For anything parse() accepted, serialise() yields text parse()
// accepts again (unless it grew past kMaxBytes) and that serialises to the same bytes.
std::string serialise(const SessionDescription& description);

}  // namespace parley::protocol::sdp
