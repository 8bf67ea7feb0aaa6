#pragma once
// Building responses to requests (RFC 3261 §8.2.6) and new requests as text.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/sip/message.hpp"

namespace parley::protocol::sip {

// Extra header fields to put into a built message, in order ("Allow", "INVITE, ACK, ...").
using ExtraHeaders = std::vector<std::pair<std::string_view, std::string>>;

// Standard reason phrase for a status code ("Not Found"), or "Unknown" for an unlisted code.
std::string_view default_reason(int status_code);

// Builds the response to `request`: copies every Via (in order), From, To, Call-ID and CSeq;
// adds `to_tag` to To when the request's To has no tag and to_tag is not empty (never for 100);
// then the extra headers, then Content-Length, then the body. `reason` empty = default_reason().
struct ResponseOptions {
  int status_code = 200;
  std::string_view reason;
  std::string_view to_tag;
  ExtraHeaders extra_headers;
  std::string_view content_type;  // with a body
  std::string_view body;
};
std::string build_response(const Message& request, const ResponseOptions& options);

// Best-effort answer to bytes that parse_message() rejected with `error` (RFC 3261 §8.2.1: a
// malformed request is answered 400 when possible): copies the first line of each Via, and of
// From, To, Call-ID and CSeq when present and free of control bytes, without validating them;
// uses error.message as the reason phrase and adds `to_tag` when the To parses and has none.
// Returns "" when nothing can be answered: error.code is not 3xx-6xx (e.g. 0), the bytes are a
// response, or there is no usable Via or CSeq to match the answer with.
std::string build_error_response(std::string_view bytes, const Error& error,
                                 std::string_view to_tag = {});

}  // namespace parley::protocol::sip
