#include "protocol/sip/replaces.hpp"

#include <algorithm>

#include "protocol/sip/syntax.hpp"
#include "protocol/sip/uri.hpp"

namespace parley::protocol::sip {
namespace {

using namespace detail;  // NOLINT(google-build-using-namespace): private helpers of this layer

Error bad(std::string message) {
  return make_error(400, std::move(message));
}

std::string_view trim(std::string_view text) {
  return trim_lws(text);
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return iequals(a, b);
}

bool is_token(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return is_token_char(c); });
}

// callid = word [ "@" word ]; word is token plus ( ) < > : \ " / [ ] ? { }.
bool is_call_id(std::string_view text) {
  constexpr std::string_view kWordExtra = "()<>:\\\"/[]?{}@";
  return !text.empty() && std::all_of(text.begin(), text.end(), [&](char c) {
    return is_token_char(c) || kWordExtra.find(c) != std::string_view::npos;
  });
}

}  // namespace

Result<Replaces> parse_replaces(std::string_view value) {
  if (value.size() > kMaxReplacesLength) return bad("Replaces too long");
  const std::size_t first_semi = value.find(';');
  Replaces out;
  const std::string_view call_id = trim(value.substr(0, first_semi));
  if (!is_call_id(call_id)) return bad("bad Replaces Call-ID");
  out.call_id.assign(call_id);
  bool have_to = false;
  bool have_from = false;
  std::string_view rest =
      first_semi == std::string_view::npos ? std::string_view{} : value.substr(first_semi + 1);
  while (first_semi != std::string_view::npos) {
    const std::size_t semi = rest.find(';');
    const std::string_view param = trim(rest.substr(0, semi));
    const std::size_t equals = param.find('=');
    const std::string_view name = trim(param.substr(0, equals));
    const std::string_view param_value =
        equals == std::string_view::npos ? std::string_view{} : trim(param.substr(equals + 1));
    if (!is_token(name)) return bad("bad Replaces parameter");
    if (equals_ignoring_case(name, "to-tag") || equals_ignoring_case(name, "from-tag")) {
      const bool to = equals_ignoring_case(name, "to-tag");
      if (!is_token(param_value)) return bad("bad Replaces tag");
      if ((to && have_to) || (!to && have_from)) return bad("repeated Replaces tag");
      (to ? have_to : have_from) = true;
      (to ? out.to_tag : out.from_tag).assign(param_value);
    } else if (equals_ignoring_case(name, "early-only")) {
      if (equals != std::string_view::npos) return bad("early-only takes no value");
      out.early_only = true;
    }
    if (semi == std::string_view::npos) break;
    rest = rest.substr(semi + 1);
  }
  if (!have_to || !have_from) return bad("Replaces needs to-tag and from-tag");
  return out;
}

Result<std::optional<std::string>> replaces_in_uri_headers(std::string_view headers) {
  std::optional<std::string> found;
  while (!headers.empty()) {
    const std::size_t amp = headers.find('&');
    const std::string_view header = headers.substr(0, amp);
    const std::size_t equals = header.find('=');
    if (equals != std::string_view::npos &&
        equals_ignoring_case(header.substr(0, equals), "Replaces")) {
      if (found) return bad("Replaces given twice");
      auto decoded = unescape(header.substr(equals + 1));
      if (!decoded.ok()) return bad("bad escape in Replaces");
      found = std::move(decoded).value();
    }
    if (amp == std::string_view::npos) break;
    headers.remove_prefix(amp + 1);
  }
  return found;
}

}  // namespace parley::protocol::sip
