#include "http/static_files.hpp"

#include <gtest/gtest.h>

#include "http/message.hpp"
#include "http/router.hpp"

namespace parley::http {
namespace {

TEST(NormaliseAssetPath, KeepsOrdinaryPaths) {
  EXPECT_EQ(normalise_asset_path(""), "");
  EXPECT_EQ(normalise_asset_path("index.html"), "index.html");
  EXPECT_EQ(normalise_asset_path("a/./b.js"), "a/b.js");
  EXPECT_EQ(normalise_asset_path("a//b/"), "a/b");
  EXPECT_EQ(normalise_asset_path("my%20file.txt"), "my file.txt");
}

TEST(NormaliseAssetPath, RefusesEscapes) {
  for (const char* path :
       {"..", "../x", "a/../../x", "%2e%2e/x", "%2E%2e", "a%2fb", "a%2Fb", "a%5cb", "a\\b", ".env",
        "a/.git/config", "x%00.js", "%", "%2", "%g0", "a/%2e%2e%2fb"}) {
    EXPECT_FALSE(normalise_asset_path(path).has_value()) << path;
  }
}

TEST(ContentType, ByExtension) {
  EXPECT_EQ(content_type_for("index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(content_type_for("a/app.JS"), "text/javascript; charset=utf-8");
  EXPECT_EQ(content_type_for("manifest.webmanifest"), "application/manifest+json");
  EXPECT_EQ(content_type_for("font.woff2"), "font/woff2");
  EXPECT_EQ(content_type_for("icon.svg"), "image/svg+xml");
  EXPECT_EQ(content_type_for("Makefile"), "application/octet-stream");
}

TEST(Router, ExactBeatsPrefixAndLongestPrefixWins) {
  Router router;
  router.add_prefix("/", [](const Request&) { return Response::make(200, "text/plain", "root"); });
  router.add_prefix("/api/",
                    [](const Request&) { return Response::make(200, "text/plain", "api"); });
  router.add_exact("/api/status",
                   [](const Request&) { return Response::make(200, "text/plain", "status"); });
  Request request;
  request.path = "/api/status";
  EXPECT_EQ(router.handle(request).body, "status");
  request.path = "/api/other";
  EXPECT_EQ(router.handle(request).body, "api");
  request.path = "/x";
  EXPECT_EQ(router.handle(request).body, "root");

  Router empty;
  EXPECT_EQ(empty.handle(request).status, 404);
}

TEST(Response, ProblemDocumentEscapes) {
  const Response problem = Response::problem(400, "bad \"name\"\n");
  EXPECT_EQ(problem.status, 400);
  EXPECT_EQ(*problem.headers.find("content-type"), "application/problem+json");
  EXPECT_EQ(problem.body,
            "{\"type\":\"about:blank\",\"title\":\"Bad Request\",\"status\":400,"
            "\"detail\":\"bad \\\"name\\\"\\n\"}\n");
}

}  // namespace
}  // namespace parley::http
