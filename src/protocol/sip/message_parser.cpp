// parse_message and the Message accessors. The Parser walks the bytes once: start line, then
// one logical header line at a time (folded continuations included), splitting list headers at
// top-level commas, and validating the fields every SIP element relies on. It works on the
// caller's bytes and copies them into the Message only once they are known to be good, so a
// rejected message costs no allocation.

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>

#include "protocol/sip/headers.hpp"
#include "protocol/sip/message.hpp"
#include "protocol/sip/message_edit.hpp"
#include "protocol/sip/syntax.hpp"
#include "protocol/sip/uri.hpp"

namespace parley::protocol::sip {

using namespace detail;  // NOLINT(google-build-using-namespace): private helpers of this layer

namespace {

constexpr auto kNpos = std::string_view::npos;

// Most messages carry fewer header fields than this; reserving once avoids regrowth.
constexpr std::size_t kReservedFields = 24;

// The single-valued headers whose count the parser checks (RFC 3261 §7.3.1, §8.1.1).
enum Tracked : std::uint8_t {
  kTrackTo,
  kTrackFrom,
  kTrackCallId,
  kTrackCSeq,
  kTrackContentLength,
  kTrackMaxForwards,
  kTrackContentType,
  kTrackCount
};

constexpr int tracked_slot(HeaderId id) {
  switch (id) {
    case HeaderId::kTo:
      return kTrackTo;
    case HeaderId::kFrom:
      return kTrackFrom;
    case HeaderId::kCallId:
      return kTrackCallId;
    case HeaderId::kCSeq:
      return kTrackCSeq;
    case HeaderId::kContentLength:
      return kTrackContentLength;
    case HeaderId::kMaxForwards:
      return kTrackMaxForwards;
    case HeaderId::kContentType:
      return kTrackContentType;
    default:
      return -1;
  }
}

constexpr std::array<std::string_view, kTrackCount> kTrackedNames = {
    "To", "From", "Call-ID", "CSeq", "Content-Length", "Max-Forwards", "Content-Type"};

// Parses 1*DIGIT into `out`; false on anything else or when the value exceeds `max`.
bool parse_decimal(std::string_view s, std::uint64_t max, std::uint64_t& out) {
  if (s.empty()) return false;
  std::uint64_t value = 0;
  for (char c : s) {
    if (!is(c, kDigit)) return false;
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
    if (value > max) return false;
  }
  out = value;
  return true;
}

bool is_sip_version(std::string_view v) {
  // "SIP" "/" 1*DIGIT "." 1*DIGIT, the literal being case-insensitive (RFC 3261 §25.1).
  if (!istarts_with(v, "SIP/")) return false;
  const std::size_t dot = v.find('.', 4);
  if (dot == kNpos || dot == 4 || dot + 1 == v.size()) return false;
  for (std::size_t i = 4; i < v.size(); ++i) {
    if (i != dot && !is(v[i], kDigit)) return false;
  }
  return true;
}

}  // namespace

class Parser {
 public:
  Parser(std::string_view bytes, const ParseLimits& limits) : bytes_(bytes), limits_(limits) {}

  Result<Message> run();
  // `known_branch`: where the top Via's branch is in `value`, when the caller knows (no
  // re-parse); null: parse `value` to find it.
  static Result<void> replace_field_value(Message& message, std::size_t index,
                                          std::string_view value,
                                          const std::optional<Span>* known_branch = nullptr);

 private:
  // Records the error and returns false. Hot-path methods return bool rather than Result so
  // that a good message never constructs an Error.
  bool fail_with(int code, std::string message) {
    error_ = make_error(code, std::move(message));
    return false;
  }
  // As fail_with, with the code to answer a request; a response is dropped (0).
  bool fail(int request_code, std::string message) {
    return fail_with(msg_.is_request_ ? request_code : 0, std::move(message));
  }
  Span span(std::string_view part) const {
    return Span{static_cast<std::uint32_t>(part.data() - in_.data()),
                static_cast<std::uint32_t>(part.size())};
  }
  std::string_view field_value(int slot) const {
    const Span s = msg_.headers_[first_[slot]].value;
    return std::string_view(in_.data() + s.offset, s.length);
  }

  bool parse_start_line(std::string_view line);
  bool parse_request_line(std::string_view line);
  bool parse_status_line(std::string_view line);
  bool parse_headers();
  bool add_field(HeaderId id, std::string_view name, std::string_view value);
  bool check_via(std::string_view value);
  bool check_contact(std::string_view value);
  bool check_fields();
  bool check_address(int slot, Span& tag);
  bool set_body();

  std::string_view bytes_;
  std::string_view in_;  // bytes_ from the start line on
  std::size_t pos_ = 0;  // next unparsed byte of in_
  const ParseLimits& limits_;
  Message msg_;
  Error error_;
  std::array<std::uint32_t, kTrackCount> count_ = {};
  std::array<std::uint32_t, kTrackCount> first_ = {};
  std::string_view method_;  // the request's method as written
  bool seen_via_ = false;
};

bool Parser::parse_request_line(std::string_view line) {
  msg_.is_request_ = true;
  const std::size_t sp1 = line.find(' ');
  const std::string_view method = line.substr(0, sp1);
  if (method.empty() || scan_token(method, 0) != method.size()) {
    return fail_with(0, "not a SIP message: no method token");
  }
  if (sp1 == kNpos) return fail_with(400, "malformed request line");
  const std::string_view rest = line.substr(sp1 + 1);
  const std::size_t sp2 = rest.find(' ');
  if (sp2 == kNpos) return fail_with(400, "request line without a SIP version");
  const std::string_view uri = rest.substr(0, sp2);
  const std::string_view version = rest.substr(sp2 + 1);
  if (uri.size() > limits_.max_uri_bytes) return fail_with(414, "Request-URI too long");
  if (line.size() > limits_.max_line_bytes) return fail_with(400, "request line too long");
  if (uri.empty()) return fail_with(400, "extra whitespace in the request line");
  if (version.find_first_of(" \t") != kNpos) {
    return fail_with(400, "whitespace in the Request-URI or after the SIP version");
  }
  if (!iequals(version, "SIP/2.0")) {
    if (is_sip_version(version)) return fail_with(505, "SIP version not supported");
    return fail_with(400, "malformed SIP version");
  }
  // A sip, sips or tel URI has to parse (which also rules out whitespace and <>). Another
  // scheme is not a syntax error: the request is answered 416 later.
  auto parsed = parse_uri(uri);
  if (!parsed) {
    if (parsed.error().code != 416) {
      return fail_with(400, "malformed Request-URI: " + parsed.error().message);
    }
    for (char c : uri) {
      const auto u = static_cast<unsigned char>(c);
      if (u <= 0x20 || u == 0x7f || c == '<' || c == '>' || c == '"') {
        return fail_with(400, "Request-URI contains whitespace, controls, quotes or <>");
      }
    }
  }
  method_ = method;
  msg_.method_text_ = span(method);
  msg_.method_ = method_from_text(method);
  msg_.request_uri_ = span(uri);
  msg_.version_ = span(version);
  return true;
}

bool Parser::parse_status_line(std::string_view line) {
  msg_.is_request_ = false;
  const std::size_t sp = line.find(' ');
  const std::string_view version = line.substr(0, sp);
  if (!iequals(version, "SIP/2.0")) return fail_with(0, "response with SIP version other than 2.0");
  if (line.size() > limits_.max_line_bytes) return fail_with(0, "status line too long");
  const std::string_view rest = sp == kNpos ? std::string_view() : line.substr(sp + 1);
  // Status-Code is exactly three digits, then SP and a reason phrase that may be empty. A
  // missing SP after the code is tolerated.
  if (rest.size() < 3 || !is(rest[0], kDigit) || !is(rest[1], kDigit) || !is(rest[2], kDigit) ||
      (rest.size() > 3 && rest[3] != ' ')) {
    return fail_with(0, "malformed status code");
  }
  const int code = (rest[0] - '0') * 100 + (rest[1] - '0') * 10 + (rest[2] - '0');
  if (code < 100 || code > 699) return fail_with(0, "status code out of range");
  msg_.status_code_ = code;
  msg_.version_ = span(version);
  msg_.reason_ = span(rest.size() > 4 ? rest.substr(4) : rest.substr(rest.size()));
  return true;
}

bool Parser::add_field(HeaderId id, std::string_view name, std::string_view value) {
  if (msg_.headers_.size() >= limits_.max_header_fields) {
    return fail(400, "too many header fields");
  }
  const int slot = tracked_slot(id);
  if (slot >= 0) {
    if (count_[slot]++ == 0) first_[slot] = static_cast<std::uint32_t>(msg_.headers_.size());
  } else if (id == HeaderId::kVia) {
    if (!check_via(value)) return false;
  } else if (id == HeaderId::kContact && msg_.is_request_) {
    if (!check_contact(value)) return false;
  }
  msg_.headers_.push_back(HeaderField{id, span(name), span(value)});
  return true;
}

// Kept out of line so that add_field, called for every field, stays small.
[[gnu::noinline]] bool Parser::check_via(std::string_view value) {
  auto via = parse_via(value);
  if (!via) return fail(400, via.error().message);
  if (!seen_via_) {
    seen_via_ = true;
    if (auto branch = via->branch()) msg_.top_branch_ = span(*branch);
  }
  return true;
}

[[gnu::noinline]] bool Parser::check_contact(std::string_view value) {
  auto contact = parse_name_addr(value);
  if (!contact) return fail(400, "malformed Contact: " + contact.error().message);
  return true;
}

bool Parser::check_address(int slot, Span& tag) {
  auto address = parse_name_addr(field_value(slot));
  if (!address || address->is_star) {
    return fail(400, std::string("malformed ") + std::string(kTrackedNames[slot]) +
                         (address ? "" : ": " + address.error().message));
  }
  if (auto t = address->params.get("tag")) {
    if (!t->empty()) tag = span(*t);
  }
  return true;
}

bool Parser::check_fields() {
  for (int slot = 0; slot < kTrackCount; ++slot) {
    if (count_[slot] > 1) {
      return fail(400, "more than one " + std::string(kTrackedNames[slot]) + " header");
    }
  }
  for (int slot : {kTrackTo, kTrackFrom, kTrackCallId, kTrackCSeq}) {
    if (count_[slot] == 0)
      return fail(400, "missing " + std::string(kTrackedNames[slot]) + " header");
  }
  if (!seen_via_) return fail(400, "missing Via header");

  if (!check_address(kTrackFrom, msg_.from_tag_) || !check_address(kTrackTo, msg_.to_tag_)) {
    return false;
  }

  const std::string_view call_id = field_value(kTrackCallId);
  if (call_id.empty()) return fail(400, "empty Call-ID");
  msg_.call_id_ = span(call_id);

  auto cseq = parse_cseq(field_value(kTrackCSeq));
  if (!cseq) return fail(400, "malformed CSeq: " + cseq.error().message);
  if (msg_.is_request_ && cseq->method_text != method_) {
    return fail(400, "CSeq method does not match the request method");
  }
  msg_.cseq_number_ = cseq->number;
  msg_.cseq_method_ = cseq->method;
  msg_.cseq_method_text_ = span(cseq->method_text);

  if (count_[kTrackMaxForwards] != 0) {
    std::uint64_t hops = 0;
    if (!parse_decimal(field_value(kTrackMaxForwards), 255, hops)) {
      return fail(400, "Max-Forwards is not a number from 0 to 255");
    }
    msg_.max_forwards_ = static_cast<int>(hops);
  }
  return true;
}

bool Parser::parse_start_line(std::string_view line) {
  return istarts_with(line, "SIP/") ? parse_status_line(line) : parse_request_line(line);
}

// Header fields, one logical line at a time, until the empty line (or the end of the bytes).
bool Parser::parse_headers() {
  const char* const base = in_.data();
  const std::size_t n = in_.size();
  auto find_lf = [base, n](std::size_t from) -> std::size_t {
    if (from >= n) return kNpos;
    const void* hit = std::memchr(base + from, '\n', n - from);
    return hit == nullptr ? kNpos : static_cast<std::size_t>(static_cast<const char*>(hit) - base);
  };
  msg_.headers_.reserve(kReservedFields);
  std::size_t pos = pos_;
  while (pos < n) {
    if (base[pos] == '\n') {
      ++pos;
      break;
    }
    if (base[pos] == '\r' && pos + 1 < n && base[pos + 1] == '\n') {
      pos += 2;
      break;
    }
    if (base[pos] == ' ' || base[pos] == '\t')
      return fail(400, "continuation line without a header");
    const std::size_t start = pos;
    std::size_t lf = find_lf(pos);
    while (lf != kNpos && lf + 1 < n && (base[lf + 1] == ' ' || base[lf + 1] == '\t')) {
      lf = find_lf(lf + 1);
    }
    std::size_t end = lf == kNpos ? n : lf;
    pos = lf == kNpos ? n : lf + 1;
    if (end > start && base[end - 1] == '\r') --end;
    if (end - start > limits_.max_line_bytes) return fail(400, "header line too long");

    // The name: token characters, lowercased on the way for the id lookup.
    char lower[kLongestHeaderName];
    const char* p = base + start;
    const char* const lower_end = base + std::min(end, start + kLongestHeaderName);
    char* out = lower;
    while (p < lower_end) {
      const char c = kLowerToken.map[static_cast<unsigned char>(*p)];
      if (c == 0) break;
      *out++ = c;
      ++p;
    }
    std::size_t i = static_cast<std::size_t>(p - base);
    if (p == lower_end) i = scan_token(std::string_view(base, end), i);
    const std::size_t name_size = i - start;
    while (i < end && (base[i] == ' ' || base[i] == '\t')) ++i;
    if (name_size == 0 || i >= end || base[i] != ':') {
      return fail(400, "malformed header line (no name or no colon)");
    }
    const std::string_view name(base + start, name_size);
    const std::string_view value = trim_lws(std::string_view(base + i + 1, end - i - 1));
    const HeaderId id = header_id_from_lower(lower, name_size);
    if (is_list_header(id) && !value.empty()) {
      bool ok = true;
      for_each_comma_part(value,
                          [&](std::string_view part) { ok = ok && add_field(id, name, part); });
      if (!ok) return false;
    } else if (!add_field(id, name, value)) {
      return false;
    }
  }
  pos_ = pos;
  return true;
}

// Body: Content-Length bytes, or the rest of the datagram without one (RFC 3261 §18.3).
bool Parser::set_body() {
  const std::size_t body_start = pos_;
  std::size_t body_length = in_.size() - body_start;
  if (count_[kTrackContentLength] != 0) {
    std::uint64_t length = 0;
    if (!parse_decimal(field_value(kTrackContentLength), std::numeric_limits<std::uint32_t>::max(),
                       length)) {
      return fail(400, "Content-Length is not a non-negative integer");
    }
    if (length > body_length) return fail(400, "Content-Length larger than the received body");
    body_length = static_cast<std::size_t>(length);
  }
  msg_.body_ =
      Span{static_cast<std::uint32_t>(body_start), static_cast<std::uint32_t>(body_length)};
  msg_.raw_.assign(in_.data(), body_start + body_length);
  return true;
}

Result<Message> Parser::run() {
  const bool looks_like_response = istarts_with(bytes_, "SIP/");
  if (bytes_.size() > limits_.max_message_bytes ||
      bytes_.size() > std::numeric_limits<std::uint32_t>::max()) {
    return make_error(looks_like_response ? 0 : 413, "message too large");
  }
  // RFC 3261 §7.5: CRLFs before the start line are ignored.
  std::size_t skip = 0;
  while (skip < bytes_.size() && (bytes_[skip] == '\r' || bytes_[skip] == '\n')) ++skip;
  in_ = bytes_.substr(skip);
  if (in_.empty()) return make_error(0, "empty message");

  const std::size_t start_lf = in_.find('\n');
  std::size_t line_end = start_lf == kNpos ? in_.size() : start_lf;
  pos_ = start_lf == kNpos ? in_.size() : start_lf + 1;
  if (line_end > 0 && in_[line_end - 1] == '\r') --line_end;

  if (!parse_start_line(in_.substr(0, line_end)) || !parse_headers() || !check_fields() ||
      !set_body()) {
    return std::move(error_);
  }
  return std::move(msg_);
}

std::string_view Message::first(HeaderId id) const {
  for (const HeaderField& h : headers_) {
    if (h.id == id) return view(h.value);
  }
  return {};
}

std::string_view Message::first(std::string_view name) const {
  const HeaderId id = header_id_from_name(name);
  if (id != HeaderId::kOther) return first(id);
  for (const HeaderField& h : headers_) {
    if (h.id == HeaderId::kOther && iequals(view(h.name), name)) return view(h.value);
  }
  return {};
}

std::size_t Message::count(HeaderId id) const {
  std::size_t total = 0;
  for (const HeaderField& h : headers_) total += h.id == id ? 1 : 0;
  return total;
}

Result<Message> parse_message(std::string_view bytes, const ParseLimits& limits) {
  return Parser(bytes, limits).run();
}

Result<void> Parser::replace_field_value(Message& message, std::size_t index,
                                         std::string_view value,
                                         const std::optional<Span>* known_branch) {
  if (index >= message.headers_.size()) return make_error(0, "no such header field");
  const Span old = message.headers_[index].value;
  // An empty value has no extent: views that start where it does could be before or after it.
  if (old.length == 0) return make_error(0, "an empty header value cannot be replaced");
  const std::size_t old_end = std::size_t{old.offset} + old.length;
  const std::size_t new_size = message.raw_.size() - old.length + value.size();
  if (new_size > std::numeric_limits<std::uint32_t>::max()) {
    return make_error(0, "message too large");
  }
  // The top Via's branch lives inside the value: find it in the new one before changing anything.
  const bool top_via = message.headers_[index].id == HeaderId::kVia &&
                       std::none_of(message.headers_.begin(), message.headers_.begin() + index,
                                    [](const HeaderField& h) { return h.id == HeaderId::kVia; });
  Span branch{};
  if (top_via && known_branch != nullptr) {
    if (const auto& known = *known_branch) {
      if (std::size_t{known->offset} + known->length > value.size()) {
        return make_error(0, "stamped Via branch lies outside the value");
      }
      branch = Span{static_cast<std::uint32_t>(old.offset + known->offset), known->length};
    }
  } else if (top_via) {
    auto via = parse_via(value);
    if (!via) return make_error(0, "stamped Via does not parse: " + via.error().message);
    if (auto found = via->branch()) {
      branch = Span{static_cast<std::uint32_t>(old.offset + (found->data() - value.data())),
                    static_cast<std::uint32_t>(found->size())};
    }
  }
  message.raw_.replace(old.offset, old.length, value);
  const auto shift = [&](Span& s) {
    if (s.offset >= old_end) {
      s.offset = static_cast<std::uint32_t>(s.offset - old.length + value.size());
    }
  };
  for (HeaderField& field : message.headers_) {
    shift(field.name);
    shift(field.value);
  }
  message.headers_[index].value = Span{old.offset, static_cast<std::uint32_t>(value.size())};
  for (Span* s : {&message.method_text_, &message.request_uri_, &message.reason_, &message.version_,
                  &message.call_id_, &message.cseq_method_text_, &message.from_tag_,
                  &message.to_tag_, &message.top_branch_, &message.body_}) {
    shift(*s);
  }
  if (top_via) message.top_branch_ = branch;
  return {};
}

Result<void> replace_field_value(Message& message, std::size_t index, std::string_view value) {
  return Parser::replace_field_value(message, index, value);
}

Result<void> replace_top_via_value(Message& message, std::size_t index, std::string_view value,
                                   std::optional<Span> branch) {
  return Parser::replace_field_value(message, index, value, &branch);
}

}  // namespace parley::protocol::sip
