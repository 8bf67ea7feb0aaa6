#pragma once
// import_audio: a sound file a command names (an IVR greeting now; any prompt later) checked and
// converted once, when it is set, rather than each time the server loads it: the file is read as
// WAV or Ogg/Opus (media::AudioClip::load; a clear error names what is wrong) and written into
// the data folder as a plain mono WAV (`<data>/imported-audio/<name>.wav`, durably), so the
// server no longer depends on the original staying where it was.
//
// Blocking file I/O and decoding: the command-line tools call it.

#include <string>

#include "base/result.hpp"

namespace parley::app {

struct ImportedAudio {
  std::string path;  // absolute path of the WAV in the data folder
  int sample_rate = 0;
  double seconds = 0;
};

// `name` becomes the file name; it must be non-empty and use only letters, digits, '.', '-' and
// '_' (callers build it from a domain and a checked name).
Result<ImportedAudio> import_audio(const std::string& data_dir, const std::string& name,
                                   const std::string& source);

}  // namespace parley::app
