#include "http/router.hpp"

#include <algorithm>

namespace parley::http {

void Router::add_exact(std::string path, Handler handler) {
  exact_.insert_or_assign(std::move(path), std::move(handler));
}

void Router::add_prefix(std::string prefix, Handler handler) {
  prefixes_.emplace_back(std::move(prefix), std::move(handler));
  std::stable_sort(prefixes_.begin(), prefixes_.end(),
                   [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
}

void Router::add_websocket(std::string path, WebSocketHandler& handler) {
  websockets_.insert_or_assign(std::move(path), &handler);
}

Response Router::handle(const Request& request) const {
  if (const auto found = exact_.find(request.path); found != exact_.end()) {
    return found->second(request);
  }
  if (websockets_.contains(request.path)) {
    Response response = Response::problem(426, "this endpoint accepts only a WebSocket upgrade");
    response.headers.set("Upgrade", "websocket");
    return response;
  }
  for (const auto& [prefix, handler] : prefixes_) {
    if (request.path.starts_with(prefix)) return handler(request);
  }
  return Response::problem(404, "no resource at this path");
}

WebSocketHandler* Router::websocket(std::string_view path) const {
  const auto found = websockets_.find(path);
  return found == websockets_.end() ? nullptr : found->second;
}

}  // namespace parley::http
