#include "protocol/sip/headers.hpp"

#include "protocol/sip/syntax.hpp"

namespace parley::protocol::sip {
namespace {

using namespace detail;  // NOLINT(google-build-using-namespace): private helpers of this layer

constexpr auto kNpos = std::string_view::npos;

Error bad(std::string message) {
  return make_error(400, std::move(message));
}

// Where the URI scheme ends (the ':'), or kNpos when `text` does not start with a scheme.
std::size_t scheme_end(std::string_view text) {
  if (text.empty() || !is(text[0], kAlpha)) return kNpos;
  std::size_t i = 1;
  while (i < text.size() && is(text[i], kScheme)) ++i;
  return (i < text.size() && text[i] == ':') ? i : kNpos;
}

bool is_known_scheme(std::string_view scheme) {
  return iequals(scheme, "sip") || iequals(scheme, "sips") || iequals(scheme, "tel");
}

// An absoluteURI of a scheme we do not parse: something after the colon, and none of the
// bytes that end or break a URI inside a header (controls, SP, quotes, angle brackets).
bool valid_opaque_uri(std::string_view text, std::size_t colon) {
  if (colon + 1 >= text.size()) return false;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || c == '<' || c == '>' || c == '"') return false;
  }
  return true;
}

}  // namespace

Result<NameAddr> parse_name_addr(std::string_view value) {
  NameAddr out;
  const std::string_view s = trim_lws(value);
  const std::size_t n = s.size();
  if (n == 0) return bad("empty address");
  if (s == "*") {
    out.is_star = true;
    out.uri_text = s;
    return out;
  }

  std::size_t open = kNpos;  // index of '<' in the name-addr form
  if (s[0] == '"') {
    const std::size_t end = skip_quoted(s, 0);
    if (end == kNpos) return bad("unterminated quoted display name");
    out.display_name = s.substr(1, end - 2);
    open = skip_lws(s, end);
    if (open >= n || s[open] != '<') return bad("display name not followed by <URI>");
  } else if (s[0] == '<') {
    open = 0;
  } else {
    // A display name of tokens and LWS, or no display name and an addr-spec.
    std::size_t j = 0;
    while (j < n && (is_token_char(s[j]) || is_lws(s[j]))) ++j;
    if (j < n && s[j] == '<') {
      out.display_name = trim_lws(s.substr(0, j));
      open = j;
    }
  }

  std::string_view rest;
  if (open != kNpos) {
    const std::size_t close = s.find('>', open + 1);
    if (close == kNpos) return bad("missing '>' after URI");
    out.uri_text = s.substr(open + 1, close - open - 1);
    rest = s.substr(close + 1);
  } else {
    std::size_t k = 0;
    while (k < n && s[k] != ';' && !is_lws(s[k])) ++k;
    out.uri_text = s.substr(0, k);
    rest = s.substr(k);
    if (out.uri_text.find_first_of(",?") != kNpos) {
      return bad("a URI with ',' or '?' must be enclosed in <>");
    }
  }

  const std::size_t colon = scheme_end(out.uri_text);
  if (colon == kNpos) return bad("address without a URI scheme");
  if (is_known_scheme(out.uri_text.substr(0, colon))) {
    auto uri = parse_uri(out.uri_text);
    if (!uri) return uri.error();
    out.uri = *uri;
  } else {
    if (!valid_opaque_uri(out.uri_text, colon)) return bad("malformed URI");
    out.opaque_uri = true;
  }

  const std::size_t p = skip_lws(rest, 0);
  if (p < rest.size()) {
    if (rest[p] != ';' || !valid_generic_params(rest, p)) return bad("malformed header parameters");
    out.params = ParamList(rest.substr(p + 1));
  }
  return out;
}

Result<Via> parse_via(std::string_view value) {
  Via via;
  const std::string_view s = trim_lws(value);
  const std::size_t n = s.size();
  // sent-protocol = protocol-name SLASH protocol-version SLASH transport, SLASH = SWS "/" SWS
  std::size_t i = scan_token(s, 0);
  if (i == 0) return bad("malformed Via protocol");
  via.protocol_name = s.substr(0, i);
  i = skip_lws(s, i);
  if (i >= n || s[i] != '/') return bad("malformed Via protocol");
  i = skip_lws(s, i + 1);
  std::size_t end = scan_token(s, i);
  if (end == i) return bad("malformed Via protocol version");
  via.protocol_version = s.substr(i, end - i);
  via.protocol = s.substr(0, end);
  i = skip_lws(s, end);
  if (i >= n || s[i] != '/') return bad("malformed Via protocol");
  i = skip_lws(s, i + 1);
  end = scan_token(s, i);
  if (end == i) return bad("malformed Via transport");
  via.transport = s.substr(i, end - i);
  i = skip_lws(s, end);
  if (i == end) return bad("no space between Via transport and sent-by");

  end = scan_host(s, i);
  if (end == kNpos) return bad("malformed Via host");
  via.host = s.substr(i, end - i);
  i = skip_lws(s, end);
  if (i < n && s[i] == ':') {
    const std::size_t digits = skip_lws(s, i + 1);
    i = digits;
    while (i < n && is(s[i], kDigit)) ++i;
    std::uint16_t port = 0;
    if (!parse_port(s.substr(digits, i - digits), port)) return bad("malformed Via port");
    via.port = port;
    i = skip_lws(s, i);
  }
  if (i < n) {
    if (s[i] != ';' || !valid_generic_params(s, i)) return bad("malformed Via parameters");
    via.params = ParamList(s.substr(i + 1));
  }
  return via;
}

Result<CSeq> parse_cseq(std::string_view value) {
  const std::string_view s = trim_lws(value);
  std::size_t i = 0;
  std::uint64_t number = 0;
  while (i < s.size() && is(s[i], kDigit)) {
    number = number * 10 + static_cast<std::uint64_t>(s[i] - '0');
    if (number > 0xffffffffu) return bad("CSeq number does not fit 32 bits");
    ++i;
  }
  if (i == 0) return bad("CSeq without a number");
  const std::size_t method_start = skip_lws(s, i);
  if (method_start == i) return bad("CSeq without a method");
  const std::size_t method_end = scan_token(s, method_start);
  if (method_end == method_start || method_end != s.size()) return bad("malformed CSeq method");
  CSeq cseq;
  cseq.number = static_cast<std::uint32_t>(number);
  cseq.method_text = s.substr(method_start);
  cseq.method = method_from_text(cseq.method_text);
  return cseq;
}

std::optional<std::string_view> AuthParams::get(std::string_view name) const {
  for (const auto& [key, value] : params) {
    if (iequals(key, name)) return value;
  }
  return std::nullopt;
}

Result<AuthParams> parse_auth(std::string_view value) {
  AuthParams auth;
  const std::string_view s = trim_lws(value);
  const std::size_t n = s.size();
  std::size_t i = scan_token(s, 0);
  if (i == 0) return bad("missing authentication scheme");
  auth.scheme = s.substr(0, i);
  if (i < n && !is_lws(s[i])) return bad("malformed authentication scheme");
  i = skip_lws(s, i);
  while (i < n) {
    const std::size_t name_end = scan_token(s, i);
    if (name_end == i) return bad("malformed authentication parameter");
    const std::string_view name = s.substr(i, name_end - i);
    std::string_view param_value;
    i = skip_lws(s, name_end);
    if (i < n && s[i] == '=') {
      i = skip_lws(s, i + 1);
      if (i < n && s[i] == '"') {
        const std::size_t end = skip_quoted(s, i);
        if (end == kNpos) return bad("unterminated quoted authentication parameter");
        param_value = s.substr(i + 1, end - i - 2);
        i = end;
      } else {
        const std::size_t start = i;
        while (i < n && s[i] != ',' && !is_lws(s[i])) ++i;
        param_value = s.substr(start, i - start);
      }
    }
    auth.params.emplace_back(name, param_value);
    i = skip_lws(s, i);
    if (i == n) break;
    if (s[i] != ',') return bad("authentication parameters must be separated by ','");
    while (i < n && (s[i] == ',' || is_lws(s[i]))) ++i;
  }
  return auth;
}

std::vector<std::string_view> split_tokens(std::string_view value) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (start <= value.size()) {
    std::size_t comma = value.find(',', start);
    if (comma == kNpos) comma = value.size();
    const std::string_view token = trim_lws(value.substr(start, comma - start));
    if (!token.empty()) out.push_back(token);
    start = comma + 1;
  }
  return out;
}

std::vector<std::string_view> split_commas(std::string_view value) {
  std::vector<std::string_view> out;
  for_each_comma_part(value, [&out](std::string_view part) { out.push_back(part); });
  return out;
}

}  // namespace parley::protocol::sip
