#include "http/security_headers.hpp"

namespace parley::http {
namespace {

bool plain_host(std::string_view host) {
  if (host.empty() || host.size() > 255) return false;
  for (const char c : host) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '-' || c == ':' || c == '[' || c == ']';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

std::vector<std::pair<std::string_view, std::string>> security_headers(std::string_view host) {
  std::string connect = "connect-src 'self'";
  if (plain_host(host)) {
    connect += " wss://";
    connect += host;
  }
  std::string policy =
      "default-src 'self'; " + connect +
      "; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
      "form-action 'self'";
  return {
      {"Content-Security-Policy", std::move(policy)},
      {"X-Content-Type-Options", "nosniff"},
      {"Referrer-Policy", "no-referrer"},
      {"Strict-Transport-Security", "max-age=31536000"},
  };
}

}  // namespace parley::http
