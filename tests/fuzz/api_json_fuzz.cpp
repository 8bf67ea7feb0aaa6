// libFuzzer target: the REST API's request decoding: the nesting scan, the strict JSON object
// body with typed members, and query parameters. Nothing may crash, and a body the scanner
// passes must never be nested deeper than the limit.

#include <array>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "http/api/api_impl.hpp"
#include "http/api/json_body.hpp"

namespace api = parley::http::api;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  static constexpr std::array<std::string_view, 4> kFields{"username", "password", "number",
                                                           "is_default"};
  api::BodyError error;
  const auto body = api::JsonBody::parse(input, kFields, error);
  if (body) {
    if (api::json_depth(input, api::kMaxJsonDepth) > api::kMaxJsonDepth) std::abort();
    for (const std::string_view field : kFields) {
      api::BodyError member_error;
      (void)body->string(field, member_error);
      (void)body->boolean(field, member_error);
      if (const auto number = body->integer(field, 5, 600, member_error)) {
        if (*number < 5 || *number > 600) std::abort();  // out of range must be refused
      }
      if (const auto list = body->strings(field, 3, member_error); list && list->size() > 3) {
        std::abort();
      }
      if (const auto map = body->string_map(field, 3, member_error); map && map->size() > 3) {
        std::abort();
      }
    }
  } else if (error.detail.empty()) {
    std::abort();  // a refusal always says why
  }
  for (const std::string_view name : {"limit", "cursor", "from", "to", "extension"}) {
    (void)api::query_param(input, name);
  }
  return 0;
}
