// A voicemail box's recorded greeting uploaded over the API (issues 7 and 9): PUT a WAV or an
// Ogg/Opus file as the body, DELETE to return to the default greeting. The box's user or an admin
// of its tenant may do either (voicemail_tenant()).
//
// What is accepted is decided by the bytes, never by Content-Type: a RIFF/WAVE file that the
// voicemail player reads (PCM 16-bit mono at 8000, 16000 or 48000 Hz), or an Ogg/Opus file
// (RFC 7845, mono or stereo, decoded to mono 48 kHz), read by media::AudioClip::parse, from one
// 20 ms frame to 10 minutes. Anything else is 415 with what is wrong; a body over
// max_greeting_bytes is 413 (the server refuses it by its Content-Length before reading it). The
// samples are written again as a plain WAV (no extra chunks) by app/'s VoicemailService, through
// a temporary file renamed into place, so a box never plays half a greeting and an Ogg/Opus
// upload is decoded once, here.

#include <span>

#include "http/api/api_impl.hpp"
#include "media/audio_player.hpp"
#include "store/voicemail_store.hpp"

namespace parley::http::api {

Response RestApi::Impl::put_voicemail_greeting(const Call& call) const {
  Response failure;
  const auto tenant = voicemail_tenant(call, failure);
  if (!tenant) return failure;
  const std::string& box = call.params[1];
  if (!store_.get_extension(tenant->id, box)) return not_in_tenant("voicemail box", box, *tenant);
  if (!options_.save_greeting) return resources_unavailable("greeting uploads");
  const std::string_view body = call.request.body;
  if (body.size() > options_.max_greeting_bytes) {
    return problem(
        413, "a greeting is at most " + std::to_string(options_.max_greeting_bytes) + " bytes");
  }
  constexpr std::string_view kWanted =
      "a WAV file (RIFF/WAVE, PCM 16-bit mono, 8000, 16000 or 48000 Hz) or an Ogg/Opus file "
      "(mono or stereo)";
  const auto clip = media::AudioClip::parse(
      std::span(reinterpret_cast<const std::uint8_t*>(body.data()), body.size()));
  if (!clip) {
    return problem(415, "a greeting must be " + std::string(kWanted) + ": " + clip.error().message);
  }
  auto saved = options_.save_greeting(tenant->id, box, (*clip)->samples(), (*clip)->sample_rate());
  if (!saved) return store_problem(saved.error());
  return json_response(200,
                       {{"box", box},
                        {"has_greeting", true},
                        {"sample_rate", (*clip)->sample_rate()},
                        {"duration_ms", static_cast<std::int64_t>((*clip)->seconds() * 1000)}});
}

Response RestApi::Impl::delete_voicemail_greeting(const Call& call) const {
  Response failure;
  const auto tenant = voicemail_tenant(call, failure);
  if (!tenant) return failure;
  const std::string& box = call.params[1];
  if (!store_.get_extension(tenant->id, box)) return not_in_tenant("voicemail box", box, *tenant);
  // The file stays until the next upload or recording replaces it: the empty path is what makes
  // the box play the default, and it takes effect on the next call.
  auto cleared = options_.voicemail->set_voicemail_greeting(tenant->id, box, "");
  if (!cleared) return store_problem(cleared.error());
  return no_content();
}

}  // namespace parley::http::api
