#include "http/router.hpp"

#include <algorithm>

namespace parley::http {

void Router::add_exact(std::string path, Handler handler, Execution execution) {
  exact_.insert_or_assign(std::move(path), Route{std::move(handler), execution});
}

void Router::add_prefix(std::string prefix, Handler handler, Execution execution) {
  prefixes_.emplace_back(std::move(prefix), Route{std::move(handler), execution});
  std::stable_sort(prefixes_.begin(), prefixes_.end(),
                   [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
}

void Router::add_websocket(std::string path, WebSocketHandler& handler) {
  websockets_.insert_or_assign(std::move(path), &handler);
}

const Router::Route* Router::find(std::string_view path) const {
  if (const auto found = exact_.find(path); found != exact_.end()) return &found->second;
  if (websockets_.contains(path)) return nullptr;
  for (const auto& [prefix, route] : prefixes_) {
    if (path.starts_with(prefix)) return &route;
  }
  return nullptr;
}

Response Router::handle(const Request& request) const {
  if (const Route* route = find(request.path)) return route->handler(request);
  if (websockets_.contains(request.path)) {
    Response response = Response::problem(426, "this endpoint accepts only a WebSocket upgrade");
    response.headers.set("Upgrade", "websocket");
    return response;
  }
  return Response::problem(404, "no resource at this path");
}

Execution Router::execution(const Request& request) const {
  const Route* route = find(request.path);
  return route == nullptr ? Execution::kOnLoop : route->execution;
}

WebSocketHandler* Router::websocket(std::string_view path) const {
  const auto found = websockets_.find(path);
  return found == websockets_.end() ? nullptr : found->second;
}

}  // namespace parley::http

namespace parley::http {

void Router::add_body_limit(std::string prefix, std::string suffix, std::size_t max_bytes) {
  body_limits_.push_back({std::move(prefix), std::move(suffix), max_bytes});
}

std::size_t Router::body_limit(std::string_view path, std::size_t fallback) const {
  for (const BodyLimit& limit : body_limits_) {
    if (path.starts_with(limit.prefix) && path.ends_with(limit.suffix) &&
        path.size() >= limit.prefix.size() + limit.suffix.size()) {
      return limit.max_bytes;
    }
  }
  return fallback;
}

std::size_t Router::largest_body_limit(std::size_t fallback) const {
  std::size_t largest = fallback;
  for (const BodyLimit& limit : body_limits_) largest = std::max(largest, limit.max_bytes);
  return largest;
}

}  // namespace parley::http
