#include "protocol/sip/framer.hpp"

#include <cstring>
#include <limits>

#include "protocol/sip/header_id.hpp"
#include "protocol/sip/syntax.hpp"

namespace parley::protocol::sip {
namespace {

constexpr auto kNpos = std::string_view::npos;

// Index just past the empty line that ends the header section (CRLF CRLF, or bare LFs), or
// kNpos. Starts looking at `from`.
std::size_t find_header_end(std::string_view s, std::size_t from) {
  for (std::size_t i = from; i < s.size(); ++i) {
    const void* hit = std::memchr(s.data() + i, '\n', s.size() - i);
    if (hit == nullptr) return kNpos;
    i = static_cast<std::size_t>(static_cast<const char*>(hit) - s.data());
    if (i + 1 < s.size() && s[i + 1] == '\n') return i + 2;
    if (i + 2 < s.size() && s[i + 1] == '\r' && s[i + 2] == '\n') return i + 3;
  }
  return kNpos;
}

struct LengthScan {
  bool found = false;
  bool valid = true;
  std::uint64_t value = 0;
};

// Finds Content-Length (or its compact form "l") among the header lines.
LengthScan scan_content_length(std::string_view headers) {
  LengthScan scan;
  std::size_t pos = headers.find('\n');  // skip the start line
  while (pos != kNpos && pos + 1 < headers.size()) {
    const std::size_t start = pos + 1;
    pos = headers.find('\n', start);
    const std::string_view line = headers.substr(start, pos == kNpos ? kNpos : pos - start);
    const std::size_t colon = line.find(':');
    if (colon == kNpos) continue;
    const HeaderId id = header_id_from_name(detail::trim_lws(line.substr(0, colon)));
    if (id != HeaderId::kContentLength) continue;
    const std::string_view text = detail::trim_lws(line.substr(colon + 1));
    std::uint64_t value = 0;
    bool ok = !text.empty();
    for (char c : text) {
      if (!detail::is(c, detail::kDigit) || value > std::numeric_limits<std::uint32_t>::max()) {
        ok = false;
        break;
      }
      value = value * 10 + static_cast<std::uint64_t>(c - '0');
    }
    // Two different lengths leave no way to frame the stream.
    if (!ok || (scan.found && value != scan.value)) scan.valid = false;
    scan.found = true;
    scan.value = value;
  }
  return scan;
}

}  // namespace

StreamFramer::Output StreamFramer::fail(int code, std::string message) {
  failed_ = true;
  error_ = make_error(code, std::move(message));
  Output out;
  out.event = Event::kError;
  out.error = error_;
  return out;
}

StreamFramer::Output StreamFramer::next() {
  if (failed_) {
    Output out;
    out.event = Event::kError;
    out.error = error_;
    return out;
  }
  // Drop what earlier calls consumed once it is at least half the buffer, so that many small
  // messages in one read cost linear, not quadratic, copying.
  if (consumed_ == buffer_.size()) {
    buffer_.clear();
    consumed_ = 0;
  } else if (consumed_ > 0 && consumed_ >= buffer_.size() / 2) {
    buffer_.erase(0, consumed_);
    consumed_ = 0;
  }

  while (true) {
    const std::string_view pending = std::string_view(buffer_).substr(consumed_);
    if (pending.empty()) return Output{};
    // RFC 5626 §3.5.1 keep-alives: CRLF CRLF is a ping, a lone CRLF a pong.
    if (pending[0] == '\r' || pending[0] == '\n') {
      if (pending.size() >= 4 && pending.substr(0, 4) == "\r\n\r\n") {
        consumed_ += 4;
        scanned_ = 0;
        Output out;
        out.event = Event::kKeepAlivePing;
        return out;
      }
      if (pending.size() >= 2 && pending.substr(0, 2) == "\r\n") {
        if (pending.size() == 2 || (pending.size() == 3 && pending[2] == '\r')) return Output{};
        consumed_ += 2;
        scanned_ = 0;
        continue;
      }
      if (pending[0] == '\n') {  // a stray LF between messages
        consumed_ += 1;
        scanned_ = 0;
        continue;
      }
      if (pending.size() == 1) return Output{};
      consumed_ += 1;  // a stray CR not followed by LF
      scanned_ = 0;
      continue;
    }

    if (frame_bytes_ == 0) {
      const std::size_t header_end = find_header_end(pending, scanned_);
      if (header_end == kNpos) {
        if (pending.size() > max_bytes_) return fail(413, "SIP header section too large");
        // Resume two bytes back: the empty line may straddle this read and the next.
        scanned_ = pending.size() > 2 ? pending.size() - 2 : 0;
        return Output{};
      }
      if (header_end > max_bytes_) return fail(413, "SIP header section too large");
      const LengthScan length = scan_content_length(pending.substr(0, header_end));
      if (!length.found) return fail(400, "stream message without Content-Length");
      if (!length.valid) return fail(400, "malformed Content-Length");
      if (length.value > max_bytes_ - header_end) return fail(413, "SIP message too large");
      frame_bytes_ = header_end + static_cast<std::size_t>(length.value);
    }
    if (pending.size() < frame_bytes_) return Output{};
    const std::size_t total = frame_bytes_;
    frame_bytes_ = 0;
    Output out;
    out.event = Event::kMessage;
    out.message = pending.substr(0, total);
    consumed_ += total;
    scanned_ = 0;
    return out;
  }
}

}  // namespace parley::protocol::sip
