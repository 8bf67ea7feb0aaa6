// parse(): one pass over the lines, session level until the first m=, then one media section
// per m=. The policy (what is an error, what is kept verbatim) is documented in the header.

#include <cstdint>
#include <string>
#include <utility>

#include "protocol/sdp/session_description.hpp"

namespace parley::protocol::sdp {
namespace {

constexpr std::size_t kExcerptBytes = 40;
constexpr std::uint64_t kMaxClockRate = 1'000'000'000;
constexpr std::uint64_t kMaxChannels = 255;
constexpr std::uint64_t kMaxPacketTime = 1'000'000;  // ms; anything near it is nonsense anyway

constexpr bool is_space(char c) {
  return c == ' ' || c == '\t';
}
constexpr bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
constexpr bool is_alnum(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// RFC 8866 §9 token-char: visible ASCII except the separators "(),/:;<=>?@[\]{} and '"'.
constexpr bool is_token_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u <= 0x20 || u >= 0x7f) return false;
  return std::string_view(R"("(),/:;<=>?@[\]{})").find(c) == std::string_view::npos;
}

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!is_token_char(c)) return false;
  }
  return true;
}

// Host names, dotted IPv4, IPv6 without brackets (with an optional %zone).
bool is_address(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!is_alnum(c) && c != '.' && c != ':' && c != '-' && c != '_' && c != '%') return false;
  }
  return true;
}

std::string_view trim_end(std::string_view s) {
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

std::string_view trim_start(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  return s;
}

// A short, printable quote of hostile text for an error message.
std::string excerpt(std::string_view s) {
  std::string out;
  const std::size_t n = s.size() < kExcerptBytes ? s.size() : kExcerptBytes;
  out.reserve(n + 5);
  out.push_back('\'');
  for (std::size_t i = 0; i < n; ++i) {
    const auto u = static_cast<unsigned char>(s[i]);
    out.push_back(u < 0x20 || u >= 0x7f ? '?' : s[i]);
  }
  if (n < s.size()) out += "...";
  out.push_back('\'');
  return out;
}

// Decimal digits only, no sign, no more than `max`. Leading zeros are allowed.
bool parse_uint(std::string_view digits, std::uint64_t max, std::uint64_t& out) {
  if (digits.empty()) return false;
  std::uint64_t value = 0;
  for (char c : digits) {
    if (!is_digit(c)) return false;
    const auto d = static_cast<std::uint64_t>(c - '0');
    if (value > (max - d) / 10) return false;
    value = value * 10 + d;
  }
  out = value;
  return true;
}

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!is_digit(c)) return false;
  }
  return true;
}

// Fields separated by runs of spaces or tabs; next() returns "" when there are no more.
class Fields {
 public:
  explicit Fields(std::string_view text) : text_(text) {}

  std::string_view next() {
    while (pos_ < text_.size() && is_space(text_[pos_])) ++pos_;
    const std::size_t start = pos_;
    while (pos_ < text_.size() && !is_space(text_[pos_])) ++pos_;
    return text_.substr(start, pos_ - start);
  }
  bool done() {
    while (pos_ < text_.size() && is_space(text_[pos_])) ++pos_;
    return pos_ == text_.size();
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

// "IN <IP4|IP6> <address>[/ttl[/count]]" already split into fields; on failure returns false
// and sets `why`.
bool read_connection(std::string_view net, std::string_view type, std::string_view address,
                     Connection& out, std::string& why) {
  if (net != "IN") {
    why = "network type " + excerpt(net) + " is not IN";
    return false;
  }
  if (type != "IP4" && type != "IP6") {
    why = "address type " + excerpt(type) + " is not IP4 or IP6";
    return false;
  }
  const std::size_t slash = address.find('/');
  const std::string_view host = address.substr(0, slash);
  if (!is_address(host)) {
    why = "malformed address " + excerpt(address);
    return false;
  }
  std::string_view suffix;
  if (slash != std::string_view::npos) {
    suffix = address.substr(slash);
    // "/ttl" or "/ttl/count" (IPv4) or "/count" (IPv6): one or two numbers.
    const std::string_view numbers = suffix.substr(1);
    const std::size_t second = numbers.find('/');
    std::uint64_t ignored = 0;
    if (!parse_uint(numbers.substr(0, second), 0xffffffffu, ignored) ||
        (second != std::string_view::npos &&
         !parse_uint(numbers.substr(second + 1), 0xffffffffu, ignored))) {
      why = "malformed multicast suffix in " + excerpt(address);
      return false;
    }
  }
  out.address_type = type;
  out.address = host;
  out.suffix = suffix;
  return true;
}

std::optional<Direction> direction_from_name(std::string_view name) {
  if (name == "sendrecv") return Direction::kSendRecv;
  if (name == "sendonly") return Direction::kSendOnly;
  if (name == "recvonly") return Direction::kRecvOnly;
  if (name == "inactive") return Direction::kInactive;
  return std::nullopt;
}

Format* find_mutable(Media& media, int payload_type) {
  for (Format& format : media.formats) {
    if (format.payload_type == payload_type) return &format;
  }
  return nullptr;
}

// "<pt> <rest>": the format of this media named by pt, and the rest with leading blanks
// dropped; nullptr when pt is not a listed payload type or nothing follows it.
Format* split_format_value(Media& media, std::string_view value, std::string_view& rest) {
  if (!media.is_rtp()) return nullptr;
  std::size_t i = 0;
  while (i < value.size() && is_digit(value[i])) ++i;
  if (i == value.size() || !is_space(value[i])) return nullptr;
  std::uint64_t pt = 0;
  if (!parse_uint(value.substr(0, i), 127, pt)) return nullptr;
  rest = trim_start(value.substr(i));
  if (rest.empty()) return nullptr;
  return find_mutable(media, static_cast<int>(pt));
}

// a=rtpmap:<pt> <encoding>/<clock rate>[/<channels>]
bool read_rtpmap(Media& media, std::string_view value) {
  std::string_view spec;
  Format* format = split_format_value(media, value, spec);
  if (format == nullptr || format->has_rtpmap) return false;
  spec = trim_end(spec);
  const std::size_t slash1 = spec.find('/');
  if (slash1 == std::string_view::npos) return false;
  const std::string_view encoding = spec.substr(0, slash1);
  const std::string_view after = spec.substr(slash1 + 1);
  const std::size_t slash2 = after.find('/');
  std::uint64_t rate = 0;
  std::uint64_t channels = 1;
  if (!is_token(encoding) || !parse_uint(after.substr(0, slash2), kMaxClockRate, rate) ||
      rate == 0) {
    return false;
  }
  if (slash2 != std::string_view::npos &&
      (!parse_uint(after.substr(slash2 + 1), kMaxChannels, channels) || channels == 0)) {
    return false;
  }
  format->encoding = encoding;
  format->clock_rate = static_cast<int>(rate);
  format->channels = static_cast<int>(channels);
  format->has_rtpmap = true;
  return true;
}

// a=fmtp:<pt> <parameters>; the parameters are kept as written.
bool read_fmtp(Media& media, std::string_view value) {
  std::string_view parameters;
  Format* format = split_format_value(media, value, parameters);
  if (format == nullptr || !format->fmtp.empty()) return false;
  format->fmtp = parameters;
  return true;
}

bool read_packet_time(std::optional<int>& field, std::string_view value) {
  std::uint64_t ms = 0;
  if (field || !parse_uint(trim_end(value), kMaxPacketTime, ms) || ms == 0) return false;
  field = static_cast<int>(ms);
  return true;
}

// a=rtcp:<port> [IN <IP4|IP6> <address>] (RFC 3605)
bool read_rtcp(Media& media, std::string_view value) {
  if (media.rtcp_port) return false;
  Fields fields(value);
  std::uint64_t port = 0;
  if (!parse_uint(fields.next(), 65535, port)) return false;
  std::optional<Connection> connection;
  if (!fields.done()) {
    const std::string_view net = fields.next();
    const std::string_view type = fields.next();
    const std::string_view address = fields.next();
    std::string why;
    Connection c;
    if (!fields.done() || !read_connection(net, type, address, c, why)) return false;
    connection = std::move(c);
  }
  media.rtcp_port = static_cast<std::uint16_t>(port);
  media.rtcp_connection = std::move(connection);
  return true;
}

void add_media_attribute(Media& media, Attribute attribute) {
  if (!attribute.has_value) {
    if (const auto direction = direction_from_name(attribute.name)) {
      if (!media.direction) {
        media.direction = direction;
        return;
      }
    } else if (attribute.name == "rtcp-mux" && !media.rtcp_mux) {
      media.rtcp_mux = true;
      return;
    }
  } else {
    const std::string_view name = attribute.name;
    const std::string_view value = attribute.value;
    if ((name == "rtpmap" && read_rtpmap(media, value)) ||
        (name == "fmtp" && read_fmtp(media, value)) ||
        (name == "ptime" && read_packet_time(media.ptime, value)) ||
        (name == "maxptime" && read_packet_time(media.maxptime, value)) ||
        (name == "rtcp" && read_rtcp(media, value))) {
      return;
    }
  }
  media.attributes.push_back(std::move(attribute));
}

class Parser {
 public:
  Result<SessionDescription> run(std::string_view text);

 private:
  Error fail(std::string_view message) const {
    return make_error(400, "line " + std::to_string(line_) + ": " + std::string(message));
  }
  Result<void> line(char type, std::string_view value);
  Result<void> session_line(char type, std::string_view value);
  Result<void> media_line(char type, std::string_view value);
  Result<void> origin(std::string_view value);
  Result<Connection> connection(std::string_view value) const;
  Result<void> bandwidth(std::string_view value, std::vector<std::string>& out) const;
  Result<Attribute> attribute(std::string_view value);
  Result<void> start_media(std::string_view value);

  SessionDescription sd_;
  std::size_t line_ = 0;
  std::size_t attribute_lines_ = 0;
  bool have_origin_ = false;
  bool have_name_ = false;
};

Result<SessionDescription> Parser::run(std::string_view text) {
  if (text.size() > kMaxBytes) {
    return make_error(400, "description is " + std::to_string(text.size()) +
                               " bytes, over the limit of " + std::to_string(kMaxBytes));
  }
  if (text.empty()) return make_error(400, "empty description");
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t newline = text.find('\n', pos);
    std::string_view current = text.substr(
        pos, newline == std::string_view::npos ? std::string_view::npos : newline - pos);
    pos = newline == std::string_view::npos ? text.size() : newline + 1;
    ++line_;
    if (!current.empty() && current.back() == '\r') current.remove_suffix(1);
    if (line_ == 1) {
      if (!current.starts_with("v=")) {
        return fail("a description starts with v=0, got " + excerpt(current));
      }
      if (current != "v=0") {
        return fail("unsupported SDP version " + excerpt(current.substr(2)) + " (only v=0)");
      }
      continue;
    }
    if (current.empty()) continue;
    const char type = current[0];
    if (current.size() < 2 || current[1] != '=' || type < 'a' || type > 'z') {
      return fail("expected <type>=<value>, got " + excerpt(current));
    }
    if (current.find('\0') != std::string_view::npos ||
        current.find('\r') != std::string_view::npos) {
      return fail("NUL or CR inside the line");
    }
    if (auto r = line(type, current.substr(2)); !r) return r.error();
  }
  if (!have_origin_) return make_error(400, "description has no o= line");
  if (!have_name_) return make_error(400, "description has no s= line");
  return std::move(sd_);
}

Result<void> Parser::line(char type, std::string_view value) {
  switch (type) {
    case 'v':
      return fail("second v= line");
    case 'o':
    case 's':
    case 'u':
    case 'e':
    case 'p':
    case 't':
    case 'r':
    case 'z':
      if (!sd_.media.empty()) {
        return fail(std::string(1, type) + "= must come before the first m= line");
      }
      return session_line(type, value);
    case 'i':
    case 'c':
    case 'b':
    case 'k':
    case 'a':
      return sd_.media.empty() ? session_line(type, value) : media_line(type, value);
    case 'm':
      return start_media(value);
    default:
      return fail("unknown line type " + excerpt(std::string_view(&type, 1)) +
                  " (RFC 8866 defines v o s i u e p c b t r z k a m)");
  }
}

Result<void> Parser::session_line(char type, std::string_view value) {
  switch (type) {
    case 'o':
      return origin(value);
    case 's':
      if (have_name_) return fail("second s= line");
      have_name_ = true;
      sd_.session_name = value;
      return {};
    case 'c': {
      if (sd_.connection) return fail("second session-level c= line");
      auto c = connection(value);
      if (!c) return c.error();
      sd_.connection = std::move(*c);
      return {};
    }
    case 'b':
      return bandwidth(value, sd_.bandwidths);
    case 'a': {
      auto a = attribute(value);
      if (!a) return a.error();
      if (!a->has_value) {
        if (const auto direction = direction_from_name(a->name); direction && !sd_.direction) {
          sd_.direction = direction;
          return {};
        }
      }
      sd_.attributes.push_back(std::move(*a));
      return {};
    }
    default:  // i u e p t r z k: kept as written
      sd_.other_lines.push_back(SessionDescription::Line{type, std::string(value)});
      return {};
  }
}

Result<void> Parser::media_line(char type, std::string_view value) {
  Media& media = sd_.media.back();
  switch (type) {
    case 'i':
      if (media.title) return fail("second i= line in one media section");
      media.title = std::string(value);
      return {};
    case 'k':
      if (media.key) return fail("second k= line in one media section");
      media.key = std::string(value);
      return {};
    case 'c': {
      if (media.connection) return fail("second c= line in one media section");
      auto c = connection(value);
      if (!c) return c.error();
      media.connection = std::move(*c);
      return {};
    }
    case 'b':
      return bandwidth(value, media.bandwidths);
    default: {  // 'a'
      auto a = attribute(value);
      if (!a) return a.error();
      add_media_attribute(media, std::move(*a));
      return {};
    }
  }
}

Result<void> Parser::origin(std::string_view value) {
  if (have_origin_) return fail("second o= line");
  Fields fields(value);
  const std::string_view username = fields.next();
  const std::string_view session_id = fields.next();
  const std::string_view version = fields.next();
  const std::string_view net = fields.next();
  const std::string_view type = fields.next();
  const std::string_view address = fields.next();
  if (address.empty() || !fields.done()) {
    return fail("o= needs six fields: <username> <session id> <version> IN <IP4|IP6> <address>");
  }
  if (!all_digits(session_id))
    return fail("o= session id " + excerpt(session_id) + " is not a number");
  std::uint64_t v = 0;
  if (!parse_uint(version, UINT64_MAX, v)) {
    return fail("o= session version " + excerpt(version) + " is not a number within 64 bits");
  }
  Connection c;
  std::string why;
  if (!read_connection(net, type, address, c, why) || !c.suffix.empty()) {
    return fail("o= " + (why.empty() ? "address " + excerpt(address) + " has a suffix" : why));
  }
  have_origin_ = true;
  sd_.origin.username = username;
  sd_.origin.session_id = session_id;
  sd_.origin.version = v;
  sd_.origin.address_type = std::move(c.address_type);
  sd_.origin.address = std::move(c.address);
  return {};
}

Result<Connection> Parser::connection(std::string_view value) const {
  Fields fields(value);
  const std::string_view net = fields.next();
  const std::string_view type = fields.next();
  const std::string_view address = fields.next();
  if (address.empty() || !fields.done()) return fail("c= needs 'IN <IP4|IP6> <address>'");
  Connection c;
  std::string why;
  if (!read_connection(net, type, address, c, why)) return fail("c= " + why);
  return c;
}

Result<void> Parser::bandwidth(std::string_view value, std::vector<std::string>& out) const {
  value = trim_end(value);
  const std::size_t colon = value.find(':');
  if (colon == std::string_view::npos || !is_token(value.substr(0, colon)) ||
      !all_digits(value.substr(colon + 1))) {
    return fail("b= needs <type>:<bandwidth>, got " + excerpt(value));
  }
  out.emplace_back(value);
  return {};
}

Result<Attribute> Parser::attribute(std::string_view value) {
  if (++attribute_lines_ > kMaxAttributes) {
    return fail("more than " + std::to_string(kMaxAttributes) + " a= lines");
  }
  Attribute a;
  const std::size_t colon = value.find(':');
  // A flag with trailing blanks ("a=sendrecv ") is common enough to forgive.
  const std::string_view name =
      colon == std::string_view::npos ? trim_end(value) : value.substr(0, colon);
  if (name.empty()) return fail("a= line without an attribute name");
  if (!is_token(name)) return fail("attribute name " + excerpt(name) + " is not a token");
  a.name = name;
  if (colon != std::string_view::npos) {
    a.value = value.substr(colon + 1);
    a.has_value = true;
  }
  return a;
}

Result<void> Parser::start_media(std::string_view value) {
  if (sd_.media.size() >= kMaxMedia) {
    return fail("more than " + std::to_string(kMaxMedia) + " m= lines");
  }
  Fields fields(value);
  const std::string_view type = fields.next();
  const std::string_view port_text = fields.next();
  const std::string_view protocol = fields.next();
  if (protocol.empty()) return fail("m= needs '<media> <port> <protocol> <format> ...'");
  if (!is_token(type)) return fail("m= media type " + excerpt(type) + " is not a token");
  for (char c : protocol) {
    if (!is_token_char(c) && c != '/') {
      return fail("m= protocol " + excerpt(protocol) + " is malformed");
    }
  }
  Media media;
  media.type = type;
  media.protocol = protocol;
  const std::size_t slash = port_text.find('/');
  std::uint64_t number = 0;
  if (!parse_uint(port_text.substr(0, slash), 65535, number)) {
    return fail("m= port " + excerpt(port_text.substr(0, slash)) + " is not a number 0..65535");
  }
  media.port = static_cast<std::uint16_t>(number);
  if (slash != std::string_view::npos) {
    const std::string_view count = port_text.substr(slash + 1);
    if (!parse_uint(count, 65535, number) || number == 0) {
      return fail("m= port count " + excerpt(count) + " is not a number 1..65535");
    }
    media.port_count = static_cast<std::uint16_t>(number);
  }
  const bool rtp = media.is_rtp();
  std::size_t count = 0;
  for (std::string_view token = fields.next(); !token.empty(); token = fields.next()) {
    if (++count > kMaxFormats) {
      return fail("m= line lists more than " + std::to_string(kMaxFormats) + " formats");
    }
    if (!rtp) {
      media.raw_formats.emplace_back(token);
      continue;
    }
    if (!parse_uint(token, 127, number)) {
      return fail("payload type " + excerpt(token) + " is not a number 0..127");
    }
    const int pt = static_cast<int>(number);
    if (media.find_format(pt) != nullptr) {
      return fail("payload type " + std::to_string(pt) + " is listed twice");
    }
    if (auto known = static_format(pt)) {
      media.formats.push_back(std::move(*known));
    } else {
      media.formats.push_back(Format{.payload_type = pt});
    }
  }
  if (count == 0 && media.port != 0) return fail("m= line lists no formats");
  sd_.media.push_back(std::move(media));
  return {};
}

}  // namespace

Result<SessionDescription> parse(std::string_view text) {
  return Parser().run(text);
}

}  // namespace parley::protocol::sdp
