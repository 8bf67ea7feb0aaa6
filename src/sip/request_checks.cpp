#include "sip/request_checks.hpp"

#include <algorithm>

#include "base/ascii.hpp"
#include "protocol/sip/header_id.hpp"
#include "protocol/sip/headers.hpp"
#include "protocol/sip/response.hpp"

namespace parley::sip {
namespace {

using protocol::sip::HeaderField;
using protocol::sip::HeaderId;
using protocol::sip::Message;
using protocol::sip::Method;

using base::iequals;

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

// "application/sdp; charset=x" -> "application/sdp"
std::string_view media_type_of(std::string_view value) {
  return trim(value.substr(0, value.find(';')));
}

bool scheme_supported(std::string_view request_uri) {
  const auto colon = request_uri.find(':');
  if (colon == std::string_view::npos) return false;
  const std::string_view scheme = request_uri.substr(0, colon);
  return iequals(scheme, "sip") || iequals(scheme, "sips") || iequals(scheme, "tel");
}

bool has_required_extension(const Message& request) {
  for (const HeaderField& field : request.headers()) {
    if (field.id == HeaderId::kRequire && !trim(request.value(field)).empty()) return true;
  }
  return false;
}

bool content_acceptable(const Message& request) {
  for (const HeaderField& field : request.headers()) {
    if (field.id != HeaderId::kContentEncoding) continue;
    for (std::string_view coding : protocol::sip::split_tokens(request.value(field))) {
      if (!iequals(trim(coding), "identity")) return false;
    }
  }
  const std::string_view content_type = request.first(HeaderId::kContentType);
  return iequals(media_type_of(content_type), "application/sdp");
}

// Whether one Accept media-range admits application/sdp (RFC 3261 §20.1): a matching range
// with q=0 explicitly refuses it.
bool range_admits_sdp(std::string_view range) {
  const std::string_view type = media_type_of(range);
  if (!iequals(type, "application/sdp") && !iequals(type, "application/*") &&
      !iequals(type, "*/*")) {
    return false;
  }
  std::string_view params = range;
  for (auto semicolon = params.find(';'); semicolon != std::string_view::npos;
       semicolon = params.find(';')) {
    params.remove_prefix(semicolon + 1);
    const std::string_view param = trim(params.substr(0, params.find(';')));
    const auto equals = param.find('=');
    if (equals == std::string_view::npos || !iequals(trim(param.substr(0, equals)), "q")) continue;
    const std::string_view q = trim(param.substr(equals + 1));
    if (!q.empty() && q.find_first_not_of("0.") == std::string_view::npos) return false;  // q=0
  }
  return true;
}

// An INVITE whose Accept excludes SDP cannot take our answers. No Accept at all means SDP.
bool accepts_sdp(const Message& request) {
  bool any_range = false;
  for (const HeaderField& field : request.headers()) {
    if (field.id != HeaderId::kAccept) continue;
    for (std::string_view range : protocol::sip::split_commas(request.value(field))) {
      if (trim(range).empty()) continue;
      any_range = true;
      if (range_admits_sdp(range)) return true;
    }
  }
  return !any_range;
}

}  // namespace

std::string answer_unparsable(std::string_view raw, const Error& error, std::string_view to_tag) {
  return protocol::sip::build_error_response(raw, error, to_tag);
}

int status_code_of(RequestVerdict verdict) {
  switch (verdict) {
    case RequestVerdict::kNoResponse:
      return 0;
    case RequestVerdict::kOptionsOk:
      return 200;
    case RequestVerdict::kUnsupportedUriScheme:
      return 416;
    case RequestVerdict::kBadExtension:
      return 420;
    case RequestVerdict::kUnsupportedMediaType:
      return 415;
    case RequestVerdict::kNotAcceptable:
      return 406;
    case RequestVerdict::kNoSuchTransaction:
      return 481;
    case RequestVerdict::kMethodNotAllowed:
      return 405;
    case RequestVerdict::kNotImplemented:
      return 501;
  }
  return 500;
}

std::string_view describe(RequestVerdict verdict) {
  switch (verdict) {
    case RequestVerdict::kNoResponse:
      return "no response";
    case RequestVerdict::kOptionsOk:
      return "ok";
    case RequestVerdict::kUnsupportedUriScheme:
      return "unsupported Request-URI scheme";
    case RequestVerdict::kBadExtension:
      return "required extension not supported";
    case RequestVerdict::kUnsupportedMediaType:
      return "body type or encoding not supported";
    case RequestVerdict::kNotAcceptable:
      return "Accept excludes application/sdp";
    case RequestVerdict::kNoSuchTransaction:
      return "CANCEL matches no transaction";
    case RequestVerdict::kMethodNotAllowed:
      return "method not served";
    case RequestVerdict::kNotImplemented:
      return "unknown method";
  }
  return "?";
}

std::optional<RequestVerdict> check_request_headers(const Message& request) {
  if (!scheme_supported(request.request_uri())) return RequestVerdict::kUnsupportedUriScheme;
  const Method method = request.method();
  if (method != Method::kAck && method != Method::kCancel && has_required_extension(request)) {
    return RequestVerdict::kBadExtension;
  }
  // In a dialog, INFO and MESSAGE bodies are for the other user agent (dtmf-relay, text), which
  // the B2BUA relays them to: that UA judges the body, not us.
  const bool relayed_end_to_end =
      !request.to_tag().empty() && (method == Method::kInfo || method == Method::kMessage);
  if (method != Method::kOptions && !relayed_end_to_end && !request.body().empty() &&
      !content_acceptable(request)) {
    return RequestVerdict::kUnsupportedMediaType;
  }
  if (method == Method::kInvite && !accepts_sdp(request)) return RequestVerdict::kNotAcceptable;
  return std::nullopt;
}

RequestVerdict classify_request(const Message& request) {
  if (!request.is_request() || request.method() == Method::kAck) {
    return RequestVerdict::kNoResponse;
  }
  if (const auto rejected = check_request_headers(request)) return *rejected;
  switch (request.method()) {
    case Method::kOptions:
      return RequestVerdict::kOptionsOk;
    case Method::kCancel:
      return RequestVerdict::kNoSuchTransaction;
    case Method::kUnknown:
      return RequestVerdict::kNotImplemented;
    default:
      return RequestVerdict::kMethodNotAllowed;
  }
}

std::string unsupported_option_tags(const Message& request) {
  std::string tags;
  for (const HeaderField& field : request.headers()) {
    if (field.id != HeaderId::kRequire) continue;
    for (std::string_view tag : protocol::sip::split_tokens(request.value(field))) {
      tag = trim(tag);
      if (tag.empty()) continue;
      if (!tags.empty()) tags.append(", ");
      tags.append(tag);
    }
  }
  return tags;
}

protocol::sip::ExtraHeaders extra_headers_for(RequestVerdict verdict, const Message& request,
                                              const Advertisement& advertisement) {
  protocol::sip::ExtraHeaders headers;
  switch (verdict) {
    case RequestVerdict::kOptionsOk:
      headers.emplace_back("Allow", advertisement.allow);
      headers.emplace_back("Accept", advertisement.accept);
      headers.emplace_back("Accept-Encoding", advertisement.accept_encoding);
      headers.emplace_back("Accept-Language", advertisement.accept_language);
      headers.emplace_back("Supported", advertisement.supported);
      break;
    case RequestVerdict::kMethodNotAllowed:
      headers.emplace_back("Allow", advertisement.allow);
      break;
    case RequestVerdict::kUnsupportedMediaType:
      headers.emplace_back("Accept", advertisement.accept);
      headers.emplace_back("Accept-Encoding", advertisement.accept_encoding);
      break;
    case RequestVerdict::kBadExtension:
      headers.emplace_back("Unsupported", unsupported_option_tags(request));
      break;
    case RequestVerdict::kNoResponse:
      return headers;
    case RequestVerdict::kUnsupportedUriScheme:
    case RequestVerdict::kNotAcceptable:
    case RequestVerdict::kNoSuchTransaction:
    case RequestVerdict::kNotImplemented:
      break;
  }
  headers.emplace_back("Server", advertisement.server);
  return headers;
}

}  // namespace parley::sip
