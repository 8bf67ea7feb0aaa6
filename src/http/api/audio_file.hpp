#pragma once
// One stored WAV file as a GET answer, shared by the recordings and the voicemail messages:
// byte ranges (byte_range.hpp) so that an <audio> element can seek, large answers streamed from
// the open file (FileBody) rather than read whole, and a file served only
// when it resolves (symbolic links followed) to a regular file inside its folder, so that a
// row pointing elsewhere is never read. Internal to http/api.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "http/message.hpp"

namespace parley::http::api {

struct AudioFile {
  std::filesystem::path folder;  // the only folder files may be read from
  std::string path;              // as the store has it
  std::string download_name;     // "recording-12.wav"
};

// 200 or 206 with the bytes (audio/wav, or audio/ogg for .opus/.ogg files) and
// Content-Disposition inline, or attachment when the query has download=1; or 416; nullopt when
// the file is not inside the folder or cannot be opened (logged; the caller answers 404 as for a
// missing row).
std::optional<Response> serve_audio_file(const Request& request, const AudioFile& file);

}  // namespace parley::http::api
