// libFuzzer target: SDP parsing and serialising. Beyond "no crash", it checks properties that
// must hold for any input:
//  - a description that parses respects the limits of the header;
//  - its serialisation parses again (unless serialising grew it past kMaxBytes: CRLF line ends
//    and an added t= line can lengthen it) and serialises to the same bytes;
//  - the helpers answer for every media without crashing.

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "fuzz_require.hpp"
#include "protocol/sdp/session_description.hpp"

namespace sdp = parley::protocol::sdp;

namespace {

void check_limits(const sdp::SessionDescription& sd) {
  fuzz::require(sd.media.size() <= sdp::kMaxMedia);
  std::size_t attributes = sd.attributes.size() + (sd.direction ? 1 : 0);
  for (const sdp::Media& m : sd.media) {
    fuzz::require(m.formats.size() + m.raw_formats.size() <= sdp::kMaxFormats);
    fuzz::require(m.formats.empty() || m.raw_formats.empty());
    attributes += m.attributes.size();
    for (const sdp::Format& f : m.formats) {
      fuzz::require(f.payload_type >= 0 && f.payload_type <= 127);
      fuzz::require(m.find_format(f.payload_type) == &f);  // payload types are distinct
    }
  }
  fuzz::require(attributes <= sdp::kMaxAttributes);
}

void exercise_helpers(const sdp::SessionDescription& sd) {
  for (std::size_t i = 0; i < sd.media.size(); ++i) {
    const sdp::Media& m = sd.media[i];
    (void)sd.connection_for(i);
    const sdp::Direction d = m.effective_direction(sd.direction);
    fuzz::require(sdp::reverse(sdp::reverse(d)) == d);
    fuzz::require(sdp::sends(d) == sdp::receives(sdp::reverse(d)));
    for (const sdp::Format& f : m.formats) {
      if (!f.encoding.empty()) fuzz::require(sdp::same_codec(f, f));
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto first = sdp::parse(bytes);
  if (!first.ok()) {
    fuzz::require(first.error().code == 400);
    fuzz::require(!first.error().message.empty());
    return 0;
  }
  check_limits(*first);
  exercise_helpers(*first);
  const std::string text = sdp::serialise(*first);
  if (text.size() > sdp::kMaxBytes) return 0;
  auto second = sdp::parse(text);
  fuzz::require(second.ok());
  check_limits(*second);
  fuzz::require(second->media.size() == first->media.size());
  fuzz::require(sdp::serialise(*second) == text);
  return 0;
}
