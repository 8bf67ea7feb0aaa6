#include "protocol/sdp/session_description.hpp"

#include <array>

#include "base/ascii.hpp"

namespace parley::protocol::sdp {
namespace {

using base::iequals;

struct StaticEntry {
  int payload_type;
  std::string_view encoding;
  int clock_rate;
  int channels;
};

// RFC 3551 §6 tables 4 and 5. Payload types 1 and 2 are reserved (1016 and G721 are gone),
// 19 is reserved, 20..24 and 27, 29, 30 are unassigned.
constexpr std::array<StaticEntry, 24> kStaticTable = {{
    {0, "PCMU", 8000, 1},   {3, "GSM", 8000, 1},    {4, "G723", 8000, 1},   {5, "DVI4", 8000, 1},
    {6, "DVI4", 16000, 1},  {7, "LPC", 8000, 1},    {8, "PCMA", 8000, 1},   {9, "G722", 8000, 1},
    {10, "L16", 44100, 2},  {11, "L16", 44100, 1},  {12, "QCELP", 8000, 1}, {13, "CN", 8000, 1},
    {14, "MPA", 90000, 1},  {15, "G728", 8000, 1},  {16, "DVI4", 11025, 1}, {17, "DVI4", 22050, 1},
    {18, "G729", 8000, 1},  {25, "CelB", 90000, 1}, {26, "JPEG", 90000, 1}, {28, "nv", 90000, 1},
    {31, "H261", 90000, 1}, {32, "MPV", 90000, 1},  {33, "MP2T", 90000, 1}, {34, "H263", 90000, 1},
}};

}  // namespace

std::string_view to_string(Direction direction) {
  switch (direction) {
    case Direction::kSendRecv:
      return "sendrecv";
    case Direction::kSendOnly:
      return "sendonly";
    case Direction::kRecvOnly:
      return "recvonly";
    case Direction::kInactive:
      return "inactive";
  }
  return "sendrecv";
}

Direction reverse(Direction direction) {
  switch (direction) {
    case Direction::kSendOnly:
      return Direction::kRecvOnly;
    case Direction::kRecvOnly:
      return Direction::kSendOnly;
    case Direction::kSendRecv:
    case Direction::kInactive:
      break;
  }
  return direction;
}

bool sends(Direction direction) {
  return direction == Direction::kSendRecv || direction == Direction::kSendOnly;
}

bool receives(Direction direction) {
  return direction == Direction::kSendRecv || direction == Direction::kRecvOnly;
}

bool same_codec(const Format& a, const Format& b) {
  if (a.encoding.empty() || b.encoding.empty()) return false;
  return a.clock_rate == b.clock_rate && iequals(a.encoding, b.encoding);
}

std::optional<Format> static_format(int payload_type) {
  for (const StaticEntry& entry : kStaticTable) {
    if (entry.payload_type == payload_type) {
      Format format;
      format.payload_type = payload_type;
      format.encoding = entry.encoding;
      format.clock_rate = entry.clock_rate;
      format.channels = entry.channels;
      return format;
    }
  }
  return std::nullopt;
}

bool Media::is_rtp() const {
  return protocol.starts_with("RTP/") || protocol.find("/RTP/") != std::string::npos;
}

const Format* Media::find_format(int payload_type) const {
  for (const Format& format : formats) {
    if (format.payload_type == payload_type) return &format;
  }
  return nullptr;
}

Direction Media::effective_direction(std::optional<Direction> session_level) const {
  if (direction) return *direction;
  if (session_level) return *session_level;
  return Direction::kSendRecv;
}

const Connection* SessionDescription::connection_for(std::size_t index) const {
  if (index < media.size() && media[index].connection) return &*media[index].connection;
  return connection ? &*connection : nullptr;
}

}  // namespace parley::protocol::sdp
