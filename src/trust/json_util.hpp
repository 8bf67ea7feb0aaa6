#pragma once
// Small helpers over nlohmann::json that report type mismatches as Result errors instead of
// exceptions. Internal to trust/.

#include <nlohmann/json.hpp>
#include <string>

#include "base/result.hpp"

namespace parley::trust {

// object[key] as a string; an error naming the key when absent or not a string.
inline Result<std::string> json_string(const nlohmann::json& object, const char* key) {
  const auto found = object.find(key);
  if (found == object.end() || !found->is_string()) {
    return make_error(0, std::string(key) + " is missing or not a string");
  }
  return found->get<std::string>();
}

// Two-space indented text with a final newline; an error when a string is not valid UTF-8
// (nlohmann refuses to write it).
template <typename Json>
Result<std::string> dump_json(const Json& document) {
  try {
    return document.dump(2) + "\n";
  } catch (const nlohmann::json::exception& error) {
    return make_error(0, std::string("cannot write JSON: ") + error.what());
  }
}

}  // namespace parley::trust
