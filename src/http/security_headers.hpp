#pragma once
// The headers every HTTPS answer carries, errors and WebSocket handshakes included.
//
// Content-Security-Policy: everything from this origin only, no inline script, no eval, no
// plugins, no framing; connections (fetch, WebSocket) only to this origin, named explicitly as
// wss://<host> because browsers before CSP level 3 do not count wss: under 'self'.
// X-Content-Type-Options: nosniff; Referrer-Policy: no-referrer; Strict-Transport-Security.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace parley::http {

// `host` is the request's Host header; it is used only when it is a plain host[:port] (letters,
// digits, '.', '-', ':', '[', ']'); anything else leaves connect-src at 'self'.
std::vector<std::pair<std::string_view, std::string>> security_headers(std::string_view host);

}  // namespace parley::http
