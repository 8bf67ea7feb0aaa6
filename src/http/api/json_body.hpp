#pragma once
// Request bodies of the REST API: a JSON object, decoded strictly. Internal to http/api (it
// names nlohmann::json, which stays out of the public headers).
//
// The body must be one JSON object nested at most kMaxJsonDepth deep (checked by a scan before
// nlohmann parses it, so that a megabyte of '[' costs no recursion); every member must be one
// the endpoint knows, with the right type. Errors carry the HTTP status (400) and name the
// offending field, which problem documents pass on so a form can show it beside the input.

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/json_depth.hpp"
#include "base/result.hpp"

namespace parley::http::api {

inline constexpr int kMaxJsonDepth = 16;

// A decoding failure: `field` is empty when the body as a whole is wrong.
struct BodyError {
  std::string field;
  std::string detail;
};

// Deepest nesting of arrays and objects outside strings (base/json_depth.hpp).
using parley::json_depth;

class JsonBody {
 public:
  // Parses `body` as a JSON object whose members are all in `allowed`.
  static std::optional<JsonBody> parse(std::string_view body,
                                       std::span<const std::string_view> allowed, BodyError& error);

  // A member's value: nullopt when absent, and also (with `error` set) when it has another type.
  std::optional<std::string> string(std::string_view name, BodyError& error) const;
  std::optional<bool> boolean(std::string_view name, BodyError& error) const;
  // A whole number from `min` to `max` (a fraction, or a number outside, is an error).
  std::optional<std::int64_t> integer(std::string_view name, std::int64_t min, std::int64_t max,
                                      BodyError& error) const;
  // An array of strings of at most `max_items` items.
  std::optional<std::vector<std::string>> strings(std::string_view name, std::size_t max_items,
                                                  BodyError& error) const;
  // An object of at most `max_items` members whose values are all strings, in key order.
  std::optional<std::vector<std::pair<std::string, std::string>>> string_map(
      std::string_view name, std::size_t max_items, BodyError& error) const;
  bool has(std::string_view name) const;

 private:
  explicit JsonBody(nlohmann::json value) : value_(std::move(value)) {}
  nlohmann::json value_;
};

// Serialises a response document; invalid UTF-8 in stored text is replaced, never thrown on.
std::string dump(const nlohmann::json& document);

}  // namespace parley::http::api
