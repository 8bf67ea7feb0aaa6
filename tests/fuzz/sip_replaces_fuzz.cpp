// libFuzzer target: the Replaces header parser and its lookup in a URI's header part (RFC 3891).
// A parsed value must never hold more than its input, nor an empty Call-ID or tag.

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "protocol/sip/replaces.hpp"

namespace sip = parley::protocol::sip;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  if (auto r = sip::parse_replaces(input); r.ok()) {
    if (r->call_id.empty() || r->to_tag.empty() || r->from_tag.empty()) std::abort();
    if (r->call_id.size() + r->to_tag.size() + r->from_tag.size() > input.size()) std::abort();
  } else if (r.error().code != 400) {
    std::abort();
  }
  if (auto found = sip::replaces_in_uri_headers(input); found.ok() && found->has_value()) {
    if ((*found)->size() > input.size()) std::abort();
    (void)sip::parse_replaces(**found);
  }
  return 0;
}
