#include "protocol/sip/uri.hpp"

#include <cstring>

#include "protocol/sip/syntax.hpp"

namespace parley::protocol::sip {
namespace {

using namespace detail;  // NOLINT(google-build-using-namespace): private helpers of this layer

Error bad(std::string message) {
  return make_error(400, std::move(message));
}

// uri-parameters: each `pname[=pvalue]`, both 1*paramchar; empty parameters are malformed.
bool valid_uri_params(std::string_view text) {
  std::size_t start = 0;
  while (true) {
    const std::size_t semi = text.find(';', start);
    const std::string_view param =
        text.substr(start, semi == std::string_view::npos ? std::string_view::npos : semi - start);
    const std::size_t eq = param.find('=');
    const std::string_view name = param.substr(0, eq);
    if (name.empty() || !valid_escaped(name, kParam)) return false;
    if (eq != std::string_view::npos) {
      const std::string_view value = param.substr(eq + 1);
      if (value.empty() || !valid_escaped(value, kParam)) return false;
    }
    if (semi == std::string_view::npos) return true;
    start = semi + 1;
  }
}

// headers = hname "=" hvalue *( "&" hname "=" hvalue ); hvalue may be empty.
bool valid_uri_headers(std::string_view text) {
  std::size_t start = 0;
  while (true) {
    const std::size_t amp = text.find('&', start);
    const std::string_view header =
        text.substr(start, amp == std::string_view::npos ? std::string_view::npos : amp - start);
    const std::size_t eq = header.find('=');
    if (eq == 0 || eq == std::string_view::npos) return false;
    if (!valid_escaped(header.substr(0, eq), kHeader)) return false;
    if (!valid_escaped(header.substr(eq + 1), kHeader)) return false;
    if (amp == std::string_view::npos) return true;
    start = amp + 1;
  }
}

Result<Uri> parse_tel(Uri uri, std::string_view rest) {
  const std::size_t semi = rest.find(';');
  uri.user = rest.substr(0, semi);
  if (uri.user.empty() || !valid_escaped(uri.user, kParam)) {
    return bad("malformed telephone number in tel: URI");
  }
  if (semi != std::string_view::npos) {
    const std::string_view params = rest.substr(semi + 1);
    if (!valid_uri_params(params)) return bad("malformed tel: URI parameters");
    uri.params = ParamList(params);
  }
  return uri;
}

}  // namespace

std::optional<std::string_view> ParamList::get(std::string_view name) const {
  const std::string_view s = text_;
  if (s.empty() || name.empty()) return std::nullopt;
  // Called several times per message (branch, rport, received, tag, transport ...), so it jumps
  // from ';' to ';' with memchr rather than stepping through every byte; a quote in a parameter
  // (rare: generic-param values may be quoted strings) falls back to a quote-aware walk.
  const char* const begin = s.data();
  const char* const finish = begin + s.size();
  const char* start = begin;
  while (true) {
    const auto* semi = static_cast<const char*>(std::memchr(start, ';', finish - start));
    const char* end = semi != nullptr ? semi : finish;
    if (std::memchr(start, '"', end - start) != nullptr) {
      std::size_t at = static_cast<std::size_t>(start - begin);
      while (at < s.size() && s[at] != ';') {
        at = s[at] == '"' ? skip_quoted(s, at) : at + 1;
        if (at == std::string_view::npos) at = s.size();
      }
      end = begin + at;
    }
    // The name ends at '=' or at the end of the parameter.
    const auto* eq = static_cast<const char*>(std::memchr(start, '=', end - start));
    const std::string_view piece_name(start, (eq != nullptr ? eq : end) - start);
    if (iequals(trim_lws(piece_name), name)) {
      if (eq == nullptr) return std::string_view(end, end);  // a flag: present, empty
      return trim_lws(std::string_view(eq + 1, end - eq - 1));
    }
    if (end == finish) return std::nullopt;
    start = end + 1;
  }
}

Result<Uri> parse_uri(std::string_view text) {
  if (text.empty() || !is(text[0], kAlpha)) return bad("URI without a scheme");
  std::size_t i = 1;
  while (i < text.size() && is(text[i], kScheme)) ++i;
  if (i >= text.size() || text[i] != ':') return bad("URI without a scheme");
  const std::string_view scheme = text.substr(0, i);
  Uri uri;
  if (iequals(scheme, "sip")) {
    uri.scheme = UriScheme::kSip;
  } else if (iequals(scheme, "sips")) {
    uri.scheme = UriScheme::kSips;
  } else if (iequals(scheme, "tel")) {
    uri.scheme = UriScheme::kTel;
  } else {
    return make_error(416, "unsupported URI scheme");
  }
  const std::string_view rest = text.substr(i + 1);
  if (uri.scheme == UriScheme::kTel) return parse_tel(uri, rest);

  // The userinfo may itself hold ';', '?' and ':' (RFC 4475 §3.1.1.3), but never an unescaped
  // '@', so the first '@' ends it.
  std::size_t host_start = 0;
  const std::size_t at = rest.find('@');
  if (at != std::string_view::npos) {
    const std::string_view userinfo = rest.substr(0, at);
    const std::size_t colon = userinfo.find(':');
    uri.user = userinfo.substr(0, colon);
    if (uri.user.empty() || !valid_escaped(uri.user, kUser)) return bad("malformed URI user part");
    if (colon != std::string_view::npos) {
      uri.password = userinfo.substr(colon + 1);
      if (!valid_escaped(uri.password, kPassword)) return bad("malformed URI password");
    }
    host_start = at + 1;
  }
  std::size_t k = scan_host(rest, host_start);
  if (k == std::string_view::npos) return bad("malformed URI host");
  uri.host = rest.substr(host_start, k - host_start);
  if (k < rest.size() && rest[k] == ':') {
    const std::size_t digits = k + 1;
    k = digits;
    while (k < rest.size() && is(rest[k], kDigit)) ++k;
    std::uint16_t port = 0;
    if (!parse_port(rest.substr(digits, k - digits), port)) return bad("malformed URI port");
    uri.port = port;
  }
  if (k < rest.size() && rest[k] == ';') {
    const std::size_t question = rest.find('?', k);
    const std::string_view params = rest.substr(
        k + 1, question == std::string_view::npos ? std::string_view::npos : question - k - 1);
    if (!valid_uri_params(params)) return bad("malformed URI parameters");
    uri.params = ParamList(params);
    k = question == std::string_view::npos ? rest.size() : question;
  }
  if (k < rest.size() && rest[k] == '?') {
    uri.headers = rest.substr(k + 1);
    if (!valid_uri_headers(uri.headers)) return bad("malformed URI headers");
    k = rest.size();
  }
  if (k != rest.size()) return bad("unexpected character in URI");
  return uri;
}

Result<std::string> unescape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    if (i + 2 >= text.size() || !is(text[i + 1], kHex) || !is(text[i + 2], kHex)) {
      return bad("malformed %-escape");
    }
    auto nibble = [](char c) { return c <= '9' ? c - '0' : (to_lower(c) - 'a' + 10); };
    out.push_back(static_cast<char>((nibble(text[i + 1]) << 4) | nibble(text[i + 2])));
    i += 2;
  }
  return out;
}

}  // namespace parley::protocol::sip
