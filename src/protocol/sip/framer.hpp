#pragma once
// Frames SIP messages out of a byte stream (TCP, TLS) using Content-Length (RFC 3261 §18.3).
// Handles partial reads, several messages in one read, and CRLF keep-alives (RFC 5626 §3.5.1).
// Owns a bounded buffer: a message larger than the limit, or a stream message without
// Content-Length, is a framing error after which the connection must be closed.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace parley::protocol::sip {

class StreamFramer {
 public:
  explicit StreamFramer(std::size_t max_message_bytes = 65536) : max_bytes_(max_message_bytes) {}

  // Appends received bytes.
  void feed(std::string_view bytes) { buffer_.append(bytes); }

  enum class Event { kNeedMore, kMessage, kKeepAlivePing, kError };
  struct Output {
    Event event = Event::kNeedMore;
    std::string_view message;  // for kMessage: valid until the next call to next()/feed()
    Error error;               // for kError: code 400 (no Content-Length) or 413 (too big)
  };

  // Returns the next complete framed item. A "\r\n\r\n" ping yields kKeepAlivePing (answer
  // "\r\n"); a lone "\r\n" pong is skipped. After kError the framer stays in error.
  Output next();

  std::size_t buffered() const { return buffer_.size() - consumed_; }
  // The bytes not yet consumed. After kError they start with the message that could not be
  // framed, so that its 400/413 answer can be built (build_error_response) before closing.
  std::string_view pending() const { return std::string_view(buffer_).substr(consumed_); }

 private:
  Output fail(int code, std::string message);

  std::string buffer_;
  std::size_t consumed_ = 0;
  std::size_t max_bytes_;
  bool failed_ = false;
  // Where the search for the end of the current header section resumes, relative to
  // consumed_, so that a message arriving byte by byte is still scanned only once.
  std::size_t scanned_ = 0;
  // Size of the current message once its header section has been read (0 = not yet known).
  std::size_t frame_bytes_ = 0;
  Error error_;
};

}  // namespace parley::protocol::sip
