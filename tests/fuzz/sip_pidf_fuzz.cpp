// libFuzzer target: a PIDF document (RFC 3863) as PUBLISH brings it (sip/pidf.hpp), either raw or
// as the body of a SIP request whose Event and Expires are read first, as the publication
// service does. Every refusal is a 400; every note read is clean UTF-8 of at most kMaxNoteBytes
// without control characters; and what Parley builds from the result reads back the same.

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "protocol/sip/message.hpp"
#include "sip/pidf.hpp"
#include "sip/presence.hpp"
#include "sip/subscribe_request.hpp"

namespace {

void check(std::string_view document) {
  auto read = parley::sip::parse_pidf(document);
  if (!read.ok()) {
    if (read.error().code != 400) std::abort();
    return;
  }
  const std::string& note = read->note;
  if (note.size() > parley::sip::kMaxNoteBytes) std::abort();
  for (char c : note) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) std::abort();
  }
  if (!note.empty() && (note.front() == ' ' || note.back() == ' ')) std::abort();
  auto again = parley::sip::clean_note(note);
  if (!again.ok() || *again != note) std::abort();  // clean notes stay as they are

  parley::sip::PresenceInputs inputs;
  inputs.registered = true;
  inputs.user = *read;
  const std::string xml =
      parley::sip::build_pidf("sip:1001@example.com", parley::sip::derive_presence(inputs));
  auto back = parley::sip::parse_pidf(xml);
  if (!back.ok() || back->state != read->state) std::abort();
  if (read->state != parley::sip::UserState::kOffline && !note.empty() && back->note != note) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto message = parley::protocol::sip::parse_message(input);
  if (message.ok() && message->is_request()) {
    auto read = parley::sip::read_subscribe(*message);
    if (!read.ok() && read.error().code != 400) std::abort();
    check(message->body());
    return 0;
  }
  check(input);
  return 0;
}
