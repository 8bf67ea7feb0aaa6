#pragma once
// What a stored recording or message file is, by its name: call recordings are WAV or Ogg/Opus
// (`[recording] format`, decision 0039), voicemail is WAV. Internal to http/api.

#include <string_view>

namespace parley::http::api {

inline bool is_ogg_audio(std::string_view path) {
  return path.ends_with(".opus") || path.ends_with(".ogg");
}

// The Content-Type to answer with: audio/ogg (RFC 7845 §9) or audio/wav.
inline std::string_view audio_content_type(std::string_view path) {
  return is_ogg_audio(path) ? "audio/ogg" : "audio/wav";
}

// The extension a download of the file is named with.
inline std::string_view audio_extension(std::string_view path) {
  return is_ogg_audio(path) ? ".opus" : ".wav";
}

}  // namespace parley::http::api
