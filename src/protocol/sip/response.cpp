#include "protocol/sip/response.hpp"

#include <charconv>

#include "protocol/sip/headers.hpp"
#include "protocol/sip/syntax.hpp"

namespace parley::protocol::sip {
namespace {

void append_number(std::string& out, std::size_t value) {
  char digits[24];
  const auto result = std::to_chars(digits, digits + sizeof(digits), value);
  out.append(digits, result.ptr);
}

void append_header(std::string& out, std::string_view name, std::string_view value) {
  out.append(name).append(": ").append(value).append("\r\n");
}

bool contains_tag_letters(std::string_view text) {
  for (std::size_t i = 0; i + 3 <= text.size(); ++i) {
    if ((text[i] | 0x20) == 't' && (text[i + 1] | 0x20) == 'a' && (text[i + 2] | 0x20) == 'g') {
      return true;
    }
  }
  return false;
}

// Whether a To value already carries a tag; an unparsable To counts as tagged so that nothing
// is appended to text we do not understand. `parsed`: the value comes from a parsed message, so
// it parses, and one without the letters "tag" cannot carry a tag: most answers (every
// out-of-dialog OPTIONS) then skip parsing the To again (decision 0049).
bool has_to_tag(std::string_view to_value, bool parsed) {
  if (parsed && !contains_tag_letters(to_value)) return false;
  auto to = parse_name_addr(to_value);
  return !to || to->params.has("tag");
}

void append_status_line(std::string& out, int code, std::string_view reason) {
  out.append("SIP/2.0 ");
  append_number(out, static_cast<std::size_t>(code));
  out.append(" ").append(reason.empty() ? default_reason(code) : reason).append("\r\n");
}

void append_to(std::string& out, std::string_view to_value, int code, std::string_view to_tag,
               bool parsed) {
  out.append("To: ").append(to_value);
  if (code != 100 && !to_tag.empty() && !has_to_tag(to_value, parsed)) {
    out.append(";tag=").append(to_tag);
  }
  out.append("\r\n");
}

}  // namespace

std::string_view default_reason(int status_code) {
  switch (status_code) {
    case 100:
      return "Trying";
    case 180:
      return "Ringing";
    case 181:
      return "Call Is Being Forwarded";
    case 182:
      return "Queued";
    case 183:
      return "Session Progress";
    case 199:
      return "Early Dialog Terminated";
    case 200:
      return "OK";
    case 202:
      return "Accepted";
    case 204:
      return "No Notification";
    case 300:
      return "Multiple Choices";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Moved Temporarily";
    case 305:
      return "Use Proxy";
    case 380:
      return "Alternative Service";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 402:
      return "Payment Required";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 406:
      return "Not Acceptable";
    case 407:
      return "Proxy Authentication Required";
    case 408:
      return "Request Timeout";
    case 410:
      return "Gone";
    case 412:
      return "Conditional Request Failed";
    case 413:
      return "Request Entity Too Large";
    case 414:
      return "Request-URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 416:
      return "Unsupported URI Scheme";
    case 420:
      return "Bad Extension";
    case 421:
      return "Extension Required";
    case 422:
      return "Session Interval Too Small";
    case 423:
      return "Interval Too Brief";
    case 428:
      return "Use Identity Header";
    case 429:
      return "Provide Referrer Identity";
    case 433:
      return "Anonymity Disallowed";
    case 439:
      return "First Hop Lacks Outbound Support";
    case 480:
      return "Temporarily Unavailable";
    case 481:
      return "Call/Transaction Does Not Exist";
    case 482:
      return "Loop Detected";
    case 483:
      return "Too Many Hops";
    case 484:
      return "Address Incomplete";
    case 485:
      return "Ambiguous";
    case 486:
      return "Busy Here";
    case 487:
      return "Request Terminated";
    case 488:
      return "Not Acceptable Here";
    case 489:
      return "Bad Event";
    case 491:
      return "Request Pending";
    case 493:
      return "Undecipherable";
    case 494:
      return "Security Agreement Required";
    case 500:
      return "Server Internal Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Server Time-out";
    case 505:
      return "Version Not Supported";
    case 513:
      return "Message Too Large";
    case 555:
      return "Push Notification Service Not Supported";
    case 580:
      return "Precondition Failure";
    case 600:
      return "Busy Everywhere";
    case 603:
      return "Decline";
    case 604:
      return "Does Not Exist Anywhere";
    case 606:
      return "Not Acceptable";
    case 607:
      return "Unwanted";
    case 608:
      return "Rejected";
    default:
      return "Unknown";
  }
}

std::string build_response(const Message& request, const ResponseOptions& options) {
  std::string out;
  std::size_t size = 128 + options.body.size() + options.reason.size() + options.to_tag.size();
  for (const HeaderField& h : request.headers()) size += h.value.length + 24;
  for (const auto& [name, value] : options.extra_headers) size += name.size() + value.size() + 4;
  out.reserve(size);

  append_status_line(out, options.status_code, options.reason);
  for (const HeaderField& h : request.headers()) {
    if (h.id == HeaderId::kVia) append_header(out, "Via", request.value(h));
  }
  append_header(out, "From", request.first(HeaderId::kFrom));
  append_to(out, request.first(HeaderId::kTo), options.status_code, options.to_tag,
            /*parsed=*/true);
  append_header(out, "Call-ID", request.first(HeaderId::kCallId));
  append_header(out, "CSeq", request.first(HeaderId::kCSeq));
  for (const auto& [name, value] : options.extra_headers) append_header(out, name, value);
  if (!options.content_type.empty()) append_header(out, "Content-Type", options.content_type);
  out.append("Content-Length: ");
  append_number(out, options.body.size());
  out.append("\r\n\r\n").append(options.body);
  return out;
}

std::string build_error_response(std::string_view bytes, const Error& error,
                                 std::string_view to_tag) {
  using detail::trim_lws;
  if (error.code < 300 || error.code > 699) return {};
  std::size_t pos = 0;
  while (pos < bytes.size() && (bytes[pos] == '\r' || bytes[pos] == '\n')) ++pos;
  if (detail::istarts_with(bytes.substr(pos), "SIP/")) return {};  // responses get no answer

  // Collect the first physical line of each header we copy, without validating anything.
  std::string vias;
  std::string_view from, to, call_id, cseq;
  bool start_line = true;
  while (pos < bytes.size()) {
    std::size_t lf = bytes.find('\n', pos);
    if (lf == std::string_view::npos) lf = bytes.size();
    const std::string_view line = bytes.substr(pos, lf - pos);
    pos = lf + 1;
    if (start_line) {
      start_line = false;
      continue;
    }
    if (trim_lws(line).empty()) break;
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view value = trim_lws(line.substr(colon + 1));
    // Controls other than HT would let a crafted request inject bytes into our response.
    bool clean = true;
    for (char c : value) clean = clean && (static_cast<unsigned char>(c) >= 0x20 || c == '\t');
    if (!clean || value.empty()) continue;
    switch (header_id_from_name(trim_lws(line.substr(0, colon)))) {
      case HeaderId::kVia:
        vias.append("Via: ").append(value).append("\r\n");
        break;
      case HeaderId::kFrom:
        if (from.empty()) from = value;
        break;
      case HeaderId::kTo:
        if (to.empty()) to = value;
        break;
      case HeaderId::kCallId:
        if (call_id.empty()) call_id = value;
        break;
      case HeaderId::kCSeq:
        if (cseq.empty()) cseq = value;
        break;
      default:
        break;
    }
  }
  // Via and CSeq are all a client needs to match the answer to its transaction (RFC 3261
  // §17.1.3); RFC 4475 INSUF lacks From, To and Call-ID and still deserves its 400.
  if (vias.empty() || cseq.empty()) return {};

  // The reason phrase is our own text; keep it to printable bytes all the same.
  std::string reason;
  for (char c : error.message) {
    if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) reason.push_back(c);
  }
  std::string out;
  out.reserve(256 + vias.size() + from.size() + to.size() + call_id.size() + cseq.size());
  append_status_line(out, error.code, reason);
  out.append(vias);
  if (!from.empty()) append_header(out, "From", from);
  if (!to.empty()) append_to(out, to, error.code, to_tag, /*parsed=*/false);
  if (!call_id.empty()) append_header(out, "Call-ID", call_id);
  append_header(out, "CSeq", cseq);
  out.append("Content-Length: 0\r\n\r\n");
  return out;
}

}  // namespace parley::protocol::sip
