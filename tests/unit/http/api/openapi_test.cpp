// The OpenAPI document lists exactly the routes the server answers, and is valid JSON of
// version 3.1.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <utility>

#include "http/api/rest_api.hpp"

namespace parley::http::api {
namespace {

std::string upper(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

TEST(OpenApi, DocumentsEveryRouteAndNothingElse) {
  const auto document = nlohmann::json::parse(RestApi::openapi_document(), nullptr, false);
  ASSERT_FALSE(document.is_discarded());
  EXPECT_TRUE(document["openapi"].get<std::string>().starts_with("3.1"));

  std::set<std::pair<std::string, std::string>> documented;
  for (const auto& [path, operations] : document["paths"].items()) {
    for (const auto& [method, operation] : operations.items()) {
      if (method == "parameters") continue;
      documented.emplace(upper(method), path);
      EXPECT_TRUE(operation.contains("responses")) << method << " " << path;
    }
  }
  std::set<std::pair<std::string, std::string>> served;
  for (const RouteInfo& route : RestApi::routes()) {
    served.emplace(std::string(route.method), std::string(route.path));
  }
  for (const auto& route : served) {
    EXPECT_TRUE(documented.contains(route))
        << "undocumented: " << route.first << " " << route.second;
  }
  for (const auto& route : documented) {
    EXPECT_TRUE(served.contains(route))
        << "documented but not served: " << route.first << " " << route.second;
  }
  EXPECT_EQ(served.size(), RestApi::routes().size()) << "a route is listed twice";
}

TEST(OpenApi, EveryReferenceResolves) {
  const auto document = nlohmann::json::parse(RestApi::openapi_document());
  const auto flat = document.flatten();
  for (const auto& [pointer, value] : flat.items()) {
    if (!pointer.ends_with("/$ref")) continue;
    const std::string target = value.get<std::string>();
    ASSERT_TRUE(target.starts_with("#/")) << target;
    EXPECT_TRUE(document.contains(nlohmann::json::json_pointer(target.substr(1))))
        << pointer << " -> " << target;
  }
}

}  // namespace
}  // namespace parley::http::api
