#pragma once
// A parsed SIP message (RFC 3261 §7): start line, header fields and body.
//
// Zero-copy: a Message owns one copy of the received bytes and keeps every field as an
// offset/length pair into it, so moving a Message is cheap and never invalidates its views.
// Header values are split into their comma-separated parts at parse time for the headers that
// allow lists (Via, Contact, Route ...); finer structure (URI parameters, Via parameters, digest
// parameters) is parsed lazily by the functions in headers.hpp when someone asks.
//
// Thread-safety: a Message is a value; const access from several threads is safe.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "protocol/sip/header_id.hpp"
#include "protocol/sip/method.hpp"

namespace parley::protocol::sip {

// Where a field lives inside Message::raw().
struct Span {
  std::uint32_t offset = 0;
  std::uint32_t length = 0;
};

// One header field value. A header line "Via: a, b" yields two HeaderFields with the same name.
struct HeaderField {
  HeaderId id = HeaderId::kOther;
  Span name;   // as written (may be the compact form, e.g. "v")
  Span value;  // trimmed of surrounding whitespace; folded lines are left as written
};

// Limits applied while parsing. Past a limit parsing fails with the status code to answer
// (0 for responses). Too many fields or too long a line is a plain 400: 494 would say "Security
// Agreement Required" (RFC 3329), which is not what happened.
struct ParseLimits {
  std::size_t max_message_bytes = 65535;  // 413 for requests
  std::size_t max_header_fields = 256;    // 400; counted after comma-splitting
  std::size_t max_line_bytes = 8192;      // 400; a header line with its folded continuations
  std::size_t max_uri_bytes = 4096;       // 414
};

class Message {
 public:
  // --- start line ---
  bool is_request() const { return is_request_; }
  Method method() const { return method_; }  // requests only
  std::string_view method_text() const { return view(method_text_); }
  std::string_view request_uri() const { return view(request_uri_); }  // requests only
  int status_code() const { return status_code_; }                     // responses only
  std::string_view reason_phrase() const { return view(reason_); }     // responses only
  std::string_view version() const { return view(version_); }          // "SIP/2.0"

  // --- headers ---
  std::span<const HeaderField> headers() const { return headers_; }
  std::string_view name(const HeaderField& h) const { return view(h.name); }
  std::string_view value(const HeaderField& h) const { return view(h.value); }
  // Value of the first field with this id (after comma-splitting), or empty when absent.
  std::string_view first(HeaderId id) const;
  // First field with this name, compared case-insensitively, compact forms understood.
  std::string_view first(std::string_view name) const;
  std::size_t count(HeaderId id) const;
  bool has(HeaderId id) const { return count(id) != 0; }

  // --- fields every SIP element needs, extracted once at parse time ---
  std::string_view call_id() const { return view(call_id_); }
  std::uint32_t cseq_number() const { return cseq_number_; }
  Method cseq_method() const { return cseq_method_; }
  std::string_view cseq_method_text() const { return view(cseq_method_text_); }
  std::string_view from_tag() const { return view(from_tag_); }
  std::string_view to_tag() const { return view(to_tag_); }
  std::string_view top_via() const { return first(HeaderId::kVia); }
  std::string_view top_via_branch() const { return view(top_branch_); }
  int max_forwards() const { return max_forwards_; }  // -1 when absent

  // --- body ---
  std::string_view body() const { return view(body_); }

  // All the bytes this message was parsed from (for a stream, exactly one framed message).
  std::string_view raw() const { return raw_; }

 private:
  friend class Parser;
  std::string_view view(Span s) const { return std::string_view(raw_).substr(s.offset, s.length); }

  std::string raw_;
  std::vector<HeaderField> headers_;
  bool is_request_ = false;
  Method method_ = Method::kUnknown;
  Span method_text_, request_uri_, reason_, version_;
  int status_code_ = 0;
  Span call_id_, cseq_method_text_, from_tag_, to_tag_, top_branch_, body_;
  std::uint32_t cseq_number_ = 0;
  Method cseq_method_ = Method::kUnknown;
  int max_forwards_ = -1;
};

// Parses one whole message, e.g. a UDP datagram. Bytes after the body that Content-Length
// declares are ignored (RFC 3261 §18.3). On failure the Error's `code` is the SIP status code
// a server should answer with when the bytes were a request (400, 413, 414, 494, 505), or 0 when
// nothing useful can be answered; its `message` is a short reason for logs and the reason phrase.
Result<Message> parse_message(std::string_view bytes, const ParseLimits& limits = {});

// Serialises a message back to the wire: start line, each header field as "Name: value" on its
// own line (one line per value, in order), a blank line and the body. parse(serialise(m))
// yields a message with the same start line, header fields and body.
std::string serialise(const Message& message);

}  // namespace parley::protocol::sip
