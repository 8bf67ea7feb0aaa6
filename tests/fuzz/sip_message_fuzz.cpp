// libFuzzer target: SIP message parsing, serialising, responding and stream framing.
// Beyond "no crash", it checks properties that must hold for any input:
//  - a message that parses serialises into text that parses to the same fields;
//  - the response built for a parsed request parses;
//  - framing the bytes in random chunks yields the same events as framing them in one read.

#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_require.hpp"
#include "protocol/sip/framer.hpp"
#include "protocol/sip/headers.hpp"
#include "protocol/sip/message.hpp"
#include "protocol/sip/response.hpp"

namespace sip = parley::protocol::sip;

namespace {

void check_round_trip(const sip::Message& m) {
  sip::ParseLimits roomy;
  roomy.max_message_bytes = 1u << 22;
  roomy.max_line_bytes = 1u << 22;
  roomy.max_header_fields = 1u << 16;
  const std::string text = sip::serialise(m);
  auto again = sip::parse_message(text, roomy);
  fuzz::require(again.ok());
  fuzz::require(again->is_request() == m.is_request());
  fuzz::require(again->method_text() == m.method_text());
  fuzz::require(again->request_uri() == m.request_uri());
  fuzz::require(again->status_code() == m.status_code());
  fuzz::require(again->reason_phrase() == m.reason_phrase());
  fuzz::require(again->headers().size() == m.headers().size());
  for (std::size_t i = 0; i < m.headers().size(); ++i) {
    fuzz::require(again->name(again->headers()[i]) == m.name(m.headers()[i]));
    fuzz::require(again->value(again->headers()[i]) == m.value(m.headers()[i]));
  }
  fuzz::require(again->body() == m.body());
}

void exercise_fields(const sip::Message& m) {
  for (const sip::HeaderField& h : m.headers()) {
    const std::string_view value = m.value(h);
    switch (h.id) {
      case sip::HeaderId::kVia:
        (void)sip::parse_via(value);
        break;
      case sip::HeaderId::kContact:
      case sip::HeaderId::kRoute:
      case sip::HeaderId::kRecordRoute:
        if (auto a = sip::parse_name_addr(value); a.ok()) (void)a->params.get("expires");
        break;
      case sip::HeaderId::kAuthorization:
      case sip::HeaderId::kWwwAuthenticate:
      case sip::HeaderId::kProxyAuthenticate:
      case sip::HeaderId::kProxyAuthorization:
        (void)sip::parse_auth(value);
        break;
      default:
        (void)sip::split_tokens(value);
        break;
    }
  }
  if (m.is_request()) {
    if (auto uri = sip::parse_uri(m.request_uri()); uri.ok()) (void)sip::unescape(uri->user);
    sip::ResponseOptions options;
    options.status_code = 200;
    options.to_tag = "fuzz";
    options.extra_headers = {{"Allow", "INVITE, ACK"}};
    options.content_type = "text/plain";
    options.body = "body";
    auto response = sip::parse_message(sip::build_response(m, options));
    fuzz::require(response.ok());
    fuzz::require(response->call_id() == m.call_id());
    fuzz::require(response->cseq_number() == m.cseq_number());
    fuzz::require(response->body() == "body");
  }
}

struct Event {
  sip::StreamFramer::Event kind;
  std::string message;
  int code = 0;
};

std::vector<Event> frame(std::string_view bytes, std::uint32_t seed, bool chunked) {
  sip::StreamFramer framer(4096);
  std::mt19937 rng(seed);
  std::vector<Event> events;
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    const std::size_t chunk =
        chunked ? std::uniform_int_distribution<std::size_t>(1, 64)(rng) : bytes.size();
    framer.feed(bytes.substr(pos, chunk));
    pos += chunk;
    while (true) {
      auto out = framer.next();
      if (out.event == sip::StreamFramer::Event::kNeedMore) break;
      events.push_back(Event{out.event, std::string(out.message), out.error.code});
      if (out.event == sip::StreamFramer::Event::kError) return events;
      if (out.event == sip::StreamFramer::Event::kMessage) (void)sip::parse_message(out.message);
    }
  }
  return events;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto m = sip::parse_message(bytes);
  if (m.ok()) {
    check_round_trip(*m);
    exercise_fields(*m);
  } else {
    (void)sip::build_error_response(bytes, m.error(), "tag");
  }

  const std::uint32_t seed = static_cast<std::uint32_t>(size * 2654435761u);
  const auto whole = frame(bytes, seed, false);
  const auto pieces = frame(bytes, seed, true);
  fuzz::require(whole.size() == pieces.size());
  for (std::size_t i = 0; i < whole.size(); ++i) {
    fuzz::require(whole[i].kind == pieces[i].kind);
    fuzz::require(whole[i].message == pieces[i].message);
    fuzz::require(whole[i].code == pieces[i].code);
  }
  return 0;
}
