#include "http/api/json_body.hpp"

#include <algorithm>

namespace parley::http::api {

int json_depth(std::string_view text, int max) {
  int depth = 0;
  int deepest = 0;
  bool in_string = false;
  bool escaped = false;
  for (const char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
      if (deepest > max) return max + 1;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return deepest;
}

std::optional<JsonBody> JsonBody::parse(std::string_view body,
                                        std::span<const std::string_view> allowed,
                                        BodyError& error) {
  if (json_depth(body, kMaxJsonDepth) > kMaxJsonDepth) {
    error = {"", "the JSON body is nested more than " + std::to_string(kMaxJsonDepth) + " deep"};
    return std::nullopt;
  }
  nlohmann::json value = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) {
    error = {"", "the body is not valid JSON"};
    return std::nullopt;
  }
  if (!value.is_object()) {
    error = {"", "the body must be a JSON object"};
    return std::nullopt;
  }
  for (const auto& [key, member] : value.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      std::string known;
      for (const std::string_view name : allowed) {
        known += known.empty() ? "" : ", ";
        known += name;
      }
      error = {key, "unknown field '" + key + "' (this endpoint takes: " + known + ")"};
      return std::nullopt;
    }
  }
  return JsonBody(std::move(value));
}

bool JsonBody::has(std::string_view name) const {
  return value_.find(name) != value_.end();
}

std::optional<std::string> JsonBody::string(std::string_view name, BodyError& error) const {
  const auto found = value_.find(name);
  if (found == value_.end()) return std::nullopt;
  if (!found->is_string()) {
    error = {std::string(name), "'" + std::string(name) + "' must be a string"};
    return std::nullopt;
  }
  return found->get<std::string>();
}

std::optional<bool> JsonBody::boolean(std::string_view name, BodyError& error) const {
  const auto found = value_.find(name);
  if (found == value_.end()) return std::nullopt;
  if (!found->is_boolean()) {
    error = {std::string(name), "'" + std::string(name) + "' must be true or false"};
    return std::nullopt;
  }
  return found->get<bool>();
}

std::string dump(const nlohmann::json& document) {
  return document.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace parley::http::api
