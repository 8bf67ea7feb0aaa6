#include "http/api/json_body.hpp"

#include <algorithm>

namespace parley::http::api {

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

std::optional<std::int64_t> JsonBody::integer(std::string_view name, std::int64_t min,
                                              std::int64_t max, BodyError& error) const {
  const auto found = value_.find(name);
  if (found == value_.end()) return std::nullopt;
  // Large positive literals parse as unsigned: compare them before any narrowing.
  const bool in_range = found->is_number_unsigned()
                            ? max >= 0 &&
                                  found->get<std::uint64_t>() <= static_cast<std::uint64_t>(max) &&
                                  static_cast<std::int64_t>(found->get<std::uint64_t>()) >= min
                            : found->is_number_integer() && found->get<std::int64_t>() >= min &&
                                  found->get<std::int64_t>() <= max;
  if (!in_range) {
    error = {std::string(name), "'" + std::string(name) + "' must be a whole number from " +
                                    std::to_string(min) + " to " + std::to_string(max)};
    return std::nullopt;
  }
  return found->get<std::int64_t>();
}

std::optional<std::vector<std::string>> JsonBody::strings(std::string_view name,
                                                          std::size_t max_items,
                                                          BodyError& error) const {
  const auto found = value_.find(name);
  if (found == value_.end()) return std::nullopt;
  const auto fail = [&] {
    error = {std::string(name), "'" + std::string(name) + "' must be a list of at most " +
                                    std::to_string(max_items) + " strings"};
    return std::nullopt;
  };
  if (!found->is_array() || found->size() > max_items) return fail();
  std::vector<std::string> out;
  for (const auto& item : *found) {
    if (!item.is_string()) return fail();
    out.push_back(item.get<std::string>());
  }
  return out;
}

std::optional<std::vector<std::pair<std::string, std::string>>> JsonBody::string_map(
    std::string_view name, std::size_t max_items, BodyError& error) const {
  const auto found = value_.find(name);
  if (found == value_.end()) return std::nullopt;
  const auto fail = [&] {
    error = {std::string(name), "'" + std::string(name) + "' must be an object of at most " +
                                    std::to_string(max_items) + " string members"};
    return std::nullopt;
  };
  if (!found->is_object() || found->size() > max_items) return fail();
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [key, item] : found->items()) {
    if (!item.is_string()) return fail();
    out.emplace_back(key, item.get<std::string>());
  }
  return out;
}

std::string dump(const nlohmann::json& document) {
  return document.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace parley::http::api
