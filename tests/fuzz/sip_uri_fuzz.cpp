// libFuzzer target: the structured header parsers (URI, name-addr, Via, CSeq, auth) and unescape.
// Every view a parser returns must point into its input.

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "protocol/sip/headers.hpp"
#include "protocol/sip/uri.hpp"

namespace sip = parley::protocol::sip;

namespace {

std::string_view g_input;

void require_inside(std::string_view part) {
  if (part.empty()) return;
  if (part.data() < g_input.data() || part.data() + part.size() > g_input.data() + g_input.size()) {
    std::abort();
  }
}

void check_uri(const sip::Uri& uri) {
  require_inside(uri.user);
  require_inside(uri.password);
  require_inside(uri.host);
  require_inside(uri.params.text());
  require_inside(uri.headers);
  for (std::string_view name : {"transport", "lr", "maddr", "user", "x"}) {
    if (auto v = uri.params.get(name)) require_inside(*v);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  g_input = input;

  if (auto uri = sip::parse_uri(input); uri.ok()) {
    check_uri(*uri);
    if (auto user = sip::unescape(uri->user); user.ok() && user->size() > uri->user.size()) {
      std::abort();  // decoding never grows the text
    }
  } else if (uri.error().code != 400 && uri.error().code != 416) {
    std::abort();
  }

  if (auto a = sip::parse_name_addr(input); a.ok()) {
    require_inside(a->display_name);
    require_inside(a->uri_text);
    if (!a->opaque_uri && !a->is_star) check_uri(a->uri);
    for (std::string_view name : {"tag", "expires", "q"}) {
      if (auto v = a->params.get(name)) require_inside(*v);
    }
  }

  if (auto via = sip::parse_via(input); via.ok()) {
    require_inside(via->protocol);
    require_inside(via->transport);
    require_inside(via->host);
    if (auto b = via->branch()) require_inside(*b);
    if (auto r = via->received()) require_inside(*r);
    if (auto r = via->rport()) require_inside(*r);
  }

  if (auto cseq = sip::parse_cseq(input); cseq.ok()) require_inside(cseq->method_text);

  if (auto auth = sip::parse_auth(input); auth.ok()) {
    require_inside(auth->scheme);
    for (const auto& [name, value] : auth->params) {
      require_inside(name);
      require_inside(value);
    }
    (void)auth->get("nonce");
  }

  for (std::string_view part : sip::split_commas(input)) require_inside(part);
  for (std::string_view token : sip::split_tokens(input)) require_inside(token);
  (void)sip::unescape(input);
  return 0;
}
